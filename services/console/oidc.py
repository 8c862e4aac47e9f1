"""Signing in through the institution's OpenID Connect provider (Keycloak, say).

The console server is the provider's client: it runs the authorization code flow with PKCE,
``state`` and ``nonce`` (Authlib's Flask client), keeps the access and refresh tokens in its own
memory, refreshes them before they expire and adds the access token to every ``/api/…`` call
itself. The browser holds only an HttpOnly cookie naming its session and learns who is signed in
(name, roles, jurisdiction) from ``/auth/session``; no token ever reaches the page.

A sign-in is refused, with a message on the sign-in page, when the provider's access token is not
for Amparo's audience or carries no Amparo role; a session whose refresh the provider refuses has
ended. Signing out forgets the session here and sends the browser to the provider's
``end_session_endpoint``. The settings, the sessions and the provider are here; the routes are
in :mod:`services.console.oidc_routes`.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.requests_client import OAuth2Session

from shared.auth import ROLES, JwksSource, Principal, TokenVerifier
from shared.errors import NotAuthenticated

log = logging.getLogger(__name__)

#: Where the sign-in flow may return to: the console and the field app.
PLACES = ("/", "/field/")
#: No ``offline_access``: the refresh token then ends with the provider's session (sign-out).
DEFAULT_SCOPES = "openid profile"
#: A sign-in handshake (state, nonce, PKCE verifier) is kept this long, then forgotten.
HANDSHAKE_SECONDS = 600
#: At most this much before an access token expires, the console refreshes it.
REFRESH_MARGIN = 60


@dataclass(frozen=True)
class OidcSettings:
    """``AMPARO_CONSOLE_OIDC_*``: the provider, this console's client registration, the audience."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str = DEFAULT_SCOPES
    #: The audience the services expect (``AMPARO_JWT_AUDIENCE``).
    audience: str = "amparo"
    #: The console's own address as the provider sees it (the redirect URI is derived from it);
    #: taken from each request when unset.
    public_url: str | None = None

    @classmethod
    def from_environ(cls, environ: os._Environ[str] | dict[str, str]) -> OidcSettings | None:
        """``None`` when no provider is configured (the local account file is used instead)."""
        issuer = environ.get("AMPARO_CONSOLE_OIDC_ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        client_id = environ.get("AMPARO_CONSOLE_OIDC_CLIENT_ID", "").strip()
        if not client_id:
            raise ValueError("AMPARO_CONSOLE_OIDC_CLIENT_ID is needed with AMPARO_CONSOLE_OIDC_ISSUER")
        secret = environ.get("AMPARO_CONSOLE_OIDC_CLIENT_SECRET")
        secret_file = environ.get("AMPARO_CONSOLE_OIDC_CLIENT_SECRET_FILE")
        if secret_file:
            secret = Path(secret_file).read_text().strip()
        scopes = environ.get("AMPARO_CONSOLE_OIDC_SCOPES", DEFAULT_SCOPES).split()
        if "openid" not in scopes:
            raise ValueError("AMPARO_CONSOLE_OIDC_SCOPES must include openid")
        public_url = environ.get("AMPARO_CONSOLE_PUBLIC_URL", "").strip().rstrip("/") or None
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret or None,
            scopes=" ".join(scopes),
            audience=environ.get("AMPARO_JWT_AUDIENCE", "amparo"),
            public_url=public_url,
        )


class SignInRefused(Exception):
    """A sign-in or refresh the console does not accept; ``reason`` is shown on the sign-in page."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


@dataclass
class SignedIn:
    """One person's session with the provider, as the console keeps it."""

    principal: Principal
    access_token: str
    expires_at: float
    lifetime: float
    refresh_token: str | None
    id_token: str | None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def renew(self, renewed: SignedIn) -> None:
        """Take the refreshed tokens (under this session's lock, kept: one refresh at a time)."""
        self.principal, self.access_token = renewed.principal, renewed.access_token
        self.expires_at, self.lifetime = renewed.expires_at, renewed.lifetime
        self.refresh_token, self.id_token = renewed.refresh_token, renewed.id_token

    def who(self) -> dict[str, Any]:
        return {
            "username": self.principal.subject,
            "name": self.principal.name or self.principal.subject,
            "roles": sorted(self.principal.roles & set(ROLES)),
            "jurisdiction": list(self.principal.jurisdiction),
        }


class HandshakeCache:
    """Authlib's store for the sign-in handshakes: in this process's memory, each expiring."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            expires, value = self._values.get(key, (0.0, ""))
            return value if expires > time.time() else None

    def set(self, key: str, value: str, expires_in: int | None = None) -> None:
        now = time.time()
        with self._lock:
            self._values = {k: v for k, v in self._values.items() if v[0] > now}
            self._values[key] = (now + (expires_in or HANDSHAKE_SECONDS), value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


class Provider:
    """The OpenID provider as the console uses it, and the sessions signed in through it."""

    def __init__(self, settings: OidcSettings, oauth: OAuth):
        self.settings = settings
        self.client = oauth.register(
            "provider",
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            server_metadata_url=f"{settings.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": settings.scopes,
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": self.authentication(),
            },
        )
        self._verifier: TokenVerifier | None = None
        self._sessions: dict[str, SignedIn] = {}
        self._lock = threading.Lock()

    def authentication(self) -> str:
        """How the console proves itself at the token endpoint: a confidential client sends its
        secret; a public one (PKCE alone) sends none."""
        return "client_secret_basic" if self.settings.client_secret else "none"

    def metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = self.client.load_server_metadata()
        return metadata

    def verifier(self) -> TokenVerifier:
        """Checks the provider's access tokens as the services do: issuer, audience, keys."""
        if self._verifier is None:
            metadata = self.metadata()
            self._verifier = TokenVerifier(
                JwksSource(metadata["jwks_uri"]), issuer=metadata["issuer"], audience=self.settings.audience
            )
        return self._verifier

    def accept(self, token: dict[str, Any], previous: SignedIn | None = None) -> SignedIn:
        """The session a token response opens (or renews).

        :raise SignInRefused: the access token is not for Amparo, or grants no Amparo role.
        """
        access_token = token.get("access_token")
        if not isinstance(access_token, str):
            raise SignInRefused("failed", "the provider sent no access token")
        try:
            principal = self.verifier().verify(access_token)
        except NotAuthenticated as exc:
            audience = "audience" in str(exc)
            raise SignInRefused("audience" if audience else "failed", str(exc)) from exc
        if not principal.roles & set(ROLES):
            raise SignInRefused("no_role", f"{principal.subject} holds no Amparo role")
        lifetime = float(token.get("expires_in") or 300)
        return SignedIn(
            principal=principal,
            access_token=access_token,
            expires_at=time.time() + lifetime,
            lifetime=lifetime,
            refresh_token=token.get("refresh_token") or (previous.refresh_token if previous else None),
            id_token=token.get("id_token") or (previous.id_token if previous else None),
        )

    def open(self, signed_in: SignedIn) -> str:
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._sessions[sid] = signed_in
        return sid

    def find(self, sid: str | None) -> SignedIn | None:
        with self._lock:
            return self._sessions.get(sid) if sid else None

    def close(self, sid: str | None) -> SignedIn | None:
        with self._lock:
            return self._sessions.pop(sid, None) if sid else None

    def current(self, sid: str | None) -> SignedIn | None:
        """The session, its access token refreshed first when it is about to expire.

        :raise SignInRefused: the session ended (the provider refused the refresh); it is closed.
        """
        signed_in = self.find(sid)
        if signed_in is None:
            return None
        with signed_in.lock:
            margin = min(REFRESH_MARGIN, signed_in.lifetime / 2)
            if time.time() < signed_in.expires_at - margin:
                return signed_in
            try:
                signed_in.renew(self.refresh(signed_in))
            except SignInRefused:
                self.close(sid)
                raise
            return signed_in

    def refresh(self, signed_in: SignedIn) -> SignedIn:
        if not signed_in.refresh_token:
            raise SignInRefused("expired", "the session has expired")
        metadata = self.metadata()
        client = OAuth2Session(
            self.settings.client_id,
            self.settings.client_secret,
            token_endpoint_auth_method=self.authentication(),
        )
        try:
            with client:
                token = client.refresh_token(
                    metadata["token_endpoint"], refresh_token=signed_in.refresh_token, timeout=10
                )
        except (OAuthError, OSError, ValueError) as exc:
            raise SignInRefused("expired", f"the provider ended the session: {exc}") from exc
        return self.accept(dict(token), signed_in)

    def end_session_url(self, signed_in: SignedIn | None, return_to: str) -> str:
        """Where the browser goes to sign out at the provider too (``return_to`` when it can't)."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not endpoint:
            return return_to
        query = {"client_id": self.settings.client_id, "post_logout_redirect_uri": return_to}
        if signed_in is not None and signed_in.id_token:
            query["id_token_hint"] = signed_in.id_token
        separator = "&" if urlsplit(endpoint).query else "?"
        return f"{endpoint}{separator}{urlencode(query)}"
