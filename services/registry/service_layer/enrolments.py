"""Reading a regular programme's roster into the registry: a dry run that says what each row
would do, then a commit that does it (each household changed gets a new version, its history and
its event, in one transaction)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.registry.domain import enrolments as rules
from services.registry.domain.enrolments import RosterRow
from services.registry.domain.errors import (
    AlreadyDecided,
    HouseholdNotFound,
    InvalidHousehold,
    OutsideJurisdiction,
)
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.registration import store_change
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.admin_codes import lies_within
from shared.audit import AuditEntry

#: Rows shown in a report (the counts cover them all).
REPORTED_ROWS = 1000


@dataclass(frozen=True)
class ReadRoster:
    """A roster file's rows, for a programme, as of a date; a full roster also covers ``areas``."""

    programme: str
    file_name: str
    headers: Sequence[str]
    rows: Iterable[tuple[int, Mapping[str, Any]]]
    roster_date: date
    full: bool
    areas: tuple[str, ...]
    actor: Actor


def read_roster(command: ReadRoster, uow: RegistryUnitOfWork, deps: Dependencies) -> dict[str, Any]:
    """Match every row to a household and say what it would do; nothing changes yet.

    :raise InvalidHousehold: if the programme code or the file's columns are unusable.
    :raise OutsideJurisdiction: if a full roster claims areas outside the person's jurisdiction.
    """
    programme = rules.check_programme_code(command.programme)
    if command.roster_date > deps.now().date():
        # Enrolments then change only when a roster is committed, never as days pass.
        raise InvalidHousehold(
            "the roster cannot be read", {"roster_date": f"{command.roster_date} has not come yet"}
        )
    outside = [a for a in command.areas if not command.actor.covers(a)]
    if outside:
        raise OutsideJurisdiction(f"the roster's areas {', '.join(outside)} are outside your jurisdiction")
    columns = rules.roster_columns(command.headers)
    parsed, rows = [], []
    for number, raw in command.rows:
        row, problems = rules.read_roster_row(number, raw, columns, command.roster_date)
        if row is None:
            reason = "; ".join(f"{column}: {text}" for column, text in problems.items())
            rows.append({"row": number, "outcome": rules.INVALID, "reason": reason})
        else:
            parsed.append(row)
    with uow:
        rows += _matched(uow, deps, command, programme, parsed)
        roster_id = str(uuid.uuid4())
        counts = dict(Counter(r["outcome"] for r in rows))
        uow.rosters.add(
            {
                "id": roster_id,
                "programme": programme,
                "file_name": command.file_name[:255],
                "full_roster": command.full,
                "roster_date": command.roster_date,
                "status": "validated",
                "created_by": command.actor.subject,
                "jurisdiction": list(command.areas),
                "created_at": deps.now(),
                "rows": rows,
                "counts": counts,
            }
        )
        return _report(uow.rosters.get(roster_id))


def _matched(
    uow: RegistryUnitOfWork, deps: Dependencies, command: ReadRoster, programme: str, parsed: list[RosterRow]
) -> list[dict[str, Any]]:
    references = uow.rosters.by_reference([r.household_reference for r in parsed if r.household_reference])
    hashes = {r.row: deps.protector.document_hash(*r.document) for r in parsed if r.document}
    documents = uow.rosters.by_document(sorted(set(hashes.values())))
    found: dict[int, tuple[str, str] | str] = {}
    for row in parsed:
        if row.household_reference:
            found[row.row] = references.get(row.household_reference, rules.NOT_FOUND)
        else:
            homes = documents.get(hashes[row.row], set())
            found[row.row] = (
                next(iter(homes)) if len(homes) == 1 else (rules.AMBIGUOUS if homes else rules.NOT_FOUND)
            )
    ids = sorted({f[0] for f in found.values() if isinstance(f, tuple)})
    held = uow.rosters.enrolments_of(ids)
    rows, named = [], set()
    for row in parsed:
        home = found[row.row]
        entry: dict[str, Any] = {
            "row": row.row,
            "since": row.since.isoformat(),
            "reference": row.beneficiary_reference,
        }
        if isinstance(home, str):
            rows.append(entry | {"outcome": home, "reason": _REASONS[home]})
        elif not command.actor.covers(home[1]):
            rows.append(entry | {"outcome": rules.OUTSIDE, "reason": f"the household lies in {home[1]}"})
        elif home[0] in named:
            rows.append(
                entry | {"outcome": rules.REPEATED, "household_id": home[0], "reason": _REASONS["repeated"]}
            )
        else:
            named.add(home[0])
            outcome, _ = rules.on_roster(held[home[0]], programme, row.since, row.beneficiary_reference, "")
            rows.append(entry | {"outcome": outcome, "household_id": home[0]})
    if command.full:
        rows += _ended(uow, command, programme, named)
    return rows


_REASONS = {
    rules.NOT_FOUND: "no registered household has that reference or document",
    rules.AMBIGUOUS: "that document belongs to members of more than one household",
    rules.REPEATED: "an earlier row already names this household",
}


def _ended(
    uow: RegistryUnitOfWork, command: ReadRoster, programme: str, named: set[str]
) -> list[dict[str, Any]]:
    """The enrolments a full roster ends: households of its areas enrolled and no longer on it."""
    ended = []
    candidates = [
        (household_id, code)
        for household_id, code in uow.rosters.enrolled_in(programme)
        if household_id not in named and any(lies_within(code, area) for area in command.areas)
    ]
    held = uow.rosters.enrolments_of([household_id for household_id, _ in candidates])
    for household_id, _ in candidates:
        if rules.current(held[household_id], programme) is not None:
            ended.append({"row": None, "outcome": rules.END, "household_id": household_id})
    return ended


def _report(stored: dict[str, Any] | None) -> dict[str, Any]:
    assert stored is not None
    return {
        key: stored[key]
        for key in ("id", "programme", "file_name", "full_roster", "roster_date", "status", "created_by")
    } | {
        "areas": stored["jurisdiction"],
        "created_at": stored["created_at"],
        "committed_at": stored["committed_at"],
        "counts": stored["counts"],
        "rows": stored["rows"][:REPORTED_ROWS],
    }


def roster(roster_id: str, actor: Actor, uow: RegistryUnitOfWork) -> dict[str, Any]:
    """A roster read earlier, with its report.

    :raise HouseholdNotFound: if there is none.
    :raise OutsideJurisdiction: if its areas are not all the person's.
    """
    with uow:
        return _report(_visible(uow.rosters.get(roster_id), roster_id, actor))


def _visible(stored: dict[str, Any] | None, roster_id: str, actor: Actor) -> dict[str, Any]:
    if stored is None:
        raise HouseholdNotFound(f"no roster {roster_id}")
    if not all(actor.covers(area) for area in stored["jurisdiction"]):
        raise OutsideJurisdiction(f"roster {roster_id} concerns areas outside your jurisdiction")
    return stored


def commit_roster(
    roster_id: str, actor: Actor, uow: RegistryUnitOfWork, deps: Dependencies
) -> dict[str, Any]:
    """Apply a roster's rows as they stand now: enrolments begun, changed or ended.

    A household changed since the dry run is judged again (a row that now changes nothing is left
    alone). :raise AlreadyDecided: if the roster was committed already.
    :raise OutsideJurisdiction: if a household to change is outside the person's jurisdiction.
    """
    now = deps.now()
    with uow:
        stored = _visible(uow.rosters.get(roster_id, for_update=True), roster_id, actor)
        if stored["status"] != "validated":
            raise AlreadyDecided(f"roster {roster_id} is {stored['status']}")
        changed = 0
        for row in stored["rows"]:
            if row["outcome"] in (rules.ENROL, rules.UPDATE, rules.END):
                changed += _apply(uow, stored, row, actor, now)
        uow.rosters.update(roster_id, status="committed", committed_at=now)
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="roster_committed",
                subject_type="roster",
                subject_id=roster_id,
                from_state="validated",
                to_state="committed",
                comment=f"{stored['programme']}: {changed} households changed",
            )
        )
        return _report(uow.rosters.get(roster_id))


def _apply(
    uow: RegistryUnitOfWork, stored: dict[str, Any], row: dict[str, Any], actor: Actor, now: Any
) -> int:
    current = uow.households.get(row["household_id"], for_update=True)
    if current is None:
        return 0
    if not actor.covers(current.admin_code):
        raise OutsideJurisdiction(
            f"household {current.id} lies in {current.admin_code}, outside your jurisdiction"
        )
    programme = stored["programme"]
    if row["outcome"] == rules.END:
        after = rules.off_roster(current.enrolments, programme, stored["roster_date"])
    else:
        since = date.fromisoformat(row["since"])
        _, after = rules.on_roster(current.enrolments, programme, since, row.get("reference"), stored["id"])
    if after == current.enrolments:
        return 0
    # The row is locked since it was read: nobody changes the household in between.
    return int(store_change(uow, current.enrolled(after, by=actor.subject, at=now), current, screen=False))
