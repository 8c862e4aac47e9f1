"""A running stack with a small country on it, and Debian's Chromium driven by Playwright.

The stack is the real one (broker, three services, console, each its own process); its world is
loaded the way the demo loads it: a registry import, two programmes, Hurricane Fiona's alert, its
update and the NHC wind swath. A failed test leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from services import demo as country_demo
from services.stack import Stack
from shared.auth import APPROVER

CHROMIUM = Path(os.environ.get("AMPARO_CHROMIUM", "/usr/bin/chromium"))
#: As the machine's own check starts it: no sandbox (root), no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOUSEHOLDS = 400


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="package")
def country(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The stack, its console's people and passwords, the alert, and the batches it proposed."""
    folder = tmp_path_factory.mktemp("country")
    stack = Stack(folder, ports={"registry": 0, "alerts": 0, "transfers": 0, "console": 0}).start()
    try:
        passwords = country_demo.write_console_accounts(stack)
        import_id, written = country_demo.load_registry(stack, HOUSEHOLDS, lambda _: None)
        country_demo.wait_for_projections(stack, written, import_id, lambda _: None, timeout=300)
        country_demo.define_programmes(stack, lambda _: None)
        incident = country_demo.replay_fiona(stack, lambda _: None)
        approver = country_demo.client(stack, "transfers", "e2e-approver", [APPROVER], ["DO"])
        batches = country_demo.proposed_batches(approver, incident["id"], timeout=120)
        assert batches, "no batch was proposed for the alert"
        yield {
            "stack": stack,
            "url": stack.url("console"),
            "passwords": passwords,
            "incident": incident,
            "batches": batches,
            "import_id": import_id,
        }
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="package")
def browser(playwright_driver: Any) -> Iterator[Any]:
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


def _screenshots_if_failed(context: Any, request: pytest.FixtureRequest) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for n, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}.png"), full_page=True)


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser profile per test; a screenshot of every open page if the test failed."""
    context = browser.new_context(accept_downloads=True, locale="en-GB")
    context.set_default_timeout(20_000)
    yield context
    _screenshots_if_failed(context, request)
    context.close()


@pytest.fixture
def profile(
    playwright_driver: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Any, Path]]:
    """A browser with its profile in a folder of its own on disk (as on a phone), and that folder:
    for looking at what the browser wrote there. Screenshots on failure, as :func:`context`."""
    folder = tmp_path / "chromium-profile"
    context = playwright_driver.chromium.launch_persistent_context(
        str(folder), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, locale="en-GB"
    )
    context.set_default_timeout(20_000)
    yield context, folder
    _screenshots_if_failed(context, request)
    context.close()


def sign_in(page: Any, country: dict[str, Any], username: str, path: str = "/") -> None:
    page.goto(f"{country['url']}{path}")
    page.fill("#sign-in input[name=username]", username)
    page.fill("#sign-in input[name=password]", country["passwords"][username])
    page.click("#sign-in button[type=submit]")


def api(country: dict[str, Any], service: str, path: str, roles: list[str]) -> Any:
    stack: Stack = country["stack"]
    token = stack.issuer.mint("e2e-check", roles, ["DO"])
    response = requests.get(
        f"{stack.url(service)}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    response.raise_for_status()
    return response.json()
