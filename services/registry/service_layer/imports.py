"""Imports: validate a whole file first (dry run), write nothing until the user commits.

Both passes stream the file household by household. The validation pass records every problem
as (row, column, problem) and counts valid and invalid households. The commit pass reads the
file again and registers each valid household, a few hundred per transaction, under an id
derived from the import and the household's reference — so a commit that is interrupted and
started again never registers a household twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.registry.adapters.blocks import Blocks
from services.registry.adapters.import_files import ImportFileError, open_rows
from services.registry.domain import imports as rules
from services.registry.domain import model
from services.registry.domain.errors import (
    HouseholdIdTaken,
    HouseholdNotFound,
    InvalidHousehold,
    OutsideJurisdiction,
)
from services.registry.domain.members import DocumentType
from services.registry.service_layer.common import Actor, Dependencies, HouseholdInput
from services.registry.service_layer.facts import build_facts
from services.registry.service_layer.registration import (
    RegisterHousehold,
    add_registered,
    new_household,
    register_in,
)
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.errors import Conflict, NotFound
from shared.faults import crash_point

UowFactory = Callable[[], RegistryUnitOfWork]
PROGRESS_EVERY = 500
COMMIT_BATCH = 1000

VALIDATING, VALIDATED, FAILED, COMMITTING, COMMITTED = (
    "validating",
    "validated",
    "failed",
    "committing",
    "committed",
)


class ImportNotFound(NotFound):
    pass


class ImportNotReady(Conflict):
    """The import is not in a state that allows the step asked for."""


@dataclass(frozen=True)
class NewImport:
    file_name: str
    file_format: str
    mapping: Mapping[str, str]
    actor: Actor
    jurisdiction: Sequence[str]


def create_import(request: NewImport, uow: RegistryUnitOfWork) -> str:
    """Record a new import (file already saved by the caller) and return its id."""
    import_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with uow:
        uow.imports.create(
            {
                "id": import_id,
                "file_name": request.file_name,
                "format": request.file_format,
                "mapping": dict(request.mapping),
                "status": VALIDATING,
                "created_by": request.actor.subject,
                "jurisdiction": list(request.jurisdiction),
                "created_at": now,
                "updated_at": now,
            }
        )
    return import_id


def get_import(import_id: str, uow: RegistryUnitOfWork, covers: Callable[[str], bool]) -> dict[str, Any]:
    """The import with its counts and first 200 problems.

    :raise ImportNotFound: unknown, or made for areas the caller's jurisdiction does not cover.
    """
    with uow:
        job = uow.imports.get(import_id)
        if job is None or not all(covers(area) for area in job["jurisdiction"]):
            raise ImportNotFound(f"no import {import_id}")
        job["problems"] = uow.imports.problems(import_id, limit=200)
    return job


def problems_of(import_id: str, uow: RegistryUnitOfWork) -> list[tuple[int, str, str]]:
    with uow:
        return uow.imports.problems(import_id)


# -- reading households out of a file ---------------------------------------------------------


@dataclass
class _Reader:
    columns: dict[str, str]  # header → field
    headers_of: dict[str, str]  # field → header

    def column(self, field: str) -> str:
        return self.headers_of.get(field, field)


def _open(
    path: Path, file_format: str, mapping: Mapping[str, str]
) -> tuple[_Reader, Iterator[tuple[int, dict[str, Any]]]]:
    headers, rows = open_rows(path, file_format)
    columns = rules.resolve_mapping(headers, mapping)
    return _Reader(columns, {f: h for h, f in columns.items()}), rows


def _households(
    reader: _Reader,
    rows: Iterator[tuple[int, dict[str, Any]]],
    problems: rules.RowProblems,
    counter: list[int],
) -> Iterator[rules.HouseholdRows]:
    def converted() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, raw in rows:
            counter[0] += 1
            yield number, rules.read_row(number, raw, reader.columns, problems) if raw else {}

    return rules.group_households(converted(), problems)


def _where(reader: _Reader, group: rules.HouseholdRows, key: str) -> tuple[int, str]:
    """The (row, column) a domain problem key such as ``members.1.birth_date`` points at."""
    parts = key.split(".")
    if parts[0] == "members" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(group.rows):
        field = (
            parts[2] if parts[2] != "disability" else f"disability_{parts[3]}" if len(parts) > 3 else parts[2]
        )
        return group.rows[int(parts[1])][0], reader.column(field)
    field = {
        "location": "lat",
        "dwelling": parts[-1],
        "services": parts[-1],
        "livelihood": parts[-1],
        "members": "relationship",
        "consent": "consent",
    }.get(parts[0], parts[-1])
    if parts[0] == "livelihood" and parts[-1] == "main":
        field = "livelihood"
    return group.first_row, reader.column(field)


def _input(group: rules.HouseholdRows, reader: _Reader) -> HouseholdInput:
    """The household as input to the handlers; :raise InvalidHousehold: on missing essentials."""
    document = rules.household_document(group)
    problems: dict[str, str] = {}
    if not document.get("admin_code"):
        problems["admin_code"] = "missing"
    location = document.get("location")
    if not location or location.get("lat") is None or location.get("lon") is None:
        problems["location"] = "latitude and longitude are required"
    for i, member in enumerate(document["members"]):
        for field in ("given_names", "family_names", "sex", "relationship"):
            if not member.get(field):
                problems[f"members.{i}.{field}"] = "missing"
        if member.get("document"):
            try:
                DocumentType(member["document"]["type"])
            except ValueError:
                problems[f"members.{i}.document_type"] = (
                    f"{member['document']['type']!r} is not a document type"
                )
    if problems:
        raise InvalidHousehold("the household cannot be recorded", problems)
    return HouseholdInput(
        admin_code=document["admin_code"],
        location=model.Location(location["lat"], location["lon"], location.get("accuracy_m")),
        members=document["members"],
        address=document.get("address"),
        dwelling=document["dwelling"],
        services=document["services"],
        livelihood=document["livelihood"],
        payment=document.get("payment"),
    )


def _check(group: rules.HouseholdRows, reader: _Reader, actor: Actor, deps: Dependencies) -> HouseholdInput:
    """Every rule a registration applies, without touching the database."""
    data = _input(group, reader)
    now = deps.now()
    facts = build_facts(data, deps, None, now.date())
    model.register_household(
        facts,
        registration=model.Registration(actor.subject, now),
        index=deps.index,
        jurisdiction_covers=actor.covers,
        areas=deps.areas,
    )
    return data


def household_id_for(import_id: str, ref: str) -> str:
    """The id a household of an import is registered under (the same on every commit attempt)."""
    return str(uuid.uuid5(uuid.UUID(import_id), ref))


# -- the two passes ---------------------------------------------------------------------------


def validate_import(
    import_id: str, path: Path, uow_factory: UowFactory, deps: Dependencies, actor: Actor
) -> None:
    """Dry run: read the whole file, record every problem and the counts; write no household."""
    with uow_factory() as uow:
        job = uow.imports.get(import_id)
        assert job is not None
        uow.imports.clear_problems(import_id)
    problems = rules.RowProblems()
    counter = [0]
    totals = {"households_total": 0, "households_valid": 0, "households_invalid": 0}

    def flush(status: str | None = None, **extra: Any) -> None:
        with uow_factory() as uow:
            uow.imports.add_problems(import_id, problems.items)
            job_now = uow.imports.get(import_id)
            assert job_now is not None
            uow.imports.update(
                import_id,
                rows_read=counter[0],
                problems_count=job_now["problems_count"] + len(problems.items),
                **totals,
                **({"status": status} if status else {}),
                **extra,
            )
        problems.items.clear()

    try:
        reader, rows = _open(path, job["format"], job["mapping"])
    except rules.MappingError as exc:
        for key, text in exc.problems.items():
            problems.add(1, key.removeprefix("mapping."), text)
        flush(FAILED, error="the columns could not be mapped; see the problems")
        return
    except ImportFileError as exc:
        flush(FAILED, error=str(exc))
        return
    for group in _households(reader, rows, problems, counter):
        totals["households_total"] += 1
        try:
            _check(group, reader, actor, deps)
            totals["households_valid"] += 1
        except (InvalidHousehold, OutsideJurisdiction) as exc:
            totals["households_invalid"] += 1
            for key, text in (getattr(exc, "problems", None) or {"admin_code": exc.detail}).items():
                row, column = _where(reader, group, key)
                problems.add(row, column, text)
        if totals["households_total"] % PROGRESS_EVERY == 0:
            flush()
    flush(VALIDATED)


def start_commit(import_id: str, uow: RegistryUnitOfWork) -> dict[str, Any]:
    """Move a validated import to ``committing``; :raise ImportNotReady: otherwise."""
    with uow:
        job = uow.imports.get(import_id)
        if job is None:
            raise ImportNotFound(f"no import {import_id}")
        if job["status"] not in (VALIDATED, COMMITTING):
            raise ImportNotReady(
                f"import {import_id} is {job['status']}; only a validated import can be committed"
            )
        uow.imports.update(import_id, status=COMMITTING)
        return job


def commit_import(
    import_id: str, path: Path, uow_factory: UowFactory, deps: Dependencies, actor: Actor
) -> None:
    """Register every valid household of the file, ``COMMIT_BATCH`` per transaction."""
    with uow_factory() as uow:
        job = uow.imports.get(import_id)
        assert job is not None
    reader, rows = _open(path, job["format"], job["mapping"])
    written = 0
    batch: list[tuple[RegisterHousehold, model.Household]] = []
    blocks = Blocks()  # people to compare with, read once for the whole commit
    for registration in _registrations(import_id, job["format"], reader, rows, actor, deps):
        batch.append(registration)
        if len(batch) >= COMMIT_BATCH:
            written = _write_batch(import_id, batch, written, uow_factory, deps, blocks)
            batch.clear()
    if batch:
        written = _write_batch(import_id, batch, written, uow_factory, deps, blocks)
    _finish_commit(import_id, job["format"], written, uow_factory, actor)


def _registrations(
    import_id: str,
    file_format: str,
    reader: _Reader,
    rows: Iterator[tuple[int, dict[str, Any]]],
    actor: Actor,
    deps: Dependencies,
) -> Iterator[tuple[RegisterHousehold, model.Household]]:
    """Each valid household of the file, as its registration and the household it would create.

    Each household is checked and built once, before it joins a batch, so one bad household can
    never roll back its neighbours.
    """
    ignored = rules.RowProblems()  # already reported by the validation pass
    source = (
        model.RegistrationSource.KOBOTOOLBOX if file_format == "kobo" else model.RegistrationSource.IMPORT
    )
    for group in _households(reader, rows, ignored, [0]):
        try:
            command = RegisterHousehold(
                _input(group, reader),
                actor,
                household_id_for(import_id, group.ref),
                source,
                device=f"import:{import_id[:8]}",
            )
            household = new_household(command, deps, deps.now())
        except (InvalidHousehold, OutsideJurisdiction, HouseholdNotFound):
            continue
        yield command, household


def _write_batch(
    import_id: str,
    batch: Sequence[tuple[RegisterHousehold, model.Household]],
    written: int,
    uow_factory: UowFactory,
    deps: Dependencies,
    blocks: Blocks,
) -> int:
    """Register one batch in one transaction with the import's progress; return how many
    households the import has written so far (``written`` of them before this batch)."""
    with uow_factory() as uow:
        # New households go in together; an id already registered (an earlier attempt's
        # household, or a reference repeated in the file) goes one by one after them.
        taken = uow.households.existing([household.id for _, household in batch])
        fresh, again = [], []
        for command, household in batch:
            if household.id in taken:
                again.append(command)
            else:
                fresh.append(household)
            taken.add(household.id)
        written += len(add_registered(uow, fresh, blocks))
        for command in again:
            try:
                register_in(uow, command, deps)  # unchanged if the facts are the same
            except HouseholdIdTaken:
                continue
            written += 1
        uow.imports.update(import_id, households_written=written)
    crash_point("import.after_batch")
    return written


def _finish_commit(
    import_id: str, file_format: str, written: int, uow_factory: UowFactory, actor: Actor
) -> None:
    """Mark the import committed, with an audit entry saying how many households it wrote."""
    with uow_factory() as uow:
        uow.imports.update(import_id, status=COMMITTED, households_written=written, error=None)
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="import_committed",
                subject_type="import",
                subject_id=import_id,
                from_state=COMMITTING,
                to_state=COMMITTED,
                comment=f"{written} households written from {file_format} file",
            )
        )


def recover_interrupted(uow: RegistryUnitOfWork) -> int:
    """After a restart: a validation that was cut short fails (upload again); a commit that was
    cut short goes back to ``validated`` so it can be started again (commits are idempotent)."""
    with uow:
        return uow.imports.recover(
            {
                VALIDATING: (FAILED, "validation was interrupted by a restart; upload the file again"),
                COMMITTING: (VALIDATED, "the commit was interrupted by a restart; commit again to finish it"),
            }
        )
