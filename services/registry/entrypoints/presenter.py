"""How a household is shown to a caller: personal data only as far as their role allows."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from services.registry.domain.members import Member, mask
from services.registry.domain.model import Household, PaymentChannel
from services.registry.domain.ports import PersonalDataProtector
from shared.auth import REGISTRY_OFFICER, Principal


def present(household: Household, principal: Principal, protector: PersonalDataProtector) -> dict[str, Any]:
    """The household as ``principal`` may see it.

    Registry officers see document numbers, phones and payment identifiers in clear; field staff
    and auditors see them masked (last four characters) and payment identifiers not at all.
    """
    clear = REGISTRY_OFFICER in principal.roles
    facts = household.facts

    def reveal(ciphertext: str | None) -> str | None:
        if not ciphertext:
            return None
        plain = protector.decrypt(ciphertext)
        return plain if clear else mask(plain)

    return {
        "id": household.id,
        "registration_number": household.registration_number,
        "status": facts.status.value,
        "admin_code": facts.admin_code,
        "admin_levels": household.admin_levels,
        "size": household.size,
        "location": facts.location,
        "address": facts.address,
        "language": facts.language,
        "dwelling": dict(facts.dwelling),
        "services": dict(facts.services),
        "livelihood": dict(facts.livelihood),
        "consent": facts.consent.as_record() if facts.consent else None,
        "payment": _payment(facts.payment, clear, protector),
        "members": [_member(m, reveal) for m in facts.members],
        "vulnerability": {
            "score": household.vulnerability.score,
            "index_version": household.vulnerability.index_version,
            "components": dict(household.vulnerability.components),
        },
        "version": household.version,
        "registered_at": household.registration.at,
        "registered_by": household.registration.by,
        "registration_source": household.registration.source.value,
        "registration_device": household.registration.device,
        "updated_at": household.updated_at,
        "updated_by": household.updated_by,
        "assessments": [a.as_record() for a in household.assessments],
        "enrolments": [e.as_record() for e in household.enrolments],
    }


def _payment(
    payment: PaymentChannel | None, clear: bool, protector: PersonalDataProtector
) -> dict[str, Any] | None:
    """The payment channel; its identifiers only for those who see personal data in clear."""
    if payment is None:
        return None
    identifiers = None
    if clear and payment.identifiers_encrypted:
        identifiers = json.loads(protector.decrypt(payment.identifiers_encrypted))
    return {"type": payment.type.value, "provider": payment.provider, "identifiers": identifiers}


def _member(m: Member, reveal: Callable[[str | None], str | None]) -> dict[str, Any]:
    """One member, documents and phones shown through ``reveal`` (in clear or masked)."""
    return {
        "id": m.id,
        "given_names": m.given_names,
        "family_names": m.family_names,
        "sex": m.sex.value,
        "relationship": m.relationship.value,
        "birth_date": m.birth_date,
        "age_estimate": m.age_estimate,
        "document_type": m.document.type.value if m.document else None,
        "document_number": reveal(m.document.number_encrypted) if m.document else None,
        "phone": reveal(m.phone_encrypted),
        "disability": {k: int(v) for k, v in m.disability.items()},
        "has_disability": m.has_disability,
        "pregnant": m.pregnant,
        "chronic_illness": m.chronic_illness,
        "attends_school": m.attends_school,
    }
