"""Vulnerability weights by place and date: the bundled default everywhere, and the sets operators
load for a country or an admin area, each with a version and the day it takes effect.

A household is scored with the set of the most specific place it lies in that is in effect on the
day (an area's set before its country's, a country's before the default); among one place's sets,
the one that took effect last. Changing weights changes who is paid first, so a set is proposed
by one person and takes effect only once another approves it, from a later day than the approval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from services.registry.domain.errors import InvalidWeights, OutsideJurisdiction, OwnProposal, WeightSetDecided
from services.registry.domain.vulnerability import VulnerabilityIndex


class WeightSetStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class WeightSet:
    """A country's or an area's weights as proposed, and what became of them."""

    index: VulnerabilityIndex
    proposed_by: str
    proposed_at: datetime
    status: WeightSetStatus = WeightSetStatus.PROPOSED
    decided_by: str | None = None
    decided_at: datetime | None = None
    comment: str | None = None
    #: The day the daily pass marked its households to be scored again (``None``: not yet).
    applied_on: date | None = None

    @property
    def version(self) -> str:
        return self.index.version

    @property
    def area(self) -> str:
        assert self.index.area is not None
        return self.index.area

    @property
    def effective_from(self) -> date:
        assert self.index.effective_from is not None
        return self.index.effective_from


def admin_levels(admin_code: str) -> list[str]:
    """``HN-CR-0801`` → ``HN``, ``HN-CR``, ``HN-CR-0801`` (country first)."""
    parts = admin_code.split("-")
    return ["-".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass(frozen=True)
class WeightSets:
    """The default index and the approved sets of countries and areas."""

    default: VulnerabilityIndex
    sets: Sequence[VulnerabilityIndex] = ()
    _by_area: dict[str, list[VulnerabilityIndex]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for index in sorted(self.sets, key=lambda s: s.effective_from or date.min, reverse=True):
            self._by_area.setdefault(index.area or "", []).append(index)

    def choose(self, admin_code: str, on: date) -> VulnerabilityIndex:
        """The set a household in ``admin_code`` is scored with on ``on``.

        Examples
        --------
        >>> base = VulnerabilityIndex("v1", {})
        >>> hn = VulnerabilityIndex("hn-2027", {}, "HN", date(2027, 1, 1))
        >>> cr = VulnerabilityIndex("cr-2027", {}, "HN-CR", date(2027, 6, 1))
        >>> sets = WeightSets(base, (hn, cr))
        >>> days = (date(2026, 12, 31), date(2027, 2, 1), date(2027, 6, 1))
        >>> [sets.choose("HN-CR-0801", day).version for day in days]
        ['v1', 'hn-2027', 'cr-2027']
        """
        for level in reversed(admin_levels(admin_code)):
            for index in self._by_area.get(level, ()):
                if index.effective_from is None or index.effective_from <= on:
                    return index
        return self.default


def propose(
    config: Mapping[str, Any],
    *,
    by: str,
    at: datetime,
    covers: Callable[[str], bool],
    known_place: Callable[[str], str | None],
    taken: Callable[[str], bool],
) -> WeightSet:
    """A new set as an operator loads it, checked: well formed, for a place the registry serves
    and the person's jurisdiction covers, taking effect after today, under a new version name.

    ``known_place(code)`` says what is wrong with a place (``None`` when it is served).

    :raise InvalidWeights: naming the place, the version and each faulty field.
    :raise OutsideJurisdiction: the place lies outside the person's jurisdiction.
    :raise WeightSetDecided: the version name is taken.
    """
    index = VulnerabilityIndex.from_config(config)
    place = f"weights for {index.area or 'everywhere'} version {index.version}"
    problems = {}
    if not index.area:
        problems["area"] = "name the country or admin area the weights are for (the default stays as shipped)"
    elif (wrong := known_place(index.area)) is not None:
        problems["area"] = wrong
    if index.effective_from is None:
        problems["effective_from"] = "give the day the weights take effect (YYYY-MM-DD)"
    elif index.effective_from <= at.date():
        problems["effective_from"] = f"weights take effect from a day after today ({at.date().isoformat()})"
    if problems:
        raise InvalidWeights(f"{place} cannot be used", problems)
    assert index.area is not None
    if not covers(index.area):
        raise OutsideJurisdiction(f"{index.area} is outside your jurisdiction")
    if taken(index.version):
        raise WeightSetDecided(f"a weight set named {index.version} exists; give the new one another version")
    return WeightSet(index, proposed_by=by, proposed_at=at)


def decide(
    weight_set: WeightSet,
    *,
    approve: bool,
    by: str,
    at: datetime,
    covers: Callable[[str], bool],
    comment: str | None,
) -> WeightSet:
    """Approve or reject a proposed set. Nobody approves their own proposal, and an approved set
    still takes effect only from a day after its approval.

    :raise WeightSetDecided: already approved or rejected.
    :raise OutsideJurisdiction: the set's place lies outside the person's jurisdiction.
    :raise OwnProposal: they proposed it themselves.
    :raise InvalidWeights: approved on or after the day it was to take effect.
    """
    if weight_set.status != WeightSetStatus.PROPOSED:
        raise WeightSetDecided(f"weight set {weight_set.version} was already {weight_set.status.value}")
    if not covers(weight_set.area):
        raise OutsideJurisdiction(f"{weight_set.area} is outside your jurisdiction")
    if approve and by == weight_set.proposed_by:
        raise OwnProposal(
            f"weight set {weight_set.version} was proposed by you: another person must approve it"
        )
    if approve and weight_set.effective_from <= at.date():
        raise InvalidWeights(
            f"weights for {weight_set.area} version {weight_set.version} cannot be approved",
            {"effective_from": f"{weight_set.effective_from} is not after today: propose it again"},
        )
    status = WeightSetStatus.APPROVED if approve else WeightSetStatus.REJECTED
    return replace(weight_set, status=status, decided_by=by, decided_at=at, comment=comment)
