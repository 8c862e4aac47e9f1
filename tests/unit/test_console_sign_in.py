"""The console's two ways of signing in, as its settings and routes decide them (the flow against a
real provider is tested in tests/e2e/test_console_oidc.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from services.console.app import ConsoleSettings, create_app
from services.console.oidc import HandshakeCache, OidcSettings, SignedIn, SignInRefused
from services.console.oidc_routes import provider_of
from shared.auth import Principal
from shared.broker import free_port

ISSUER = "https://sso.example.gob/realms/amparo"
#: A provider that does not answer: nothing listens on this port of this machine.
DOWN = f"http://127.0.0.1:{free_port()}/realms/amparo"


def test_no_issuer_means_the_local_account_file(tmp_path: Path) -> None:
    settings = ConsoleSettings.from_environ({"AMPARO_DATA_DIR": str(tmp_path)})
    assert settings.oidc is None
    client = create_app(settings).test_client()
    assert client.get("/auth/session").get_json() == {"mode": "accounts"}


def test_the_provider_settings_are_read_with_the_services_audience(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    settings = OidcSettings.from_environ(
        {
            "AMPARO_CONSOLE_OIDC_ISSUER": f"{ISSUER}/",
            "AMPARO_CONSOLE_OIDC_CLIENT_ID": "amparo-console",
            "AMPARO_CONSOLE_OIDC_CLIENT_SECRET_FILE": str(secret),
            "AMPARO_JWT_AUDIENCE": "amparo-prod",
            "AMPARO_CONSOLE_PUBLIC_URL": "https://amparo.example.gob/",
        }
    )
    assert settings == OidcSettings(
        issuer=ISSUER,
        client_id="amparo-console",
        client_secret="s3cret",
        scopes="openid profile",
        audience="amparo-prod",
        public_url="https://amparo.example.gob",
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"AMPARO_CONSOLE_OIDC_ISSUER": ISSUER}, "CLIENT_ID is needed"),
        (
            {
                "AMPARO_CONSOLE_OIDC_ISSUER": ISSUER,
                "AMPARO_CONSOLE_OIDC_CLIENT_ID": "c",
                "AMPARO_CONSOLE_OIDC_SCOPES": "profile email",
            },
            "must include openid",
        ),
    ],
)
def test_an_incomplete_provider_setting_is_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OidcSettings.from_environ(environ)


def _oidc_app(tmp_path: Path, public_url: str | None = None):  # type: ignore[no-untyped-def]
    settings = ConsoleSettings.from_environ(
        {
            "AMPARO_DATA_DIR": str(tmp_path),
            "AMPARO_CONSOLE_OIDC_ISSUER": DOWN,
            "AMPARO_CONSOLE_OIDC_CLIENT_ID": "amparo-console",
            **({"AMPARO_CONSOLE_PUBLIC_URL": public_url} if public_url else {}),
        }
    )
    return create_app(settings)


def test_with_a_provider_the_local_sign_in_is_closed_and_nobody_is_signed_in(tmp_path: Path) -> None:
    client = _oidc_app(tmp_path).test_client()
    refused = client.post("/auth/sign-in", json={"username": "ana", "password": "x"})
    assert refused.status_code == 404
    assert "identity provider" in refused.get_json()["detail"]
    assert client.get("/auth/session").get_json() == {"mode": "oidc", "signed_in": None}


def test_the_session_cookie_is_http_only_lax_and_secure_behind_https(tmp_path: Path) -> None:
    plain = _oidc_app(tmp_path / "a").config
    assert plain["SESSION_COOKIE_HTTPONLY"] and plain["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert not plain["SESSION_COOKIE_SECURE"]
    assert _oidc_app(tmp_path / "b", "https://amparo.example.gob").config["SESSION_COOKIE_SECURE"]


def test_sign_in_returns_only_to_the_console_or_the_field_app(tmp_path: Path) -> None:
    app = _oidc_app(tmp_path)
    client = app.test_client()
    # The provider cannot be reached here: the page is sent back to where it may go, with why.
    answer = client.get("/auth/oidc/sign-in?next=https://elsewhere.example/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/?sign_in=unavailable"
    answer = client.get("/auth/oidc/sign-in?next=/field/")
    assert answer.headers["Location"] == "/field/?sign_in=unavailable"


def test_handshakes_are_forgotten_when_they_expire() -> None:
    cache = HandshakeCache()
    cache.set("a", "kept", 60)
    cache.set("b", "gone", 1)
    time.sleep(1.1)
    assert (cache.get("a"), cache.get("b")) == ("kept", None)
    cache.delete("a")
    assert cache.get("a") is None


def test_two_calls_at_once_refresh_a_session_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = provider_of(_oidc_app(tmp_path))
    assert provider is not None
    person = Principal("ana", frozenset({"approver"}), ("DO",), "Ana")
    sid = provider.open(SignedIn(person, "old", time.time() + 1, 60, "refresh-1", "id"))
    refreshed: list[str | None] = []

    def refresh(signed_in: SignedIn) -> SignedIn:
        refreshed.append(signed_in.refresh_token)
        time.sleep(0.3)
        return SignedIn(person, "new", time.time() + 60, 60, "refresh-2", "id")

    monkeypatch.setattr(provider, "refresh", refresh)
    calls = [threading.Thread(target=provider.current, args=(sid,)) for _ in range(2)]
    for call in calls:
        call.start()
    for call in calls:
        call.join()
    assert refreshed == ["refresh-1"]
    found = provider.find(sid)
    assert found is not None and (found.access_token, found.refresh_token) == ("new", "refresh-2")


def test_a_refused_refresh_ends_the_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = provider_of(_oidc_app(tmp_path))
    assert provider is not None
    person = Principal("ana", frozenset({"approver"}), ("DO",), "Ana")
    sid = provider.open(SignedIn(person, "old", time.time() - 1, 60, "refresh-1", "id"))

    def refused(_: SignedIn) -> SignedIn:
        raise SignInRefused("expired", "the provider ended the session")

    monkeypatch.setattr(provider, "refresh", refused)
    with pytest.raises(SignInRefused):
        provider.current(sid)
    assert provider.find(sid) is None
