"""Driving the field app in Chromium the way a field worker does: signing in, filling the form
section by section, syncing; and reading what the browser stored, raw, to check it."""

from __future__ import annotations

import copy
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from services.console.accounts import new_account, new_password, read_accounts, write_accounts
from shared.auth import FIELD_STAFF, REGISTRY_OFFICER
from tests.e2e.conftest import sign_in

#: A household with everything the registry takes, in the API's words: four people (one under
#: five, so without the Washington Group questions), a pregnancy, documents, phones, a mobile
#: wallet and every consent purpose. Higüey, La Altagracia (DO-11).
FULL_HOUSEHOLD: dict[str, Any] = {
    "admin_code": "DO-11",
    "location": {"lat": 18.6150, "lon": -68.7070, "accuracy_m": 6.0, "source": "gps"},
    "address": "Calle Duarte 12, Higüey",
    "members": [
        {
            "given_names": "Yocasta",
            "family_names": "Mercedes Rijo",
            "sex": "female",
            "relationship": "head",
            "birth_date": "1984-05-02",
            "document": {"type": "national_id", "number": "028-0012345-6"},
            "phone": "+1 809 555 0142",
            "disability": {
                "seeing": 1,
                "hearing": 1,
                "walking": 3,
                "cognition": 1,
                "self_care": 1,
                "communication": 1,
            },
            "pregnant": True,
            "chronic_illness": False,
            "attends_school": False,
        },
        {
            "given_names": "Ramón Antonio",
            "family_names": "Cedano",
            "sex": "male",
            "relationship": "spouse",
            "age_estimate": 45,
            "phone": "809-555-0199",
            "disability": {
                "seeing": 2,
                "hearing": 1,
                "walking": 1,
                "cognition": 1,
                "self_care": 1,
                "communication": 1,
            },
            "chronic_illness": True,
        },
        {
            "given_names": "Luisa",
            "family_names": "Cedano Mercedes",
            "sex": "female",
            "relationship": "child",
            "birth_date": "2023-03-10",
        },
        {
            "given_names": "Pedro",
            "family_names": "Cedano Mercedes",
            "sex": "male",
            "relationship": "child",
            "age_estimate": 9,
            "document": {"type": "birth_certificate", "number": "LA-2017-000981"},
            "disability": {
                "seeing": 1,
                "hearing": 1,
                "walking": 1,
                "cognition": 1,
                "self_care": 1,
                "communication": 2,
            },
            "attends_school": True,
        },
    ],
    "dwelling": {
        "wall": "concrete_block",
        "roof": "sheet_metal",
        "floor": "cement",
        "tenure": "owned",
        "rooms": 3,
    },
    "services": {"water_source": "public_tap", "sanitation": "latrine"},
    "livelihood": {"main": "agriculture", "income_source": "informal"},
    "payment": {"type": "mobile_money", "provider": "tPago", "identifiers": {"wallet_number": "8095550142"}},
    "consent": {
        "given_by": "Yocasta Mercedes Rijo",
        "purposes": ["registry", "emergency_transfers", "data_sharing_civil_protection", "contact"],
    },
}


def household(**changes: Any) -> dict[str, Any]:
    """A copy of :data:`FULL_HOUSEHOLD` with ``changes`` to its top-level parts."""
    return {**copy.deepcopy(FULL_HOUSEHOLD), **changes}


def add_field_worker(country: dict[str, Any], username: str, jurisdiction: list[str]) -> str:
    """Another field worker in the console's account file; returns the password."""
    stack = country["stack"]
    password = new_password()
    accounts = read_accounts(stack.accounts_file)
    accounts[username] = new_account(username, username.title(), [FIELD_STAFF], jurisdiction, password)
    write_accounts(stack.accounts_file, accounts.values())
    country["passwords"][username] = password
    return password


def open_field(page: Any, country: dict[str, Any], username: str = "campo-carla") -> None:
    """Sign in to the field app and wait until it is unlocked and has synced what it had."""
    sign_in(page, country, username, "/field/")
    page.wait_for_selector("#app:not([hidden])")


def copy_downloaded(page: Any) -> None:
    """Wait until the offline copy of the worker's areas is on the device."""
    page.wait_for_selector("#copy-status[data-count]", state="attached")


def controlled_by_service_worker(page: Any) -> None:
    """Wait until the service worker serves the page (reloading it once if need be)."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    for _ in range(40):
        if page.evaluate("navigator.serviceWorker.controller !== null"):
            return
        time.sleep(0.25)
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")


def unlock(page: Any, username: str, password: str) -> None:
    page.fill("#sign-in input[name=username]", username)
    page.fill("#sign-in input[name=password]", password)
    page.click("#sign-in button[type=submit]")


def step(page: Any, name: str) -> None:
    page.click(f"#household .steps [data-goto={name}]")


def fill_member(page: Any, n: int, member: dict[str, Any]) -> None:
    if n > 0:
        page.click("#add-member")
    card = page.locator("#members .member").nth(n)
    card.locator("[data-m=given_names]").fill(member["given_names"])
    card.locator("[data-m=family_names]").fill(member["family_names"])
    card.locator("[data-m=sex]").select_option(member["sex"])
    card.locator("[data-m=relationship]").select_option(member["relationship"])
    if member.get("birth_date"):
        card.locator("[data-m=birth_date]").fill(member["birth_date"])
    if member.get("age_estimate") is not None:
        card.locator("[data-m=age_estimate]").fill(str(member["age_estimate"]))
    if member.get("document"):
        card.locator("[data-m=document_type]").select_option(member["document"]["type"])
        card.locator("[data-m=document_number]").fill(member["document"]["number"])
    if member.get("phone"):
        card.locator("[data-m=phone]").fill(member["phone"])
    for domain, level in member.get("disability", {}).items():
        card.locator(f"[data-domain={domain}]").select_option(str(level))
    if member.get("pregnant"):
        card.locator("[data-m=pregnant]").check()
    if member.get("chronic_illness"):
        card.locator("[data-m=chronic_illness]").check()
    if member.get("attends_school") is not None:
        card.locator("[data-m=attends_school]").select_option(str(member["attends_school"]).lower())


def fill_household(page: Any, body: dict[str, Any], save: bool = True) -> None:
    """Fill the form section by section with a household in the API's words, then save it."""
    step(page, "people")
    for n, member in enumerate(body["members"]):
        fill_member(page, n, member)
    step(page, "home")
    page.fill("#household input[name=admin_code]", body["admin_code"])
    page.fill("#household input[name=address]", body.get("address") or "")
    location = body["location"]
    page.fill("#household input[name=lat]", str(location["lat"]))
    page.fill("#household input[name=lon]", str(location["lon"]))
    if location.get("accuracy_m") is not None:
        page.fill("#household input[name=accuracy_m]", str(location["accuracy_m"]))
    page.select_option("#household select[name=location_source]", location.get("source", "gps"))
    for part, names in (
        ("dwelling", ("wall", "roof", "floor", "tenure")),
        ("services", ("water_source", "sanitation")),
    ):
        for name in names:
            if body.get(part, {}).get(name):
                page.select_option(f"#household select[name={name}]", body[part][name])
    if body.get("dwelling", {}).get("rooms") is not None:
        page.fill("#household input[name=rooms]", str(body["dwelling"]["rooms"]))
    for name, field in (("livelihood_main", "main"), ("income_source", "income_source")):
        if body.get("livelihood", {}).get(field):
            page.select_option(f"#household select[name={name}]", body["livelihood"][field])
    step(page, "payment")
    payment = body.get("payment")
    if payment:
        page.select_option("#household select[name=payment_type]", payment["type"])
        page.fill("#household input[name=provider]", payment.get("provider") or "")
        for name, value in payment.get("identifiers", {}).items():
            page.fill(f"#household input[name={name}]", value)
    step(page, "consent")
    for purpose in (body.get("consent") or {}).get("purposes", []):
        page.check(f"#household input[name=purpose][value={purpose}]")
    if body.get("consent"):
        page.select_option("#household select[name=given_by]", body["consent"]["given_by"])
    if save:
        page.click("#household button[type=submit]")


def registry(country: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    """A call to the registry as a registry officer of the whole country (sees everything in clear)."""
    stack = country["stack"]
    token = stack.issuer.mint(f"officer-{uuid.uuid4().hex[:6]}", [REGISTRY_OFFICER], ["DO"])
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{stack.url('registry')}{path}", headers=headers, timeout=30, **kwargs)


def stored_as_sent(stored: dict[str, Any], sent: dict[str, Any]) -> None:
    """Assert the registry holds exactly the household sent (the registry officer's view)."""
    for part in ("admin_code", "address"):
        assert stored[part] == sent.get(part), part
    assert {k: stored["location"][k] for k in sent["location"]} == sent["location"]
    for part in ("dwelling", "services", "livelihood"):
        present = {k: v for k, v in sent[part].items() if v is not None}
        assert {k: v for k, v in stored[part].items() if v is not None} == present, part
    assert stored["payment"] == {**sent["payment"]}
    assert stored["consent"]["given_by"] == sent["consent"]["given_by"]
    assert sorted(stored["consent"]["purposes"]) == sorted(sent["consent"]["purposes"])
    assert len(stored["members"]) == len(sent["members"])
    for kept, member in zip(stored["members"], sent["members"], strict=True):
        expected = {
            "given_names": member["given_names"],
            "family_names": member["family_names"],
            "sex": member["sex"],
            "relationship": member["relationship"],
            "birth_date": member.get("birth_date"),
            "age_estimate": member.get("age_estimate"),
            "document_type": (member.get("document") or {}).get("type"),
            "document_number": (member.get("document") or {}).get("number"),
            "phone": member.get("phone"),
            "disability": member.get("disability", {}),
            "pregnant": member.get("pregnant", False),
            "chronic_illness": member.get("chronic_illness", False),
            "attends_school": member.get("attends_school"),
        }
        assert {k: kept[k] for k in expected} == expected, member["given_names"]


#: Every value the page's IndexedDB holds, raw (see the file).
RAW_DUMP = (Path(__file__).parent / "raw_store.js").read_text()


def raw_store(page: Any) -> str:
    return str(page.evaluate(RAW_DUMP))


def synced(page: Any, status: str = "created", n: int = 1) -> list[str]:
    """Wait for the last sync to answer ``status`` ``n`` times; the households' ids."""
    selector = f"#results li[data-status={status}]"
    page.locator(selector).nth(n - 1).wait_for(state="attached", timeout=30_000)
    return list(page.eval_on_selector_all(selector, "ls => ls.map(l => l.dataset.household)"))


def waiting_records(page: Any) -> list[dict[str, Any]]:
    """The records waiting, as the unlocked app reads them (decrypted)."""
    return list(page.evaluate("import('/static/field/queue.js').then((m) => m.queue.all())"))


def as_input(stored: dict[str, Any]) -> dict[str, Any]:
    """A household as a registry officer reads it, turned back into the body the API takes."""
    members = []
    for m in stored["members"]:
        member = {
            k: m[k]
            for k in (
                "id",
                "given_names",
                "family_names",
                "sex",
                "relationship",
                "birth_date",
                "age_estimate",
                "phone",
                "disability",
                "pregnant",
                "chronic_illness",
                "attends_school",
            )
        }
        member["document"] = (
            {"type": m["document_type"], "number": m["document_number"]} if m["document_type"] else None
        )
        members.append(member)
    body = {
        k: stored[k]
        for k in (
            "admin_code",
            "location",
            "address",
            "status",
            "dwelling",
            "services",
            "livelihood",
            "consent",
            "payment",
        )
    }
    return {**body, "members": members}


def register_directly(country: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Register a household through the API (not the app), as a registry officer."""
    consent = {"given_at": "2026-01-05T10:00:00+00:00", **body["consent"]}
    response = registry(country, "POST", "/v1/households", json={**body, "consent": consent})
    assert response.status_code == 201, response.text
    return dict(response.json())


def change_directly(country: dict[str, Any], household_id: str, **changes: Any) -> dict[str, Any]:
    """Someone else's change to a household, through the API with If-Match."""
    stored = registry(country, "GET", f"/v1/households/{household_id}").json()
    body = as_input(stored)
    for path, value in changes.items():
        part, _, name = path.partition("__")
        if name:
            body[part][name] = value
        else:
            body[part] = value
    response = registry(
        country,
        "PUT",
        f"/v1/households/{household_id}",
        json=body,
        headers={"If-Match": f'"{stored["version"]}"'},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
