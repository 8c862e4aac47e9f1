"""The language a service answers in, and its messages' translations, read from a catalogue of
English message templates and their Spanish.

Every service writes its messages once, in English, where the rule that refuses lives (mostly
f-strings with values inside: ``f"age {age} is not between 0 and {MAX_AGE}"``). A caller who asks
for Spanish (``Accept-Language: es``) gets each message of a problem document or a sync report
translated on its way out: :class:`Catalogue` finds the English template a message was written from
and fills its Spanish with the same values. The catalogues themselves (:mod:`shared.messages_es`
and each service's ``entrypoints/messages_es.py``) say why they are kept this way.

A template is the English text with ``{name}`` where a value goes; the Spanish names the same
values, in its own order. A value named ``message`` is itself a message, translated in turn (an
error's detail that ends with the fields it names: ``{message}: {fields}``). Two values never sit
side by side (nothing would tell where one ends). A message no template matches stays in English.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.errors import Problem

log = logging.getLogger(__name__)

ENGLISH = "en"
SPANISH = "es"
#: The languages answered in; English is the default.
LANGUAGES = (ENGLISH, SPANISH)
#: Placeholders whose value is itself a message, translated in turn.
NESTED = frozenset({"message"})

_LANGUAGE_RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$")


def negotiate(accept_language: str | None) -> str:
    """The language to answer in for an ``Accept-Language`` header (RFC 9110, section 12.5.4).

    Spanish when the caller rates a Spanish range (``es``, ``es-MX``, ``es-419`` …) above English
    (or rates English not at all), English otherwise; equal ratings go to the one named first. A
    ``*`` rates both; ``q=0`` refuses a language; a malformed entry is passed over.

    Examples
    --------
    >>> negotiate("es-MX,es;q=0.9,en;q=0.8"), negotiate("en-US,en;q=0.9,es;q=0.8")
    ('es', 'en')
    >>> negotiate("fr, es;q=0.5"), negotiate("es;q=0"), negotiate(None), negotiate("*")
    ('es', 'en', 'en', 'en')
    """
    rated: dict[str, tuple[float, int]] = {}  # language → (quality, position in the header)
    wildcard: tuple[float, int] | None = None
    for position, entry in enumerate((accept_language or "").split(",")):
        tag, _, parameters = entry.strip().partition(";")
        tag = tag.strip()
        quality = _quality(parameters)
        if quality is None or not _LANGUAGE_RANGE.match(tag):
            continue
        if tag == "*":
            wildcard = wildcard or (quality, position)
            continue
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES and quality > rated.get(primary, (-1.0, 0))[0]:
            rated[primary] = (quality, rated.get(primary, (quality, position))[1])
    english = rated.get(ENGLISH, wildcard or (0.0, 0))
    spanish = rated.get(SPANISH, wildcard or (0.0, 0))
    if spanish[0] > english[0] or (spanish[0] == english[0] > 0 and spanish[1] < english[1]):
        return SPANISH
    return ENGLISH


def _quality(parameters: str) -> float | None:
    """The ``q`` of an entry's parameters (1 without one), or None if it is not a number 0 to 1."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return None
            return quality if 0 <= quality <= 1 else None
    return 1.0


@dataclass(frozen=True)
class _Value:
    name: str


@dataclass(frozen=True)
class Template:
    """An English message template and its Spanish, each value named alike in both."""

    english: str
    spanish: str
    parts: tuple[str | _Value, ...]

    @classmethod
    def parse(cls, english: str, spanish: str) -> Template:
        """:raise ValueError: if the two name different values, or two values touch."""
        parts: list[str | _Value] = []
        for literal, name, spec, conversion in string.Formatter().parse(english):
            if literal:
                parts.append(literal)
            if name is not None:
                if spec or conversion or not name.isidentifier():
                    raise ValueError(f"{english!r}: write a value as {{name}}, not {{{name}!{conversion}}}")
                if parts and isinstance(parts[-1], _Value):
                    raise ValueError(f"{english!r}: {{{parts[-1].name}}}{{{name}}} cannot be told apart")
                parts.append(_Value(name))
        named = {p.name for p in parts if isinstance(p, _Value)}
        in_spanish = {name for _, name, _, _ in string.Formatter().parse(spanish) if name is not None}
        if named != in_spanish:
            raise ValueError(f"{english!r} names {sorted(named)} but its Spanish {sorted(in_spanish)}")
        return cls(english, spanish, tuple(parts))

    @property
    def values(self) -> tuple[str, ...]:
        """The names of the values the message carries."""
        return tuple(p.name for p in self.parts if isinstance(p, _Value))

    @property
    def specificity(self) -> tuple[int, int]:
        """More fixed text first, then fewer values: the template that says most wins."""
        fixed = sum(len(p) for p in self.parts if isinstance(p, str))
        return (-fixed, len(self.values))


class Catalogue:
    """English message templates and their Spanish; :meth:`spanish` translates one message.

    Examples
    --------
    >>> catalogue = Catalogue({
    ...     "age {age} is not between 0 and {most}": "la edad {age} no está entre 0 y {most}",
    ...     "the household cannot be recorded": "no se puede registrar el hogar",
    ...     "{message}: {fields}": "{message}: {fields}",
    ... })
    >>> catalogue.spanish("age 130 is not between 0 and 120")
    'la edad 130 no está entre 0 y 120'
    >>> catalogue.spanish("the household cannot be recorded: members.0.age_estimate")
    'no se puede registrar el hogar: members.0.age_estimate'
    >>> catalogue.spanish("no such message") is None
    True
    """

    def __init__(self, *tables: Mapping[str, str]):
        merged: dict[str, str] = {}
        for table in tables:
            merged.update(table)
        templates = [Template.parse(english, spanish) for english, spanish in merged.items()]
        #: Messages without values, by their text; the others tried most specific first.
        self.fixed = {"".join(map(str, t.parts)): t for t in templates if not t.values}
        self.templates = sorted((t for t in templates if t.values), key=lambda t: t.specificity)
        self._known: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self.fixed) + len(self.templates)

    def spanish(self, text: str) -> str | None:
        """``text`` in Spanish, or None when no template matches it (it is then logged once)."""
        if text in self._known:
            return self._known[text]
        found = self._translate(text, depth=0)
        if found is None:
            log.info("no Spanish for the message %r", text)
        if len(self._known) > 10_000:  # messages carry ids and values: keep the memory bounded
            self._known.clear()
        self._known[text] = found
        return found

    def _translate(self, text: str, depth: int) -> str | None:
        fixed = self.fixed.get(text)
        if fixed is not None:
            return fixed.spanish.format()
        if depth > 3 or not text:
            return None
        for template in self.templates:
            first = template.parts[0]
            if isinstance(first, str) and not text.startswith(first):
                continue
            values = self._match(template.parts, text, 0, {}, depth)
            if values is not None:
                return template.spanish.format(**values)
        return None

    def _match(
        self, parts: tuple[str | _Value, ...], text: str, at: int, values: dict[str, str], depth: int
    ) -> dict[str, str] | None:
        """The values that make ``parts`` spell ``text[at:]``, trying the shortest value first."""
        if not parts:
            return values if at == len(text) else None
        head, rest = parts[0], parts[1:]
        if isinstance(head, str):
            return (
                self._match(rest, text, at + len(head), values, depth) if text.startswith(head, at) else None
            )
        following = rest[0] if rest else None
        assert not isinstance(following, _Value)  # refused when the template was parsed
        ends = [len(text)] if following is None else _occurrences(text, following, at + 1)
        for end in ends:
            value: str | None = text[at:end]
            if head.name in NESTED:
                value = self._translate(text[at:end], depth + 1)
            if value is None:
                continue
            found = self._match(rest, text, end, {**values, head.name: value}, depth)
            if found is not None:
                return found
        return None

    def translate_problem(self, problem: Problem) -> Problem:
        """The problem document with its title, detail and each field's detail in Spanish (each
        one this catalogue does not know stays in English); pointers and values are unchanged."""
        from shared.errors import FieldProblem

        return replace(
            problem,
            title=self.spanish(problem.title) or problem.title,
            detail=self.spanish(problem.detail) or problem.detail,
            errors=tuple(FieldProblem(e.pointer, self.spanish(e.detail) or e.detail) for e in problem.errors),
        )


def _occurrences(text: str, literal: str, start: int) -> list[int]:
    found = []
    at = text.find(literal, start)
    while at != -1:
        found.append(at)
        at = text.find(literal, at + 1)
    return found
