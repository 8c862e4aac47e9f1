"""Monitoring in headless Chromium: the auditor picks the demo's hazard event, reads its stages and
the people reached by sex, age and disability (each chart drawn beside the table of its numbers,
the numbers those the service serves), downloads the CSV, and reads it again in Spanish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.auth import AUDITOR
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
WAIT = 20_000


def shown(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def test_the_auditor_reads_who_a_hazard_event_reached_as_charts_tables_and_csv(
    context: Any, country: dict[str, Any], tmp_path: Path
) -> None:
    incident = country["incident"]["id"]
    [event] = [
        e
        for e in api(country, "transfers", "/v1/hazard-events", [AUDITOR])
        if incident in {a["incident_id"] for a in e["alerts"]}
    ]
    page = context.new_page()
    sign_in(page, country, "aud-pedro")
    page.click("nav button[data-tab=monitoring]")
    pane = page.locator("[data-pane=monitoring]")
    form = pane.locator("form[data-role=scope]")
    expect(form.locator(f"option[value='hazard-events/{event['id']}']")).to_have_count(1, timeout=WAIT)
    form.locator("select[name=scope]").select_option(f"hazard-events/{event['id']}")
    form.locator("button[type=submit]").click()
    report = pane.locator("[data-role=report]")
    expect(report.locator("canvas[data-chart=stages]")).to_have_count(1, timeout=WAIT)
    served = api(country, "transfers", f"/v1/monitoring/hazard-events/{event['id']}", [AUDITOR])
    assert served["stages"]["exposed"]["households"] > 100

    stages = report.locator("section", has=page.locator("canvas[data-chart=stages]")).locator("tbody tr")
    expect(stages).to_have_count(9)
    exposed = stages.nth(0).locator("td")
    expect(exposed.nth(1)).to_have_text(shown(served["stages"]["exposed"]["households"]))
    expect(exposed.nth(2)).to_have_text(shown(served["stages"]["exposed"]["people"]))
    people = report.locator("section", has=page.locator("canvas[data-chart=people-exposed]"))
    cells = served["people"]["exposed"]["by_sex_and_age"]
    first_band = people.locator("tbody tr").first.locator("td")
    expect(first_band.nth(1)).to_have_text(shown(cells["female"]["0_5"]["people"]))
    expect(first_band.nth(4)).to_have_text(shown(cells["male"]["0_5"]["with_disability"]))
    # Chart.js drew on each canvas (the library is served by the console, not fetched elsewhere).
    drawn = page.evaluate(
        "() => [...document.querySelectorAll('[data-pane=monitoring] canvas')]"
        ".map((c) => !!window.Chart.getChart(c))"
    )
    assert drawn and all(drawn)
    assert_accessible(page)

    with page.expect_download() as download:
        form.locator("[data-role=csv]").click()
    download.value.save_as(tmp_path / "m.csv")
    text = (tmp_path / "m.csv").read_text()
    assert text.startswith("section,stage,group,measure,value")
    assert f"stages,exposed,,households,{served['stages']['exposed']['households']}" in text

    page.screenshot(path=str(tmp_path / "monitoring.png"), full_page=True)
    page.click("#language")
    expect(report.locator("h3").first).to_have_text("Cobertura", timeout=WAIT)
    expect(stages.nth(0).locator("td").first).to_have_text("expuestos")
