"""Damage and needs after a hazard, in the field app: a registered household found in the offline
copy and assessed, and a family the registry lacked registered with its assessment in one record,
both without a connection, then synced; the registry holds exactly what was found."""

from __future__ import annotations

import uuid

import pytest

from shared.auth import AUDITOR
from tests.e2e.conftest import api
from tests.e2e.field_pages import (
    copy_downloaded,
    fill_household,
    open_field,
    registry,
    step,
    synced,
    waiting_records,
)
from tests.e2e.test_field_app import small_household

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def open_exercise(country):
    body = {
        "name": f"Fiona — este {uuid.uuid4().hex[:4]}",
        "incidents": ["FIONA-2022"],
        "admin_codes": ["DO-11"],
    }
    response = registry(country, "POST", "/v1/assessment-events", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def fill_assessment(page, root, finding):
    page.select_option(f"{root} [data-a=event_id]", finding["event_id"])
    page.select_option(f"{root} [data-a=dwelling_damage]", finding["dwelling_damage"])
    page.select_option(f"{root} [data-a=displacement]", finding["displacement"])
    if finding.get("shelter"):
        page.fill(f"{root} [data-a=shelter]", finding["shelter"])
    for name in ("livelihood_losses", "needs"):
        for value in finding[name]:
            page.check(f"{root} [data-a={name}][value={value}]")


def found_as_recorded(stored, finding, exercise):
    [kept] = [a for a in stored["assessments"] if a["event_id"] == exercise["id"]]

    def plain(values):  # lists in any order
        return {k: sorted(v) if isinstance(v, list) else v for k, v in values.items()}

    assert plain({k: kept[k] for k in finding}) == plain(finding)
    assert kept["incidents"] == ["FIONA-2022"] and kept["assessed_by"] == "campo-carla"


def test_a_registered_household_and_a_new_one_assessed_in_the_same_visit(context, country):
    exercise = open_exercise(country)
    listed = api(country, "registry", "/v1/households?admin_code=DO-11&limit=5", [AUDITOR])["items"]
    neighbour = listed[-1]
    page = context.new_page()
    open_field(page, country)
    copy_downloaded(page)
    context.set_offline(True)

    # A registered household, found in the offline copy: the visit alone.
    page.click("nav.views [data-view=find]")
    page.fill("#search", neighbour["registration_number"])
    page.click("#found li[data-household] button")
    page.click("#opened button.assess-household")
    visit = {
        "event_id": exercise["id"],
        "dwelling_damage": "partial",
        "displacement": "at_home",
        "shelter": None,
        "livelihood_losses": ["crops"],
        "needs": ["water", "food"],
    }
    fill_assessment(page, "#assess-form", visit)
    page.click("#assess-form button[type=submit]")
    page.wait_for_selector("#waiting:has-text('1')")

    # Next door, a family the registry lacks: registered and assessed in one record.
    page.click("nav.views [data-view=register]")
    family = small_household("Dulce María", "Guerrero Santana", "1975-12-12", 18.6201, -68.7044)
    fill_household(page, family, save=False)
    step(page, "assessment")
    displaced = {
        "event_id": exercise["id"],
        "dwelling_damage": "destroyed",
        "displacement": "shelter",
        "shelter": "Liceo Juan Pablo Duarte, Higüey",
        "livelihood_losses": ["livestock", "tools"],
        "needs": ["shelter", "water", "documents"],
    }
    fill_assessment(page, "#assessment-part", {**displaced, "shelter": None})
    page.click("#household button[type=submit]")
    assert page.inner_text(".field-error[data-pointer='/assessment/shelter']") == "say which shelter"
    page.fill("#assessment-part [data-a=shelter]", displaced["shelter"])
    page.click("#household button[type=submit]")
    page.wait_for_selector("#waiting:has-text('2')")
    records = waiting_records(page)
    assert [(r["household"] is None, r["assessment"]["dwelling_damage"]) for r in records] == [
        (True, "partial"),
        (False, "destroyed"),
    ]

    context.set_offline(False)
    synced(page, "created")
    synced(page, "updated")
    page.wait_for_selector("#waiting:has-text('0')")
    stored = registry(country, "GET", f"/v1/households/{neighbour['id']}").json()
    assert stored["version"] == neighbour["version"] + 1
    found_as_recorded(stored, visit, exercise)
    new = registry(country, "GET", f"/v1/households/{records[1]['household_id']}").json()
    assert new["members"][0]["given_names"] == "Dulce María"
    found_as_recorded(new, displaced, exercise)
