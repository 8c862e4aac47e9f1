"""JWT rules: everything but a properly signed, current token for us, with the role, is refused."""

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from shared.auth import (
    AUDITOR,
    FIELD_STAFF,
    DevIssuer,
    JwksSource,
    Principal,
    TokenVerifier,
    require_role,
)
from shared.errors import Forbidden, NotAuthenticated


@pytest.fixture
def issuer(tmp_path):
    return DevIssuer(tmp_path / "issuer").ensure_keys()


@pytest.fixture
def verifier(issuer):
    return TokenVerifier(JwksSource(issuer.jwks_url), issuer="amparo-dev", audience="amparo")


def test_valid_token_gives_roles_and_jurisdiction(issuer, verifier):
    token = issuer.mint("ana", [FIELD_STAFF], ["HN-CH"], name="Ana")
    principal = verifier.verify(token)
    assert principal == Principal("ana", frozenset({FIELD_STAFF}), ("HN-CH",), "Ana")
    assert principal.covers("HN-CH") and principal.covers("HN-CH-0601")
    assert not principal.covers("HN-CHX") and not principal.covers("HN-CR")


def test_keys_are_created_once(issuer):
    kid = issuer.kid()
    assert issuer.ensure_keys().kid() == kid
    assert oct(issuer.private_key_path.stat().st_mode)[-3:] == "600"


def test_expired_token_refused(issuer, verifier):
    token = issuer.mint("ana", [FIELD_STAFF], ttl_seconds=-120)
    with pytest.raises(NotAuthenticated, match="expired"):
        verifier.verify(token)


def test_not_yet_valid_token_refused(issuer, verifier):
    token = issuer.mint("ana", [FIELD_STAFF], nbf=int(time.time()) + 600)
    with pytest.raises(NotAuthenticated, match="not valid yet"):
        verifier.verify(token)


def test_wrong_audience_refused(issuer, verifier):
    token = issuer.mint("ana", [FIELD_STAFF], aud="someone-else")
    with pytest.raises(NotAuthenticated, match="audience"):
        verifier.verify(token)


def test_wrong_issuer_refused(issuer, verifier):
    token = issuer.mint("ana", [FIELD_STAFF], iss="https://evil.example")
    with pytest.raises(NotAuthenticated, match="issuer"):
        verifier.verify(token)


def _b64(document) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def test_alg_none_refused(issuer, verifier):
    claims = jwt.decode(issuer.mint("ana", [AUDITOR]), options={"verify_signature": False})
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': issuer.kid()})}.{_b64(claims)}."
    with pytest.raises(NotAuthenticated, match="algorithm 'none'"):
        verifier.verify(unsigned)


def test_hs256_signed_with_the_public_key_refused(issuer, verifier):
    claims = jwt.decode(issuer.mint("ana", [AUDITOR]), options={"verify_signature": False})
    public_pem = (
        serialization.load_pem_private_key(issuer.private_key_path.read_bytes(), None)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": issuer.kid()})
    body = _b64(claims)
    import hashlib
    import hmac

    signature = (
        base64.urlsafe_b64encode(hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(NotAuthenticated, match="HS256"):
        verifier.verify(f"{header}.{body}.{signature}")


def test_token_signed_by_another_key_with_our_kid_refused(issuer, verifier, tmp_path):
    impostor = DevIssuer(tmp_path / "impostor").ensure_keys()
    claims = jwt.decode(issuer.mint("ana", [AUDITOR]), options={"verify_signature": False})
    forged = jwt.encode(claims, impostor._private_key(), algorithm="RS256", headers={"kid": issuer.kid()})
    with pytest.raises(NotAuthenticated, match="signature"):
        verifier.verify(forged)


def test_unknown_kid_refused(issuer, verifier, tmp_path):
    impostor = DevIssuer(tmp_path / "impostor").ensure_keys()
    with pytest.raises(NotAuthenticated, match="unknown key id"):
        verifier.verify(impostor.mint("ana", [AUDITOR]))


def test_tampered_payload_refused(issuer, verifier):
    header, body, signature = issuer.mint("ana", [FIELD_STAFF], ["HN-CH"]).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["jurisdiction"] = ["*"]
    with pytest.raises(NotAuthenticated, match="signature"):
        verifier.verify(f"{header}.{_b64(claims)}.{signature}")


def test_garbage_refused(verifier):
    with pytest.raises(NotAuthenticated, match="malformed"):
        verifier.verify("not-a-token")


def test_missing_role_forbidden(issuer, verifier):
    principal = verifier.verify(issuer.mint("ana", [AUDITOR]))
    with pytest.raises(Forbidden, match="field_staff"):
        require_role(principal, [FIELD_STAFF])
    require_role(principal, [FIELD_STAFF, AUDITOR])


def test_keycloak_realm_roles_are_read(issuer, verifier):
    token = issuer.mint("ana", [], realm_access={"roles": [AUDITOR]}, jurisdiction=["HN"])
    assert verifier.verify(token).roles == frozenset({AUDITOR})


def test_minting_unknown_role_is_refused(issuer):
    with pytest.raises(ValueError, match="unknown roles"):
        issuer.mint("ana", ["superuser"])
