"""The language a service answers in, and its messages' translations, read from a catalogue of
English message templates and their Spanish.

Every service writes its messages once, in English, where the rule that refuses lives (mostly
f-strings with values inside: ``f"age {age} is not between 0 and {MAX_AGE}"``). A caller who asks
for Spanish (``Accept-Language: es``) gets each message of a problem document or a sync report
translated on its way out: :class:`Catalogue` finds the English template a message was written from
and fills its Spanish with the same values. The catalogues themselves (:mod:`shared.messages_es`
and each service's ``entrypoints/messages_es.py``) say why they are kept this way.

A template is the English text with ``{name}`` where a value goes; the Spanish names the same
values, in its own order. A value whose name begins with ``message`` is itself a message,
translated in turn: an error's detail that ends with the fields it names (``{message}: {fields}``),
or lists its problems (``{message}: {message_problems}``). Some templates are only *parts* of
messages, never a whole one (``{message_first}; {message_more}``, ``{field} {message}``, ``weights
for {area} version {version}``): they are tried only inside another. Two values never sit side by
side (nothing would tell where one ends), and a template is never one value alone.

A value can hold anything, so a message may be read from several templates, or cut in several
ways (``weights for HN version 2 cannot be approved: effective_from 2020-01-01 is not after today:
propose it again`` could be one date "not after today"). The reading chosen is the one that leaves
the fewest characters as values: the one whose templates explain most of the text. A message no
template matches stays in English.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.errors import Problem

log = logging.getLogger(__name__)

ENGLISH = "en"
SPANISH = "es"
#: The languages answered in; English is the default.
LANGUAGES = (ENGLISH, SPANISH)
#: A value whose name begins so is itself a message, translated in turn.
NESTED = "message"
#: Bounds on the work one message may cost (a list of problems of 10 fields reads ~70 texts; a
#: value a caller sent, full of commas, must not make a refusal slow).
MOST_TEXTS_READ = 400
MOST_STEPS = 50_000
LONGEST_MESSAGE = 5000

_UNKNOWN = object()
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
        if not any(isinstance(p, str) for p in parts) and parts:
            raise ValueError(f"{english!r}: a template of one value alone would match anything")
        named = {p.name for p in parts if isinstance(p, _Value)}
        in_spanish = {name for _, name, _, _ in string.Formatter().parse(spanish) if name is not None}
        if named != in_spanish:
            raise ValueError(f"{english!r} names {sorted(named)} but its Spanish {sorted(in_spanish)}")
        return cls(english, spanish, tuple(parts))

    @property
    def literals(self) -> tuple[str, ...]:
        """The fixed texts, each of which a message written from this template holds."""
        return tuple(p for p in self.parts if isinstance(p, str))

    @property
    def values(self) -> tuple[str, ...]:
        """The names of the values the message carries."""
        return tuple(p.name for p in self.parts if isinstance(p, _Value))

    @property
    def specificity(self) -> tuple[int, int, int]:
        """The order templates are tried in, which decides between readings that explain as much:
        more fixed text first, then more messages inside, then fewer values."""
        fixed = sum(len(p) for p in self.parts if isinstance(p, str))
        nested = sum(name.startswith(NESTED) for name in self.values)
        return (-fixed, -nested, len(self.values))


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

    def __init__(self, *tables: Mapping[str, str], parts: Mapping[str, str] | None = None):
        merged: dict[str, str] = {}
        for table in tables:
            merged.update(table)
        self.whole = _Templates(merged)
        self.parts = _Templates(parts or {})
        self._known: dict[str, str | None] = {}

    def __len__(self) -> int:
        return len(self.whole) + len(self.parts)

    def spanish(self, text: str) -> str | None:
        """``text`` in Spanish, or None when no template matches it (it is then logged once)."""
        known = self._known.get(text, _UNKNOWN)  # one look: another thread may clear it meanwhile
        if known is not _UNKNOWN:
            return known  # type: ignore[return-value]
        reading = self._read(text, _Work())
        if reading is None:
            log.info("no Spanish for the message %r", text)
        found = reading[1] if reading else None
        if len(self._known) > 10_000:  # messages carry ids and values: keep the memory bounded
            self._known.clear()
        self._known[text] = found
        return found

    def _read(self, text: str, work: _Work, inside: bool = False) -> _Reading | None:
        """The best reading of ``text``: of all the templates it can be written from (inside
        another message, parts too) and all the ways its values can be cut, the one that leaves
        the fewest characters as values, since it explains most; the first such one on a tie.
        ``work`` remembers the texts read inside one message (a list is cut in many ways)."""
        if (text, inside) in work.read:
            return work.read[(text, inside)]
        if len(work.read) > MOST_TEXTS_READ or len(text) > LONGEST_MESSAGE:
            return None  # a message this long or this cut up is answered as written
        best: _Reading | None = None
        for templates in (self.whole, self.parts) if inside else (self.whole,):
            fixed = templates.fixed.get(text)
            if fixed is not None:
                best = (0, fixed.spanish.format())
                break
            for template in templates.ordered:
                if not all(literal in text for literal in template.literals):
                    continue
                for kept, values in self._readings(template.parts, text, 0, work):
                    if best is None or kept < best[0]:
                        best = (kept, template.spanish.format(**values))
        work.read[(text, inside)] = best
        return best

    def _readings(
        self,
        parts: tuple[str | _Value, ...],
        text: str,
        at: int,
        work: _Work,
    ) -> Iterator[tuple[int, dict[str, str]]]:
        """Each way ``parts`` spell ``text[at:]``: the characters left as values, and the values."""
        work.steps += 1
        if not parts:
            if at == len(text):
                yield 0, {}
            return
        if work.steps > MOST_STEPS:
            return
        head, rest = parts[0], parts[1:]
        if isinstance(head, str):
            if text.startswith(head, at):
                yield from self._readings(rest, text, at + len(head), work)
            return
        following = rest[0] if rest else None
        assert not isinstance(following, _Value)  # refused when the template was parsed
        for end in [len(text)] if following is None else _occurrences(text, following, at + 1):
            piece: _Reading | None = (end - at, text[at:end])
            if head.name.startswith(NESTED):  # a strictly shorter text: this ends
                piece = self._read(text[at:end], work, inside=True)
            if piece is None:
                continue
            for kept, values in self._readings(rest, text, end, work):
                yield piece[0] + kept, {head.name: piece[1], **values}

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


#: A reading of a message: how many of its characters are kept as values, and its Spanish.
_Reading = tuple[int, str]


@dataclass
class _Work:
    """What reading one message has cost: the texts read inside it, and the steps taken."""

    read: dict[tuple[str, bool], _Reading | None] = field(default_factory=dict)
    steps: int = 0


class _Templates:
    """Templates without values by their text, the others in the order they are tried."""

    def __init__(self, table: Mapping[str, str]):
        templates = [Template.parse(english, spanish) for english, spanish in table.items()]
        self.fixed = {"".join(map(str, t.parts)): t for t in templates if not t.values}
        self.ordered = sorted((t for t in templates if t.values), key=lambda t: t.specificity)

    def __len__(self) -> int:
        return len(self.fixed) + len(self.ordered)


def _occurrences(text: str, literal: str, start: int) -> list[int]:
    found = []
    at = text.find(literal, start)
    while at != -1:
        found.append(at)
        at = text.find(literal, at + 1)
    return found
