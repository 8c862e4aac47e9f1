"""Finding households by area, status, vulnerability score, vulnerable groups and the head's name
or registration number, a page at a time, each with its head of household."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session

from services.registry.adapters.orm import households, members
from shared.contracts.household_groups import FEMALE_HEADED, SEARCH_GROUPS
from shared.db import as_read

GROUP_COLUMNS = {
    name: households.c[group].is_(True) if group == FEMALE_HEADED else households.c[group] > 0
    for name, group in SEARCH_GROUPS.items()
}


def _within(areas: Sequence[str]) -> Any:
    """SQL condition: the household's admin code lies in one of ``areas`` ("*" = anywhere)."""
    if "*" in areas:
        return true()
    if not areas:
        return false()
    return or_(
        *[
            or_(households.c.admin_code == a, households.c.admin_code.startswith(a + "-", autoescape=True))
            for a in areas
        ]
    )


def _named(text: str, head: Any) -> Any:
    """SQL condition: the household's registration number (spaces and case ignored) or id is
    ``text``, or each of its words is part of the head's given or family names (case ignored)."""
    words = text.split()
    number = "".join(words).upper()
    names = [
        or_(
            head.c.given_names.icontains(w, autoescape=True),
            head.c.family_names.icontains(w, autoescape=True),
        )
        for w in words
    ]
    return or_(households.c.registration_number == number, households.c.id == text.strip(), and_(*names))


class HouseholdSearch:
    """Filtered, keyset-paginated reads of households with their head of household."""

    def __init__(self, session: Session):
        self.session = session

    def find(
        self,
        *,
        jurisdiction: Sequence[str],
        admin_code: str | None = None,
        status: str | None = None,
        score_min: float | None = None,
        score_max: float | None = None,
        groups: Sequence[str] = (),
        text: str | None = None,
        after_id: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        head = members.alias("head")
        query = (
            select(
                households.c.id,
                households.c.registration_number,
                households.c.admin_code,
                households.c.status,
                households.c.size,
                households.c.lat,
                households.c.lon,
                households.c.vulnerability_score,
                households.c.children_under_5,
                households.c.elderly_65_plus,
                households.c.persons_with_disabilities,
                households.c.pregnant_members,
                households.c.female_headed,
                households.c.version,
                households.c.updated_at,
                head.c.given_names.label("head_given_names"),
                head.c.family_names.label("head_family_names"),
                head.c.document_type.label("head_document_type"),
                head.c.document_encrypted.label("head_document_encrypted"),
                head.c.phone_encrypted.label("head_phone_encrypted"),
            )
            .select_from(
                households.outerjoin(
                    head, (head.c.household_id == households.c.id) & (head.c.relationship == "head")
                )
            )
            .where(_within(jurisdiction))
            .order_by(households.c.id)
            .limit(limit)
        )
        conditions = [
            _within([admin_code]) if admin_code else None,
            households.c.status == status if status else None,
            households.c.vulnerability_score >= score_min if score_min is not None else None,
            households.c.vulnerability_score <= score_max if score_max is not None else None,
            *(GROUP_COLUMNS[group] for group in groups),
            _named(text, head) if text else None,
            households.c.id > after_id if after_id else None,
        ]
        query = query.where(*(c for c in conditions if c is not None))
        return [dict(row._mapping, updated_at=as_read(row.updated_at)) for row in self.session.execute(query)]
