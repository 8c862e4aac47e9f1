"""The field app in headless Chromium, on and off line: households registered with no connection
at all (the page reloaded from the service worker's cache, the device unlocked with the password
alone) and synced when the connection returns; a record the registry refuses kept with the
registry's reasons beside the fields; records of the app's earlier version moved into the locked
store; a full device saying so while the form keeps what was entered."""

from __future__ import annotations

import uuid

import pytest

from shared.auth import AUDITOR
from tests.e2e.conftest import api
from tests.e2e.field_pages import (
    controlled_by_service_worker,
    fill_household,
    open_field,
    raw_store,
    step,
    synced,
    unlock,
    waiting_records,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

EVERY_DOMAIN_FINE = dict.fromkeys(
    ("seeing", "hearing", "walking", "cognition", "self_care", "communication"), 1
)


def small_household(given, family, birth, lat, lon, others=()):
    """A head of household (and maybe others by age and relationship) in Higüey, with consent."""
    head = {
        "given_names": given,
        "family_names": family,
        "sex": "female",
        "relationship": "head",
        "birth_date": birth,
        "disability": EVERY_DOMAIN_FINE,
    }
    members = [head] + [
        {
            "given_names": f"Persona {n}",
            "family_names": family,
            "sex": "male",
            "relationship": relationship,
            "age_estimate": age,
            "disability": EVERY_DOMAIN_FINE if age >= 5 else {},
        }
        for n, (age, relationship) in enumerate(others)
    ]
    return {
        "admin_code": "DO-11",
        "location": {"lat": lat, "lon": lon, "accuracy_m": 6},
        "members": members,
        "consent": {"given_by": f"{given} {family}", "purposes": ["registry", "emergency_transfers"]},
    }


HOMES = [
    small_household("Yocasta", "Mercedes Rijo", "1984-05-02", 18.6150, -68.7070),
    small_household("Ramón", "Cedano", "1969-11-23", 18.6232, -68.6981, [(3, "child")]),
    small_household(
        "Altagracia", "Guerrero", "1991-01-30", 18.5894, -68.7112, [(3, "grandchild"), (71, "parent")]
    ),
]


def test_households_registered_offline_are_synced_when_back_online(context, country):
    page = context.new_page()
    open_field(page, country)
    assert page.input_value("#household input[name=admin_code]") == "DO-11"
    controlled_by_service_worker(page)

    # Offline for real: the console itself is stopped, so the reload can only come from the
    # service worker's cache, and the password can only be checked on the device.
    console = country["stack"].services["console"]
    console.stop()
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("#network.offline")
    assert page.is_visible("#sign-in") and not page.is_visible("#app")
    unlock(page, "campo-carla", "not the password at all")
    page.wait_for_selector("#sign-in-error:has-text('Wrong username or password')")
    unlock(page, "campo-carla", country["passwords"]["campo-carla"])
    page.wait_for_selector("#app:not([hidden])")
    for home in HOMES:
        fill_household(page, home)
        page.wait_for_selector("#notice:has-text('Saved on this device')")
    page.wait_for_selector("#waiting:has-text('3')")
    assert len(waiting_records(page)) == 3
    assert "#store records 3" in raw_store(page)

    console.start().wait_ready()
    context.set_offline(False)
    ids = synced(page, "created", 3)
    page.wait_for_selector("#waiting:has-text('0')")
    stored = [api(country, "registry", f"/v1/households/{i}", [AUDITOR]) for i in ids]
    assert sorted((h["members"][0]["given_names"], h["size"]) for h in stored) == [
        ("Altagracia", 3),
        ("Ramón", 2),
        ("Yocasta", 1),
    ]
    assert all(h["registration_device"].startswith("web-") for h in stored)


def test_a_refused_record_stays_on_the_device_with_the_reasons_beside_the_fields(context, country):
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_field(page, country)
    # Santo Domingo's coordinates under La Altagracia's code: only the registry knows the areas.
    fill_household(page, small_household("Juana", "Pérez", "1990-02-02", 18.47, -69.89))
    synced(page, "rejected")
    page.click("nav.views [data-view=waiting]")
    page.wait_for_selector("#queue li[data-status=rejected]:has-text('lies outside DO-11')")
    page.click("#queue li[data-status=rejected] button.discard")  # and the worker says no
    assert dialogs and page.locator("#queue li[data-status=rejected]").count() == 1

    page.click("#queue li[data-status=rejected] button.reopen")
    note = page.locator(".field-error[data-pointer='/household/location']")
    assert "lies outside DO-11" in note.inner_text() and note.is_visible()
    page.fill("#household input[name=lat]", "18.6150")
    page.fill("#household input[name=lon]", "-68.7070")
    page.click("#household button[type=submit]")
    [household_id] = synced(page, "created")
    page.wait_for_selector("#waiting:has-text('0')")
    stored = api(country, "registry", f"/v1/households/{household_id}", [AUDITOR])
    assert stored["members"][0]["given_names"] == "Juana" and stored["location"]["lat"] == 18.615

    # In Spanish the app asks for Spanish (Accept-Language): the registry's reason comes in it.
    page.click("#language")
    page.click("nav.views [data-view=register]")
    fill_household(page, small_household("Rosa", "Díaz", "1992-03-03", 18.48, -69.88))
    page.click("nav.views [data-view=waiting]")
    page.click("#queue li[data-status=rejected] button.reopen")
    note = page.locator(".field-error[data-pointer='/household/location']")
    assert "queda fuera de DO-11" in note.inner_text()


def test_a_field_the_registry_names_by_its_pointer_gets_the_message_beside_it(context, country):
    page = context.new_page()
    open_field(page, country)
    # A record the form would not let through (a phone with letters), put in the queue directly.
    record = small_household("Marta", "Santana", "1979-07-07", 18.6150, -68.7070)
    record["members"][0]["phone"] = "call the neighbour"
    record["consent"]["given_at"] = "2026-01-05T10:00:00+00:00"
    page.evaluate(
        """async (household) => {
            const { queue, newRecord } = await import('/static/field/queue.js');
            await queue.put(newRecord({ household }));
            (await import('/static/field/waiting.js')).sync();
        }""",
        record,
    )
    synced(page, "rejected")
    page.click("nav.views [data-view=waiting]")
    page.click("#queue li[data-status=rejected] button.reopen")
    note = page.locator(".field-error[data-pointer='/household/members/0/phone']")
    assert "not a phone number" in note.inner_text() and note.is_visible()
    assert page.get_attribute("#members .member >> nth=0 >> [data-m=phone]", "aria-invalid") == "true"


def test_records_of_the_earlier_version_are_moved_into_the_locked_store_and_synced(context, country):
    page = context.new_page()
    page.goto(f"{country['url']}/field/")
    legacy = {
        "client_id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "base_version": None,
        "household": {
            "admin_code": "DO-11",
            "location": {"lat": 18.6, "lon": -68.7, "source": "gps"},
            "address": None,
            "members": [
                {
                    "given_names": "Eulalia",
                    "family_names": "Del Rosario",
                    "sex": "female",
                    "relationship": "head",
                    "birth_date": "1950-03-03",
                }
            ],
            "consent": {
                "given_at": "2026-11-30T09:00:00Z",
                "given_by": "Eulalia Del Rosario",
                "purposes": ["registry", "emergency_transfers"],
            },
        },
        "saved_at": "2026-11-30T09:00:00Z",
        "outcome": None,
    }
    page.evaluate(
        """(records) => {
            localStorage.setItem('amparo.field.queue.campo-carla', JSON.stringify(records));
            localStorage.setItem('amparo.field.device', 'web-earlier-device');
        }""",
        [legacy],
    )
    page.reload()
    unlock(page, "campo-carla", country["passwords"]["campo-carla"])
    page.wait_for_selector("#notice:has-text('1 records saved by the earlier version')")
    assert synced(page, "created") == [legacy["household_id"]]
    left = page.evaluate(
        "Object.keys(localStorage).filter((k) => k.startsWith('amparo.field') || k === 'amparo.session')"
    )
    assert left == []
    stored = api(country, "registry", f"/v1/households/{legacy['household_id']}", [AUDITOR])
    assert stored["members"][0]["family_names"] == "Del Rosario"
    assert stored["registration_device"] == "web-earlier-device"


def test_a_full_device_says_so_and_the_form_keeps_what_was_entered(context, country):
    """The device's storage is made to look full through the browser's own interfaces (Chromium's
    quota override does not reach a test profile): first its estimate, then the write itself."""
    page = context.new_page()
    open_field(page, country)
    context.set_offline(True)
    fill_household(page, small_household("Flor", "Ozuna", "1988-08-08", 18.6150, -68.7070), save=False)

    page.evaluate("navigator.storage.estimate = async () => ({ usage: 1e9 - 2000, quota: 1e9 })")
    page.click("#household button[type=submit]")
    page.wait_for_selector("#form-error:has-text('This device is full')")
    page.evaluate(
        """() => {
            delete navigator.storage.estimate;
            const put = IDBObjectStore.prototype.put;
            IDBObjectStore.prototype.put = function (...args) {
                const full = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
                if (this.name === 'records') throw full;
                return put.apply(this, args);
            };
            window.restorePut = () => { IDBObjectStore.prototype.put = put; };
        }"""
    )
    page.click("#household button[type=submit]")
    page.wait_for_selector("#form-error:has-text('This device is full')")
    assert page.inner_text("#waiting") == "0" and waiting_records(page) == []
    step(page, "people")
    assert page.input_value("#members .member >> nth=0 >> [data-m=given_names]") == "Flor"

    page.evaluate("window.restorePut()")
    page.click("#household button[type=submit]")
    page.wait_for_selector("#notice:has-text('Saved on this device')")
    assert [r["household"]["members"][0]["family_names"] for r in waiting_records(page)] == ["Ozuna"]


def test_an_ended_session_asks_for_a_sign_in_again_and_keeps_the_work(context, country):
    page = context.new_page()
    open_field(page, country)
    ended = {"type": "about:blank", "title": "Not authenticated", "status": 401, "detail": "token expired"}
    context.route(
        "**/api/registry/v1/households/sync",
        lambda route: route.fulfill(
            status=401, json=ended, headers={"Content-Type": "application/problem+json"}
        ),
    )
    fill_household(page, small_household("Noemí", "Reyes", "1993-09-09", 18.6150, -68.7070))
    page.wait_for_selector("#sign-in-error:has-text('Your session with the registry has ended')")
    assert page.is_visible("#app") and page.input_value("#sign-in input[name=username]") == "campo-carla"
    page.fill("#members .member >> nth=0 >> [data-m=given_names]", "Half-typed")

    context.unroute("**/api/registry/v1/households/sync")
    page.fill("#sign-in input[name=password]", country["passwords"]["campo-carla"])
    page.click("#sign-in button[type=submit]")
    [household_id] = synced(page, "created")
    assert (
        api(country, "registry", f"/v1/households/{household_id}", [AUDITOR])["members"][0]["given_names"]
        == "Noemí"
    )
    assert page.input_value("#members .member >> nth=0 >> [data-m=given_names]") == "Half-typed"
