"""The routes of signing in through the OpenID provider (see :mod:`services.console.oidc`):
``/auth/oidc/sign-in``, ``/auth/oidc/callback``, ``/auth/session``, ``/auth/sign-out``, and the
access token added to each forwarded call."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request, session

from services.console.oidc import PLACES, HandshakeCache, OidcSettings, Provider, SignInRefused

log = logging.getLogger(__name__)


class ForwardRefused(Exception):
    """A call the console does not forward with the session's token (``status``, ``title``)."""

    def __init__(self, status: int, title: str, detail: str, reason: str):
        super().__init__(detail)
        self.status, self.title, self.detail, self.reason = status, title, detail, reason


#: The cookie-backed Flask session holds only these: the server session's id and, during sign-in,
#: where to return (Authlib keeps its handshake keys there too, the values in HandshakeCache).
SESSION_ID = "amparo.sid"
RETURN_TO = "amparo.return_to"
#: Set when the session ended (not signed out): the next ``/auth/session`` says so, once.
ENDED = "amparo.ended"
sign_in_flow = Blueprint("oidc", __name__)


def provider_of(app: Flask) -> Provider | None:
    found: Provider | None = app.extensions.get("amparo.oidc")
    return found


def install(app: Flask, settings: OidcSettings) -> Provider:
    """Sign in through ``settings``' provider on ``app``: its cookie, its routes."""
    app.secret_key = secrets.token_bytes(32)
    app.config.update(
        SESSION_COOKIE_NAME="amparo_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(settings.public_url or "").startswith("https://"),
    )
    oauth = OAuth(app, cache=HandshakeCache())
    provider = Provider(settings, oauth)
    app.extensions["amparo.oidc"] = provider
    app.register_blueprint(sign_in_flow)
    return provider


def _provider() -> Provider:
    provider = provider_of(current_app)
    assert provider is not None
    return provider


def _base_url() -> str:
    return _provider().settings.public_url or request.host_url.rstrip("/")


def _back(place: str, reason: str) -> Response:
    return redirect(f"{place}?{urlencode({'sign_in': reason})}")


@sign_in_flow.get("/auth/oidc/sign-in")
def start() -> Response:
    place = request.args.get("next", "/")
    session[RETURN_TO] = place if place in PLACES else "/"
    try:
        response: Response = _provider().client.authorize_redirect(f"{_base_url()}/auth/oidc/callback")
    except (requests.RequestException, OAuthError, ValueError, KeyError) as exc:
        log.warning("the identity provider cannot be reached: %s", exc)
        return _back(session.pop(RETURN_TO, "/"), "unavailable")
    return response


@sign_in_flow.get("/auth/oidc/callback")
def callback() -> Response:
    provider = _provider()
    place = session.pop(RETURN_TO, "/")
    try:
        signed_in = provider.accept(provider.client.authorize_access_token())
    except SignInRefused as exc:
        log.info("sign-in refused (%s): %s", exc.reason, exc)
        return _back(place, exc.reason)
    except (OAuthError, ValueError, KeyError) as exc:
        log.info("sign-in failed: %s", exc)
        return _back(place, "failed")
    except requests.RequestException as exc:
        log.warning("the identity provider cannot be reached: %s", exc)
        return _back(place, "unavailable")
    provider.close(session.get(SESSION_ID))
    session.pop(ENDED, None)
    session[SESSION_ID] = provider.open(signed_in)
    return redirect(place)


def who() -> Response:
    """Who is signed in (name, roles, jurisdiction), never a token; ``ended`` when it just ended."""
    try:
        signed_in = _provider().current(session.get(SESSION_ID))
    except SignInRefused:
        _ended()
        signed_in = None
    if signed_in is None:
        if session.pop(ENDED, False):
            return jsonify({"mode": "oidc", "signed_in": None, "ended": True})
        return jsonify({"mode": "oidc", "signed_in": None})
    return jsonify({"mode": "oidc", "signed_in": signed_in.who()})


@sign_in_flow.post("/auth/sign-out")
def sign_out() -> Response:
    """Forget the session here; the page then goes to the provider to end it there too."""
    provider = _provider()
    body = request.get_json(silent=True)
    place = body.get("next") if isinstance(body, dict) else None
    signed_in = provider.close(session.get(SESSION_ID))
    session.clear()
    return_to = f"{_base_url()}{place if place in PLACES else '/'}"
    return jsonify({"location": provider.end_session_url(signed_in, return_to)})


def _ended() -> None:
    session.pop(SESSION_ID, None)
    session[ENDED] = True


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        own = urlsplit(_base_url())
        return origin.rstrip("/") == f"{own.scheme}://{own.netloc}"
    return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")


def access_token(provider: Provider) -> str | None:
    """The access token of the caller's session, refreshed when due; ``None`` with no session.

    :raise ForwardRefused: the session ended, or a change comes from another site (the cookie
        alone must not let another page act on the person's behalf).
    """
    sid = session.get(SESSION_ID)
    if sid is None:
        return None
    if request.method != "GET" and not _same_origin():
        detail = "changes are accepted from the console's own pages only"
        raise ForwardRefused(403, "Forbidden", detail, "origin")
    try:
        signed_in = provider.current(sid)
    except SignInRefused as exc:
        _ended()
        detail = "your session has ended: sign in again"
        raise ForwardRefused(401, "Not signed in", detail, exc.reason) from exc
    return signed_in.access_token if signed_in else None
