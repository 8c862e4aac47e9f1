"""The payments officer's and the auditor's screens in headless Chromium: payment files by channel
written and downloaded, result files (CSV and pain.002) imported with a refused line explained,
failed payments re-issued on another channel, payments whose outcome is unknown; the audit log of
each service filtered, its chains verified, a household's decisions explained; and the services'
refusals reaching the screen (an auditor writing a file, another jurisdiction's batch)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from services import demo as country_demo
from services.console.accounts import new_account, read_accounts, write_accounts
from shared.auth import APPROVER, AUDITOR, PAYMENTS_OFFICER
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import api, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

#: How long an answer may take on a busy machine (milliseconds).
WAIT = 20_000
#: A payments officer of the Distrito Nacional only (the demo's batches cover the whole country).
ELSEWHERE = ("pagos-dn", "DO-01")


@pytest.fixture(scope="module")
def batch(country: dict[str, Any]) -> dict[str, Any]:
    """A batch of this file's own, approved by ids-maria (ids-luis proposed it): the oldest one
    still proposed (the console's own tests approve the newest)."""
    stack = country["stack"]
    states = {
        b["id"]: api(country, "transfers", f"/v1/batches/{b['id']}", [AUDITOR]) for b in country["batches"]
    }
    mine = next(
        states[b["id"]] for b in reversed(country["batches"]) if states[b["id"]]["state"] == "proposed"
    )
    for approver in ("ids-maria", "ids-jose"):  # a large total needs a second approver
        client = country_demo.client(stack, "transfers", approver, [APPROVER], ["DO"])
        mine = client.call(
            "POST",
            f"/v1/batches/{mine['id']}/approve",
            json={"comment": "Revisado para pago"},
            headers={"Idempotency-Key": f"e2e-payments-{approver}-{mine['id']}"},
        )
        if mine["state"] == "approved":
            return mine
    raise AssertionError(f"batch {mine['id']} is still {mine['state']}")


def payment(country: dict[str, Any], batch_id: str, **where: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in where.items())
    return api(country, "transfers", f"/v1/batches/{batch_id}/payments?limit=5000&{query}", [AUDITOR])[
        "payments"
    ]


def write_and_download(page: Any, channel: str, fmt: str, folder: Path) -> str:
    form = page.locator(f"form[data-write={channel}]")
    form.locator("select[name=format]").select_option(fmt)
    with page.expect_download() as download:
        form.locator("button[type=submit]").click()
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return path.read_text()


def pain_002(original_message_id: str, statuses: list[tuple[str, str, str]]) -> str:
    transactions = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>" if code else "")
        + "</TxInfAndSts>"
        for e2e, status, code in statuses
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANCO-RPT-0001</MsgId><CreDtTm>2026-12-07T10:00:00</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{original_message_id}</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{original_message_id}</OrgnlPmtInfId>{transactions}"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )


def import_results(page: Any, name: str, content: str, folder: Path) -> None:
    path = folder / name
    path.write_text(content)
    page.set_input_files("[data-pane=payment-results] input[name=file]", str(path))
    page.click("[data-pane=payment-results] form[data-role=import] button[type=submit]")


def test_the_payments_officer_pays_a_batch_by_channel_and_follows_its_results(
    context: Any, country: dict[str, Any], batch: dict[str, Any], tmp_path: Path
) -> None:
    page = context.new_page()
    sign_in(page, country, "ids-rosa")
    page.click("nav button[data-tab=payments]")
    page.click(f"[data-pane=payments] [data-open='{batch['id']}']")
    shown = page.locator("[data-pane=payments] [data-role=batch]")
    expect(shown.locator("h3")).to_contain_text(batch["id"], timeout=WAIT)
    channels = shown.locator("table").first.inner_text()
    for channel, count in batch["payments_by_channel"].items():
        assert re.search(rf"{channel}\s+{count}\b", channels), (channel, channels)

    xml = write_and_download(page, "bank_account", "pain.001", tmp_path)
    bank = re.findall(r"<EndToEndId>(AMP[0-9a-f]{32})</EndToEndId>", xml)
    message_id = re.search(r"<MsgId>([^<]+)</MsgId>", xml).group(1)
    rows = list(csv.DictReader(io.StringIO(write_and_download(page, "mobile_money", "csv", tmp_path))))
    mobile = [r["end_to_end_id"] for r in rows]
    assert len(bank) == batch["payments_by_channel"]["bank_account"] and len(mobile) >= 3
    assert {p["end_to_end_id"] for p in payment(country, batch["id"], state="instructed")} == {*bank, *mobile}
    expect(shown.locator("[data-role=files] tr")).to_have_count(3, timeout=WAIT)  # a header and two files
    assert_accessible(page)

    # A provider's CSV with a line naming a payment that does not exist: nothing is applied and the
    # screen names the line and why.
    page.click("nav button[data-tab=payment-results]")
    made_up = "AMP" + "0" * 32
    lines = ["end_to_end_id,status,reason", f"{mobile[0]},paid,", f"{mobile[1]},rejected,billetera cerrada"]
    import_results(page, "resultados.csv", "\n".join([*lines, f"{made_up},paid,"]), tmp_path)
    refused = page.locator("[data-pane=payment-results] [data-role=outcome]")
    expect(refused.locator("[data-line='line 4']")).to_have_text("line 4", timeout=WAIT)
    expect(refused).to_contain_text(f"no payment {made_up}", timeout=WAIT)
    expect(page.locator("[data-pane=payment-results] .error")).to_contain_text(
        "1 line(s) refused", timeout=WAIT
    )
    assert_accessible(page)
    in_file = [p for p in payment(country, batch["id"]) if p["end_to_end_id"] in mobile]
    assert len(in_file) == len(mobile) and {p["state"] for p in in_file} == {"instructed"}

    import_results(page, "resultados.csv", "\n".join([*lines, f"{mobile[2]},timeout,"]), tmp_path)
    expect(refused.locator("[data-count=settled]")).to_have_text("1", timeout=WAIT)
    expect(refused.locator("[data-count=unknown]")).to_have_text("1", timeout=WAIT)
    statuses = [(bank[0], "ACSC", ""), (bank[1], "RJCT", "AC04"), *((e, "ACSC", "") for e in bank[2:])]
    import_results(page, "estado.xml", pain_002(message_id, statuses), tmp_path)
    expect(refused.locator("[data-count=failed]")).to_have_text("1", timeout=WAIT)
    states = {p["end_to_end_id"]: p for p in payment(country, batch["id"])}
    assert [states[e]["state"] for e in mobile[:3]] == ["settled", "failed", "unknown"]
    assert states[mobile[1]]["reason"] == "billetera cerrada"
    assert states[bank[1]]["state"] == "failed" and states[bank[1]]["reason"] == "AC04"
    assert {states[e]["state"] for e in [bank[0], *bank[2:]]} == {"settled"}

    # The two failed payments are paid again by cash pickup, in a new batch that needs approval.
    page.click("nav button[data-tab=payments]")
    filter_form = shown.locator("form[data-role=payment-filter]")
    filter_form.locator("select[name=state]").select_option("failed")
    filter_form.locator("button[type=submit]").click()
    expect(shown.locator("[data-role=payments] tbody tr")).to_have_count(2, timeout=WAIT)
    expect(shown.locator("[data-role=payments]")).to_contain_text("billetera cerrada", timeout=WAIT)
    reissue = shown.locator("form[data-role=reissue]")
    reissue.locator("select[name=channel]").select_option("cash_pickup")
    reissue.locator("textarea[name=comment]").fill("Cuenta cerrada: pago en ventanilla")
    reissue.locator("button[type=submit]").click()
    successor_id = shown.locator("[data-role=successor]").inner_text(timeout=20_000)
    successor = api(country, "transfers", f"/v1/batches/{successor_id}", [AUDITOR])
    assert successor["kind"] == "reissue" and successor["state"] == "proposed"
    assert successor["payments_by_channel"] == {"cash_pickup": 2} and successor["proposed_by"] == "ids-rosa"
    assert {states[e]["id"] for e in (mobile[1], bank[1])} == {
        p["replaces"] for p in payment(country, successor_id)
    }
    assert {p["state"] for p in payment(country, batch["id"], state="reissued")} == {"reissued"}
    assert len(payment(country, batch["id"], state="reissued")) == 2

    # The payment whose outcome the provider did not give.
    page.click("nav button[data-tab=payments-unknown]")
    unknown = page.locator("[data-pane=payments-unknown] [data-role=unknown]")
    expect(unknown).to_contain_text(mobile[2], timeout=WAIT)
    assert_accessible(page)
    # In Spanish, the service's answers drawn again.
    page.click("#language")
    expect(unknown.locator("th").first).to_have_text("Lote", timeout=WAIT)


def test_the_auditor_reads_each_log_verifies_the_chains_and_explains_a_decision_in_spanish(
    browser: Any, country: dict[str, Any], batch: dict[str, Any]
) -> None:
    context = browser.new_context(locale="es-DO")
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        sign_in(page, country, "aud-pedro")
        page.click("nav button[data-tab=audit-log]:has-text('Bitácora de auditoría')")
        pane = page.locator("[data-pane=audit-log]")
        form = pane.locator("form[data-role=audit-filter]")
        form.locator("select[name=service]").select_option("transfers")
        # The actions to pick from are those the chosen service's log holds.
        expect(pane.locator("#audit-actions option[value=approved]")).to_have_count(1, timeout=WAIT)
        form.locator("input[name=action]").fill("approved")
        form.locator("input[name=by]").fill("ids-maria")
        form.locator("button[type=submit]").click()
        entry = pane.locator("[data-role=entries] tbody tr", has_text=batch["id"])
        expect(entry).to_have_count(1, timeout=WAIT)
        expect(entry).to_contain_text("Revisado para pago", timeout=WAIT)
        logged = api(
            country,
            "transfers",
            f"/v1/audit-log?action=approved&by=ids-maria&subject_id={batch['id']}",
            [AUDITOR],
        )
        assert [e["to_state"] for e in logged["items"]] == ["approved"]
        assert set(pane.locator("[data-role=entries] tbody tr td:nth-child(3)").all_inner_texts()) == {
            "ids-maria"
        }
        # Each service's log: the registry's import by the demo's registry officer.
        form.locator("select[name=service]").select_option("registry")
        expect(pane.locator("#audit-actions option[value=import_committed]")).to_have_count(1, timeout=WAIT)
        expect(pane.locator("#audit-actions option[value=approved]")).to_have_count(0)
        form.locator("input[name=action]").fill("import_committed")
        form.locator("input[name=by]").fill("")
        form.locator("button[type=submit]").click()
        # (other tests sharing the stack commit imports of their own: find the demo's among them)
        expect(pane.locator("[data-role=entries] tbody tr", has_text=country["import_id"])).to_have_count(
            1, timeout=WAIT
        )

        pane.locator("[data-role=verify]").click()
        for service in ("transfers", "registry", "alerts"):
            expect(pane.locator(f"[data-intact={service}]")).to_have_text(
                "verificada: la cadena está intacta", timeout=WAIT
            )
        chain = api(country, "alerts", "/v1/audit-log/verification", [AUDITOR])
        assert chain["intact"] and chain["last_hash"] in pane.locator("[data-role=verification]").inner_text()
        assert_accessible(page)

        household_id = payment(country, batch["id"])[0]["household_id"]
        page.click("nav button[data-tab=audit-household]")
        explain = page.locator("[data-pane=audit-household]")
        explain.locator("input[name=id]").fill(household_id)
        explain.locator("button[type=submit]").click()
        expect(explain.locator(".why li").first).to_be_visible(timeout=WAIT)
        assert "a pagar" in explain.inner_text() and batch["id"][:8] in explain.inner_text()
        assert_accessible(page)

        # The auditor reads payments but writes nothing: a file forced out of the page is refused
        # by the service, the refusal is on the screen and in the log, and nothing moved.
        page.click("nav button[data-tab=payments]")
        payments = page.locator("[data-pane=payments]")
        payments.locator("input[name=id]").fill(batch["id"])
        payments.locator("form[data-role=open] button[type=submit]").click()
        expect(payments.locator("[data-role=payments] tbody tr").first).to_be_visible(timeout=WAIT)
        # The files the payments officer wrote, as the service lists them.
        expect(payments.locator("[data-role=files] tbody tr")).to_have_count(2, timeout=WAIT)
        write = payments.locator("form[data-write=cash_pickup]")
        expect(write).to_have_count(1)
        expect(write).to_be_hidden()
        write.evaluate("form => { form.hidden = false; }")
        write.locator("button[type=submit]").click()
        expect(payments.locator(".error")).to_contain_text("payments_officer", timeout=WAIT)
        denied = api(country, "transfers", "/v1/audit-log?outcome=denied&by=aud-pedro", [AUDITOR])["items"]
        assert denied[0]["subject_id"] == f"/v1/batches/{batch['id']}/instructions"
        cash = [p for p in payment(country, batch["id"]) if p["channel_type"] == "cash_pickup"]
        assert cash and {p["state"] for p in cash} == {"approved"}
    finally:
        context.close()


def test_a_payments_officer_of_another_jurisdiction_does_not_see_the_batch_on_a_phone(
    browser: Any, country: dict[str, Any], batch: dict[str, Any]
) -> None:
    username, area = ELSEWHERE
    path = country["stack"].accounts_file
    password = "pagos-distrito-nacional"
    accounts = read_accounts(path)
    accounts[username] = new_account(username, "Inés Polanco", [PAYMENTS_OFFICER], [area], password)
    write_accounts(path, accounts.values())
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        sign_in(page, {**country, "passwords": {username: password}}, username)
        page.click("nav button[data-tab=payments]")
        pane = page.locator("[data-pane=payments]")
        expect(pane.locator("[data-role=batch-list]")).to_contain_text(
            "No approved batch in your jurisdiction", timeout=WAIT
        )
        pane.locator("input[name=id]").fill(batch["id"])
        pane.locator("form[data-role=open] button[type=submit]").click()
        expect(pane.locator(".error")).to_contain_text(
            f"no batch {batch['id']} in your jurisdiction", timeout=WAIT
        )
        assert pane.locator("[data-role=batch]").inner_text() == ""
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert_accessible(page)
    finally:
        context.close()
    stack = country["stack"]
    token = stack.issuer.mint(username, [PAYMENTS_OFFICER], [area])
    import requests

    answer = requests.get(
        f"{stack.url('transfers')}/v1/batches/{batch['id']}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 404
