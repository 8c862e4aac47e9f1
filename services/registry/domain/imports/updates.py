"""A registered household updated by the rows of an import file.

The rules, as registry officers read them in ``docs/registry.md``:

- the file's rows are the household's members after the update: each row is matched to a stored
  member (same document; else the same name and birth date; else the same name, when only one
  stored member has it; else the same birth date and a name at least 80 % alike, when only one
  stored member has them) and keeps that member's id; a row matched to nobody is a new member; a
  stored member matched by no row leaves the household;
- a value the file gives replaces the stored one; an empty cell, or a column the file does not
  have, keeps the stored value (so an import never erases what it does not know); consent and
  status are never imported;
- the household's place, dwelling, services and livelihood are read from its first row, as for a
  new household; a place the file gives keeps the stored accuracy while it is the same place.

Both documents here have the shape of a registration body (``POST /v1/households``) with plain
values; stored members carry their ``id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.registry.domain.duplicates import NAME_FLOOR, name_similarity


@dataclass(frozen=True)
class Identity:
    """What tells one person from another within a household: folded name, birth date, document hash."""

    name: str
    birth_date: str | None
    document: str | None


def match_members(stored: Sequence[Identity], read: Sequence[Identity]) -> list[int | None]:
    """For each member the file reads, the position of the stored member it is (``None``: new).

    Each stored member is matched at most once; the surest rules are applied to every row first.
    """
    matched: list[int | None] = [None] * len(read)
    free = set(range(len(stored)))

    def claim(rule: Any) -> None:
        for i, person in enumerate(read):
            if matched[i] is not None:
                continue
            fits = [j for j in sorted(free) if rule(stored[j], person)]
            if len(fits) == 1 or (fits and rule is same_document):
                matched[i] = fits[0]
                free.discard(fits[0])

    for rule in (same_document, same_name_and_birth, same_name, alike_name_same_birth):
        claim(rule)
    return matched


def same_document(a: Identity, b: Identity) -> bool:
    return bool(a.document) and a.document == b.document


def same_name_and_birth(a: Identity, b: Identity) -> bool:
    return a.name == b.name and a.birth_date is not None and a.birth_date == b.birth_date


def same_name(a: Identity, b: Identity) -> bool:
    return a.name == b.name


def alike_name_same_birth(a: Identity, b: Identity) -> bool:
    return (
        a.birth_date is not None
        and a.birth_date == b.birth_date
        and name_similarity(a.name, b.name) >= NAME_FLOOR
    )


def _given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values actually given (an empty cell gives nothing)."""
    return {k: v for k, v in values.items() if v is not None and v != "" and v != {}}


def _member(stored: Mapping[str, Any] | None, read: Mapping[str, Any]) -> dict[str, Any]:
    if stored is None:
        return dict(read)
    member = {**stored, **_given(read)}
    member["disability"] = {**(stored.get("disability") or {}), **(read.get("disability") or {})}
    return member


def _payment(stored: Mapping[str, Any] | None, read: Mapping[str, Any] | None) -> Any:
    if not read:
        return stored
    if not stored or stored.get("type") != read.get("type"):
        return dict(read)
    return {
        "type": read["type"],
        "provider": read.get("provider") or stored.get("provider"),
        "identifiers": read.get("identifiers") or stored.get("identifiers") or {},
    }


def _location(stored: Mapping[str, Any], read: Mapping[str, Any]) -> Mapping[str, Any]:
    """The file's place when it gives one; its accuracy and source are the stored ones while the
    place is the same, and what the file says (else unknown) once it moves."""
    if read.get("lat") is None or read.get("lon") is None:
        return stored
    if (read["lat"], read["lon"]) == (stored["lat"], stored["lon"]):
        return {**stored, **_given({"accuracy_m": read.get("accuracy_m")})}
    return dict(read)


def updated_document(
    stored: Mapping[str, Any], read: Mapping[str, Any], matched: Sequence[str | None]
) -> dict[str, Any]:
    """The household as it is after the file's rows update it (``matched``: the stored member id of
    each member the file reads, ``None`` for a new one)."""
    members_by_id = {m["id"]: m for m in stored["members"]}
    members = []
    for member, member_id in zip(read["members"], matched, strict=True):
        kept = _member(members_by_id.get(member_id) if member_id else None, member)
        members.append({**kept, "id": member_id} if member_id else kept)
    return {
        **stored,
        "admin_code": read.get("admin_code") or stored["admin_code"],
        "location": _location(stored["location"], read.get("location") or {}),
        "address": read.get("address") or stored.get("address"),
        "dwelling": {**stored.get("dwelling", {}), **_given(read.get("dwelling") or {})},
        "services": {**stored.get("services", {}), **_given(read.get("services") or {})},
        "livelihood": {**stored.get("livelihood", {}), **_given(read.get("livelihood") or {})},
        "payment": _payment(stored.get("payment"), read.get("payment")),
        "members": members,
    }
