"""Problem details (RFC 9457) and the error root every service's exceptions descend from.

A service raises its own domain errors, each also one of the kinds below (invalid input, not
found, conflict, …). The kinds know nothing of HTTP: :mod:`shared.web` maps each kind to its
status once and writes one problem document with ``type``, ``title``, ``status``, ``detail`` and,
for bad input, ``errors`` naming each field as a JSON pointer. Nothing else decides how an error
looks on the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://amparo.example/problems/"


class Bilingual(str):
    """Words in English (the string itself) that also carry their Spanish as ``es``.

    Code that only knows strings reads the English; a problem document shows both.

    Examples
    --------
    >>> said = Bilingual("is required", "es obligatorio")
    >>> said == "is required", said.es
    (True, 'es obligatorio')
    """

    es: str

    def __new__(cls, en: str, es: str) -> Bilingual:
        made = super().__new__(cls, en)
        made.es = es
        return made

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]  # copies keep the Spanish
        return str(self), self.es


def spanish(text: str) -> str | None:
    """The Spanish of ``text`` when it carries one (a :class:`Bilingual`), else ``None``."""
    return getattr(text, "es", None)


@dataclass(frozen=True)
class FieldProblem:
    """One faulty input field: a JSON pointer (``/location/lat``), what is wrong with it, and the
    same in Spanish when the refusal says it (``detail_es``)."""

    pointer: str
    detail: str
    detail_es: str | None = None


class AmparoError(Exception):
    """Root of every error a service raises on purpose.

    Subclasses set ``slug`` (the last part of the problem ``type`` URI) and ``title``; which HTTP
    status each kind answers with is decided in :mod:`shared.web`, not here.
    """

    slug = "internal-error"
    title = "Internal error"

    def __init__(self, detail: str, *, errors: Iterable[FieldProblem] = (), **extra: Any):
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)
        self.extra = extra


class InvalidInput(AmparoError, ValueError):
    """The request is well-formed but a field's value is not acceptable."""

    slug = "invalid-input"
    title = "Invalid input"


class NotFound(AmparoError, LookupError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    slug = "not-found"
    title = "Not found"


class Conflict(AmparoError):
    """The request conflicts with what is already stored."""

    slug = "conflict"
    title = "Conflict"


class NotAuthenticated(AmparoError):
    """No valid bearer token was presented."""

    slug = "not-authenticated"
    title = "Not authenticated"


class Forbidden(AmparoError, PermissionError):
    """The caller is known but may not do this (role or jurisdiction)."""

    slug = "forbidden"
    title = "Forbidden"


class Unavailable(AmparoError):
    """A dependency (database, broker) cannot be reached right now; retry later."""

    slug = "unavailable"
    title = "Service unavailable"


class PreconditionFailed(Conflict):
    """The change was made against an older version than the one stored (a stale ``If-Match``)."""

    slug = "version-mismatch"
    title = "Precondition failed"


class PreconditionRequired(AmparoError):
    """A change that must name the version it was made against (``If-Match``) did not."""

    slug = "precondition-required"
    title = "Precondition required"


@dataclass
class Problem:
    """An RFC 9457 problem document."""

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    instance: str | None = None
    errors: tuple[FieldProblem, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    detail_es: str | None = None

    @classmethod
    def from_error(cls, error: AmparoError, status: int, instance: str | None = None) -> Problem:
        """Build the problem document for a raised :class:`AmparoError` answered with ``status``."""
        return cls(
            status=status,
            title=error.title,
            detail=error.detail,
            type=PROBLEM_TYPE_BASE + error.slug,
            instance=instance,
            errors=error.errors,
            extra=error.extra,
            detail_es=spanish(error.detail),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.detail_es:
            body["detail_es"] = self.detail_es
        if self.instance:
            body["instance"] = self.instance
        if self.errors:
            body["errors"] = [
                {
                    "pointer": e.pointer,
                    "detail": e.detail,
                    **({"detail_es": e.detail_es} if e.detail_es else {}),
                }
                for e in self.errors
            ]
        body.update(self.extra)
        return body


def field_problems(messages: Mapping[str, Any], prefix: str = "") -> list[FieldProblem]:
    """Flatten marshmallow's nested error messages into one :class:`FieldProblem` per field.

    Examples
    --------
    >>> field_problems({"location": {"lat": ["Must be between -90 and 90."]}})
    [FieldProblem(pointer='/location/lat', detail='Must be between -90 and 90.')]
    """
    problems: list[FieldProblem] = []
    for key, value in messages.items():
        pointer = f"{prefix}/{str(key).replace('~', '~0').replace('/', '~1')}"
        if key == "_schema":
            pointer = prefix or "/"
        if isinstance(value, Mapping):
            problems.extend(field_problems(value, pointer))
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Mapping):
                    problems.extend(field_problems(item, pointer))
                else:
                    problems.append(FieldProblem(pointer, str(item)))
        else:
            problems.append(FieldProblem(pointer, str(value)))
    return problems
