"""Who is eligible: a tree of ``all``/``any`` over ``{field, op, value}`` conditions on the
household's attributes and its exposure, evaluated for every exposed household at once and told
in plain words, in English or Spanish.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.transfers.domain.assessments import enrolled_in
from services.transfers.domain.programme_errors import mistake
from shared.admin_codes import within_mask

#: Fields a condition may test, their type, and how they read in a sentence.
FIELDS: dict[str, tuple[str, str]] = {
    "size": ("number", "household size"),
    "vulnerability_score": ("number", "vulnerability score"),
    "children_under_5": ("number", "children under 5"),
    "elderly_65_plus": ("number", "people 65 or older"),
    "persons_with_disabilities": ("number", "persons with disabilities"),
    "pregnant_members": ("number", "pregnant members"),
    "female_headed": ("bool", "female head of household"),
    "admin_code": ("text", "admin area"),
    "payment_channel_type": ("text", "payment channel"),
    "band": ("text", "hazard band"),
    "intensity": ("number", "hazard intensity"),
    "dwelling_damage": ("text", "dwelling damage assessed after this hazard"),
    "displacement": ("text", "displacement assessed after this hazard"),
    "livelihood_losses": ("number", "kinds of livelihood lost in this hazard"),
    "enrolled_in": ("set", "enrolled in"),
}
OPERATORS = {
    "number": ("==", "!=", "<", "<=", ">", ">=", "in", "not in"),
    "text": ("==", "!=", "in", "not in", "within"),
    "bool": ("==", "!="),
    "set": ("includes", "excludes"),
}
#: Fields read from a column of another name.
COLUMNS = {"enrolled_in": "enrolments"}
#: Text fields whose values come from a fixed list: a value outside it is a mistake, not a rule
#: that quietly never holds ("" is a household not assessed for the hazard event).
CHOICES = {
    "dwelling_damage": ("none", "partial", "destroyed", ""),
    "displacement": ("at_home", "host_family", "shelter", ""),
}
#: The same fields in Spanish, for the console and for letters to households.
SPANISH_FIELDS = {
    "size": "tamaño del hogar",
    "vulnerability_score": "puntaje de vulnerabilidad",
    "children_under_5": "niñas y niños menores de 5 años",
    "elderly_65_plus": "personas de 65 años o más",
    "persons_with_disabilities": "personas con discapacidad",
    "pregnant_members": "mujeres embarazadas",
    "female_headed": "hogar con jefatura femenina",
    "admin_code": "área administrativa",
    "payment_channel_type": "canal de pago",
    "band": "banda de amenaza",
    "intensity": "intensidad de la amenaza",
    "dwelling_damage": "daño a la vivienda evaluado tras esta amenaza",
    "displacement": "desplazamiento evaluado tras esta amenaza",
    "livelihood_losses": "tipos de medios de vida perdidos en esta amenaza",
    "enrolled_in": "inscrito en",
}
SPANISH_WORDS = {
    "==": "es",
    "!=": "no es",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "es uno de",
    "not in": "no es ninguno de",
    "within": "está dentro de",
    "includes": "alguno de",
    "excludes": "ninguno de",
}
LANGUAGES = ("en", "es")
WORDS = {
    "==": "is",
    "!=": "is not",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "in": "is one of",
    "not in": "is none of",
    "within": "lies within",
    "includes": "any of",
    "excludes": "none of",
}


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any

    def describe(self, lang: str = "en") -> str:
        value = ", ".join(map(str, self.value)) if isinstance(self.value, list | tuple) else self.value
        label = SPANISH_FIELDS[self.field] if lang == "es" else FIELDS[self.field][1]
        words = SPANISH_WORDS if lang == "es" else WORDS
        if FIELDS[self.field][0] == "bool":
            return (
                label
                if self.value == (self.op == "==")
                else f"no {label}"
                if lang == "en"
                else f"sin {label}"
            )
        return f"{label} {words[self.op]} {value}"

    def conditions(self) -> list[Condition]:
        return [self]


@dataclass(frozen=True)
class Group:
    """``all`` (every part holds) or ``any`` (at least one holds)."""

    kind: str
    parts: tuple[Group | Condition, ...]

    def describe(self, lang: str = "en") -> str:
        joiner = {("all", "en"): " and ", ("any", "en"): " or ", ("all", "es"): " y ", ("any", "es"): " o "}
        return joiner[self.kind, lang].join(
            p.describe(lang) if isinstance(p, Condition) else f"({p.describe(lang)})" for p in self.parts
        )

    def conditions(self) -> list[Condition]:
        """Every condition of the tree, in the order evaluation visits them."""
        found: list[Condition] = []
        for part in self.parts:
            found.extend(part.conditions() if isinstance(part, Group) else [part])
        return found


def parse_rule(node: Any, path: str = "/eligibility") -> Group | Condition:
    """Build the rule tree, checking every field, operator and value against the field's type.

    :raise ProgrammeError: with the path of the first mistake (``/eligibility/all/1/op``).
    """
    if not isinstance(node, Mapping):
        raise mistake(path, "expected {all: [...]}, {any: [...]} or {field, op, value}")
    if set(node) in ({"all"}, {"any"}):
        kind = next(iter(node))
        parts = node[kind]
        if not isinstance(parts, list) or not parts:
            raise mistake(f"{path}/{kind}", "a non-empty list of conditions")
        return Group(kind, tuple(parse_rule(p, f"{path}/{kind}/{n}") for n, p in enumerate(parts)))
    if set(node) != {"field", "op", "value"}:
        raise mistake(path, f"unexpected keys {sorted(set(node) - {'field', 'op', 'value'}) or sorted(node)}")
    name, op, value = node["field"], node["op"], node["value"]
    if name not in FIELDS:
        raise mistake(f"{path}/field", f"unknown field {name!r}; one of {', '.join(FIELDS)}")
    kind = FIELDS[name][0]
    if op not in OPERATORS[kind]:
        raise mistake(
            f"{path}/op", f"{op!r} does not apply to {kind} field {name!r}; use {', '.join(OPERATORS[kind])}"
        )
    listed = op in ("in", "not in") or (kind == "set" and isinstance(value, list))
    values = value if listed else [value]
    if listed and (not isinstance(value, list) or not value):
        raise mistake(f"{path}/value", f"{op!r} needs a non-empty list")
    expected = {"number": (int, float), "text": (str,), "bool": (bool,), "set": (str,)}[kind]
    for item in values:
        if not isinstance(item, expected) or (kind == "number" and isinstance(item, bool)):
            raise mistake(f"{path}/value", f"{item!r} is not a {'programme code' if kind == 'set' else kind}")
        if name in CHOICES and item not in CHOICES[name]:
            raise mistake(
                f"{path}/value", f"{item!r} is not one of {', '.join(c for c in CHOICES[name] if c)}"
            )
    if kind == "set":
        return Condition(name, op, tuple(v.strip().upper() for v in values))
    return Condition(name, op, tuple(value) if isinstance(value, list) else value)


# -- evaluation ------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Outcome of a rule over many households: eligible or not, and every condition's outcome."""

    eligible: np.ndarray
    outcomes: dict[str, np.ndarray]  # condition description → bool per household
    results: list[np.ndarray] = field(default_factory=list)  # per condition, in tree order


def evaluate(rule: Group | Condition, columns: Mapping[str, np.ndarray]) -> Evaluation:
    """Evaluate ``rule`` for every household at once (one numpy operation per condition)."""
    outcomes: dict[str, np.ndarray] = {}
    results: list[np.ndarray] = []
    eligible = _evaluate(rule, columns, outcomes, results)
    return Evaluation(eligible, outcomes, results)


def _evaluate(
    node: Group | Condition,
    columns: Mapping[str, np.ndarray],
    outcomes: dict[str, np.ndarray],
    results: list[np.ndarray],
) -> np.ndarray:
    if isinstance(node, Group):
        parts = [_evaluate(p, columns, outcomes, results) for p in node.parts]
        return np.logical_and.reduce(parts) if node.kind == "all" else np.logical_or.reduce(parts)
    data = columns[COLUMNS.get(node.field, node.field)]
    match node.op:
        case "==":
            result = data == node.value
        case "!=":
            result = data != node.value
        case "<":
            result = data < node.value
        case "<=":
            result = data <= node.value
        case ">":
            result = data > node.value
        case ">=":
            result = data >= node.value
        case "in":
            result = np.isin(data, list(node.value))
        case "not in":
            result = ~np.isin(data, list(node.value))
        case "within":
            result = within_mask(data, node.value)
        case "includes":
            result = enrolled_in(data, node.value)
        case "excludes":
            result = ~enrolled_in(data, node.value)
    result = np.asarray(result, dtype=bool)
    if data.dtype.kind == "f":
        result &= ~np.isnan(data)  # an unknown value never satisfies a condition
    outcomes[node.describe()] = result
    results.append(result)
    return result


def describe_rule(rule: Group | Condition) -> str:
    return rule.describe()
