"""Grievances in headless Chromium: a hotline operator files a case, from the household's tab, for
a household Fiona's alert left out (the kind chosen by its words, the alert asked for only where the
kind needs one), is refused the same case again and follows the link to the open one, and sees an
overdue case marked in words; a registry officer reaches the case from the household's page, reads
its summary in Spanish, is refused an outcome that cannot be taken yet in the service's own Spanish
words, cannot let the decision stand without saying why, resolves it, and finds it resolved in the
list. axe-core on the form and on a case with its forms."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from services.console.accounts import new_account, read_accounts, write_accounts
from shared.auth import AUDITOR, HOTLINE_OPERATOR, REGISTRY_OFFICER
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

#: How long an answer may take on a busy machine (milliseconds).
WAIT = 20_000
HOTLINE = "linea-sofia"


@pytest.fixture(scope="module")
def people(country: dict[str, Any]) -> dict[str, Any]:
    """The demo's people and a hotline operator of the whole country (the demo has none)."""
    path = country["stack"].accounts_file
    password = "linea-de-atencion-sofia"
    accounts = read_accounts(path)
    accounts[HOTLINE] = new_account(HOTLINE, "Sofía Marte", [HOTLINE_OPERATOR], ["DO"], password)
    write_accounts(path, accounts.values())
    return {**country, "passwords": {**country["passwords"], HOTLINE: password}}


def left_out(country: dict[str, Any]) -> str:
    """A household transfers knows and decided nothing about under Fiona's alert."""
    stack = country["stack"]
    incident = country["incident"]["id"]
    token = stack.issuer.mint("e2e-check", [AUDITOR], ["DO"])
    found = api(country, "registry", "/v1/households?admin_code=DO-25&limit=50", [REGISTRY_OFFICER])
    for household in found["items"]:
        answer = requests.get(
            f"{stack.url('transfers')}/v1/households/{household['id']}/decisions",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if answer.status_code != 200:
            continue
        if all(d["incident_id"] != incident for d in answer.json()["decisions"]):
            return str(household["id"])
    raise AssertionError("no household of Santiago left out of Fiona's alert is known to transfers")


def grievance_list(url: str) -> bool:
    return "/api/transfers/v1/grievances?" in url


def marked_overdue(route: Any) -> None:
    """The list as transfers gives it, its first case past its deadline."""
    answer = route.fetch()
    cases = answer.json()
    if cases:
        cases[0]["overdue"] = True
    route.fulfill(response=answer, body=json.dumps(cases))


def test_a_hotline_case_is_filed_refused_and_resolved_in_english_and_spanish(
    context: Any, people: dict[str, Any]
) -> None:
    household = left_out(people)
    incident = people["incident"]["id"]

    # The hotline operator lands on the form, and reaches it again from the household's tab with the
    # household filled in; the alert is asked for only where the kind needs one.
    page = context.new_page()
    sign_in(page, people, HOTLINE)
    pane = page.locator("[data-pane=grievance-file]")
    form = pane.locator("form[data-role=file]")
    expect(form).to_be_visible(timeout=WAIT)
    page.click("nav button[data-tab=household]")
    page.fill("#household-form input[name=id]", household)
    page.click("#household-form button[type=submit]")
    page.click(f"#household-grievances button[data-grievance-for='{household}']")
    expect(form.locator("input[name=household_id]")).to_have_value(household)
    alert = form.locator("input[name=incident_id]")
    form.locator("select[name=kind]").select_option(label="Left out of the alert’s area")
    assert alert.evaluate("(input) => input.required")
    form.locator("select[name=kind]").select_option(label="Registry data wrong")
    assert not alert.evaluate("(input) => input.required")
    alert.fill(incident)
    form.locator("textarea[name=note]").fill("Dice que vive en Higüey: la ubicación registrada está mal")
    assert_accessible(page)
    form.locator("button[type=submit]").click()
    filed = pane.locator("[data-role=filed]")
    expect(filed).to_contain_text("Case filed", timeout=WAIT)
    expect(filed).to_contain_text("registry officer")

    # The same case again: the service's refusal, and a link to the case already open.
    form.locator("input[name=household_id]").fill(household)
    form.locator("select[name=kind]").select_option(label="Registry data wrong")
    alert.fill(incident)
    form.locator("button[type=submit]").click()
    expect(pane.locator(".error").first).to_contain_text("already open", timeout=WAIT)
    page.route(grievance_list, marked_overdue)
    pane.locator("[data-role=existing] button[data-open-case]").click()
    grievances = page.locator("[data-pane=grievances]")
    case = grievances.locator("[data-role=case]")
    expect(case).to_be_visible(timeout=WAIT)
    case_id = case.get_attribute("data-case")
    stored = api(people, "transfers", f"/v1/grievances/{case_id}", [AUDITOR])
    assert (stored["household_id"], stored["kind"], stored["channel"], stored["assigned_role"]) == (
        household,
        "data_wrong",
        "hotline",
        "registry_officer",
    )
    assert stored["filed_by"] == HOTLINE and stored["explanation"]["exposed"] == []
    expect(case.locator("[data-role=summary] li")).to_have_count(len(stored["explanation"]["summary"]["en"]))
    expect(case.locator("[data-role=summary]")).to_contain_text(stored["explanation"]["summary"]["en"][0])
    # A filer reads the case and asks its explanation again; resolving is not theirs.
    expect(case.locator("form[data-role=resolve]")).to_have_count(0)
    expect(case.locator("[data-role=explain]")).to_be_visible()
    # Past its deadline, a case says so in words, not by colour alone.
    row = grievances.locator("[data-role=list] tbody tr").first
    expect(row.locator("[data-role=overdue]")).to_have_text("⚠ Overdue", timeout=WAIT)
    page.unroute(grievance_list)

    # The registry officer reaches the household's cases from its page, and reads the case in Spanish.
    officer = context.new_page()
    sign_in(officer, people, "reg-marta")
    officer.click("nav button[data-tab=registry-households]")
    search = officer.locator("[data-pane=registry-households] form.reg-hh-search")
    search.locator("input[name=text]").fill(household)
    search.locator("button[type=submit]").click()
    officer.locator(f"[data-pane=registry-households] button[data-grievances-of='{household}']").click()
    listed = officer.locator("[data-pane=grievances]")
    listed.locator(f"button[data-case='{case_id}']").click()
    case = listed.locator("[data-role=case]")
    expect(case.locator("h3")).to_contain_text("Registry data wrong", timeout=WAIT)
    officer.click("#language")
    expect(case.locator("h3")).to_contain_text("Datos del registro equivocados", timeout=WAIT)
    expect(case.locator("[data-role=summary]")).to_contain_text(stored["explanation"]["summary"]["es"][0])
    resolve = case.locator("form[data-role=resolve]")
    outcomes = resolve.locator("input[name=outcome]")
    assert [outcomes.nth(i).get_attribute("value") for i in range(outcomes.count())] == [
        "correct_record",
        "decision_stands",
    ]
    expect(resolve.locator("legend")).to_have_text("Resolver el caso")
    assert_accessible(officer)

    # Not yet: the registry holds no correction; the refusal is the service's, in Spanish.
    outcome = resolve.locator("label.grv-outcome")
    outcome.filter(has_text="Tomar la corrección del registro").locator("input").check()
    resolve.locator("button[type=submit]").click()
    error = case.locator("[data-role=case-error]")
    expect(error).to_contain_text("corríjalo primero en el registro", timeout=WAIT)
    # The decision stands only with the reason the household is told.
    outcome.filter(has_text="La decisión se mantiene").locator("input").check()
    resolve.locator("button[type=submit]").click()
    expect(error).to_contain_text("Diga por qué se mantiene la decisión")
    expect(resolve.locator("textarea[name=note]")).to_have_attribute("aria-invalid", "true")
    resolve.locator("textarea[name=note]").fill("La ubicación registrada coincide con la visita de campo")
    resolve.locator("button[type=submit]").click()
    expect(case).to_have_attribute("data-state", "resolved", timeout=WAIT)
    expect(case.locator("[data-role=outcome]")).to_have_text("La decisión se mantiene")
    expect(case.locator("form[data-role=resolve]")).to_have_count(0)
    resolved = api(people, "transfers", f"/v1/grievances/{case_id}", [AUDITOR])
    assert (resolved["state"], resolved["outcome"], resolved["resolved_by"]) == (
        "resolved",
        "decision_stands",
        "reg-marta",
    )

    # The list shows it resolved.
    filters = listed.locator("form[data-role=filters]")
    filters.locator("select[name=state]").select_option("resolved")
    filters.locator("button[type=submit]").click()
    row = listed.locator("[data-role=list] tr", has=officer.locator(f"button[data-case='{case_id}']"))
    expect(row.locator("[data-state=resolved]")).to_have_text("resuelto", timeout=WAIT)
