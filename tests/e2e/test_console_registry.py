"""The registry officer's screens in Chromium: an import's dry run, commit and progress; the
duplicate queue decided three ways; a household found and its history; the registry's refusals.

Every household here is this file's own (names no one else has, in a province Fiona spared),
so the country the other files share is left as it was.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import requests

from services.console.accounts import new_account, new_password, read_accounts, write_accounts
from shared.auth import AUDITOR, REGISTRY_OFFICER
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import api, sign_in

HEADER = (
    "Código Hogar;Departamento;Latitud;Longitud;Nombres;Apellidos;Sexo;Parentesco;"
    "Fecha de Nacimiento;Edad;Número Documento;Techo;Cuartos"
)
#: Provinces far from Fiona's path, in the order tried for a place to put this file's households.
WEST = ("DO-25", "DO-15", "DO-05", "DO-26", "DO-07", "DO-16")


def tag() -> str:
    """A family name nobody in the country has."""
    return "".join(random.choices("bcdfghjklmnpqrstvwxz", k=7)).capitalize()


def document() -> str:
    return f"402-{random.randint(1_000_000, 9_999_999)}-{random.randint(0, 9)}"


def call(country: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    stack = country["stack"]
    token = stack.issuer.mint("e2e-registry", [REGISTRY_OFFICER, AUDITOR], ["DO"])
    return requests.request(
        method,
        f"{stack.url('registry')}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **kwargs,
    )


def imported(country: dict[str, Any], lines: list[str], header: str = HEADER) -> dict[str, Any]:
    """Import a file through the API, committed."""
    content = "\n".join([header, *lines]).encode()
    job = call(country, "POST", "/v1/imports", files={"file": ("e2e.csv", content)}).json()
    for wanted in ("validated", "committed"):
        deadline = time.monotonic() + 60
        while (job := call(country, "GET", f"/v1/imports/{job['id']}").json())["status"] != wanted:
            assert job["status"] != "failed" and time.monotonic() < deadline, (job["error"], job["problems"])
            time.sleep(0.2)
        if wanted == "validated":
            assert call(country, "POST", f"/v1/imports/{job['id']}/commit", json={}).status_code == 202
    return job


@pytest.fixture(scope="module")
def place(country: dict[str, Any]) -> dict[str, Any]:
    """A province, and a point in it, where the country already has a household."""
    for code in WEST:
        items = api(country, "registry", f"/v1/households?admin_code={code}&limit=1", [AUDITOR])["items"]
        if items:
            home = api(country, "registry", f"/v1/households/{items[0]['id']}", [AUDITOR])
            return {"code": home["admin_code"], **home["location"]}
    pytest.fail("the country has no household in the west")


def row(
    place: dict[str, Any], ref: str, given: str, family: str, sex: str, role: str, born: str, doc: str = ""
) -> str:
    """A household's first row: the person, with the home's place, roof and rooms."""
    home = f"{place['code']};{place['lat']};{place['lon']}"
    return f"{ref};{home};{given};{family};{sex};{role};{born};;{doc};Lámina;2"


def member(ref: str, given: str, family: str, sex: str, role: str, born: str, doc: str = "") -> str:
    """Another person's row in the same household."""
    return f"{ref};;;;{given};{family};{sex};{role};{born};;{doc};;"


@pytest.fixture(scope="module")
def pairs(country: dict[str, Any], place: dict[str, Any]) -> dict[str, Any]:
    """Three pairs of probable duplicates, each between two households of its own."""
    family, same, ines = tag(), document(), document()
    lines = [
        row(place, "M1", "Zenobia", f"Valverde {family}", "F", "Jefa", "14/03/1980", same),
        member("M1", "Clodomiro", f"Valverde {family}", "M", "Hijo", "02/01/2015"),
        row(place, "M2", "Zenobia", f"Valverde {family}", "F", "Jefa", "14/03/1980", same),
        member("M2", "Octavio", f"Peralta {family}", "M", "Esposo", "09/09/1978"),
        row(place, "D1", "Fulgencio", f"Castillo {family}", "M", "Jefe", "02/06/1975"),
        row(place, "D2", "Fulgencio", f"Castillo {family}", "M", "Jefe", "02/06/1975"),
        row(place, "R1", "Leocadia", f"Batista {family}", "F", "Jefa", "01/01/1958"),
        member("R1", "Inocencia", f"Batista {family}", "F", "Hermana", "05/05/1992", ines),
        row(place, "R2", "Inocencia", f"Batista {family}", "F", "Jefa", "05/05/1992", ines),
    ]
    imported(country, lines)
    return {
        "family": family,
        "document": same,
        **{kind: households(country, f"{name} {family}") for kind, name in MEANT.items()},
    }


#: Each pair's households, found by their head's family name.
MEANT = {"merge": "Valverde", "dismiss": "Castillo", "remove": "Batista"}


def households(country: dict[str, Any], text: str) -> list[dict[str, Any]]:
    """The households found by ``text``, each read whole."""
    items = call(country, "GET", "/v1/households", params={"text": text}).json()["items"]
    return [call(country, "GET", f"/v1/households/{i['id']}").json() for i in items]


def named(household: dict[str, Any], given: str) -> dict[str, Any]:
    return next(m for m in household["members"] if m["given_names"] == given)


def having(found: list[dict[str, Any]], given: str) -> dict[str, Any]:
    """The household among ``found`` with a member of that given name."""
    return next(h for h in found if any(m["given_names"] == given for m in h["members"]))


def candidate_between(country: dict[str, Any], ids: set[str], status: str = "open") -> dict[str, Any] | None:
    listed = call(country, "GET", "/v1/duplicates", params={"status": status, "limit": 500}).json()
    return next((c for c in listed if {c["household_a"], c["household_b"]} == ids), None)


def open_tab(page: Any, name: str) -> Any:
    page.click(f'nav button[data-tab="{name}"]')
    return page.locator(f'[data-pane="{name}"]')


def test_an_import_is_checked_then_committed_and_followed(context, country, place, tmp_path):
    family, same = tag(), document()
    lines = [
        row(place, "A", "Eusebia", f"Mieses {family}", "F", "Jefa", "11/11/1961", same),
        member("A", "Rigoberto", f"Mieses {family}", "M", "Hijo", "02/01/2012"),
        row(place, "B", "Eusebia", f"Mieses {family}", "F", "Jefa", "11/11/1961", same),
        row(place, "C", "Anacleto", f"Mieses {family}", "X", "Jefe", "01/01/1950"),  # row 5: no such sex
    ]
    upload = tmp_path / f"padron-{family}.csv"
    upload.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    page = context.new_page()
    sign_in(page, country, "reg-marta")
    pane = open_tab(page, "registry-imports")
    pane.locator("input[name=file]").set_input_files(str(upload))
    pane.get_by_role("button", name="Upload and check").click()

    report = pane.locator(".reg-import")
    report.get_by_text("checked — nothing written yet").wait_for()
    problems = report.get_by_role("region", name="Problems found (row, column)")
    assert problems.locator("tbody tr").filter(has_text="Sexo").locator("td").first.inner_text() == "5"
    refused = report.get_by_role("region", name="Households refused")
    assert "/rows/5/Sexo" in refused.inner_text()
    duplicates = report.get_by_role("region", name="Probable duplicates").inner_text()
    assert "row 2 of this file" in duplicates and "same document" in duplicates
    assert_accessible(page)

    report.get_by_role("button", name="Commit").click()
    report.get_by_text("committed", exact=True).wait_for()
    assert report.locator(".reg-written").inner_text() == "2 / 2"
    job = next(j for j in call(country, "GET", "/v1/imports").json() if j["file_name"] == upload.name)
    assert job["status"] == "committed" and job["households_written"] == 2
    written = households(country, f"Mieses {family}")
    assert sorted(len(h["members"]) for h in written) == [1, 2]  # Anacleto's household was refused
    earlier = pane.get_by_role("region", name="Earlier imports")
    assert earlier.get_by_role("button", name=upload.name).is_visible()
    assert_accessible(page)


def compare(pane: Any, candidate: dict[str, Any]) -> Any:
    pane.locator(f'button.reg-dup-open[data-id="{candidate["id"]}"]').click()
    pair = pane.locator(".reg-dup-pair")
    pair.locator(".reg-dup-decide").wait_for()
    return pair


def decided(pane: Any) -> None:
    pane.get_by_role("button", name="Record the decision").click()
    pane.locator(".reg-dup-pair .reg-dup-result").wait_for()


def test_the_duplicate_queue_merges_dismisses_and_removes_a_person(context, country, pairs):
    kept, other = having(pairs["merge"], "Clodomiro"), having(pairs["merge"], "Octavio")
    merge = candidate_between(country, {kept["id"], other["id"]})
    dismiss = candidate_between(country, {h["id"] for h in pairs["dismiss"]})
    leaves = having(pairs["remove"], "Leocadia")
    stays = next(h for h in pairs["remove"] if h["id"] != leaves["id"])
    remove = candidate_between(country, {leaves["id"], stays["id"]})
    assert merge and dismiss and remove, "the import queued no pair"

    page = context.new_page()
    sign_in(page, country, "reg-marta")
    pane = open_tab(page, "registry-duplicates")
    pair = compare(pane, merge)
    shown = pair.locator(".reg-side").inner_text()
    assert pairs["document"] not in shown and pairs["document"][-4:] in shown  # documents masked
    assert "same document" in pair.inner_text() and "km" in pair.locator(".reg-dup-km").inner_text()
    assert pair.locator("tr.reg-match").count() == 2
    assert_accessible(page)
    pair.locator("select[name=keep]").select_option(kept["id"])
    pair.locator(f'select[data-member="{named(other, "Octavio")["id"]}"]').select_option("moves")
    twin = named(other, "Zenobia")["id"]
    pair.locator(f'select[data-member="{twin}"]').select_option(named(kept, "Zenobia")["id"])
    decided(pane)
    after = call(country, "GET", f"/v1/households/{kept['id']}").json()
    assert sorted(m["given_names"] for m in after["members"]) == ["Clodomiro", "Octavio", "Zenobia"]
    assert named(after, "Octavio")["id"] == named(other, "Octavio")["id"]  # moved in, the same record
    assert call(country, "GET", f"/v1/households/{other['id']}").json()["status"] != "active"

    compare(pane, dismiss).get_by_label("Not a duplicate").check()
    decided(pane)
    assert candidate_between(country, {h["id"] for h in pairs["dismiss"]}, "dismissed")["id"] == dismiss["id"]
    again = [h["registration_number"] for h in pairs["dismiss"]]
    imported(  # both households again, by their registration numbers: the pair is not proposed again
        country,
        [f"D{n};;;;Fulgencio;Castillo {pairs['family']};M;Jefe;02/06/1975;;;;3;{n}" for n in again],
        header=f"{HEADER};Número de Registro",
    )
    assert candidate_between(country, {h["id"] for h in pairs["dismiss"]}) is None

    pair = compare(pane, remove)
    pair.get_by_label("Remove a person from one household").check()
    pair.locator("select[name=household]").select_option(leaves["id"])
    pair.get_by_role("checkbox", name=f"Inocencia Batista {pairs['family']}").check()
    decided(pane)
    after = call(country, "GET", f"/v1/households/{leaves['id']}").json()
    assert [m["given_names"] for m in after["members"]] == ["Leocadia"]
    assert [
        m["given_names"] for m in call(country, "GET", f"/v1/households/{stays['id']}").json()["members"]
    ] == ["Inocencia"]
    assert pane.locator(f'button.reg-dup-open[data-id="{remove["id"]}"]').count() == 0
    assert_accessible(page)


@pytest.fixture(scope="module")
def elsewhere(country: dict[str, Any]) -> str:
    """A registry officer of the east only (La Altagracia), with a password of their own."""
    path = country["stack"].accounts_file
    accounts = read_accounts(path)
    password = new_password()
    accounts["reg-este"] = new_account("reg-este", "Elsa Rijo", [REGISTRY_OFFICER], ["DO-11"], password)
    write_accounts(path, accounts.values())
    country["passwords"]["reg-este"] = password
    return "reg-este"


def test_a_household_found_and_its_history_read_in_spanish_on_a_phone(browser, country, pairs):
    kept = having(pairs["merge"], "Clodomiro")
    context = browser.new_context(locale="es-DO", viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        sign_in(page, country, "reg-marta")
        pane = open_tab(page, "registry-households")
        pane.get_by_label("Nombre del jefe/a, número de registro o id del hogar").fill(
            f"zenobia valverde {pairs['family']}"
        )
        pane.get_by_role("button", name="Buscar").click()
        results = pane.get_by_role("region", name="Hogares encontrados")
        results.get_by_role("button", name=kept["registration_number"]).click()
        history = pane.get_by_role("region", name="Historial")
        history.wait_for()
        text = history.inner_text()
        assert "merged_from" in text and "members." in text  # the merge, version 2
        stored = call(country, "GET", f"/v1/households/{kept['id']}/history").json()
        assert history.locator("tbody tr").count() == len(stored) and len(stored) >= 2
        members = pane.get_by_role("region", name="Integrantes").inner_text()
        assert "Octavio" in members and "hijo o hija" in members
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # tables scroll in their own box
        assert_accessible(page)

        # In English, what was found and read is drawn again from the same answers.
        page.locator("#language").click()
        pane.get_by_role("region", name="History").wait_for()
        assert pane.get_by_role("region", name="Households found").is_visible()
        assert pane.get_by_role("region", name="History").locator("tbody tr").count() == len(stored)
        assert "son or daughter" in pane.get_by_role("region", name="Members").inner_text()
    finally:
        context.close()


def test_an_officer_of_another_area_sees_the_registrys_refusal(context, country, pairs, elsewhere):
    household = having(pairs["remove"], "Leocadia")
    page = context.new_page()
    sign_in(page, country, elsewhere)
    pane = open_tab(page, "registry-households")
    pane.get_by_label("Head’s name, registration number or household id").fill(household["id"])
    pane.get_by_role("button", name="Search").click()
    refusal = pane.locator("p.error[role=alert]")
    refusal.filter(has_text=household["admin_code"]).wait_for()
    assert pane.locator(".reg-hh-detail").inner_text() == ""
    log = call(country, "GET", "/v1/audit-log", params={"outcome": "denied", "limit": 50}).json()["items"]
    assert any(e["subject_id"] == f"/v1/households/{household['id']}" and e["by"] == elsewhere for e in log)

    pane.get_by_label("Head’s name, registration number or household id").fill(
        household["registration_number"]
    )
    pane.get_by_role("button", name="Search").click()
    pane.get_by_text("No household found in your areas.").wait_for()  # the search keeps to DO-11


def test_the_officer_reads_a_households_messages_and_erases_its_personal_data_on_request(
    context, country, place
):
    family = tag()
    imported(country, [row(place, "E1", "Eulalia", f"Brito {family}", "F", "Jefa", "03/03/1970", document())])
    [household] = households(country, f"Eulalia Brito {family}")
    page = context.new_page()
    sign_in(page, country, "reg-marta")
    pane = open_tab(page, "registry-households")
    pane.get_by_label("Head’s name, registration number or household id").fill(household["id"])
    pane.get_by_role("button", name="Search").click()
    detail = pane.locator(".reg-hh-detail")
    detail.get_by_text("No message to this household.").wait_for()
    form = detail.locator("form.reg-hh-erase")
    form.get_by_label("Request reference").fill("SOL-E2E-7")
    form.get_by_label("Erase the exact location too").check()
    form.get_by_label("I understand this cannot be undone").check()
    assert_accessible(page)
    form.get_by_role("button", name="Erase").click()
    detail.locator("[data-role=erased]").wait_for()
    assert "Eulalia" not in detail.inner_text() and "(erased)" in detail.inner_text()
    stored = call(country, "GET", f"/v1/households/{household['id']}").json()
    assert stored["status"] == "inactive" and stored["location"]["source"] == "admin_centroid"
    assert {m["given_names"] for m in stored["members"]} == {"(erased)"}
