"""Grouping an import file's rows into households, and each household as a registration body;
the rows of one household share its reference and stand together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from services.registry.domain.imports.cells import RowProblems
from services.registry.domain.imports.columns import PAYMENT_IDENTIFIERS
from services.registry.domain.members import PLAIN_ATTRIBUTES, WG_DOMAINS


@dataclass
class HouseholdRows:
    """The rows of one household in the file."""

    ref: str
    first_row: int
    rows: list[tuple[int, dict[str, Any]]]


def group_households(
    rows: Iterable[tuple[int, dict[str, Any]]], problems: RowProblems
) -> Iterator[HouseholdRows]:
    """Group consecutive rows by ``household_ref``; a reference seen again later is an error.

    Only the references seen so far are remembered, not the rows, so a file of any length is
    read in constant memory per household.
    """
    seen: set[str] = set()
    current: HouseholdRows | None = None
    for number, values in rows:
        if not values:
            continue  # an empty row
        ref = values.get("household_ref")
        if not ref:
            problems.add(number, "household_ref", "missing: every row needs its household reference")
            continue
        if current is not None and ref == current.ref:
            current.rows.append((number, values))
            continue
        if current is not None:
            yield current
        if ref in seen:
            problems.add(
                number,
                "household_ref",
                f"household {ref} appeared earlier in the file; keep each household's rows together",
            )
            current = None
            continue
        seen.add(ref)
        current = HouseholdRows(ref, number, [(number, values)])
    if current is not None:
        yield current


def household_document(group: HouseholdRows) -> dict[str, Any]:
    """The household as a registration body (the shape of ``POST /v1/households``)."""
    first = group.rows[0][1]
    members = []
    for _, values in group.rows:
        member: dict[str, Any] = {k: values[k] for k in (*PLAIN_ATTRIBUTES, "phone") if k in values}
        if values.get("document_number"):
            member["document"] = {
                "type": values.get("document_type") or "national_id",
                "number": values["document_number"],
            }
        disability = {d: values[f"disability_{d}"] for d in WG_DOMAINS if f"disability_{d}" in values}
        if disability:
            member["disability"] = disability
        members.append(member)
    body: dict[str, Any] = {"admin_code": first.get("admin_code"), "members": members}
    if "lat" in first or "lon" in first:
        body["location"] = {
            "lat": first.get("lat"),
            "lon": first.get("lon"),
            "accuracy_m": first.get("accuracy_m"),
            "source": "gps",
        }
    if first.get("address"):
        body["address"] = first["address"]
    body["dwelling"] = {k: first[k] for k in ("wall", "roof", "floor", "tenure", "rooms") if k in first}
    body["services"] = {k: first[k] for k in ("water_source", "sanitation") if k in first}
    livelihood = {"main": first.get("livelihood"), "income_source": first.get("income_source")}
    body["livelihood"] = {k: v for k, v in livelihood.items() if v is not None}
    if first.get("consent"):
        head = next((m for m in members if m.get("relationship") == "head"), members[0])
        given = first.get("consent_date")
        body["consent"] = {
            "given_at": datetime.combine(given, time(), UTC).isoformat() if given else None,
            "given_by": " ".join(str(head.get(k) or "") for k in ("given_names", "family_names")).strip(),
            "purposes": first["consent"],
        }
    if first.get("payment_type"):
        body["payment"] = {
            "type": first["payment_type"],
            "provider": first.get("payment_provider"),
            "identifiers": {k: first[k] for k in PAYMENT_IDENTIFIERS if first.get(k)},
        }
    return body
