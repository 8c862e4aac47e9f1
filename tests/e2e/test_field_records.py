"""The field app in headless Chromium: a household with everything the registry takes registered
and read back exactly; found in the offline copy; changed and synced; a conflict with someone
else's change shown with both versions, each choice leading where it says."""

from __future__ import annotations

import copy
import uuid

import pytest

from tests.e2e.field_pages import (
    FULL_HOUSEHOLD,
    as_input,
    change_directly,
    copy_downloaded,
    fill_household,
    fill_member,
    household,
    open_field,
    register_directly,
    registry,
    step,
    stored_as_sent,
    synced,
    waiting_records,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]


def test_a_full_household_is_stored_by_the_registry_exactly_as_entered(context, country):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_field(page, country)
    fill_household(page, FULL_HOUSEHOLD)
    [household_id] = synced(page)
    stored = registry(country, "GET", f"/v1/households/{household_id}").json()
    stored_as_sent(stored, FULL_HOUSEHOLD)
    assert waiting_records(page) == []
    assert errors == []


def family_of_their_own(country):
    """A household registered through the API with a family name no other household has."""
    family = f"Rijo {uuid.uuid4().hex[:8]}"
    members = copy.deepcopy(FULL_HOUSEHOLD["members"])
    for member in members:
        member["family_names"] = family
    consent = {**FULL_HOUSEHOLD["consent"], "given_by": f"Yocasta {family}"}
    return family, register_directly(country, household(members=members, consent=consent))


def find(page, text):
    page.click("nav.views [data-view=find]")
    page.fill("#search", text)
    return page.locator("#found li[data-household]")


def test_found_offline_in_the_copy_then_changed_and_synced_on_its_version(context, country):
    family, registered = family_of_their_own(country)
    page = context.new_page()
    open_field(page, country)
    copy_downloaded(page)

    context.set_offline(True)
    found = find(page, family.split()[1])
    assert found.count() == 1 and found.get_attribute("data-household") == registered["id"]
    found.locator("button").click()
    page.wait_for_selector("#opened:has-text('open this household once')")  # only the summary offline

    context.set_offline(False)
    found.locator("button").click()
    page.click("#opened button.edit-household")
    # What the registry shows masked (documents, phones; identifiers not at all) is sent back as
    # it is, and the registry keeps what it stores.
    body = as_input(registered)  # as a registry officer reads it: in clear
    step(page, "home")
    page.select_option("#household select[name=roof]", "concrete")
    step(page, "people")
    fill_member(
        page,
        4,
        {
            "given_names": "Nené",
            "family_names": family,
            "sex": "male",
            "relationship": "grandchild",
            "age_estimate": 0,
        },
    )
    page.click("#household button[type=submit]")
    synced(page, "updated")

    stored = registry(country, "GET", f"/v1/households/{registered['id']}").json()
    assert stored["version"] == 2 and stored["size"] == 5 and stored["dwelling"]["roof"] == "concrete"
    assert [m["id"] for m in stored["members"][:4]] == [m["id"] for m in registered["members"]]
    body["dwelling"]["roof"] = "concrete"
    stored_as_sent({**stored, "members": stored["members"][:4]}, body)


def change_offline(context, page, family, registered, roof):
    """Open the household online, change its roof, and save the change while offline."""
    copy_downloaded(page)
    find(page, family.split()[1]).locator("button").click()
    page.click("#opened button.edit-household")
    step(page, "home")
    page.select_option("#household select[name=roof]", roof)
    context.set_offline(True)
    page.click("#household button[type=submit]")
    page.wait_for_selector("#waiting:has-text('1')")


def conflict_rows(page):
    page.click("nav.views [data-view=waiting]")
    page.click("#queue li[data-status=conflict] button.resolve")
    page.wait_for_selector("#conflict table")
    rows = page.eval_on_selector_all(
        "#conflict tr", "rs => rs.slice(1).map(r => [...r.children].map(c => c.textContent.trim()))"
    )
    return {label: values for label, *values in rows}


def test_a_conflict_shows_both_versions_and_mine_is_reapplied_on_theirs(context, country):
    family, registered = family_of_their_own(country)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    open_field(page, country)
    change_offline(context, page, family, registered, roof="concrete")
    change_directly(country, registered["id"], services__water_source="well", address="Calle Nueva 3")

    context.set_offline(False)
    synced(page, "conflict")
    rows = conflict_rows(page)
    assert rows["Roof"] == ["sheet metal", "sheet metal", "concrete"]
    assert rows["Water source"] == ["public tap", "well", "public tap"]
    assert rows["Address"] == ["Calle Duarte 12, Higüey", "Calle Nueva 3", "Calle Duarte 12, Higüey"]

    page.click("#conflict button.reapply-mine")
    assert page.input_value("#household select[name=roof]") == "concrete"
    assert page.input_value("#household select[name=water_source]") == "well"
    page.click("#household button[type=submit]")  # the worker's full phones and documents carried over
    synced(page, "updated")
    stored = registry(country, "GET", f"/v1/households/{registered['id']}").json()
    assert stored["version"] == 3
    assert (stored["dwelling"]["roof"], stored["services"]["water_source"], stored["address"]) == (
        "concrete",
        "well",
        "Calle Nueva 3",
    )
    assert [m["phone"] for m in stored["members"]] == [m["phone"] for m in registered["members"]]
    assert stored["payment"] == registered["payment"]
    assert page.locator("#queue li[data-client]").count() == 0


def test_a_conflict_resolved_by_keeping_theirs_leaves_the_registry_as_they_left_it(context, country):
    family, registered = family_of_their_own(country)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    open_field(page, country)
    change_offline(context, page, family, registered, roof="concrete")
    theirs = change_directly(country, registered["id"], dwelling__roof="tile")

    context.set_offline(False)
    synced(page, "conflict")
    assert conflict_rows(page)["Roof"] == ["sheet metal", "tile", "concrete"]
    page.click("#conflict button.keep-theirs")
    page.wait_for_selector("#queue li:has-text('Nothing waiting')")
    stored = registry(country, "GET", f"/v1/households/{registered['id']}").json()
    assert stored["version"] == theirs["version"] == 2 and stored["dwelling"]["roof"] == "tile"
    find(page, family.split()[1]).locator("button").click()
    page.wait_for_selector("#opened:has-text('version 2')")
