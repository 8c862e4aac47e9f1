"""What a CAP message says, statement by statement.

A message may hold several ``<info>`` blocks. Each says its own thing — an event, how urgent,
severe and certain, when, what to do, over which areas — and a household takes the statement of
the area that covers it. Blocks that say the same thing in several languages are one statement:
the same categories, urgency, severity, certainty, times, response types, parameters and areas (the
areas' descriptions, like the texts, may be translated). Where several statements cover one
household, the strongest holds: the highest severity, then urgency, then certainty (see
:func:`strength`), then the first in the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.alerts.domain.cap import CERTAINTIES, SEVERITIES, URGENCIES, Area, CapMessage, Info


@dataclass(frozen=True)
class Statement:
    """One thing a message says, in one or more languages (``infos``: the blocks saying it)."""

    number: int
    infos: tuple[int, ...]
    languages: tuple[str, ...]
    event: str
    categories: tuple[str, ...]
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...]
    onset: datetime | None
    effective: datetime | None
    expires: datetime | None
    headline: str | None
    parameters: tuple[tuple[str, str], ...]

    @property
    def strength(self) -> tuple[int, int, int]:
        return strength(self.severity, self.urgency, self.certainty)

    def as_record(self) -> dict[str, Any]:
        """The statement as events and summaries carry it (times in ISO 8601)."""

        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "statement": self.number,
            "infos": list(self.infos),
            "languages": list(self.languages),
            "event": self.event,
            "categories": list(self.categories),
            "urgency": self.urgency,
            "severity": self.severity,
            "certainty": self.certainty,
            "response_types": list(self.response_types),
            "onset": when(self.onset),
            "effective": when(self.effective),
            "expires": when(self.expires),
            "headline": self.headline,
            "parameters": [{"name": n, "value": v} for n, v in self.parameters],
        }


def strength(severity: str, urgency: str, certainty: str) -> tuple[int, int, int]:
    """How strongly a statement warns, for choosing among those covering one household: larger is
    stronger; severity first, then urgency, then certainty (``Unknown`` weakest of each).

    >>> strength("Extreme", "Immediate", "Observed") > strength("Extreme", "Expected", "Observed")
    True
    >>> strength("Severe", "Immediate", "Observed") < strength("Extreme", "Past", "Unknown")
    True
    """

    def rank(value: str, order: Sequence[str]) -> int:
        return len(order) - order.index(value) if value in order else 0

    return rank(severity, SEVERITIES), rank(urgency, URGENCIES), rank(certainty, CERTAINTIES)


def _where(area: Area) -> tuple[Any, ...]:
    return (area.polygons, area.circles, tuple(sorted(area.geocodes)))


def _says(info: Info) -> tuple[Any, ...]:
    """What an info block says, apart from its language and texts."""
    return (
        tuple(sorted(info.categories)),
        info.urgency,
        info.severity,
        info.certainty,
        tuple(sorted(info.response_types)),
        info.onset,
        info.effective,
        info.expires,
        tuple(sorted(info.parameters)),
        tuple(_where(a) for a in info.areas),
    )


def statements(message: CapMessage) -> list[Statement]:
    """The message's statements in the order of their first ``<info>`` block."""
    grouped: dict[tuple[Any, ...], list[int]] = {}
    for number, info in enumerate(message.infos):
        grouped.setdefault(_says(info), []).append(number)
    found = []
    for number, infos in enumerate(grouped.values()):
        first = message.infos[infos[0]]
        found.append(
            Statement(
                number=number,
                infos=tuple(infos),
                languages=tuple(message.infos[i].language for i in infos),
                event=first.event,
                categories=first.categories,
                urgency=first.urgency,
                severity=first.severity,
                certainty=first.certainty,
                response_types=first.response_types,
                onset=first.onset,
                effective=first.effective,
                expires=first.expires,
                headline=first.headline,
                parameters=first.parameters,
            )
        )
    return found


def statement_of_info(found: Sequence[Statement]) -> dict[int, Statement]:
    """Which statement each ``<info>`` block belongs to, by the block's position."""
    return {info: statement for statement in found for info in statement.infos}
