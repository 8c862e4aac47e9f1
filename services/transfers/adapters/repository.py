"""The household attribute projection in the transfers service's database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import household_attributes, household_reviews
from services.transfers.domain.households import HouseholdAttributes
from shared.columns import columns_from_rows
from shared.contracts.household_groups import COUNTED_GROUPS, FEMALE_HEADED
from shared.db import as_read
from shared.projection import apply_all_if_newer, apply_if_newer, versioned_changes


class AttributeRepository:
    def __init__(self, session: Session):
        self.session = session

    def save_if_newer(self, attributes: HouseholdAttributes) -> bool:
        values = asdict(attributes)
        values.pop("household_id")
        values.pop("version")
        values["updated_at"] = datetime.now(UTC)
        values["assessed_at"] = self._assessed_at([attributes], values["updated_at"])[0]
        return apply_if_newer(
            self.session,
            household_attributes,
            "household_id",
            attributes.household_id,
            attributes.version,
            values,
        )

    def save_all_if_newer(self, many: Sequence[HouseholdAttributes]) -> list[bool]:
        """:meth:`save_if_newer` for many households' attributes in order; one flag each."""
        at = datetime.now(UTC)
        changes = versioned_changes(many, "household_id", updated_at=at)
        for (_, _, values), assessed_at in zip(changes, self._assessed_at(many, at), strict=True):
            values["assessed_at"] = assessed_at
        return apply_all_if_newer(self.session, household_attributes, "household_id", changes)

    def _assessed_at(self, many: Sequence[HouseholdAttributes], at: datetime) -> list[datetime | None]:
        """When each household's assessments last changed: ``at`` for those whose assessments differ
        from the stored ones (so that decisions made before are taken up again), else as stored.
        Read only for the households that have assessments."""
        a = household_attributes.c
        assessed = [h.household_id for h in many if h.assessments]
        stored: dict[str, tuple[str | None, datetime | None]] = {}
        for start in range(0, len(assessed), 500):
            rows = self.session.execute(
                select(a.household_id, a.assessments, a.assessed_at).where(
                    a.household_id.in_(assessed[start : start + 500])
                )
            ).all()
            stored.update({r.household_id: (r.assessments, as_read(r.assessed_at)) for r in rows})
        found: list[datetime | None] = []
        for household in many:
            text, when = stored.get(household.household_id, (None, None))
            if not household.assessments:
                found.append(None)
            else:
                found.append(when if text == household.assessments else at)
                stored[household.household_id] = (household.assessments, found[-1])
        return found

    def review_of(self, household_id: str) -> str | None:
        """Why the registry holds the household under review, or ``None`` when it does not."""
        row = self.session.execute(
            select(household_reviews).where(household_reviews.c.household_id == household_id)
        ).first()
        return (row.reason or "under review") if row is not None and row.under_review else None

    def note_review(self, household_id: str, under_review: bool, reason: str | None) -> bool:
        """Hold or release a household (whether or not its attributes have arrived yet)."""
        values = {"under_review": under_review, "reason": reason if under_review else None}
        values["updated_at"] = datetime.now(UTC)
        moved = self.session.execute(
            update(household_reviews).where(household_reviews.c.household_id == household_id).values(**values)
        ).rowcount
        if not moved:
            self.session.execute(insert(household_reviews).values(household_id=household_id, **values))
        return True

    def get(self, household_id: str) -> HouseholdAttributes | None:
        row = self.session.execute(
            select(household_attributes).where(household_attributes.c.household_id == household_id)
        ).first()
        if row is None:
            return None
        return HouseholdAttributes(
            vulnerability_score=row.vulnerability_score,
            children_under_5=row.children_under_5,
            elderly_65_plus=row.elderly_65_plus,
            persons_with_disabilities=row.persons_with_disabilities,
            pregnant_members=row.pregnant_members,
            female_headed=row.female_headed,
            payment_channel_type=row.payment_channel_type,
            consent_emergency=row.consent_emergency,
            enrolments=row.enrolments,
            assessments=row.assessments,
            household_id=row.household_id,
            version=row.version,
            status=row.status,
            admin_code=row.admin_code,
            size=row.size,
            snapshot_revision=row.snapshot_revision,
            people=row.people,
        )

    def columns_in(self, area: str) -> dict[str, np.ndarray]:
        """The attributes of the active households inside ``area`` (the area or below it), as
        numpy columns."""
        a = household_attributes.c
        kinds = {"size": int, "vulnerability_score": float, **dict.fromkeys(COUNTED_GROUPS, int)}
        kinds |= {FEMALE_HEADED: bool, "admin_code": object, "payment_channel_type": object}
        kinds |= {"enrolments": object, "assessments": object}
        rows = self.session.execute(
            select(*(func.coalesce(a[n], "") if n == "enrolments" else a[n] for n in kinds)).where(
                a.status == "active",
                (a.admin_code == area) | a.admin_code.startswith(area + "-", autoescape=True),
            )
        ).all()
        return columns_from_rows(rows, kinds)
