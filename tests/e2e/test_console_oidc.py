"""Signing in through the institution's OpenID provider, in Chromium, against a real provider
(panva's oidc-provider, started here) that the stack's services trust: sign-in and the services
accepting the provider's token, no token in the page; a token for another audience and a person
with no Amparo role refused with a message; the access token refreshed before it expires and an
ended session signed out with a message; signing out ending the provider's session too; the
field app signing in the same way, its records locked with a device passphrase."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from services.console.oidc import OidcSettings
from services.stack import Stack
from shared.broker import free_port
from tests.e2e.accessibility import assert_accessible
from tests.e2e.field_pages import controlled_by_service_worker, fill_household, synced
from tests.e2e.identity_provider import IdentityProvider, ThreadConsole
from tests.e2e.test_field_app import small_household

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery"
PEOPLE = {
    "olga": {"name": "Olga Peña", "roles": ["civil_protection", "programme_officer"], "jurisdiction": ["DO"]},
    "fabio": {"name": "Fabio Mena", "roles": ["field_staff"], "jurisdiction": ["DO-11"]},
    "aurora": {"name": "Aurora Auditora", "roles": ["auditor"], "jurisdiction": ["DO"]},
    "nadia": {"name": "Nadia Sin Rol", "roles": ["offline_access"], "jurisdiction": ["DO"]},
    # Short-lived tokens: refreshed after 2 s; refreshes refused 4 s after the sign-in.
    "rita": {"name": "Rita Ruiz", "roles": ["civil_protection"], "jurisdiction": ["DO"], "access_seconds": 4},
    "bruno": {
        "name": "Bruno Breve",
        "roles": ["civil_protection"],
        "jurisdiction": ["DO"],
        "access_seconds": 2,
        "refresh_seconds": 4,
    },
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The provider; a stack whose services trust it; a console for Amparo and one registered as
    a client whose tokens are for another application."""
    folder = tmp_path_factory.mktemp("oidc")
    # "public" is registered with no secret (PKCE alone), as the Keycloak realm's client is.
    ports = {"amparo": free_port(), "other": free_port(), "public": free_port()}
    secrets = {name: None if name == "public" else f"{name}-secret" for name in ports}
    clients = [
        {
            "client_id": name,
            "client_secret": secrets[name],
            "redirect_uris": [f"http://127.0.0.1:{port}/auth/oidc/callback"],
            "post_logout_redirect_uris": [f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{port}/field/"],
            "audience": "another-application" if name == "other" else "amparo",
        }
        for name, port in ports.items()
    ]
    accounts = {username: {"password": PASSWORD, **person} for username, person in PEOPLE.items()}
    provider = IdentityProvider(folder, clients, accounts).start()
    trust = {"AMPARO_JWKS_URL": f"{provider.issuer}/jwks", "AMPARO_JWT_ISSUER": provider.issuer}
    ports_of_services = {n: 0 for n in ("registry", "alerts", "transfers")}
    stack = Stack(folder / "stack", ports=ports_of_services, extra_env=trust, with_console=False)
    consoles: dict[str, ThreadConsole] = {}
    try:
        stack.start()
        services = {name: service.url for name, service in stack.services.items()}
        for name, port in ports.items():
            settings = OidcSettings(
                issuer=provider.issuer,
                client_id=name,
                client_secret=secrets[name],
                public_url=f"http://127.0.0.1:{port}",
            )
            consoles[name] = ThreadConsole(folder / name, services, settings, port).start()
        yield {"provider": provider, "stack": stack, **consoles}
    finally:
        for console in consoles.values():
            console.stop()
        stack.stop()
        provider.stop()


def local_page(context: Any) -> Any:
    """A page of ``context`` that reaches this machine only."""
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith("http://127.0.0.1:") else route.abort()
        ),
    )
    return context.new_page()


@pytest.fixture
def page(context: Any) -> Any:
    return local_page(context)


def sign_in(page: Any, console: ThreadConsole, username: str, place: str = "/") -> None:
    """Through the provider's own sign-in form, from the console's (or field app's) page."""
    page.goto(f"{console.url}{place}")
    page.click("#provider-sign-in a")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.url}{place}*")


def in_page(page: Any, path: str) -> tuple[int, Any]:
    """A call from the page, with only what the page holds (its cookie): status and body."""
    answer = page.evaluate(
        "p => fetch(p).then(async r => [r.status, await r.json()])",
        path,
    )
    return answer[0], answer[1]


def test_signed_in_through_the_provider_the_services_accept_its_token(page, world):
    console = world["amparo"]
    page.goto(console.url)
    page.wait_for_selector("#provider-sign-in a:visible")
    assert not page.is_visible("#sign-in input[name=password]")
    assert_accessible(page)

    sign_in(page, console, "olga")
    page.wait_for_selector("#who:has-text('Olga Peña')")
    assert "programme_officer" in page.inner_text("#who")
    assert page.is_visible("#console") and not page.is_visible("#sign-in")
    status, alerts = in_page(page, "/api/alerts/v1/alerts")
    assert status == 200 and isinstance(alerts, list)

    # The services took the provider's token: the subject they saw is the provider's.
    [signed_in] = console.provider._sessions.values()
    assert signed_in.principal.subject == "olga"
    assert signed_in.principal.jurisdiction == ("DO",)
    # The page holds no token: not in its storage, not readable in a cookie.
    storage = page.evaluate("JSON.stringify([{...sessionStorage}, {...localStorage}, document.cookie])")
    assert signed_in.access_token not in storage and "token" not in storage
    [cookie] = [c for c in page.context.cookies() if c["name"] == "amparo_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # The same cookie from another site cannot change anything.
    refused = requests.post(
        f"{console.url}/api/alerts/v1/alerts/what-if",
        cookies={"amparo_console": cookie["value"]},
        headers={"Origin": "http://127.0.0.1:1"},
        json={},
        timeout=10,
    )
    assert refused.status_code == 403 and refused.json()["reason"] == "origin"


def test_a_token_for_another_application_is_refused(page, world):
    console = world["other"]
    sign_in(page, console, "olga")
    page.wait_for_selector("#sign-in-error:has-text('not set up for Amparo')")
    assert not page.is_visible("#console")
    assert in_page(page, "/auth/session")[1]["signed_in"] is None
    assert not console.provider._sessions


def test_a_person_with_no_amparo_role_is_refused(browser, page, world):
    console = world["amparo"]
    sign_in(page, console, "nadia")
    page.wait_for_selector("#sign-in-error:has-text('hold no role in Amparo')")
    assert in_page(page, "/auth/session")[1]["signed_in"] is None
    assert in_page(page, "/api/alerts/v1/alerts")[0] == 401
    assert not console.provider._sessions or all(
        s.principal.subject != "nadia" for s in console.provider._sessions.values()
    )
    assert_accessible(page)

    spanish = browser.new_context(locale="es-DO")
    try:
        page = local_page(spanish)
        sign_in(page, console, "nadia")
        page.wait_for_selector("#sign-in-error:has-text('no tiene ningún rol en Amparo')")
        assert page.inner_text("#provider-sign-in a") == "Ingresar con su institución"
    finally:
        spanish.close()


def test_the_access_token_is_refreshed_before_it_expires(page, world):
    console = world["amparo"]
    sign_in(page, console, "rita")
    page.wait_for_selector("#who:has-text('Rita Ruiz')")
    [kept] = [v for v in console.provider._sessions.values() if v.principal.subject == "rita"]
    first_token, first_expiry = kept.access_token, kept.expires_at
    time.sleep(2.5)  # past half the token's 4 s: the next call refreshes it first
    assert in_page(page, "/api/alerts/v1/alerts")[0] == 200
    assert kept.access_token != first_token
    assert kept.expires_at > first_expiry


def test_a_public_client_signs_in_and_refreshes_with_pkce_alone(page, world):
    console = world["public"]
    assert console.provider.authentication() == "none"
    sign_in(page, console, "rita")
    page.wait_for_selector("#who:has-text('Rita Ruiz')")
    [kept] = console.provider._sessions.values()
    first_token = kept.access_token
    time.sleep(2.5)
    assert in_page(page, "/api/alerts/v1/alerts")[0] == 200
    assert kept.access_token != first_token


def test_an_ended_session_signs_out_with_a_message(page, world):
    console = world["amparo"]
    sign_in(page, console, "bruno")
    page.wait_for_selector("#who:has-text('Bruno Breve')")
    page.wait_for_load_state("networkidle")  # the console's first calls are done
    time.sleep(6)  # the provider's session (4 s from the sign-in) has ended: no refresh any more
    page.reload()
    page.wait_for_selector("#sign-in-error:has-text('Your session has ended')")
    # Said once: the next visit is a plain sign-in page.
    assert in_page(page, "/auth/session")[1] == {"mode": "oidc", "signed_in": None}
    assert not page.is_visible("#console")
    assert not [s for s in console.provider._sessions.values() if s.principal.subject == "bruno"]


def test_signing_out_ends_the_session_at_the_provider_too(page, world):
    console = world["amparo"]
    sign_in(page, console, "olga")
    page.wait_for_selector("#who:has-text('Olga Peña')")
    cookie = next(c for c in page.context.cookies() if c["name"] == "amparo_console")
    page.click("#sign-out")
    page.click("button[name=logout]")  # the provider asks before it ends its session
    page.wait_for_url(f"{console.url}/")
    page.wait_for_selector("#provider-sign-in a:visible")
    # The old cookie opens nothing any more.
    replay = requests.get(
        f"{console.url}/api/alerts/v1/alerts", cookies={"amparo_console": cookie["value"]}, timeout=10
    )
    assert replay.status_code == 401
    # Signing in again asks for the password: the provider's session ended too.
    page.click("#provider-sign-in a")
    page.wait_for_selector("input[name=password]")
    assert page.url.startswith(world["provider"].issuer)


def test_the_field_app_signs_in_the_same_way_and_opens_the_device_with_a_passphrase(
    browser, context, page, world
):
    console = world["amparo"]
    page.goto(f"{console.url}/field/")
    page.wait_for_selector("#provider-sign-in a:visible")
    assert not page.is_visible("#sign-in input[name=password]")
    sign_in(page, console, "fabio", "/field/")
    page.wait_for_selector("#device-lock:visible")
    assert page.input_value("#sign-in input[name=username]") == "fabio"
    assert page.is_visible("#sign-in :text('Device passphrase')")
    page.fill("#sign-in input[name=password]", "short")
    page.click("#unlock")
    page.wait_for_selector("#sign-in-error:has-text('at least 8 characters')")
    page.fill("#sign-in input[name=password]", "mango tree by the river")
    page.click("#unlock")
    page.wait_for_selector("#app:not([hidden])")
    fill_household(page, small_household("Dulce", "Oidc Santana", "1988-02-14", 18.6150, -68.7070))
    [household_id] = synced(page, "created")

    # The registry stored the household as registered by the provider's person (read by an
    # auditor signed in through the provider on another device).
    elsewhere = browser.new_context(locale="en-GB")
    try:
        auditor = local_page(elsewhere)
        sign_in(auditor, console, "aurora")
        auditor.wait_for_selector("#who:has-text('Aurora Auditora')")
        status, history = in_page(auditor, f"/api/registry/v1/households/{household_id}/history")
    finally:
        elsewhere.close()
    assert status == 200, history
    assert {entry["changed_by"] for entry in history} == {"fabio"}, history

    # With no connection, the passphrase alone opens the records kept on the device.
    controlled_by_service_worker(page)
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#device-lock:visible")
    page.fill("#sign-in input[name=username]", "fabio")
    page.fill("#sign-in input[name=password]", "not the passphrase")
    page.click("#unlock")
    page.wait_for_selector("#sign-in-error:has-text('Wrong passphrase')")
    page.fill("#sign-in input[name=password]", "mango tree by the river")
    page.click("#unlock")
    page.wait_for_selector("#app:not([hidden])")
    context.set_offline(False)
