"""The Flask pieces every service shares: the API object, problem details (in the language the
caller asks for), health, metrics, correlation ids and bearer authentication.

A service's app factory calls :func:`build_app`, registers its blueprints on the returned
``Api`` and is done; everything below is the same in all three services.
"""

from __future__ import annotations

import functools
import http
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import marshmallow as ma
import swagger_ui_bundle
from flask import Flask, Response, current_app, g, has_request_context, jsonify, request, send_from_directory
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.exceptions import HTTPException

from shared.audit import DENIED, AuditEntry, AuditLog, roles_text
from shared.auth import Principal, TokenVerifier, require_role
from shared.db import ANSWERING_REQUEST
from shared.errors import (
    PROBLEM_CONTENT_TYPE,
    PROBLEM_TYPE_BASE,
    AmparoError,
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Problem,
    Unavailable,
    field_problems,
)
from shared.languages import ENGLISH, Catalogue, negotiate
from shared.logs import accept_correlation_id, bind_correlation_id, unbind_correlation_id
from shared.messages_es import SHARED_CATALOGUE
from shared.metrics import Metrics

log = logging.getLogger(__name__)

CORRELATION_HEADER = "X-Correlation-ID"
#: No text a service keeps holds it, and PostgreSQL cannot store it.
NUL = "\x00"
#: ``@blp.doc(security=BEARER)`` marks an operation as needing a bearer token in the OpenAPI.
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
#: A readiness check returns nothing when healthy and raises when not.
ReadinessCheck = Callable[[], None]


#: The HTTP status of each kind of error, the most specific kind first; anything else is a 500.
HTTP_STATUS: tuple[tuple[type[AmparoError], int], ...] = (
    (PreconditionFailed, 412),
    (PreconditionRequired, 428),
    (InvalidInput, 422),
    (NotFound, 404),
    (Conflict, 409),
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (Unavailable, 503),
)


def status_of(error: AmparoError) -> int:
    """The HTTP status a raised error answers with, decided by its kind.

    Examples
    --------
    >>> status_of(NotFound("no household 42"))
    404
    """
    return next((status for kind, status in HTTP_STATUS if isinstance(error, kind)), 500)


def problem_of(error: AmparoError, instance: str | None = None) -> Problem:
    """The problem document answering ``error`` (its status decided by :func:`status_of`)."""
    return Problem.from_error(error, status_of(error), instance)


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    """Serialise a problem document with the ``application/problem+json`` content type, in the
    language the caller asked for (:func:`request_language`), which ``Content-Language`` names."""
    language = request_language()
    if language != ENGLISH:
        problem = _catalogue().translate_problem(problem)
    response = jsonify(problem.to_dict())
    response.status_code = problem.status
    response.mimetype = PROBLEM_CONTENT_TYPE
    response.headers["Content-Language"] = language
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def request_language() -> str:
    """The language the current request's ``Accept-Language`` asks for: ``es`` or ``en``
    (:func:`shared.languages.negotiate`); English outside a request."""
    if not has_request_context():
        return ENGLISH
    if "answer_language" not in g:  # read once: a sync report asks for each of its records' messages
        g.answer_language = negotiate(request.headers.get("Accept-Language"))
    language: str = g.answer_language
    return language


def in_request_language(message: str) -> str:
    """``message`` (written in English) in the language of the current request, when the service's
    catalogue knows it; otherwise as written."""
    if request_language() == ENGLISH:
        return message
    return _catalogue().spanish(message) or message


def _catalogue() -> Catalogue:
    catalogue: Catalogue = current_app.extensions.get("amparo.catalogue") or SHARED_CATALOGUE
    return catalogue


class FieldProblemSchema(ma.Schema):
    pointer = ma.fields.String(required=True, metadata={"description": "JSON pointer to the faulty field"})
    detail = ma.fields.String(required=True)
    detail_es = ma.fields.String(metadata={"description": "The same in Spanish, where the refusal says it"})


class ProblemSchema(ma.Schema):
    """A problem document (RFC 9457), as :class:`shared.errors.Problem` writes it: its title and
    details in the language of ``Accept-Language`` (``es`` or English), named by ``Content-Language``;
    its type, status and pointers the same in every language."""

    class Meta:
        unknown = ma.INCLUDE  # some problems carry more, e.g. the current version of a stale update

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    detail_es = ma.fields.String(metadata={"description": "The detail in Spanish, where the refusal says it"})
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldProblemSchema))


class ServiceApi(Api):
    """flask-smorest's ``Api`` documenting its error responses as the problem documents they are."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # The same components as flask-smorest's, with the problem content type instead of JSON.
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_CONTENT_TYPE)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


def build_app(
    *,
    service: str,
    title: str,
    version: str,
    description: str,
    metrics: Metrics,
    readiness_checks: Mapping[str, ReadinessCheck],
    verifier: TokenVerifier,
    audit: AuditLog | None = None,
    extra_config: Mapping[str, Any] | None = None,
    spanish: Catalogue | None = None,
) -> tuple[Flask, Api]:
    """Create a service's Flask app and its flask-smorest ``Api``.

    The app serves ``/openapi.json``, a docs page at ``/docs`` (Swagger UI, bundled, no CDN),
    ``/healthz``, ``/readyz`` and ``/metrics``; renders every error as problem+json; reads or
    creates the correlation id of each request; and counts requests for Prometheus. Every
    refusal (403) of a caller whose token verified is written to ``audit`` as a denied entry.
    Problem documents are in Spanish for a caller who asks for it: ``spanish`` is the service's
    catalogue of message templates (:mod:`shared.messages_es` explains them; without one, only the
    messages every service shares are translated).
    """
    app = Flask(service)
    app.config.update(
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        },
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(extra_config or {})
    app.extensions["amparo.metrics"] = metrics
    app.extensions["amparo.verifier"] = verifier
    app.extensions["amparo.catalogue"] = spanish or SHARED_CATALOGUE
    if audit is not None:
        app.extensions["amparo.audit"] = audit

    api = ServiceApi(app)
    _register_error_handlers(app, api)
    _register_operations(app, metrics, readiness_checks)
    _register_request_hooks(app, metrics)
    return app, api


def _register_error_handlers(app: Flask, api: Api) -> None:
    app.register_error_handler(AmparoError, error_response)

    def _http_error(error: HTTPException) -> Response:
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or {}
        errors: list[Any] = []
        for location, fields in messages.items():
            # webargs groups messages by location ("json", "query"); the pointer names the field.
            prefix = "" if location == "json" else f"/{location}"
            if isinstance(fields, Mapping):
                errors.extend(field_problems(fields, prefix))
            else:  # a message about the whole body, e.g. "Invalid JSON body."
                errors.extend(FieldProblem(prefix or "/", str(m)) for m in fields)
        status = error.code or 500
        detail = error.description or ""
        if errors:
            detail = "invalid fields: " + ", ".join(e.pointer for e in errors)
        elif status == 413 and request.max_content_length:
            detail = (
                f"the request body is over the {request.max_content_length:,} bytes {request.path} accepts"
            )
        problem = Problem(
            status=status,
            title=error.name,
            detail=detail,
            type=PROBLEM_TYPE_BASE + error.name.lower().replace(" ", "-") if errors else "about:blank",
            instance=request.path,
            errors=tuple(errors),
        )
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return problem_response(problem, headers)

    app.register_error_handler(HTTPException, _http_error)
    api.handle_http_exception = _http_error  # flask-smorest's own handler, replaced

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return _http_error(error)
        from sqlalchemy.exc import OperationalError

        if isinstance(error, OperationalError):
            log.warning("database unavailable: %s", error)
            return problem_response(
                problem_of(
                    Unavailable("the database is busy or cannot be reached; retry shortly"), request.path
                ),
                {"Retry-After": "5"},
            )
        log.exception("unhandled error")
        return problem_response(
            Problem(
                status=500,
                title="Internal error",
                detail="an unexpected error occurred; it was logged",
                instance=request.path,
            )
        )


def error_response(error: AmparoError) -> Response:
    """Answer a raised :class:`AmparoError` as a problem document, with the headers its kind needs.

    A refusal (:class:`Forbidden`) is first written to the service's audit log. Code that answers
    an error itself instead of raising it (a decorator that stores the answer) calls this too.
    """
    headers = {}
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if isinstance(error, Unavailable):
        headers["Retry-After"] = str(error.extra.get("retry_after", 5))
    if isinstance(error, Forbidden):
        _audit_refusal(error)
    return problem_response(problem_of(error, request.path), headers)


def _audit_refusal(error: Forbidden) -> None:
    """Write who was refused what, and why, to the service's audit log (in its own transaction)."""
    from flask import current_app

    audit: AuditLog | None = current_app.extensions.get("amparo.audit")
    principal: Principal | None = g.get("principal")
    if audit is None or principal is None:
        return
    rule = request.url_rule.rule if request.url_rule else request.path
    audit.record_alone(
        AuditEntry(
            by=principal.subject,
            role=roles_text(principal.roles),
            action=f"{request.method} {rule}",
            subject_type="request",
            subject_id=request.path.replace(NUL, "\\u0000"),  # PostgreSQL text holds no NUL
            outcome=DENIED,
            comment=error.detail,
        )
    )


def _register_operations(app: Flask, metrics: Metrics, checks: Mapping[str, ReadinessCheck]) -> None:
    assets = swagger_ui_bundle.swagger_ui_path

    @app.get("/docs/assets/<path:filename>")
    def _swagger_assets(filename: str) -> Response:
        return send_from_directory(assets, filename)

    @app.get("/healthz")
    def _healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/readyz")
    def _readyz() -> Response:
        results: dict[str, str] = {}
        ready = True
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                # The reason goes to the log, not to this unauthenticated page (it may name hosts).
                log.warning("readiness check %s failed: %s", name, exc)
                results[name] = "unavailable"
                ready = False
        response = jsonify(status="ready" if ready else "not ready", checks=results)
        response.status_code = 200 if ready else 503
        if not ready:
            response.headers["Retry-After"] = "5"
        return response

    @app.get("/metrics")
    def _metrics() -> Response:
        return Response(generate_latest(metrics.registry), mimetype=CONTENT_TYPE_LATEST)


def _register_request_hooks(app: Flask, metrics: Metrics) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        g.database_wait_token = ANSWERING_REQUEST.set(True)
        g.correlation_id = accept_correlation_id(request.headers.get(CORRELATION_HEADER))
        g.correlation_token = bind_correlation_id(g.correlation_id)

    app.before_request(_authenticate_first)
    app.before_request(_refuse_nul_characters)

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[CORRELATION_HEADER] = g.get("correlation_id", "")
        if "Content-Language" in response.headers:  # its words follow the caller's Accept-Language
            response.vary.add("Accept-Language")
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.http_requests.labels(request.method, endpoint, str(response.status_code)).inc()
        if "started" in g:
            elapsed = time.perf_counter() - g.started
            metrics.http_latency.labels(request.method, endpoint).observe(elapsed)
            if endpoint not in ("/healthz", "/readyz", "/metrics"):
                log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={"status": response.status_code, "duration_ms": round(elapsed * 1000, 1)},
                )
        return response

    @app.teardown_request
    def _teardown(_exc: BaseException | None) -> None:
        token = g.pop("correlation_token", None)
        if token is not None:
            unbind_correlation_id(token)
        waiting = g.pop("database_wait_token", None)
        if waiting is not None:
            ANSWERING_REQUEST.reset(waiting)


def _refuse_nul_characters() -> None:
    """Refuse a request with U+0000 in its path, query, form fields or JSON body, naming each place.

    No name, number or code holds one, and PostgreSQL cannot store one in text: let through, it would
    fail the first query that carries it.

    :raise 422: listing the place of every NUL character.
    """
    places = []
    if NUL in request.path:
        places.append("/path")
    for location, values in (("query", request.args), ("form", request.form)):
        for name, value in values.items(multi=True):
            if NUL in f"{name}{value}":
                places.append(f"/{location}/{_escape(str(name))}")
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        places.extend(_nul_pointers(request.get_json(silent=True), ""))
    if places:
        raise InvalidInput(
            "text may not contain the NUL character (U+0000)",
            errors=[FieldProblem(place or "/", "contains the NUL character (U+0000)") for place in places],
        )


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _nul_pointers(value: Any, pointer: str) -> list[str]:
    """JSON pointers to every string (or key) of ``value`` that holds a NUL character."""
    if isinstance(value, str):
        return [pointer] if NUL in value else []
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _nul_pointers(item, f"{pointer}/{i}")]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            inner = f"{pointer}/{_escape(key)}"
            found.extend([inner] if NUL in key else _nul_pointers(item, inner))
        return found
    return []


def current_principal() -> Principal:
    """The verified caller of the current request (set by :func:`authenticated`)."""
    principal: Principal = g.principal
    return principal


def authenticated(roles: Sequence[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view: verify the bearer token and require one of ``roles``.

    :raise 401: no token, or a token that does not verify.
    :raise 403: a valid token without any of ``roles``.

    The check runs before the request's body or query is read (see :func:`_authenticate_first`),
    so a caller without a valid token learns nothing of what the operation expects.
    """

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if "principal" not in g:
                _authenticate(roles)
            return view(*args, **kwargs)

        wrapper.amparo_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapper

    return decorator


def caller_token() -> str:
    """The caller's bearer token as received (verified by :func:`authenticated`), to ask another
    service with the caller's own rights."""
    return request.headers.get("Authorization", "").partition(" ")[2].strip()


def _authenticate(roles: Sequence[str]) -> None:
    from flask import current_app

    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("a bearer token is required (Authorization: Bearer …)")
    verifier: TokenVerifier = current_app.extensions["amparo.verifier"]
    principal = verifier.verify(token.strip())
    g.principal = principal  # known to the error handler, which audits a refusal
    require_role(principal, roles)


def accepts_bodies_up_to(
    limit: int | Callable[[], int],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view (below :func:`authenticated`) whose body may be larger, or must be smaller,
    than the app's ``MAX_CONTENT_LENGTH``: ``limit`` bytes (or what ``limit()`` says) hold before
    anything reads the body, and a larger body is a 413 naming the limit."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.amparo_max_body = limit  # type: ignore[attr-defined]
        return view

    return decorator


def _authenticate_first() -> None:
    """Before any view decorator or hook reads the body or query: apply the body limit of a view
    marked by :func:`accepts_bodies_up_to` and authenticate the caller of a view marked by
    :func:`authenticated` (the marks are carried up through the ``functools.wraps`` of the others)."""
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        method = request.method.lower()
        view = getattr(view_class, method, None) or (
            getattr(view_class, "get", None) if method == "head" else None
        )
    limit = getattr(view, "amparo_max_body", None)
    if limit is not None:
        request.max_content_length = limit() if callable(limit) else limit
    roles = getattr(view, "amparo_roles", None)
    if roles is not None:
        _authenticate(roles)
