"""The household attributes eligibility rules will read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.transfers.domain.assessments import assessment_text, enrolment_key
from shared.contracts.household_groups import people_cells, vulnerable_groups


@dataclass(frozen=True)
class HouseholdAttributes:
    """What the transfers service knows of a household: no names, documents or accounts."""

    household_id: str
    version: int
    status: str
    admin_code: str
    size: int
    vulnerability_score: float | None = None
    children_under_5: int = 0
    elderly_65_plus: int = 0
    persons_with_disabilities: int = 0
    pregnant_members: int = 0
    female_headed: bool = False
    payment_channel_type: str | None = None
    #: Whether the household's recorded consent covers emergency transfers (``None``: no consent
    #: recorded; a recorded consent without it holds the household).
    consent_emergency: bool | None = None
    #: Regular programmes it is enrolled in (``",CODE,CODE,"``) and its post-event assessments'
    #: categories (see :mod:`services.transfers.domain.assessments`).
    enrolments: str | None = None
    assessments: str | None = None
    #: The registry's publications of this version so far (a refresh as time changed its score).
    snapshot_revision: int = 0
    #: Its members by sex and reporting band, with disability per band, as
    #: :func:`shared.contracts.household_groups.people_cells` keeps them (``None``: not counted).
    people: str | None = None

    @property
    def may_receive_transfers(self) -> bool:
        """Only active households are considered by programmes."""
        return self.status == "active"


def attributes_from_snapshot(snapshot: dict[str, Any]) -> HouseholdAttributes:
    """Build the attribute row from a validated public snapshot."""
    return HouseholdAttributes(
        household_id=snapshot["household_id"],
        version=snapshot["version"],
        status=snapshot["status"],
        admin_code=snapshot["admin_code"],
        size=snapshot["size"],
        vulnerability_score=(snapshot.get("vulnerability") or {}).get("score"),
        **vulnerable_groups(snapshot),
        payment_channel_type=snapshot.get("payment_channel_type"),
        consent_emergency=consent_for_emergencies(snapshot.get("consent_purposes") or []),
        enrolments=enrolment_key(snapshot.get("enrolments") or []),
        assessments=assessment_text(snapshot.get("assessments") or []),
        snapshot_revision=snapshot.get("snapshot_revision") or 0,
        people=people_cells(snapshot),
    )


def consent_for_emergencies(purposes: list[str]) -> bool | None:
    """``None`` when no consent is recorded, else whether it covers emergency transfers."""
    return ("emergency_transfers" in purposes) if purposes else None
