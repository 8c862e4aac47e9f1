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


@dataclass(frozen=True)
class FieldProblem:
    """One faulty input field: a JSON pointer (``/location/lat``) and what is wrong with it."""

    pointer: str
    detail: str


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
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON body."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.instance:
            body["instance"] = self.instance
        if self.errors:
            body["errors"] = [{"pointer": e.pointer, "detail": e.detail} for e in self.errors]
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
