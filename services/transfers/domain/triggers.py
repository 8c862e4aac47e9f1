"""Triggers as anticipatory-action plans write them: conditions on each CAP statement (an alert's
``<info>`` blocks saying one thing), combined with ``all``/``any``, in stages.

A condition reads one statement: its ``category``, ``event``, ``response_type``; its ``urgency``,
``severity`` and ``certainty`` on CAP's scales; its ``lead_time_hours`` (onset − now); or one of its
CAP parameters by name (``parameter:windSpeed``) as a number, converted to the unit the condition
names (``kt``, ``km/h``, ``m/s``, ``mph``; ``mm``, ``cm``, ``in``; ``%`` or a fraction for
probabilities). Something the statement does not say (no onset, no such parameter, a unit that
cannot be converted) never satisfies a condition, and the reason says so.

A programme may have a **readiness** stage (prepare and notify, no money) and an **action** stage
(propose the batch), each with its own rule; the action stage alone is the trigger of a programme
that names no stages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.transfers.domain.programme_errors import mistake

URGENCY = ("Past", "Unknown", "Future", "Expected", "Immediate")
SEVERITY = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
CERTAINTY = ("Unknown", "Unlikely", "Possible", "Likely", "Observed")
SCALES = {"urgency": URGENCY, "severity": SEVERITY, "certainty": CERTAINTY}
#: Fields holding several words (a statement may have several categories or response types).
LISTS = {"category": "categories", "response_type": "response_types"}
ORDER_OPS = (">=", ">", "<=", "<", "==", "!=")
WORD_OPS = ("in", "not in", "==", "!=")
READINESS, ACTION = "readiness", "action"
STAGES = (READINESS, ACTION)
#: Units a parameter may be converted between, by what one of each is in the family's first unit.
UNITS = {
    "kt": ("speed", 1.0),
    "km/h": ("speed", 0.5399568),
    "m/s": ("speed", 1.9438445),
    "mph": ("speed", 0.8689762),
    "mm": ("length", 1.0),
    "cm": ("length", 10.0),
    "in": ("length", 25.4),
    "fraction": ("share", 1.0),
    "%": ("share", 0.01),
}
_UNIT_WORDS = {"kts": "kt", "knots": "kt", "kmh": "km/h", "kph": "km/h", "ms": "m/s", "percent": "%"}
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*([A-Za-z/%]+)?\s*$")
_WORDS = {
    "all": {"en": " and ", "es": " y "},
    "any": {"en": " or ", "es": " o "},
}


def _unit(word: str | None) -> str | None:
    if word is None:
        return None
    folded = word.strip().lower()
    return _UNIT_WORDS.get(folded, folded)


def parameter_value(raw: str, wanted_unit: str | None) -> tuple[float | None, str]:
    """A CAP parameter's value as a number in ``wanted_unit`` (``None`` and why, when it cannot be).

    >>> parameter_value("120 kt", "km/h")[0] > 222
    True
    >>> parameter_value("70%", "fraction")
    (0.7, '70%')
    """
    found = _NUMBER.match(raw or "")
    if not found:
        return None, f"{raw!r} is not a number"
    number, unit = float(found.group(1).replace(",", ".")), _unit(found.group(2))
    if unit is None or wanted_unit is None or unit == wanted_unit:
        return number, raw.strip()
    have, want = UNITS.get(unit), UNITS.get(wanted_unit)
    if have is None or want is None or have[0] != want[0]:
        return None, f"{raw.strip()} cannot be read in {wanted_unit}"
    return round(number * have[1] / want[1], 6), raw.strip()


@dataclass(frozen=True)
class Seen:
    """What one statement says, as a trigger reads it."""

    number: int
    fields: Mapping[str, Any]
    parameters: Mapping[str, str]
    lead_time_hours: float | None

    @classmethod
    def of(cls, record: Mapping[str, Any], now: datetime) -> Seen:
        onset = record.get("onset") or record.get("effective")
        lead = None
        if isinstance(onset, str):
            try:
                lead = (datetime.fromisoformat(onset) - now).total_seconds() / 3600
            except (TypeError, ValueError):
                lead = None
        parameters = {
            str(p.get("name", "")).strip().lower(): str(p.get("value", ""))
            for p in record.get("parameters") or []
            if isinstance(p, Mapping)
        }
        return cls(int(record.get("statement") or 0), dict(record), parameters, lead)


def statements_of(summary: Mapping[str, Any], now: datetime) -> list[Seen]:
    """The alert's statements (its summary's top level as one statement when it lists none)."""
    records = summary.get("statements") or [{**summary, "statement": 0}]
    return [Seen.of(r, now) for r in records if isinstance(r, Mapping)]


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any
    unit: str | None = None

    def check(self, seen: Seen) -> tuple[bool, str]:
        """Whether the statement satisfies it, and what was seen."""
        if self.field in LISTS:
            have = [str(v) for v in seen.fields.get(LISTS[self.field]) or []]
            hit = bool(set(have) & set(self.value))
            return (hit if self.op == "in" else not hit), f"{self.field} {', '.join(have) or 'none'}"
        if self.field == "event":
            event = seen.fields.get("event")
            wanted = self.value if isinstance(self.value, list) else [self.value]
            hit = event in wanted
            return (hit if self.op in ("in", "==") else not hit), f"event {event!r}"
        if self.field in SCALES:
            scale, level = SCALES[self.field], seen.fields.get(self.field) or "Unknown"
            if level not in scale:
                return False, f"{self.field} {level!r} is not on CAP's scale"
            return _compare(scale.index(level), self.op, scale.index(self.value)), f"{self.field} {level}"
        if self.field == "lead_time_hours":
            if seen.lead_time_hours is None:
                return False, "no onset: lead time unknown"
            hours = seen.lead_time_hours
            return _compare(hours, self.op, float(self.value)), f"lead time {hours:.0f} h"
        name = self.field.removeprefix("parameter:").lower()
        raw = seen.parameters.get(name)
        if raw is None:
            return False, f"no parameter {name}"
        number, said = parameter_value(raw, self.unit)
        if number is None:
            return False, said
        return _compare(number, self.op, float(self.value)), f"{self.field.removeprefix('parameter:')} {said}"

    def describe(self, lang: str = "en") -> str:
        value = ", ".join(self.value) if isinstance(self.value, list) else f"{self.value}"
        unit = f" {self.unit}" if self.unit else ""
        name = self.field.removeprefix("parameter:")
        if self.field == "lead_time_hours":
            name = "horas de anticipación" if lang == "es" else "lead time (hours)"
        op = {"in": "en" if lang == "es" else "in", "not in": "no en" if lang == "es" else "not in"}.get(
            self.op, self.op
        )
        return f"{name} {op} {value}{unit}"


@dataclass(frozen=True)
class Rule:
    kind: str  # all | any
    parts: tuple[Condition | Rule, ...]

    def check(self, seen: Seen) -> tuple[bool, list[str]]:
        results = [_check(p, seen) for p in self.parts]
        held = all(r for r, _ in results) if self.kind == "all" else any(r for r, _ in results)
        return held, [line for _, lines in results for line in lines]

    def describe(self, lang: str = "en") -> str:
        words = [
            p.describe(lang) if isinstance(p, Condition) else f"({p.describe(lang)})" for p in self.parts
        ]
        return _WORDS[self.kind][lang].join(words)


def _check(part: Condition | Rule, seen: Seen) -> tuple[bool, list[str]]:
    if isinstance(part, Rule):
        return part.check(seen)
    held, said = part.check(seen)
    return held, [f"{'✔' if held else '✘'} {part.describe()} ({said})"]


def _compare(have: float, op: str, want: float) -> bool:
    return {
        ">=": have >= want,
        ">": have > want,
        "<=": have <= want,
        "<": have < want,
        "==": have == want,
        "!=": have != want,
    }[op]


def parse_rule(node: Any, path: str) -> Rule:
    """A rule of the programme document, checked (``path`` names where it stands).

    :raise ProgrammeError: with the path of the first mistake.
    """
    if not isinstance(node, Mapping) or len(node) != 1 or next(iter(node)) not in ("all", "any"):
        raise mistake(path, 'one of {"all": [...]} or {"any": [...]}')
    kind = next(iter(node))
    parts = node[kind]
    if not isinstance(parts, list) or not parts:
        raise mistake(f"{path}/{kind}", "a non-empty list of conditions")
    return Rule(kind, tuple(_parse_part(p, f"{path}/{kind}/{n}") for n, p in enumerate(parts)))


def _parse_part(node: Any, path: str) -> Condition | Rule:
    if isinstance(node, Mapping) and ("all" in node or "any" in node):
        return parse_rule(node, path)
    if not isinstance(node, Mapping) or not {"field", "op", "value"} <= set(node):
        raise mistake(path, "a condition needs field, op and value")
    name, op, value, unit = node["field"], node["op"], node["value"], _unit(node.get("unit"))
    if not isinstance(name, str):
        raise mistake(f"{path}/field", "a field name")
    if name in LISTS or name == "event":
        words = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
        one_event = name == "event" and op in ("==", "!=") and isinstance(value, str)
        if not one_event and (op not in WORD_OPS or not words):
            raise mistake(f"{path}/op", f"{name} takes in or not in with a list of words")
        return Condition(name, op, value if isinstance(value, list) else [value])
    if name in SCALES:
        if op not in ORDER_OPS:
            raise mistake(f"{path}/op", f"one of {', '.join(ORDER_OPS)}")
        if value not in SCALES[name]:
            raise mistake(f"{path}/value", f"one of {', '.join(SCALES[name])}")
        return Condition(name, op, value)
    if name != "lead_time_hours" and not (name.startswith("parameter:") and len(name) > len("parameter:")):
        raise mistake(
            f"{path}/field",
            "one of category, event, response_type, urgency, severity, certainty, lead_time_hours, "
            "parameter:<name>",
        )
    if op not in ORDER_OPS:
        raise mistake(f"{path}/op", f"one of {', '.join(ORDER_OPS)}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise mistake(f"{path}/value", "a number")
    if unit is not None and unit not in UNITS:
        raise mistake(f"{path}/unit", f"one of {', '.join(UNITS)}")
    return Condition(name, op, value, unit)


@dataclass(frozen=True)
class StageReached:
    """Which statements reach a stage, and the lines saying why each does or does not."""

    stage: str
    statements: tuple[int, ...]
    reasons: tuple[str, ...]


def reach(rule: Rule, stage: str, seen: Sequence[Seen]) -> StageReached:
    """The statements satisfying ``rule``; each statement's reasons, prefixed by its number."""
    reached, reasons = [], []
    for statement in seen:
        held, lines = rule.check(statement)
        if held:
            reached.append(statement.number)
        reasons.append(f"statement {statement.number}: {'; '.join(lines)}")
    return StageReached(stage, tuple(reached), tuple(reasons))
