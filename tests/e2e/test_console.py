"""The decision console in headless Chromium: sign in, the alert on the map, its exposure, a batch
approved by a second person, the pain.001 file downloaded, what-if and a household's why."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.auth import AUDITOR, CIVIL_PROTECTION
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_wrong_password_is_refused_with_a_message(context, country):
    page = context.new_page()
    page.goto(country["url"])
    page.fill("#sign-in input[name=username]", "coe-ana")
    page.fill("#sign-in input[name=password]", "not-the-password")
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#sign-in-error:has-text('wrong username or password')")
    assert page.is_hidden("#console")


def test_civil_protection_sees_the_alert_on_the_map_with_its_exposure(context, country):
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(country["url"]) else outside.append(r.url))
    sign_in(page, country, "coe-ana")
    page.wait_for_selector("#alert-list li:has-text('Huracán Fiona')")
    page.wait_for_selector("#alert h2:has-text('Fiona tocó tierra')")
    incident = api(country, "alerts", f"/v1/alerts/{country['incident']['id']}", [CIVIL_PROTECTION])
    exposure = incident["exposure"]
    summary = page.inner_text("#alert")
    shown = {k: page.inner_text(f"#alert [data-count={k}]") for k in ("households", "people")}
    assert {k: int(v.replace(",", "")) for k, v in shown.items()} == {
        "households": exposure["households"],
        "people": exposure["people"],
    }
    for label in ("Children under 5", "People 65+", "Persons with disabilities", "Female-headed households"):
        assert label in summary
    # Areas coloured by severity, the exposure grid, the footprint and the boundaries are drawn.
    page.wait_for_function("document.querySelectorAll('.leaflet-overlay-pane path').length > 40")
    colours = page.eval_on_selector_all(
        ".leaflet-overlay-pane path", "ps => ps.map(p => p.getAttribute('stroke'))"
    )
    assert "#7a0019" in colours  # the update's Extreme severity
    assert "Hazard footprints" in summary and "wind_speed" in summary
    # What the alert says, statement by statement, as the alert's summary has it.
    said = incident["current"]["statements"]
    rows = page.locator("#alert [data-statement]")
    assert rows.count() == len(said) >= 1
    assert "What the alert says" in summary and said[0]["severity"] in summary
    # Civil protection sees no batch and no household; nothing was loaded from another host.
    assert page.inner_text("#batches") == ""
    assert outside == []


def test_a_second_person_approves_and_the_payments_officer_downloads_the_pain001(context, country, tmp_path):
    page = context.new_page()
    sign_in(page, country, "ids-jose")
    page.wait_for_selector("#batches .batch")
    batch = page.locator(".batch", has=page.locator("form.review")).first
    batch_id = batch.get_attribute("data-batch")
    batch.locator("textarea[name=comment]").fill("Padrón revisado")
    batch.locator("button[name=approve]").click()
    page.wait_for_selector(f".batch[data-batch='{batch_id}'] [data-role=state]:has-text('approved')")
    decided = api(country, "transfers", f"/v1/batches/{batch_id}", [AUDITOR])
    assert decided["state"] == "approved" and decided["decided_by"] == "ids-jose"
    assert decided["audit"][-1]["comment"] == "Padrón revisado"

    page.click("#sign-out")
    sign_in(page, country, "ids-rosa")
    form = page.locator(f".batch[data-batch='{batch_id}'] form.payment-file")
    form.locator("select[name=channel]").select_option("bank_account")
    form.locator("select[name=format]").select_option("pain.001")
    with page.expect_download() as download:
        form.locator("button[type=submit]").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    content = path.read_text()
    assert "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" in content
    bank_payments = decided["payments_by_channel"]["bank_account"]
    assert content.count("<CdtTrfTxInf>") == bank_payments


def test_what_if_on_a_drawn_area_and_a_programme_variant(context, country):
    page = context.new_page()
    sign_in(page, country, "ids-luis")
    page.wait_for_selector("#alert h2")
    page.click("nav button[data-tab=what-if]")
    page.click("#draw")
    box = page.locator("#map").bounding_box()
    for dx, dy in ((0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)):
        page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
    page.click("#finish")
    page.wait_for_selector("#what-if-area h3")
    assert "Households" in page.inner_text("#what-if-area")

    page.fill("#variant input[name=base]", "100")
    page.click("#variant button[type=submit]")
    page.wait_for_selector("#what-if-programme table")
    cheap = page.inner_text("#what-if-programme")
    page.fill("#variant input[name=base]", "5000")
    page.click("#variant button[type=submit]")
    expect(page.locator("#what-if-programme")).not_to_have_text(cheap)


def test_a_households_decision_explained_in_spanish(context, country):
    batch = country["batches"][0]
    payments = api(country, "transfers", f"/v1/batches/{batch['id']}/payments?limit=1", [AUDITOR])
    household_id = payments["payments"][0]["household_id"]
    page = context.new_page()
    sign_in(page, country, "ids-luis")
    page.wait_for_selector("#alert h2")
    page.click("#language")
    page.wait_for_selector("nav button[data-tab=household]:has-text('Hogar')")
    page.click("nav button[data-tab=household]")
    page.fill("#household-form input[name=id]", household_id)
    page.click("#household-form button[type=submit]")
    page.wait_for_selector("#household-why li")
    assert "a pagar" in page.inner_text("#household-why")


def test_the_console_fits_a_phone_screen(browser, country):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, country, "coe-ana")
        page.wait_for_selector("#alert h2")
        # As many tabs as a person holding several roles gets: they wrap, none leaves the screen.
        own = page.locator("#panel nav button").count()
        page.evaluate(
            """names => names.forEach((name) => {
                const tab = document.createElement('button');
                tab.type = 'button';
                tab.textContent = name;
                document.querySelector('#panel nav').append(tab);
            })""",
            ["Importaciones", "Duplicados", "Programas", "Conciliación", "Auditoría", "Evaluaciones"],
        )
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert page.locator("#panel nav button").count() == own + 6
        controls = ["#sign-out", "#language"] + [f"#panel nav button >> nth={i}" for i in range(9)]
        for control in controls:
            box = page.locator(control).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, control
        assert page.locator("#map").bounding_box()["width"] <= 391
    finally:
        context.close()


def test_a_new_alert_appears_without_reloading(context, country):
    """Runs last in this file: the alert it issues becomes the newest."""
    from services import demo as country_demo

    page = context.new_page()
    sign_in(page, country, "coe-ana")
    page.wait_for_selector("#alert h2")
    coe = country_demo.client(country["stack"], "alerts", "e2e-coe", [CIVIL_PROTECTION], ["DO"])
    body = (
        (country_demo.DATA / "fiona-2022-coe-alert.xml")
        .read_text()
        .replace("DO-COE-2022-FIONA-001", "DO-COE-2022-LLUVIAS-007")
        .replace("Huracán Fiona", "Vaguada: lluvias intensas")
        .format(
            sent_alert="2026-11-25T10:00:00+00:00",
            onset_alert="2026-11-26T10:00:00+00:00",
            expires="2099-01-01T00:00:00+00:00",
        )
        .encode()
    )
    coe.call("POST", "/v1/alerts", data=body, headers={"Content-Type": "application/cap+xml"})
    page.wait_for_selector("#alert-list li:has-text('Vaguada: lluvias intensas')", timeout=45_000)
