"""Bearer-token verification against a JWKS, roles and jurisdictions, and the local dev issuer.

A token is accepted only when it is signed with an asymmetric algorithm by a key published in
the JWKS (looked up by ``kid``), names the expected issuer and audience, is within its validity
window, and carries a subject. ``alg: none`` and HMAC algorithms are never accepted, so a token
"signed" with the public key as an HMAC secret is refused.

Claims Amparo reads:

``roles``
    list of role names (Keycloak's ``realm_access.roles`` is read too);
``jurisdiction``
    list of admin codes the user may act in (``"HN"`` covers ``"HN-CR"`` and ``"HN-CR-01"``);
    ``"*"`` means everywhere.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.admin_codes import lies_within
from shared.errors import Forbidden, NotAuthenticated

log = logging.getLogger(__name__)

FIELD_STAFF = "field_staff"
REGISTRY_OFFICER = "registry_officer"
CIVIL_PROTECTION = "civil_protection"
PROGRAMME_OFFICER = "programme_officer"
APPROVER = "approver"
PAYMENTS_OFFICER = "payments_officer"
AUDITOR = "auditor"
#: Takes a household's complaint by phone and files it as a grievance.
HOTLINE_OPERATOR = "hotline_operator"
ROLES = (
    FIELD_STAFF,
    REGISTRY_OFFICER,
    CIVIL_PROTECTION,
    PROGRAMME_OFFICER,
    APPROVER,
    PAYMENTS_OFFICER,
    AUDITOR,
    HOTLINE_OPERATOR,
)

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
EVERYWHERE = "*"


@dataclass(frozen=True)
class Principal:
    """The verified caller: who they are, which roles they hold, where they may act."""

    subject: str
    roles: frozenset[str]
    jurisdiction: tuple[str, ...]
    name: str | None = None

    def has_any_role(self, roles: Iterable[str]) -> bool:
        """Whether the caller holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def covers(self, admin_code: str) -> bool:
        """Whether ``admin_code`` lies inside the caller's jurisdiction.

        Examples
        --------
        >>> Principal("u", frozenset(), ("HN-CR",)).covers("HN-CR-0801")
        True
        >>> Principal("u", frozenset(), ("HN-CR",)).covers("HN-CL")
        False
        """
        return any(area == EVERYWHERE or lies_within(admin_code, area) for area in self.jurisdiction)


def require_role(principal: Principal, roles: Sequence[str]) -> None:
    """:raise Forbidden: unless ``principal`` holds one of ``roles``."""
    if not principal.has_any_role(roles):
        raise Forbidden(f"this needs one of the roles {', '.join(roles)}", required_roles=list(roles))


class JwksSource:
    """Fetches a JWKS from ``file://`` or ``http(s)://`` and caches it.

    An unknown ``kid`` triggers one refresh (keys rotate), at most every ``min_refresh`` seconds,
    so a flood of forged ``kid`` values cannot hammer the identity provider.
    """

    def __init__(self, url: str, *, min_refresh: float = 30.0, timeout: float = 5.0):
        self.url = url
        self.min_refresh = min_refresh
        self.timeout = timeout
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def _fetch(self) -> dict[str, Any]:
        parts = urlsplit(self.url)
        if parts.scheme == "file":
            document = json.loads(Path(url2pathname(parts.path)).read_text())
        else:
            response = requests.get(self.url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        keys: dict[str, Any] = {}
        for jwk in document.get("keys", []):
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig" or "kid" not in jwk:
                continue
            try:
                keys[jwk["kid"]] = jwt.PyJWK(jwk)
            except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
                # One key this library cannot use (an encryption key, a new algorithm) must not
                # lock everyone out: skip it and keep the others.
                log.warning("skipping signing key %s: %s", jwk.get("kid"), exc)
        return keys

    def published_keys(self) -> dict[str, Any]:
        """Fetch the signing keys now, by ``kid`` (for a configuration check; not cached)."""
        return self._fetch()

    def key(self, kid: str) -> Any:
        """Return the verification key for ``kid``.

        :raise NotAuthenticated: if no such key is published (after one refresh).
        """
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.min_refresh:
                try:
                    self._keys = self._fetch()
                except (OSError, ValueError, requests.RequestException) as exc:
                    log.error("the signing keys at %s cannot be read: %s", self.url, exc)
                    raise NotAuthenticated("the token signing keys cannot be read right now") from exc
                finally:
                    self._fetched_at = time.monotonic()
            found = self._keys.get(kid)
        if found is None:
            raise NotAuthenticated(f"token signed with unknown key id {kid!r}")
        return found


class TokenVerifier:
    """Verifies bearer tokens and turns their claims into a :class:`Principal`."""

    def __init__(self, jwks: JwksSource, *, issuer: str, audience: str, leeway: int = 30):
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    def verify(self, token: str) -> Principal:
        """Return the principal of a valid token.

        :raise NotAuthenticated: naming why the token is refused.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise NotAuthenticated(f"malformed token: {exc}") from exc
        algorithm = header.get("alg")
        if algorithm not in ALLOWED_ALGORITHMS:
            raise NotAuthenticated(f"token algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise NotAuthenticated("token header has no key id (kid)")
        key = self.jwks.key(kid)
        if key.algorithm_name != algorithm:
            raise NotAuthenticated(f"key {kid!r} signs with {key.algorithm_name}, not {algorithm}")
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise NotAuthenticated("token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise NotAuthenticated("token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise NotAuthenticated(f"token is not for audience {self.audience!r}") from exc
        except jwt.InvalidIssuerError as exc:
            raise NotAuthenticated(f"token is not from issuer {self.issuer!r}") from exc
        except jwt.InvalidSignatureError as exc:
            raise NotAuthenticated("token signature does not verify") from exc
        except jwt.InvalidTokenError as exc:
            raise NotAuthenticated(f"token refused: {exc}") from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Read roles (``roles`` or Keycloak's ``realm_access.roles``) and ``jurisdiction``."""
    roles = claims.get("roles") or (claims.get("realm_access") or {}).get("roles") or []
    jurisdiction = claims.get("jurisdiction") or []
    if isinstance(jurisdiction, str):
        jurisdiction = [jurisdiction]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise NotAuthenticated("token claim 'roles' must be a list of strings")
    if not isinstance(jurisdiction, list) or not all(isinstance(j, str) for j in jurisdiction):
        raise NotAuthenticated("token claim 'jurisdiction' must be a list of admin codes")
    return Principal(
        subject=str(claims["sub"]),
        roles=frozenset(roles),
        jurisdiction=tuple(jurisdiction),
        name=claims.get("name") or claims.get("preferred_username"),
    )


class DevIssuer:
    """A local token issuer for the embedded stack: an RSA key on disk and its JWKS beside it.

    Never use it in production: anyone who can read the folder can mint any token.
    """

    def __init__(self, folder: Path, *, issuer: str = "amparo-dev", audience: str = "amparo"):
        self.folder = Path(folder)
        self.issuer = issuer
        self.audience = audience
        self.private_key_path = self.folder / "signing-key.pem"
        self.jwks_path = self.folder / "jwks.json"

    @property
    def jwks_url(self) -> str:
        """``file://`` URL of the published JWKS."""
        return self.jwks_path.resolve().as_uri()

    def ensure_keys(self) -> DevIssuer:
        """Create the signing key and JWKS once; later calls reuse them."""
        if self.private_key_path.exists() and self.jwks_path.exists():
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(self.private_key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": _thumbprint(jwk), "use": "sig", "alg": "RS256"})
        self.jwks_path.write_text(json.dumps({"keys": [jwk]}, indent=2))
        return self

    def _private_key(self) -> Any:
        return serialization.load_pem_private_key(self.private_key_path.read_bytes(), password=None)

    def kid(self) -> str:
        """Key id of the signing key."""
        return str(json.loads(self.jwks_path.read_text())["keys"][0]["kid"])

    def mint(
        self,
        subject: str,
        roles: Sequence[str],
        jurisdiction: Sequence[str] = (EVERYWHERE,),
        *,
        ttl_seconds: int = 3600,
        name: str | None = None,
        **extra_claims: Any,
    ) -> str:
        """Return a signed token for ``subject`` with ``roles`` over ``jurisdiction``."""
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}; known: {', '.join(ROLES)}")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": str(uuid.uuid4()),
            "roles": list(roles),
            "jurisdiction": list(jurisdiction),
        }
        if name:
            claims["name"] = name
        claims.update(extra_claims)
        return jwt.encode(claims, self._private_key(), algorithm="RS256", headers={"kid": self.kid()})


def _thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint of an RSA public key (base64url SHA-256)."""
    import base64
    import hashlib

    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
