"""The field app's form on a phone in Spanish (the device's language): every input labelled, the
questions that apply shown to whom they apply, the registry's rules checked beside the fields
before anything is saved, and the consent text read aloud in the chosen language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.field_pages import FULL_HOUSEHOLD, fill_household, fill_member, open_field, step, unlock

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

#: speechSynthesis.speak, recorded (headless Chromium has no voices to hear).
RECORD_SPEECH = """
window.spoken = [];
window.speechSynthesis.speak = (utterance) => { window.spoken.push([utterance.text, utterance.lang]); };
"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="es-DO", viewport={"width": 390, "height": 800}, is_mobile=True)
    context.set_default_timeout(20_000)
    context.add_init_script(RECORD_SPEECH)
    yield context
    context.close()


def unlabelled(page: Any) -> list[str]:
    return list(
        page.eval_on_selector_all(
            "#app input:not([type=hidden]), #app select, #app textarea, #sign-in input",
            "els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))"
            ".map(e => e.outerHTML)",
        )
    )


def test_the_form_speaks_spanish_labels_every_input_and_checks_the_rules_beside_the_fields(phone, country):
    page = phone.new_page()
    open_field(page, country)
    assert page.inner_text("#form-title") == "Registrar hogar"
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    fill_household(page, FULL_HOUSEHOLD, save=False)
    assert unlabelled(page) == []

    # The Washington Group questions from age 5; pregnancy only for women of plausible ages.
    step(page, "people")
    cards = page.locator("#members .member")
    assert [cards.nth(n).locator("fieldset.wg").is_visible() for n in range(4)] == [True, True, False, True]
    assert [cards.nth(n).locator("label.pregnant").is_visible() for n in range(4)] == [
        True,
        False,
        False,
        False,
    ]

    # A fifth person, aged 7, whose functioning was not asked, and a bad phone: refused beside them.
    fill_member(
        page,
        4,
        {
            "given_names": "Ana",
            "family_names": "Cedano",
            "sex": "female",
            "relationship": "child",
            "age_estimate": 7,
            "phone": "llamar al vecino",
        },
    )
    step(page, "payment")
    page.fill("#household input[name=wallet_number]", "")
    page.click("#household button[type=submit]")
    errors = dict(
        page.eval_on_selector_all(".field-error", "ps => ps.map(p => [p.dataset.pointer, p.textContent])")
    )
    assert errors["/household/members/4/disability/seeing"] == "pregúntelo a toda persona de 5 años o más"
    assert errors["/household/members/4/phone"] == "no es un teléfono (dígitos, espacios, + ( ) -)"
    assert errors["/household/payment/identifiers/wallet_number"] == "escriba el número de billetera"
    assert page.is_visible(".field-error[data-pointer='/household/members/4/phone']")  # its section opened
    assert page.inner_text("#waiting") == "0"

    step(page, "consent")
    page.click("#read-aloud")
    [(text, lang)] = page.evaluate("window.spoken")
    assert (
        lang == "es-419"
        and "recibir transferencias de emergencia" in text
        and "ser contactado por teléfono" in text
    )
    page.click("#language")
    page.uncheck("#household input[name=purpose][value=contact]")
    page.click("#read-aloud")
    text, lang = page.evaluate("window.spoken")[1]
    assert lang == "en" and "receiving emergency cash transfers" in text and "contacted" not in text
    assert page.inner_text("#form-title") == "Register household"


#: The household on the form as the app would send it, but for the moment consent is read.
ON_FORM = """import('/static/field/form.js').then((m) => {
  const household = m.readHousehold();
  return { ...household, consent: household.consent && { ...household.consent, given_at: null } };
})"""


def test_a_half_filled_form_is_kept_sealed_through_a_reload_and_gone_once_saved(phone, country):
    page = phone.new_page()
    open_field(page, country)
    fill_household(page, FULL_HOUSEHOLD, save=False)
    step(page, "payment")
    left = page.evaluate(ON_FORM)
    assert left["members"][0]["given_names"] == FULL_HOUSEHOLD["members"][0]["given_names"]
    page.wait_for_timeout(800)  # kept a moment after the last change
    # Nothing of it is readable in the browser's storage.
    stored = page.evaluate(
        """() => new Promise((resolve) => { const open = indexedDB.open('amparo-field');
             open.onsuccess = () => {
               const all = open.result.transaction('people').objectStore('people').getAll();
               all.onsuccess = () => resolve(JSON.stringify(all.result)); }; })"""
    )
    assert FULL_HOUSEHOLD["members"][0]["family_names"] not in stored and '"draft"' in stored

    # The tab closed by the phone, or a sign-in again through the provider: the form as it was left.
    page.reload()
    unlock(page, "campo-carla", country["passwords"]["campo-carla"])
    page.wait_for_selector("#app:not([hidden])")
    assert page.evaluate(ON_FORM) == left
    assert page.get_attribute("#household .steps [data-goto=payment]", "aria-current") == "step"
    assert page.is_visible("text=El formulario está como lo dejó.")

    page.click("#household button[type=submit]")
    page.wait_for_selector("text=Guardado en este equipo")
    page.wait_for_function(
        """() => new Promise((resolve) => { const open = indexedDB.open('amparo-field');
             open.onsuccess = () => {
               const all = open.result.transaction('people').objectStore('people').getAll();
               all.onsuccess = () => resolve(all.result.every((person) => !person.draft)); }; })"""
    )
    page.reload()
    unlock(page, "campo-carla", country["passwords"]["campo-carla"])
    page.wait_for_selector("#app:not([hidden])")
    assert page.evaluate(ON_FORM)["members"][0]["given_names"] == ""
