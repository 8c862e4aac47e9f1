"""``Idempotency-Key`` on every money-moving request.

The first answer to a key is stored and replayed to every retry; a retry while the first request
still runs gets 409; the same key with another request (method, path or body) gets 422. A key
belongs to the person who sent it. An unexpected failure (a 5xx) frees the key so that a retry
can run.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.transfers.adapters.orm import idempotency_keys
from shared.db import as_read
from shared.errors import AmparoError, Conflict, FieldProblem, InvalidInput
from shared.faults import crash_point
from shared.web import current_principal, error_response, problem_of

HEADER = "Idempotency-Key"
DOC = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": True,
            "schema": {"type": "string", "minLength": 8, "maxLength": 255},
            "description": "A unique key per money-moving request; a retry with the same key gets the "
            "first answer again",
        }
    ]
}


class KeyInUse(Conflict):
    slug = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is still running"


class KeyReused(InvalidInput):
    slug = "idempotency-key-reused"
    title = "This Idempotency-Key was used for another request"


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view (below ``authenticated``) that moves money."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER, "").strip()
        if not 8 <= len(key) <= 255:
            raise InvalidInput(
                f"money-moving requests need an {HEADER} header (8 to 255 characters)",
                errors=[FieldProblem(f"header {HEADER}", "missing or not 8–255 characters")],
            )
        principal = current_principal().subject
        fingerprint = _fingerprint()
        sessions = current_app.extensions["amparo.runtime"].session_factory
        where = (idempotency_keys.c.key == key) & (idempotency_keys.c.principal == principal)
        try:
            with sessions.begin() as session:
                stored = session.execute(select(idempotency_keys).where(where)).first()
                if stored is None:
                    session.execute(
                        insert(idempotency_keys).values(
                            key=key,
                            principal=principal,
                            request=fingerprint,
                            state="running",
                            created_at=datetime.now(UTC),
                        )
                    )
        except IntegrityError:
            raise KeyInUse(f"the request with {HEADER} {key!r} is still running; retry later") from None
        if stored is not None:
            if stored.request != fingerprint:
                raise KeyReused(
                    f"{HEADER} {key!r} was first used for another request; use a new key for a new request",
                    errors=[FieldProblem(f"header {HEADER}", "reused with a different method, path or body")],
                )
            if stored.state == "running" and not _abandoned(stored.created_at):
                raise KeyInUse(f"the request with {HEADER} {key!r} is still running; retry later")
        if stored is not None and stored.state == "running":
            # Its process died mid-request: each request is one transaction and checks the state it
            # moves, so running it again is safe; the lease starts again.
            with sessions.begin() as session:
                session.execute(update(idempotency_keys).where(where).values(created_at=datetime.now(UTC)))
        elif stored is not None:
            replay = Response(
                json.dumps(stored.response), status=stored.status_code, mimetype=_mimetype(stored.status_code)
            )
            replay.headers["Idempotent-Replayed"] = "true"
            return replay

        def finish(status: int, body: Any) -> None:
            with sessions.begin() as session:
                session.execute(
                    update(idempotency_keys)
                    .where(where)
                    .values(
                        state="done", status_code=status, response=json.loads(json.dumps(body, default=str))
                    )
                )

        try:
            result = view(*args, **kwargs)
        except AmparoError as error:
            problem = problem_of(error, instance=request.path)
            if problem.status >= 500:
                _forget(sessions, where)
                raise
            finish(problem.status, problem.to_dict())
            return error_response(error)
        except BaseException:
            _forget(sessions, where)
            raise
        body, status = (result if isinstance(result, tuple) else (result, 200))[:2]
        crash_point("request.before_answer_stored")
        finish(status, body)
        return result

    return wrapper


#: How long a request may run before its key is taken for abandoned.
LEASE = timedelta(minutes=5)


def _abandoned(started: datetime) -> bool:
    return datetime.now(UTC) - as_read(started) > LEASE  # type: ignore[operator]


def _fingerprint() -> str:
    """Method, path and body; a JSON body in canonical form (key order and spacing do not count)."""
    body = request.get_data(cache=True)
    if request.is_json:
        with contextlib.suppress(ValueError):  # not JSON after all: the raw bytes count
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def _forget(sessions: Any, where: Any) -> None:
    with sessions.begin() as session:
        session.execute(delete(idempotency_keys).where(where))


def _mimetype(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
