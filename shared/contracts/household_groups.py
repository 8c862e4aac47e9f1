"""Reading the vulnerable-group counts of a household snapshot (plain Python, for domains)."""

from __future__ import annotations

from typing import Any


def vulnerable_groups(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The vulnerable-group counts a snapshot carries (zero when an older snapshot lacks them)."""
    bands = snapshot.get("members_by_age_band") or {}
    return {
        "children_under_5": bands.get("0_4", 0),
        "elderly_65_plus": bands.get("65_plus", 0),
        "persons_with_disabilities": snapshot.get("persons_with_disabilities", 0),
        "pregnant_members": snapshot.get("pregnant_members", 0),
        "female_headed": bool(snapshot.get("female_headed")),
    }
