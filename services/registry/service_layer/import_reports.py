"""What an import's dry run records, chunk by chunk: each household's outcome, the problems of its
rows and its probable duplicates; the households refused because another one of the file names the
same registered household; and the refusal of a commit stopped by its share of duplicates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from services.registry.domain import imports as rules
from services.registry.domain.imports.outcomes import named_twice
from services.registry.service_layer.import_plans import Plan
from services.registry.service_layer.import_rows import Reader
from services.registry.service_layer.import_screening import FoundDuplicate
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.errors import Bilingual, Conflict, FieldProblem, spanish


class TooManyDuplicates(Conflict):
    """More of the households a commit would write have a probable duplicate than the officer allows."""


def record_chunk(
    uow: RegistryUnitOfWork,
    import_id: str,
    reader: Reader,
    plans: Sequence[Plan],
    found: Sequence[FoundDuplicate],
    problems: rules.RowProblems,
    counter: list[int],
) -> None:
    """Record a chunk of the dry run: its problems, each household's outcome, probable duplicates."""
    added = problems.items + [p for plan in plans for p in plan.problems]
    uow.imports.add_problems(import_id, added)
    problems.items.clear()
    uow.imports.add_households(import_id, [outcome_of(reader, plan) for plan in plans])
    uow.imports.add_duplicates(
        import_id,
        [
            {
                **asdict(f),
                "reference": f.reference[:255],
                "other_reference": f.other_reference and f.other_reference[:255],
                "reasons": list(f.reasons),
            }
            for f in found
        ],
    )
    job = uow.imports.get(import_id)
    assert job is not None
    uow.imports.update(
        import_id,
        rows_read=counter[0],
        problems_count=job["problems_count"] + len(added),
        households_total=job["households_total"] + len(plans),
        duplicates_count=job["duplicates_count"] + len(found),
    )


def outcome_of(reader: Reader, plan: Plan) -> dict[str, Any]:
    """A household of the file as the dry run records it."""
    target = plan.household or plan.current
    refusal = plan.refusal
    return {
        "first_row": plan.group.first_row,
        "rows": plan.rows,
        "reference": plan.group.ref[:255],
        "outcome": plan.outcome.value,
        "household_id": target.id if target else None,
        "registration_number": target.registration_number if target else None,
        "changed": list(plan.changed) or None,
        "pointer": reader.pointer(refusal.row, refusal.field) if refusal else None,
        "reason": str(refusal.reason) if refusal else None,
        "reason_es": spanish(refusal.reason) if refusal else None,
    }


def refuse_named_twice(uow: RegistryUnitOfWork, import_id: str, reader: Reader) -> None:
    """Refuse every household of the file that names a registered household another one names too."""
    refusals, problems = [], []
    for household_id, rows in uow.imports.named_twice(import_id).items():
        reason = named_twice(household_id, rows)
        for first_row, _ in rows:
            pointer = reader.pointer(first_row, "registration_number")
            refusals.append(
                {"first_row": first_row, "pointer": pointer, "reason": str(reason), "reason_es": reason.es}
            )
            problems.append((first_row, reader.column("registration_number"), str(reason)))
    uow.imports.refuse(import_id, refusals)
    uow.imports.add_problems(import_id, problems)
    job = uow.imports.get(import_id)
    assert job is not None
    uow.imports.update(import_id, problems_count=job["problems_count"] + len(problems))


def stopped(
    stop: Bilingual, which: Sequence[tuple[int, str]], to_write: int, limit: float | None
) -> TooManyDuplicates:
    """The refusal of a commit stopped by its share of probable duplicates: how many and which."""
    listed = ", ".join(f"{ref} (row {row})" for row, ref in which[:20])
    listado = ", ".join(f"{ref} (fila {row})" for row, ref in which[:20])
    more = len(which) - 20
    said = Bilingual(
        f"{stop}: {listed}" + (f" and {more} more" if more > 0 else "") + "; nothing was written",
        f"{stop.es}: {listado}" + (f" y {more} más" if more > 0 else "") + "; no se escribió nada",
    )
    return TooManyDuplicates(
        said,
        errors=[FieldProblem("/max_duplicate_share", str(stop), stop.es)],
        households_with_duplicates=len(which),
        households_to_write=to_write,
        max_duplicate_share=limit,
        households=[{"row": row, "reference": ref} for row, ref in which],
    )
