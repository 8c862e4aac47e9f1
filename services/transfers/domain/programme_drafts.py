"""A programme being written, read in words part by part while it still has mistakes.

An officer writing a programme sees each part (trigger, eligibility, benefit, budget, approval,
entitlement) in plain words as it is written, and every mistake with its path. A part with a
mistake is not read; the others still are: the mistake's part is set aside (replaced by a
neutral stand-in that is never shown) and the rest is checked again, so one mistake per part is
found in a single reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.transfers.domain.programme_errors import ProgrammeError
from services.transfers.domain.programmes import parse_programme
from shared.errors import FieldProblem

#: The parts of a programme read in words, in the order a programme is written.
PARTS = ("trigger", "eligibility", "benefit", "budget", "approval", "entitlement")
#: What stands in for a part set aside (its words are never shown).
_STAND_INS: dict[str, Any] = {
    "name": "—",
    "institute": "—",
    "currency": "XXX",
    "trigger": {},
    "eligibility": {"field": "size", "op": ">=", "value": 0},
    "benefit": {"base": 1},
    "budget": {},
    "approval": {},
    "entitlement": {},
}

#: The parts every programme must have (the others have defaults that read as they are).
_REQUIRED = ("name", "institute", "currency", "trigger", "eligibility", "benefit")


@dataclass(frozen=True)
class DraftReading:
    """What a draft says, part by part (parts with a mistake left out), and every mistake found."""

    rules: Mapping[str, str]
    problems: tuple[FieldProblem, ...]


def part_of(pointer: str) -> str:
    """The top-level part a JSON pointer points into.

    >>> part_of("/eligibility/all/2/op")
    'eligibility'
    """
    return pointer.lstrip("/").split("/", 1)[0]


def read_draft(
    document: Mapping[str, Any], lang: str = "en", known_problems: Iterable[FieldProblem] = ()
) -> DraftReading:
    """Read a draft in ``lang``: the words of every part without a mistake, and the mistakes.

    ``known_problems`` are mistakes found before (the API's own checks of the document's shape):
    their parts are set aside from the start.

    >>> reading = read_draft({"name": "x", "institute": "y", "currency": "DOP",
    ...     "trigger": {}, "eligibility": {"field": "size", "op": "~", "value": 1},
    ...     "benefit": {"base": 100}})
    >>> [p.pointer for p in reading.problems], reading.rules["benefit"]
    (['/eligibility/op'], '100 DOP')
    """
    problems = list(known_problems)
    draft = dict(document)
    aside = {part_of(p.pointer) for p in problems}
    for name, stand_in in _STAND_INS.items():
        if draft.get(name) is None and name in _REQUIRED:
            aside.add(name)  # not written yet: nothing to read, and no mistake either
        if name in aside or draft.get(name) is None:
            draft[name] = stand_in
    while True:
        try:
            programme = parse_programme(draft)
            break
        except ProgrammeError as error:
            problems.extend(error.errors)
            part = part_of(error.errors[0].pointer) if error.errors else ""
            if part not in _STAND_INS or part in aside:  # a mistake outside any part: nothing read
                return DraftReading({}, tuple(problems))
            aside.add(part)
            draft[part] = _STAND_INS[part]
    words = programme.describe(lang)
    shown = {part: words[part] for part in PARTS if part not in aside and part in words}
    # The amounts read in the draft's currency only when the currency itself is right.
    if {"currency", "benefit"} & aside:
        shown.pop("benefit", None)
    if {"currency", "budget"} & aside:
        shown.pop("budget", None)
    return DraftReading(shown, tuple(problems))
