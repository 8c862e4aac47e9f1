"""Reading the households out of an import file, and a registered household in the same shape.

Both passes of an import (the dry run and the commit) read the file through here: its columns
mapped to Amparo's fields, its rows grouped into households, each household as the input a
registration takes, and every problem pointed at its row and column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.registry.adapters.import_files import open_rows
from services.registry.domain import imports as rules
from services.registry.domain import model
from services.registry.domain.duplicates import name_key
from services.registry.domain.errors import InvalidHousehold
from services.registry.domain.imports.updates import Identity
from services.registry.domain.members import PLAIN_ATTRIBUTES, DocumentType
from services.registry.domain.ports import PersonalDataProtector
from services.registry.service_layer.common import HouseholdInput


@dataclass
class Reader:
    """Which column of the file holds which field."""

    columns: dict[str, str]  # header → field
    headers_of: dict[str, str]  # field → header

    def column(self, field: str) -> str:
        return self.headers_of.get(field, field)

    def has(self, field: str) -> bool:
        return field in self.headers_of

    def pointer(self, row: int, field: str) -> str:
        """A JSON pointer to a cell of the file: ``/rows/7/Fecha de Nacimiento``."""
        header = self.column(field).replace("~", "~0").replace("/", "~1")
        return f"/rows/{row}/{header}"


def open_file(
    path: Path, file_format: str, mapping: Mapping[str, str]
) -> tuple[Reader, Iterator[tuple[int, dict[str, Any]]]]:
    """The file's reader and its rows; :raise MappingError, ImportFileError: as they say."""
    headers, rows = open_rows(path, file_format)
    columns = rules.resolve_mapping(headers, mapping)
    return Reader(columns, {f: h for h, f in columns.items()}), rows


def households_of(
    reader: Reader,
    rows: Iterator[tuple[int, dict[str, Any]]],
    problems: rules.RowProblems,
    counter: list[int],
) -> Iterator[rules.HouseholdRows]:
    """The file's households, their cells read (each unreadable one added to ``problems``);
    ``counter[0]`` counts the rows read."""

    def converted() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, raw in rows:
            counter[0] += 1
            yield number, rules.read_row(number, raw, reader.columns, problems) if raw else {}

    return rules.group_households(converted(), problems)


def where(reader: Reader, group: rules.HouseholdRows, key: str) -> tuple[int, str]:
    """The (row, column) a domain problem key such as ``members.1.birth_date`` points at."""
    parts = key.split(".")
    if parts[0] == "members" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(group.rows):
        field = (
            parts[2] if parts[2] != "disability" else f"disability_{parts[3]}" if len(parts) > 3 else parts[2]
        )
        return group.rows[int(parts[1])][0], reader.column(field)
    if parts[0] == "assessment" and len(parts) > 1:
        return group.first_row, reader.column(parts[1])
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


def input_of(document: Mapping[str, Any]) -> HouseholdInput:
    """A household document as input to the handlers; :raise InvalidHousehold: on missing essentials."""
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
    assert location is not None
    return HouseholdInput(
        admin_code=document["admin_code"],
        location=model.Location(
            location["lat"],
            location["lon"],
            location.get("accuracy_m"),
            model.LocationSource(location.get("source") or "gps"),
        ),
        members=document["members"],
        status=document.get("status") or "active",
        address=document.get("address"),
        dwelling=document["dwelling"],
        services=document["services"],
        livelihood=document["livelihood"],
        consent=_consent(document.get("consent")),
        payment=document.get("payment"),
    )


def _consent(consent: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """A file's consent, given when the file was read if the file does not say when."""
    if not consent:
        return None
    given = consent.get("given_at")
    when = datetime.fromisoformat(given) if isinstance(given, str) else given
    return {**consent, "given_at": when or datetime.now(UTC)}


def stored_document(household: model.Household, protector: PersonalDataProtector) -> dict[str, Any]:
    """A registered household as a document with plain values (what an update starts from)."""
    facts = household.facts
    members = []
    for member in facts.members:
        plain: dict[str, Any] = {name: getattr(member, name) for name in PLAIN_ATTRIBUTES}
        plain.update(id=member.id, sex=member.sex.value, relationship=member.relationship.value)
        plain["disability"] = {k: int(v) for k, v in member.disability.items()}
        if member.document is not None:
            number = protector.decrypt(member.document.number_encrypted)
            plain["document"] = {"type": member.document.type.value, "number": number}
        if member.phone_encrypted:
            plain["phone"] = protector.decrypt(member.phone_encrypted)
        members.append(plain)
    payment = None
    if facts.payment is not None:
        secret = facts.payment.identifiers_encrypted
        payment = {
            "type": facts.payment.type.value,
            "provider": facts.payment.provider,
            "identifiers": json.loads(protector.decrypt(secret)) if secret else {},
        }
    return {
        "admin_code": facts.admin_code,
        "location": {
            "lat": facts.location.lat,
            "lon": facts.location.lon,
            "accuracy_m": facts.location.accuracy_m,
            "source": facts.location.source.value,
        },
        "members": members,
        "status": facts.status.value,
        "address": facts.address,
        "dwelling": dict(facts.dwelling),
        "services": dict(facts.services),
        "livelihood": dict(facts.livelihood),
        "consent": facts.consent.as_record() | {"given_at": facts.consent.given_at}
        if facts.consent
        else None,
        "payment": payment,
    }


def identity(member: Mapping[str, Any], protector: PersonalDataProtector) -> Identity:
    """What tells a member of a document from the others (its document as the registry hashes it)."""
    document = member.get("document")
    birth = member.get("birth_date")
    return Identity(
        name_key(member.get("given_names") or "", member.get("family_names") or ""),
        birth.isoformat() if birth is not None else None,
        protector.document_hash(document.get("type") or "national_id", document["number"])
        if document and document.get("number")
        else None,
    )
