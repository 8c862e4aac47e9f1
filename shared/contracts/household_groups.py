"""The vulnerable groups of a household, named once for every service.

A household snapshot carries how many of its members belong to each counted group and whether a
woman heads it; every projection (alerts' locations, transfers' attributes) stores them under these
names, and every exposure summary and eligibility rule reads them by these names.
"""

from __future__ import annotations

from typing import Any

#: Groups counted in members: the snapshot's field (or age band) gives the number.
COUNTED_GROUPS = ("children_under_5", "elderly_65_plus", "persons_with_disabilities", "pregnant_members")
#: A household-level group: a yes or no.
FEMALE_HEADED = "female_headed"
#: Every vulnerable group, counted ones first.
VULNERABLE_GROUPS = (*COUNTED_GROUPS, FEMALE_HEADED)
#: The groups a registry search filters by, as its API names them, with the group each one reads:
#: households with at least one such member (or headed by a woman).
SEARCH_GROUPS = {
    "children_under_5": "children_under_5",
    "elderly_65_plus": "elderly_65_plus",
    "disability": "persons_with_disabilities",
    "pregnant": "pregnant_members",
    "female_headed": FEMALE_HEADED,
}
#: The groups an exposure summary adds up (pregnancy is not kept in the location index).
EXPOSURE_GROUPS = ("children_under_5", "elderly_65_plus", "persons_with_disabilities", FEMALE_HEADED)


def vulnerable_groups(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The vulnerable-group counts a snapshot carries (zero when an older snapshot lacks them).

    Examples
    --------
    >>> vulnerable_groups({"members_by_age_band": {"0_4": 2}, "female_headed": True})["children_under_5"]
    2
    """
    bands = snapshot.get("members_by_age_band") or {}
    return {
        "children_under_5": bands.get("0_4", 0),
        "elderly_65_plus": bands.get("65_plus", 0),
        "persons_with_disabilities": snapshot.get("persons_with_disabilities", 0),
        "pregnant_members": snapshot.get("pregnant_members", 0),
        FEMALE_HEADED: bool(snapshot.get(FEMALE_HEADED)),
    }
