"""The console's web server: its pages, sign-in for the embedded stack, and one origin for the APIs.

The pages call ``/api/<service>/…``, which this server forwards to the service with the caller's
bearer token untouched: every permission is still decided by the service that owns the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
from flask import Blueprint, Flask, Response, current_app, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException

from services.console import oidc, oidc_routes
from services.console.accounts import SignInThrottle, check_nobody, read_accounts
from shared.auth import DevIssuer
from shared.config import DEFAULT_PORTS

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
#: Leaflet, installed from the npm registry by ``make install`` (see ``package.json``).
LEAFLET = HERE / "node_modules" / "leaflet" / "dist"
#: The charting library monitoring draws with (Chart.js, from the npm registry, served here).
CHARTS = HERE / "node_modules" / "chart.js" / "dist"
CONSOLE_PORT = 8100
TOKEN_SECONDS = 8 * 3600
#: Request headers passed on to a service, and response headers passed back.
FORWARDED_REQUEST = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "Accept",
    "X-Correlation-ID",
    "If-Match",
    "Accept-Language",
)
FORWARDED_RESPONSE = (
    "Cache-Control",
    "Content-Type",
    "Content-Disposition",
    "Location",
    "Retry-After",
    "X-Correlation-ID",
    "ETag",
    "Content-Language",
    "Vary",
)
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class ConsoleSettings:
    """Read from ``AMPARO_*`` variables (see :meth:`from_environ`)."""

    host: str
    port: int
    services: dict[str, str]
    accounts_file: Path
    issuer_dir: Path
    timeout: float = 120.0
    #: The institution's OpenID provider; ``None``: the local account file (the embedded stack's).
    oidc: oidc.OidcSettings | None = None

    @classmethod
    def from_environ(cls, environ: os._Environ[str] | dict[str, str] = os.environ) -> ConsoleSettings:
        data_dir = Path(environ.get("AMPARO_DATA_DIR", "var"))
        services = {
            name: environ.get(f"AMPARO_{name.upper()}_URL", f"http://127.0.0.1:{port}").rstrip("/")
            for name, port in DEFAULT_PORTS.items()
        }
        return cls(
            host=environ.get("AMPARO_CONSOLE_HOST", "127.0.0.1"),
            port=int(environ.get("AMPARO_CONSOLE_PORT", str(CONSOLE_PORT))),
            services=services,
            accounts_file=Path(
                environ.get("AMPARO_CONSOLE_ACCOUNTS_FILE", data_dir / "console-accounts.json")
            ),
            issuer_dir=Path(environ.get("AMPARO_DEV_ISSUER_DIR", data_dir / "dev-issuer")),
            oidc=oidc.OidcSettings.from_environ(environ),
        )


def _problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    response = jsonify({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra})
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def api_path(rest: str) -> str | None:
    """The service path a console path forwards to (``rest``: after ``/api/<service>/``, decoded),
    each segment quoted again; ``None`` unless under ``v1/`` with no ``.`` or ``..`` segment."""
    segments = rest.split("/")
    if segments[0] != "v1" or any(s in (".", "..") for s in segments):
        return None
    return "/" + "/".join(quote(s, safe="-._~:@!$&'()*+,;=") for s in segments)


@dataclass
class Console:
    """What one console app keeps between requests: its settings, the sign-in throttle, the
    stack's local token issuer and the connections to the services."""

    settings: ConsoleSettings
    throttle: SignInThrottle
    issuer: DevIssuer
    session: requests.Session


def _console() -> Console:
    console: Console = current_app.extensions["amparo.console"]
    return console


#: The console's and the field app's pages, their files, and the health checks.
pages = Blueprint("pages", __name__)
#: Signing in to the embedded stack.
auth = Blueprint("auth", __name__)
#: ``/api/<service>/…``, forwarded to the service.
forwarding = Blueprint("forwarding", __name__)


def create_app(settings: ConsoleSettings) -> Flask:
    app = Flask("console", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["amparo.console"] = Console(
        settings=settings,
        throttle=SignInThrottle(),
        issuer=DevIssuer(settings.issuer_dir),
        session=requests.Session(),
    )
    app.register_error_handler(HTTPException, _http_error)
    app.after_request(_headers)
    app.register_blueprint(pages)
    app.register_blueprint(auth)
    app.register_blueprint(forwarding)
    if settings.oidc is not None:
        oidc_routes.install(app, settings.oidc)
    return app


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    detail = error.description or ""
    if status == 413:
        detail = f"the request body is over the {MAX_BODY:,} bytes the console forwards"
    return _problem(status, error.name, detail)


def _headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; connect-src 'self'; "
        "worker-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    return response


@pages.get("/")
def console_page() -> Response:
    return send_from_directory(STATIC, "index.html", max_age=0)


@pages.get("/field/")
def field_page() -> Response:
    return send_from_directory(STATIC / "field", "index.html", max_age=0)


@pages.get("/field/sw.js")
def field_worker() -> Response:
    response = send_from_directory(STATIC / "field", "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/field/"
    return response


@pages.get("/static/<path:name>")
def static_file(name: str) -> Response:
    return send_from_directory(STATIC, name, max_age=0)


@pages.get("/vendor/leaflet/<path:name>")
def leaflet(name: str) -> Response:
    if not LEAFLET.is_dir():
        return _problem(503, "Map library missing", "run `make install` to install Leaflet from npm")
    return send_from_directory(LEAFLET, name, max_age=86400)


@pages.get("/vendor/chart.js/<path:name>")
def charts(name: str) -> Response:
    if not CHARTS.is_dir():
        return _problem(503, "Chart library missing", "run `make install` to install Chart.js from npm")
    return send_from_directory(CHARTS, name, max_age=86400)


@pages.get("/healthz")
@pages.get("/readyz")
def health() -> Response:
    return jsonify({"status": "ok", "map_library": LEAFLET.is_dir(), "chart_library": CHARTS.is_dir()})


@auth.get("/auth/session")
def who() -> Response:
    """How people sign in here: through the identity provider (who is signed in, never a token),
    or with the local account file (the page keeps the token ``/auth/sign-in`` gives it)."""
    if oidc_routes.provider_of(current_app) is not None:
        return oidc_routes.who()
    return jsonify({"mode": "accounts"})


@auth.post("/auth/sign-in")
def sign_in() -> Response:
    console = _console()
    if oidc_routes.provider_of(current_app) is not None:
        return _problem(404, "Not found", "this console signs in through the identity provider")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _problem(400, "Invalid input", "send JSON with username and password")
    username, password = body.get("username"), body.get("password")
    missing = [f for f in ("username", "password") if not isinstance(body.get(f), str) or not body.get(f)]
    if missing:
        return _problem(
            400,
            "Invalid input",
            f"{', '.join(missing)} missing",
            errors=[{"field": f"/{f}"} for f in missing],
        )
    user_key, address_key = f"user:{username}", f"address:{request.remote_addr}"
    # The attempt counts before the password is checked, so parallel guesses cannot slip
    # through; a success forgets only that user's failures, never the address's.
    wait = console.throttle.attempt(user_key, address_key)
    if wait:
        response = _problem(429, "Too many attempts", f"too many failed sign-ins; try again in {wait} s")
        response.headers["Retry-After"] = str(wait)
        return response
    account = read_accounts(console.settings.accounts_file).get(str(username))
    if not (account.check(str(password)) if account else check_nobody(str(password))):
        return _problem(401, "Not signed in", "wrong username or password")
    assert account is not None
    console.throttle.succeeded(user_key, address_key)
    token = console.issuer.mint(
        account.username,
        account.roles,
        account.jurisdiction,
        ttl_seconds=TOKEN_SECONDS,
        name=account.name,
    )
    return jsonify(
        {
            "token": token,
            "expires_in": TOKEN_SECONDS,
            "username": account.username,
            "name": account.name,
            "roles": list(account.roles),
            "jurisdiction": list(account.jurisdiction),
        }
    )


@forwarding.route("/api/<service>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def forward(service: str, rest: str) -> Response:
    console = _console()
    settings = console.settings
    base = settings.services.get(service)
    if base is None:
        return _problem(404, "Not found", f"no service {service!r}; one of {', '.join(settings.services)}")
    target = api_path(rest)
    if target is None:
        return _problem(404, "Not found", "only a service's /v1/ API is reached through the console")
    headers = {h: request.headers[h] for h in FORWARDED_REQUEST if h in request.headers}
    provider = oidc_routes.provider_of(current_app)
    if provider is not None and "Authorization" not in headers:
        try:
            token = oidc_routes.access_token(provider)
        except oidc_routes.ForwardRefused as refused:
            return _problem(refused.status, refused.title, refused.detail, reason=refused.reason)
        if token:
            headers["Authorization"] = f"Bearer {token}"
    try:
        answer = console.session.request(
            request.method,
            f"{base}{target}",
            params=list(request.args.items(multi=True)),
            data=request.get_data(cache=False) if request.method != "GET" else None,
            headers=headers,
            timeout=settings.timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        response = _problem(503, "Service unavailable", f"{service} did not answer: {type(exc).__name__}")
        response.headers["Retry-After"] = "5"
        return response
    response = Response(answer.content, status=answer.status_code)
    for name in FORWARDED_RESPONSE:
        if name in answer.headers:
            response.headers[name] = answer.headers[name]
    if response.headers.get("Location", "").startswith("/"):
        response.headers["Location"] = f"/api/{service}{response.headers['Location']}"
    # Answers carry personal data and payment files: never kept in the browser's cache.
    response.headers.setdefault("Cache-Control", "no-store")
    return response
