"""The programme officer's editor and the approver's queue in headless Chromium: a programme
written part by part and read back in the service's words as it is typed, its mistakes shown at
their fields, tried over Fiona's alert, stored in two versions, compared and approved by a second
person (never by its author); the batches waiting across alerts with coverage, cut-off and a
household's explanation."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from services.console.accounts import new_account, new_password, read_accounts, write_accounts
from services.demo.fiona import ANTICIPATORY
from shared.auth import APPROVER, AUDITOR, PROGRAMME_OFFICER
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

EDITOR = ".programme-editor"
QUEUE = ".approver-queue"


def send(country: dict[str, Any], method: str, path: str, subject: str, roles: list[str], body: Any) -> Any:
    stack = country["stack"]
    token = stack.issuer.mint(subject, roles, ["DO"])
    response = requests.request(
        method,
        f"{stack.url('transfers')}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def words_shown(page: Any) -> dict[str, str]:
    return page.eval_on_selector_all(
        f"{EDITOR} [data-rule]", "ds => Object.fromEntries(ds.map(d => [d.dataset.rule, d.textContent]))"
    )


def read_back(page: Any) -> None:
    """Wait until the words on screen answer the form as it is now."""
    page.wait_for_selector(f"{EDITOR}[data-read]")


def past_the_edge(page: Any) -> list[str]:
    """What of the shown screen reaches past the phone's right edge (hidden, to scroll sideways to)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#panel *')]
          .filter(e => e.offsetParent && e.getBoundingClientRect().right > window.innerWidth + 1)
          .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""
    )


def an_unheard_of_event() -> list[str]:
    # Approved, the programme must not trigger for the alerts other tests issue.
    return [f"Simulacro {uuid.uuid4().hex[:6]}"]


def test_an_officer_writes_tries_stores_and_compares_and_a_second_person_approves(context, country):
    name = f"Lluvias — respuesta {uuid.uuid4().hex[:6]}"
    page = context.new_page()
    sign_in(page, country, "ids-luis")
    page.click("nav button[data-tab=programmes]")
    # Approving is not his to do: no tab (and the service refuses it; see the test below).
    expect(page.locator("nav button[data-tab=approvals]")).to_have_count(0)
    form = page.locator(f"{EDITOR} .pe-form")
    expect(page.locator(f"{EDITOR} [data-rule=eligibility]")).to_have_text("vulnerability score ≥ 50")
    form.locator("[name=name]").fill(name)
    form.locator("[name=institute]").fill("IDSS")
    form.locator("[name=events]").fill(", ".join(an_unheard_of_event()))
    # The words change as he types: the benefit, then a second condition of the eligibility tree.
    form.locator("[name=base]").fill("2500")
    expect(page.locator(f"{EDITOR} [data-rule=benefit]")).to_contain_text("2500 DOP + 500 per member")
    form.locator(".pf-eligibility [name=kind]").first.select_option("any")
    form.locator(".pf-add-condition").first.click()
    condition = form.locator(".pf-condition").nth(1)
    condition.locator("[name=field]").select_option("children_under_5")
    condition = form.locator(".pf-condition").nth(1)  # redrawn for the field's operators
    condition.locator("[name=op]").select_option(">")
    condition.locator("[name=value]").fill("0")
    expect(page.locator(f"{EDITOR} [data-rule=eligibility]")).to_have_text(
        "vulnerability score ≥ 50 or children under 5 > 0"
    )
    # Two mistakes, each shown beside its own field with the service's path.
    form.locator("[name=cap]").fill("1000")
    form.locator(".pf-condition").first.locator("[name=value]").fill("many")
    cap_problem = form.locator("label:has([name=cap]) + .pf-problem")
    expect(cap_problem).to_contain_text("/benefit/cap")
    expect(form.locator("[name=cap]")).to_have_attribute("aria-invalid", "true")
    value_problem = form.locator(".pf-condition").first.locator(".pf-problem")
    expect(value_problem).to_contain_text("/eligibility/any/0/value")
    expect(page.locator(f"{EDITOR} [data-rule=benefit]")).to_have_text("—")
    assert_accessible(page)
    form.locator("[name=cap]").fill("9000")
    form.locator(".pf-condition").first.locator("[name=value]").fill("50")
    expect(page.locator(f"{EDITOR} .pf-problem")).to_have_count(0)
    # The programme's own wording for households: a placeholder it does not know is refused beside
    # its field; what it may say is kept.
    form.locator("[name=msg_settled_es]").fill("{programme}: le pagamos {monto}")
    expect(form.locator("label:has([name=msg_settled_es]) + .pf-problem")).to_contain_text("{monto}")
    form.locator("[name=msg_settled_es]").fill("{programme}: le pagamos {amount} {currency}. ¡Cuídese!")
    form.locator("[name=pickup_place]").fill("Oficina del IDSS, Higüey")
    expect(page.locator(f"{EDITOR} .pf-problem")).to_have_count(0)
    read_back(page)

    # What-if over Fiona's alert, before storing it: the service's own counts.
    what_if = page.locator(f"{EDITOR} .pe-what-if-form")
    what_if.locator("[name=alert]").select_option(country["incident"]["id"])
    what_if.locator("button[type=submit]").click()
    page.wait_for_selector(f"{EDITOR} [data-what-if=eligible]")
    draft = json.loads(form.locator("[name=json]").input_value())
    expected = send(
        country,
        "POST",
        "/v1/programmes/what-if",
        "e2e-check",
        [PROGRAMME_OFFICER],
        {"programme": draft, "incident_id": country["incident"]["id"]},
    )
    assert page.inner_text(f"{EDITOR} [data-what-if=eligible]").replace(",", "") == str(expected["eligible"])
    assert page.inner_text(f"{EDITOR} [data-what-if=households]").replace(",", "") == str(
        expected["households"]
    )

    # Stored: version 1, a draft by ids-luis whose words are those on screen.
    shown = words_shown(page)
    page.click(f"{EDITOR} .pe-submit")
    page.wait_for_selector(f"{EDITOR} .pe-saved[data-version='1']")
    stored = next(p for p in api(country, "transfers", "/v1/programmes", [AUDITOR]) if p["name"] == name)
    assert (stored["version"], stored["state"], stored["created_by"]) == (1, "draft", "ids-luis")
    assert stored["rules"] == shown
    assert stored["programme"]["benefit"]["cap"] == 9000
    assert stored["programme"]["messages"] == {
        "templates": {"settled": {"es": "{programme}: le pagamos {amount} {currency}. ¡Cuídese!"}},
        "pickup_place": "Oficina del IDSS, Higüey",
    }

    # A second version, compared with the first part by part.
    form.locator("[name=base]").fill("3000")
    expect(page.locator(f"{EDITOR} [data-rule=benefit]")).to_contain_text("3000 DOP")
    page.click(f"{EDITOR} .pe-submit")
    page.wait_for_selector(f"{EDITOR} .pe-saved[data-version='2']")
    page.click(f"{EDITOR} .pe-compare-form button[type=submit]")
    changed = page.locator(f"{EDITOR} .pe-compare tr.changed")
    expect(changed).to_have_count(1)
    assert changed.get_attribute("data-part") == "benefit"
    first = api(country, "transfers", f"/v1/programmes/{stored['id']}?version=1", [AUDITOR])
    assert first["rules"]["benefit"] in changed.inner_text()
    expect(page.locator(f"{EDITOR} [data-version-state='2']")).to_have_text("draft")
    assert_accessible(page)

    # A second person approves it, seeing what changed since version 1.
    page.click("#sign-out")
    sign_in(page, country, "ids-maria")
    page.click("nav button[data-tab=approvals]")
    waiting = page.locator(f"{QUEUE} .aq-programme[data-programme='{stored['id']}']")
    expect(waiting).to_have_attribute("data-version", "2")
    expect(waiting.locator("tr.changed")).to_have_count(1)
    assert waiting.locator("tr.changed").get_attribute("data-part") == "benefit"
    assert_accessible(page)
    waiting.locator("textarea[name=comment]").fill("Monto revisado con finanzas")
    waiting.locator("button[name=approve]").click()
    expect(waiting).to_have_count(0)
    approved = api(country, "transfers", f"/v1/programmes/{stored['id']}?version=2", [AUDITOR])
    assert (approved["state"], approved["decided_by"]) == ("approved", "ids-maria")
    assert approved["decision_comment"] == "Monto revisado con finanzas"


def test_the_author_cannot_approve_their_own_version_in_spanish(browser, country):
    """A person who is both programme officer and approver sees her own draft refused (four eyes)."""
    username = f"ids-doble-{uuid.uuid4().hex[:6]}"
    password = new_password()
    accounts_file = country["stack"].accounts_file
    accounts = read_accounts(accounts_file)
    both = new_account(username, "Inés Doble", [PROGRAMME_OFFICER, APPROVER], ["DO"], password)
    write_accounts(accounts_file, [*accounts.values(), both])
    document = copy.deepcopy(ANTICIPATORY)
    document["name"] = f"Sequía — anticipatoria {uuid.uuid4().hex[:6]}"
    document["trigger"]["events"] = an_unheard_of_event()
    own = send(country, "POST", "/v1/programmes", username, [PROGRAMME_OFFICER], document)
    context = browser.new_context(locale="es-DO", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        sign_in(page, {**country, "passwords": {username: password}}, username)
        page.click("nav button[data-tab=approvals]:has-text('Por aprobar')")
        waiting = page.locator(f"{QUEUE} .aq-programme[data-programme='{own['id']}']")
        spanish = api(country, "transfers", f"/v1/programmes/{own['id']}?lang=es", [AUDITOR])
        expect(waiting.locator("tr[data-part=eligibility] td").last).to_have_text(
            spanish["rules"]["eligibility"]
        )
        assert "puntaje de vulnerabilidad ≥ 50" in spanish["rules"]["eligibility"]
        waiting.locator("textarea[name=comment]").fill("Lo apruebo yo misma")
        waiting.locator("button[name=approve]").click()
        refusal = page.locator("[data-pane=approvals] > .error")
        expect(refusal).to_contain_text("no puede también aprobarla")  # in the service's Spanish
        assert_accessible(page)
        assert not past_the_edge(page)
        still = api(country, "transfers", f"/v1/programmes/{own['id']}", [AUDITOR])
        assert (still["state"], still["decided_by"]) == ("draft", None)
        # Her editor reads a draft in Spanish, in the service's words.
        page.click("nav button[data-tab=programmes]")
        expect(page.locator(f"{EDITOR} [data-rule=eligibility]")).to_have_text(
            "puntaje de vulnerabilidad ≥ 50"
        )
        expect(page.locator(f"{EDITOR} .pe-valid")).to_contain_text("2 errores")  # no name, no institute
        expect(page.locator(f"{EDITOR} label:has([name=name]) + .pf-problem")).to_contain_text("/name")
        page.locator(f"{EDITOR} [name=name]").fill("Sequía — borrador")
        page.locator(f"{EDITOR} [name=institute]").fill("IDSS")
        expect(page.locator(f"{EDITOR} .pe-valid")).to_have_text("Sin errores: se puede guardar.")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not past_the_edge(page)
    finally:
        context.close()


def test_the_approvers_batch_queue_across_alerts_with_a_households_explanation(context, country):
    """Read-only: the fixture's batches are other tests' to approve."""
    page = context.new_page()
    sign_in(page, country, "ids-jose")
    page.click("nav button[data-tab=approvals]")
    page.wait_for_selector(f"{QUEUE}[data-loaded]")
    proposed = api(country, "transfers", "/v1/batches?state=proposed", [AUDITOR])["batches"]
    assert proposed, "the fixture proposed batches"
    shown = page.eval_on_selector_all(f"{QUEUE} .aq-batch", "bs => bs.map(b => b.dataset.batch)")
    assert shown == [b["id"] for b in proposed]
    for batch in proposed:
        item = page.locator(f"{QUEUE} .aq-batch[data-batch='{batch['id']}']")
        coverage = "—" if batch["coverage"] is None else f"{round(batch['coverage'] * 100)} %"
        assert item.locator("[data-field=coverage]").inner_text() == coverage
        cut_off = item.locator("[data-field=cut_off_score]").inner_text().replace(",", "")
        assert cut_off == ("—" if batch["cut_off_score"] is None else f"{batch['cut_off_score']:g}")
        below = item.locator("[data-field=below_cut_off]").inner_text().replace(",", "")
        assert below == ("—" if batch["below_cut_off"] is None else str(batch["below_cut_off"]))
        assert item.locator("[data-field=households]").inner_text().replace(",", "") == str(
            batch["households"]
        )
    item = page.locator(f"{QUEUE} .aq-batch[data-batch='{proposed[0]['id']}']")
    item.locator(".aq-show-households").click()
    household = item.locator(".aq-household").first
    household_id = household.get_attribute("data-household")
    household.click()
    expect(item.locator(".aq-why li").first).to_be_visible()
    explained = api(country, "transfers", f"/v1/households/{household_id}/decisions?lang=en", [AUDITOR])
    lines = [line for d in explained["decisions"] for line in d["explanation"]]
    assert item.locator(".aq-why li").all_inner_texts() == lines
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
