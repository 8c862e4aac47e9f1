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


#: The cross-table of a household's members monitoring reports: by sex and reporting band, each
#: cell counting people and, of them, people with a disability (see the snapshot's ``people``).
SEXES = ("female", "male")
REPORTING_BANDS = ("0_5", "6_11", "12_17", "18_59", "60_plus")
#: The cells in the order a projection keeps them: ``(sex, band, "people" | "with_disability")``.
PEOPLE_CELLS = tuple(
    (sex, band, what) for sex in SEXES for band in REPORTING_BANDS for what in ("people", "with_disability")
)


def people_cells(snapshot: dict[str, Any]) -> str | None:
    """The snapshot's cross-table as the numbers of :data:`PEOPLE_CELLS` joined by commas, or
    ``None`` for a snapshot without one (published before the registry counted it).

    Examples
    --------
    >>> cells = people_cells({"people": {"female": {"0_5": [2, 1]}, "male": {"60_plus": [1, 0]}}})
    >>> cells.split(",")[:2], cells.split(",")[-2:]
    (['2', '1'], ['1', '0'])
    """
    table = snapshot.get("people")
    if not table:
        return None
    numbers = []
    for sex, band, what in PEOPLE_CELLS:
        cell = (table.get(sex) or {}).get(band) or (0, 0)
        numbers.append(cell[0] if what == "people" else cell[1])
    return ",".join(str(n) for n in numbers)


def read_people_cells(text: str | None) -> list[int] | None:
    """What :func:`people_cells` wrote, as numbers in :data:`PEOPLE_CELLS` order (``None`` when
    the household's members were never counted by sex and band).

    Examples
    --------
    >>> read_people_cells("1,0," + ",".join(["0"] * 18))[:3], read_people_cells(None)
    ([1, 0, 0], None)
    """
    if not text:
        return None
    numbers = [int(n) for n in text.split(",")]
    if len(numbers) != len(PEOPLE_CELLS):
        raise ValueError(f"a people cross-table has {len(PEOPLE_CELLS)} numbers, not {len(numbers)}")
    return numbers
