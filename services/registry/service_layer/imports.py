"""Imports: validate a whole file first (dry run), write nothing until the user commits.

Both passes stream the file household by household. The dry run records every problem as (row,
column, problem), what each household of the file becomes (created, an update of the registered
household its registration number names, unchanged, or refused with the reason) and the probable
duplicates among the households it would write. The commit is stopped, with nothing written,
when more of them than the officer allows have a probable duplicate; otherwise it reads the file
again and writes each household, a thousand per transaction: a new one under an id derived from
the import and the household's reference, an update only when something changed — so a commit
that is interrupted and started again never writes a household twice.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from services.registry.adapters.blocks import Blocks
from services.registry.adapters.import_files import ImportFileError
from services.registry.domain import imports as rules
from services.registry.domain.errors import HouseholdIdTaken
from services.registry.domain.imports.outcomes import (
    Outcome,
    duplicate_share,
    too_many_duplicates,
)
from services.registry.service_layer import import_reports as reports
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.import_plans import Plan, Planner
from services.registry.service_layer.import_rows import households_of, open_file
from services.registry.service_layer.import_screening import FileScreen
from services.registry.service_layer.registration import add_registered, register_in
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.errors import Conflict, NotFound
from shared.faults import crash_point

T = TypeVar("T")

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
    max_duplicate_share: float | None = None  # above it, the commit is stopped


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
                "max_duplicate_share": request.max_duplicate_share,
            }
        )
    return import_id


def get_import(import_id: str, uow: RegistryUnitOfWork, covers: Callable[[str], bool]) -> dict[str, Any]:
    """The import with its counts, and the first 200 problems, households and probable duplicates.

    :raise ImportNotFound: unknown, or made for areas the caller's jurisdiction does not cover.
    """
    with uow:
        job = uow.imports.get(import_id)
        if job is None or not all(covers(area) for area in job["jurisdiction"]):
            raise ImportNotFound(f"no import {import_id}")
        job["problems"] = uow.imports.problems(import_id, limit=200)
        job["households"] = uow.imports.households(import_id, limit=200)
        job["duplicates"] = uow.imports.duplicates(import_id, limit=200)
    outcomes = job["outcomes"] or {}
    job["duplicate_share"] = duplicate_share(job["households_with_duplicates"], _to_write(outcomes))
    return job


#: How many recent imports are looked at when listing them.
RECENT_IMPORTS = 500


def list_imports(limit: int, uow: RegistryUnitOfWork, covers: Callable[[str], bool]) -> list[dict[str, Any]]:
    """The caller's most recent imports (those made for areas their jurisdiction covers), newest
    first, with their counts but without their problems, households or duplicates."""
    with uow:
        jobs = uow.imports.latest(RECENT_IMPORTS)
    visible = [job for job in jobs if all(covers(area) for area in job["jurisdiction"])][:limit]
    for job in visible:
        job["duplicate_share"] = duplicate_share(
            job["households_with_duplicates"], _to_write(job["outcomes"] or {})
        )
    return visible


def _to_write(outcomes: Mapping[str, int]) -> int:
    return sum(outcomes.get(o.value, 0) for o in (Outcome.CREATE, Outcome.UPDATE))


def problems_of(import_id: str, uow: RegistryUnitOfWork) -> list[tuple[int, str, str]]:
    with uow:
        return uow.imports.problems(import_id)


def households_of_import(import_id: str, uow: RegistryUnitOfWork) -> list[dict[str, Any]]:
    """What each household of the file becomes (and, once committed, what became of it)."""
    with uow:
        return uow.imports.households(import_id)


def duplicates_of_import(import_id: str, uow: RegistryUnitOfWork) -> list[dict[str, Any]]:
    """Every probable duplicate the dry run found."""
    with uow:
        return uow.imports.duplicates(import_id)


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# -- the dry run ------------------------------------------------------------------------------


def validate_import(
    import_id: str, path: Path, uow_factory: UowFactory, deps: Dependencies, actor: Actor
) -> None:
    """Dry run: read the whole file; record every problem, what each household would become and
    the probable duplicates of those the commit would write; write no household."""
    with uow_factory() as uow:
        job = uow.imports.get(import_id)
        assert job is not None
        uow.imports.clear_problems(import_id)
        uow.imports.clear_plans(import_id)
    problems = rules.RowProblems()
    counter = [0]
    try:
        reader, rows = open_file(path, job["format"], job["mapping"])
    except (rules.MappingError, ImportFileError) as exc:
        with uow_factory() as uow:
            if isinstance(exc, rules.MappingError):
                for key, text in exc.problems.items():
                    problems.add(1, key.removeprefix("mapping."), text)
                uow.imports.add_problems(import_id, problems.items)
            error = "the columns could not be mapped; see the problems" if problems.items else str(exc)
            uow.imports.update(import_id, status=FAILED, error=error, problems_count=len(problems.items))
        return
    planner = Planner(import_id, job["format"], reader, actor, deps)
    screen = FileScreen()
    for chunk in _chunks(households_of(reader, rows, problems, counter), PROGRESS_EVERY):
        with uow_factory().reading() as uow:
            plans = planner.plan(chunk, uow)
            found = screen.screen(plans, uow)
        with uow_factory() as uow:
            reports.record_chunk(uow, import_id, reader, plans, found, problems, counter)
    with uow_factory() as uow:
        reports.record_chunk(uow, import_id, reader, [], [], problems, counter)  # rows after the last one
        reports.refuse_named_twice(uow, import_id, reader)
        outcomes = {o.value: 0 for o in Outcome} | uow.imports.counts(import_id)
        uow.imports.update(
            import_id,
            status=VALIDATED,
            outcomes=outcomes,
            households_valid=sum(outcomes.values()) - outcomes[Outcome.REFUSED],
            households_invalid=outcomes[Outcome.REFUSED],
            households_with_duplicates=len(uow.imports.with_duplicates(import_id)),
        )


# -- the commit -------------------------------------------------------------------------------


def start_commit(
    import_id: str, uow: RegistryUnitOfWork, max_duplicate_share: float | None = None
) -> dict[str, Any]:
    """Move a validated import to ``committing``.

    ``max_duplicate_share`` (else the one given with the upload) stops the commit when more of
    the households it would write have a probable duplicate.

    :raise ImportNotReady: not validated.
    :raise TooManyDuplicates: above the share allowed, saying how many and which (nothing changes).
    """
    with uow:
        job = uow.imports.get(import_id)
        if job is None:
            raise ImportNotFound(f"no import {import_id}")
        if job["status"] not in (VALIDATED, COMMITTING):
            raise ImportNotReady(
                f"import {import_id} is {job['status']}; only a validated import can be committed"
            )
        limit = max_duplicate_share if max_duplicate_share is not None else job["max_duplicate_share"]
        to_write = _to_write(job["outcomes"] or {})
        stop = too_many_duplicates(job["households_with_duplicates"], to_write, limit)
        if stop is not None:
            raise reports.stopped(stop, uow.imports.with_duplicates(import_id), to_write, limit)
        uow.imports.update(import_id, status=COMMITTING)
        return job


def commit_import(
    import_id: str, path: Path, uow_factory: UowFactory, deps: Dependencies, actor: Actor
) -> None:
    """Write each household of the file as its plan says, ``COMMIT_BATCH`` per transaction."""
    with uow_factory() as uow:
        job = uow.imports.get(import_id)
        assert job is not None
        twice = set(uow.imports.named_twice(import_id))
    reader, rows = open_file(path, job["format"], job["mapping"])
    planner = Planner(import_id, job["format"], reader, actor, deps, twice)
    written = 0
    blocks = Blocks()  # people to compare with, read once for the whole commit
    for chunk in _chunks(households_of(reader, rows, rules.RowProblems(), [0]), COMMIT_BATCH):
        with uow_factory().reading() as uow:  # each household checked and built before its batch is written
            plans = planner.plan(chunk, uow)
        written = _write_batch(import_id, planner, plans, written, uow_factory, deps, blocks)
    _finish_commit(import_id, job["format"], uow_factory, actor)


def _write_batch(
    import_id: str,
    planner: Planner,
    plans: Sequence[Plan],
    written: int,
    uow_factory: UowFactory,
    deps: Dependencies,
    blocks: Blocks,
) -> int:
    """Write one batch in one transaction with the import's progress; return how many households
    the import has written so far (``written`` of them before this batch)."""
    with uow_factory() as uow:
        results: dict[int, str] = {}
        # New households go in together; an id already registered (an earlier attempt's
        # household) goes one by one after them.
        creates = [plan for plan in plans if plan.outcome == Outcome.CREATE and plan.household]
        taken = uow.households.existing([plan.household.id for plan in creates if plan.household])
        fresh = [plan for plan in creates if plan.household and plan.household.id not in taken]
        again = [plan for plan in creates if plan.household and plan.household.id in taken]
        written += len(add_registered(uow, [plan.household for plan in fresh if plan.household], blocks))
        results.update((plan.group.first_row, CREATED) for plan in fresh)
        for plan in again:
            try:
                assert plan.command is not None
                register_in(uow, plan.command, deps)  # unchanged if the facts are the same
                results[plan.group.first_row] = CREATED
                written += 1
            except HouseholdIdTaken:
                results[plan.group.first_row] = Outcome.REFUSED.value
        for plan in (plan for plan in plans if plan.outcome != Outcome.CREATE):
            outcome = planner.apply(plan, uow) if plan.outcome == Outcome.UPDATE else plan.outcome
            results[plan.group.first_row] = UPDATED if outcome == Outcome.UPDATE else outcome.value
            if outcome == Outcome.UPDATE:
                written += 1
        uow.imports.record_results(import_id, results)
        uow.imports.update(import_id, households_written=written)
    crash_point("import.after_batch")
    return written


#: What the commit did with a household of the file.
CREATED, UPDATED = "created", "updated"


def _finish_commit(import_id: str, file_format: str, uow_factory: UowFactory, actor: Actor) -> None:
    """Mark the import committed, with an audit entry saying how many households it wrote."""
    with uow_factory() as uow:
        results = uow.imports.counts(import_id, "result")
        updated = results.get(UPDATED, 0)
        written = results.get(CREATED, 0) + updated
        uow.imports.update(import_id, status=COMMITTED, households_written=written, error=None)
        comment = f"{written} households written from {file_format} file"
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="import_committed",
                subject_type="import",
                subject_id=import_id,
                from_state=COMMITTING,
                to_state=COMMITTED,
                comment=comment + (f" ({updated} of them updated)" if updated else ""),
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
