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

from services.transfers.adapters.idempotency import IdempotencyKeys, KeyTaken
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
        fingerprint = _fingerprint()
        keys = IdempotencyKeys(
            current_app.extensions["amparo.runtime"].session_factory, key, current_principal().subject
        )
        try:
            stored = keys.claim(fingerprint)
        except KeyTaken:
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
            keys.renew()
        elif stored is not None:
            replay = Response(
                json.dumps(stored.response), status=stored.status_code, mimetype=_mimetype(stored.status_code)
            )
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        return _answer(keys, view, *args, **kwargs)

    return wrapper


def _answer(keys: IdempotencyKeys, view: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run the view once for its key and keep its answer (a problem too); an unexpected failure
    frees the key."""
    try:
        result = view(*args, **kwargs)
    except AmparoError as error:
        problem = problem_of(error, instance=request.path)
        if problem.status >= 500:
            keys.forget()
            raise
        keys.finish(problem.status, problem.to_dict())
        return error_response(error)
    except BaseException:
        keys.forget()
        raise
    body, status = (result if isinstance(result, tuple) else (result, 200))[:2]
    crash_point("request.before_answer_stored")
    keys.finish(status, body)
    return result


#: How long a request may run before its key is taken for abandoned.
LEASE = timedelta(minutes=5)


def _abandoned(started: datetime) -> bool:
    return datetime.now(UTC) - started > LEASE


def _fingerprint() -> str:
    """Method, path and body; a JSON body in canonical form (key order and spacing do not count)."""
    body = request.get_data(cache=True)
    if request.is_json:
        with contextlib.suppress(ValueError):  # not JSON after all: the raw bytes count
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def _mimetype(status: int) -> str:
    return "application/problem+json" if status >= 400 else "application/json"
