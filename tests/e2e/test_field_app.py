"""The field app in headless Chromium: three households registered without a connection, kept on
the device, synced through the registry's batch endpoint when the connection returns."""

from __future__ import annotations

import pytest

from shared.auth import AUDITOR
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

#: Three homes in Higüey and around (La Altagracia, DO-11).
HOMES = [
    ("Yocasta", "Mercedes Rijo", "1984-05-02", 18.6150, -68.7070),
    ("Ramón", "Cedano", "1969-11-23", 18.6232, -68.6981),
    ("Altagracia", "Guerrero", "1991-01-30", 18.5894, -68.7112),
]


def register(page, given, family, birth, lat, lon, members=()):
    page.fill("#household input[name=given_names]", given)
    page.fill("#household input[name=family_names]", family)
    page.select_option("#household select[name=sex]", "female")
    page.fill("#household input[name=birth_date]", birth)
    for n, (age, relationship) in enumerate(members):
        page.click("#add-member")
        row = page.locator("#members .member").nth(n)
        row.locator("input[name=m_given]").fill(f"Persona {n}")
        row.locator("input[name=m_family]").fill(family)
        row.locator("input[name=m_age]").fill(str(age))
        row.locator("select[name=m_relationship]").select_option(relationship)
    page.fill("#household input[name=lat]", str(lat))
    page.fill("#household input[name=lon]", str(lon))
    page.fill("#household input[name=accuracy_m]", "6")
    page.check("#household input[name=consent]")
    page.click("#household button[type=submit]")


def test_three_households_registered_offline_sync_when_back_online(context, country):
    page = context.new_page()
    sign_in(page, country, "campo-carla", "/field/")
    page.wait_for_selector("#app:not([hidden])")
    assert page.input_value("#household input[name=admin_code]") == "DO-11"
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function("navigator.serviceWorker.controller !== null || location.reload()", timeout=20_000)

    # Offline for real: the console itself is stopped, so the reload can only come from the
    # service worker's cache (Chromium's offline mode may not cover a worker's own requests).
    console = country["stack"].services["console"]
    console.stop()
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#network.offline")
    members = [(), [(3, "child")], [(3, "grandchild"), (71, "parent")]]
    for (given, family, birth, lat, lon), others in zip(HOMES, members, strict=True):
        register(page, given, family, birth, lat, lon, others)
    page.wait_for_selector("#waiting:has-text('3')")
    assert page.locator("#queue li").count() == 3
    records = page.evaluate("JSON.parse(localStorage.getItem('amparo.field.queue.campo-carla'))")
    assert len(records) == 3

    console.start().wait_ready()
    context.set_offline(False)
    page.wait_for_selector("#waiting:has-text('0')", timeout=30_000)
    statuses = page.eval_on_selector_all("#results li", "ls => ls.map(l => l.dataset.status)")
    assert statuses == ["created"] * 3
    for record, (given, *_rest) in zip(records, HOMES, strict=True):
        household = api(country, "registry", f"/v1/households/{record['household_id']}", [AUDITOR])
        assert household["admin_code"] == "DO-11"
        assert household["members"][0]["given_names"] == given
    sizes = [
        api(country, "registry", f"/v1/households/{r['household_id']}", [AUDITOR])["size"] for r in records
    ]
    assert sizes == [1, 2, 3]


def test_a_refused_record_stays_on_the_device_with_the_reason(context, country):
    page = context.new_page()
    sign_in(page, country, "campo-carla", "/field/")
    page.wait_for_selector("#app:not([hidden])")
    # Outside Carla's jurisdiction: the registry refuses it and the record stays, with the reason.
    page.fill("#household input[name=admin_code]", "DO-32")
    register(page, "Juana", "Pérez", "1990-02-02", 18.50, -69.85)
    page.wait_for_selector("#results li[data-status=rejected]")
    page.wait_for_selector("#waiting:has-text('1')")
    assert "rejected" in page.inner_text("#queue")
    assert "outside your jurisdiction" in page.inner_text("#queue")
    # In Spanish the app asks for Spanish (Accept-Language), and the registry's reason comes in it.
    page.click("#language")
    page.fill("#household input[name=admin_code]", "DO-32")
    register(page, "Rosa", "Díaz", "1992-03-03", 18.51, -69.86)
    page.wait_for_selector("#waiting:has-text('2')")
    page.wait_for_selector("#queue li:has-text('está fuera de su jurisdicción')")
