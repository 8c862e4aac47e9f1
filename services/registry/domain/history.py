"""Change history: what changed between two versions of a household, field by field.

Protected values (document numbers, phones, payment identifiers) are never written into the
history in clear: a change to one is recorded as ``"(protected)"`` on both sides, so officers see
*that* it changed and the history cannot leak it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from services.registry.domain.members import PLAIN_ATTRIBUTES
from services.registry.domain.model import Household

PROTECTED = "(protected)"


class FieldChange(NamedTuple):  # a tuple: each new household makes dozens
    """One field's change: its path (``members.<id>.given_names``), the old and the new value."""

    path: str
    old: Any
    new: Any


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def flatten(household: Household | None) -> dict[str, Any]:
    """Every recorded fact of ``household`` as ``{path: value}``, protected values masked."""
    if household is None:
        return {}
    facts = household.facts
    flat: dict[str, Any] = {
        "status": facts.status.value,
        "admin_code": facts.admin_code,
        "address": facts.address,
        "language": facts.language,
        "location.lat": facts.location.lat,
        "location.lon": facts.location.lon,
        "location.accuracy_m": facts.location.accuracy_m,
        "location.source": facts.location.source.value,
        "vulnerability.score": household.vulnerability.score,
        "vulnerability.index_version": household.vulnerability.index_version,
    }
    for group, values in (
        ("dwelling", facts.dwelling),
        ("services", facts.services),
        ("livelihood", facts.livelihood),
    ):
        for key, value in values.items():
            flat[f"{group}.{key}"] = value
    if facts.consent is not None:
        flat["consent.given_at"] = facts.consent.given_at.isoformat()
        flat["consent.given_by"] = facts.consent.given_by
        flat["consent.purposes"] = sorted(facts.consent.purposes)
    if facts.payment is not None:
        flat["payment.type"] = facts.payment.type.value
        flat["payment.provider"] = facts.payment.provider
        flat["payment.identifiers"] = PROTECTED if facts.payment.identifiers_encrypted else None
    for member in facts.members:
        prefix = f"members.{member.id}."
        for name in PLAIN_ATTRIBUTES:
            flat[prefix + name] = _plain(getattr(member, name))
        flat[prefix + "disability"] = {k: int(v) for k, v in sorted(member.disability.items())}
        flat[prefix + "document"] = (
            f"{member.document.type.value} #{member.document.number_hash[:12]}" if member.document else None
        )
        flat[prefix + "phone"] = PROTECTED if member.phone_encrypted else None
    for assessment in household.assessments:  # one per assessment event: the newest visit
        for key, value in assessment.as_record().items():
            if key not in ("event_id", "incidents"):
                flat[f"assessments.{assessment.event_id}.{key}"] = value
    for enrolment in household.enrolments:
        prefix = f"enrolments.{enrolment.programme}.{enrolment.since.isoformat()}."
        flat[prefix + "since"] = enrolment.since.isoformat()
        flat[prefix + "until"] = enrolment.until.isoformat() if enrolment.until else None
        flat[prefix + "reference"] = enrolment.reference
    return flat


def changes(before: Household | None, after: Household) -> list[FieldChange]:
    """The field changes from ``before`` (``None`` for a new household) to ``after``.

    A protected value that changed shows as ``(protected)`` → ``(protected)``: the ciphertext
    differs, the clear value never appears.
    """
    if before is None:  # a new household: every recorded fact, from nothing
        return [
            FieldChange(path, None, value)
            for path, value in sorted(flatten(after).items())
            if value is not None
        ]
    old, new = flatten(before), flatten(after)
    result = [
        FieldChange(path, old.get(path), new.get(path))
        for path in sorted(set(old) | set(new))
        if old.get(path) != new.get(path)
    ]
    return result + _protected_changes(before, after)


def _protected_changes(before: Household, after: Household) -> list[FieldChange]:
    found = []
    old_members = {m.id: m for m in before.facts.members}
    for member in after.facts.members:
        previous = old_members.get(member.id)
        old_phone = previous.phone_encrypted if previous else None
        if old_phone and member.phone_encrypted and old_phone != member.phone_encrypted:
            found.append(FieldChange(f"members.{member.id}.phone", PROTECTED, PROTECTED))
    old_ids = before.facts.payment.identifiers_encrypted if before.facts.payment else None
    new_ids = after.facts.payment.identifiers_encrypted if after.facts.payment else None
    if old_ids and new_ids and old_ids != new_ids:
        found.append(FieldChange("payment.identifiers", PROTECTED, PROTECTED))
    return found
