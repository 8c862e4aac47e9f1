"""A household as a person entered it, turned into the facts the registry keeps: each member
checked against the rules, documents, phones and payment identifiers hashed or encrypted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from services.registry.domain import model
from services.registry.domain.errors import InvalidHousehold
from services.registry.domain.members import (
    Difficulty,
    Document,
    DocumentType,
    Member,
    Relationship,
    Sex,
    is_masked,
    mask,
    member_problems,
    new_member_id,
)
from services.registry.domain.ports import PersonalDataProtector
from services.registry.service_layer.common import Dependencies, HouseholdInput


def build_facts(
    data: HouseholdInput,
    deps: Dependencies,
    previous: model.Household | None,
    today: date,
    *,
    retry: bool = False,
) -> model.HouseholdFacts:
    """Turn entered data into facts: personal data hashed and encrypted, rules checked per member.

    A protected value that did not change keeps its stored ciphertext, so history and equality
    see no change where there is none. A document number or phone sent back *masked*, as the
    registry showed it to someone who may not see it (``•••••2345``), keeps the stored value; so
    do payment identifiers left out (not sent empty) of a channel of the same type and provider. For a retried
    registration (``retry``), members sent without ids take the ids of the stored members in the
    same positions.

    :raise InvalidHousehold: naming each faulty field.
    """
    problems: dict[str, str] = {}
    old_members = {m.id: m for m in previous.facts.members} if previous else {}
    built: list[Member] = []
    for i, raw in enumerate(data.members):
        problems.update(member_problems(i, dict(raw), today))
        member_id = _member_id(raw, i, previous, retry)
        old = old_members.get(member_id)
        problems.update(_masked_problems(i, raw, old, deps.protector))
        built.append(_member(raw, member_id, old, deps.protector))
    if problems:
        raise InvalidHousehold("the household cannot be recorded", problems)
    consent = _consent(data.consent)
    payment = _payment(data.payment, previous, deps.protector)
    return model.HouseholdFacts(
        admin_code=data.admin_code,
        location=data.location,
        members=tuple(built),
        status=model.HouseholdStatus(data.status),
        address=data.address,
        language=data.language,
        dwelling=dict(data.dwelling),
        services=dict(data.services),
        livelihood=dict(data.livelihood),
        consent=consent,
        payment=payment,
    )


def _member_id(raw: Mapping[str, Any], position: int, previous: model.Household | None, retry: bool) -> str:
    """The id sent, else (on a retry) the stored member's in the same position, else a new one."""
    member_id = raw.get("id")
    if not member_id and retry and previous and position < len(previous.facts.members):
        member_id = previous.facts.members[position].id
    return member_id or new_member_id()


def _member(
    raw: Mapping[str, Any], member_id: str, old: Member | None, protector: PersonalDataProtector
) -> Member:
    """One member as entered, with ``old`` (the stored member of that id) for unchanged ciphertexts."""
    document = _document(raw["document"], old, protector) if raw.get("document") else None
    phone = raw.get("phone")
    phone_encrypted = _phone(phone, old, protector) if phone else None
    return Member(
        id=member_id,
        given_names=(raw.get("given_names") or "").strip(),
        family_names=(raw.get("family_names") or "").strip(),
        sex=Sex(raw["sex"]),
        relationship=Relationship(raw["relationship"]),
        birth_date=raw.get("birth_date"),
        age_estimate=raw.get("age_estimate"),
        document=document,
        phone_encrypted=phone_encrypted,
        disability={k: Difficulty(v) for k, v in (raw.get("disability") or {}).items()},
        pregnant=bool(raw.get("pregnant")),
        chronic_illness=bool(raw.get("chronic_illness")),
        attends_school=raw.get("attends_school"),
    )


def _masked_problems(
    i: int, raw: Mapping[str, Any], old: Member | None, protector: PersonalDataProtector
) -> dict[str, str]:
    """A masked value that is not the mask of this member's stored one (another member's, or
    typed by hand) cannot be kept: the person must type the value itself."""
    problems = {}
    document, phone = raw.get("document"), raw.get("phone")
    if document and is_masked(document["number"]):
        stored = old.document if old else None
        if (
            stored is None
            or stored.type.value != document["type"]
            or mask(protector.decrypt(stored.number_encrypted)) != document["number"]
        ):
            problems[f"members.{i}.document.number"] = (
                "a masked number keeps only this member's own: type it in full"
            )
    if phone and is_masked(phone) and not _same_mask(old.phone_encrypted if old else None, phone, protector):
        problems[f"members.{i}.phone"] = "a masked phone keeps only this member's own: type it in full"
    return problems


def _same_mask(ciphertext: str | None, shown: str, protector: PersonalDataProtector) -> bool:
    return bool(ciphertext) and mask(protector.decrypt(str(ciphertext))) == shown


def _document(entered: Mapping[str, Any], old: Member | None, protector: PersonalDataProtector) -> Document:
    kind = DocumentType(entered["type"])
    number = entered["number"]
    if is_masked(number) and old and old.document:
        return old.document
    digest = protector.document_hash(kind.value, number)
    if old and old.document and old.document.number_hash == digest:
        return old.document
    return Document(kind, digest, protector.encrypt(number))


def _phone(phone: str, old: Member | None, protector: PersonalDataProtector) -> str:
    if is_masked(phone) and old and old.phone_encrypted:
        return old.phone_encrypted
    if old and old.phone_encrypted and protector.decrypt(old.phone_encrypted) == phone:
        return old.phone_encrypted
    return protector.encrypt(phone)


def _consent(entered: Mapping[str, Any] | None) -> model.Consent | None:
    if not entered:
        return None
    return model.Consent(entered["given_at"], entered["given_by"], tuple(entered["purposes"]))


def _payment(
    entered: Mapping[str, Any] | None, previous: model.Household | None, protector: PersonalDataProtector
) -> model.PaymentChannel | None:
    if not entered:
        return None
    identifiers = entered.get("identifiers")
    encrypted = None
    old_payment = previous.facts.payment if previous else None
    same_channel = old_payment is not None and (old_payment.type.value, old_payment.provider) == (
        entered["type"],
        entered.get("provider"),
    )
    if identifiers is None and same_channel and old_payment is not None:
        # The same channel sent back without the identifiers its sender may not see: kept. (An
        # empty ``identifiers`` removes them.)
        encrypted = old_payment.identifiers_encrypted
    elif identifiers:
        plain = json.dumps(dict(identifiers), sort_keys=True)
        if (
            old_payment
            and old_payment.identifiers_encrypted
            and protector.decrypt(old_payment.identifiers_encrypted) == plain
        ):
            encrypted = old_payment.identifiers_encrypted
        else:
            encrypted = protector.encrypt(plain)
    return model.PaymentChannel(model.PaymentChannelType(entered["type"]), entered.get("provider"), encrypted)
