"""Paying: four eyes, payment files valid against pain.001.001.09, results, re-issue, idempotency."""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from services.transfers.adapters.orm import idempotency_keys
from services.transfers.adapters.payment_files import pain_001_schema
from shared.auth import APPROVER, AUDITOR, PAYMENTS_OFFICER, PROGRAMME_OFFICER, REGISTRY_OFFICER
from tests.samples import household_body
from tests.transfers_world import BANK, TORMENTA

pytestmark = pytest.mark.integration


def proposed_batch(world, banked=2, wallets=1):
    world.define()
    households = world.register(banked, payment=BANK) + world.register(wallets)
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    return incident, batch, households


def test_four_eyes_the_proposer_never_approves_and_every_step_is_audited(world):
    _, batch, _ = proposed_batch(world)
    # officer-ana defined the programme that proposed the batch; even holding the approver role she
    # cannot approve it.
    refused = world.approve(batch["id"], who="officer-ana")
    assert refused.status_code == 403 and refused.get_json()["type"].endswith("four-eyes")
    assert world.post(f"/v1/batches/{batch['id']}/approve", PROGRAMME_OFFICER, json={}).status_code == 403
    approved = world.approve(batch["id"])
    assert approved.status_code == 200, approved.get_json()
    body = approved.get_json()
    assert body["state"] == "approved" and body["decided_by"] == "approver-luis"
    assert [(a["action"], a["by"], a["role"]) for a in body["audit"]] == [
        ("proposed", "officer-ana", None),
        ("approved", "approver-luis", "approver"),
    ]
    again = world.approve(batch["id"], who="approver-eva")
    assert again.status_code == 409 and "only a proposed batch" in again.get_json()["detail"]


def test_a_rejection_needs_a_reason(world):
    _, batch, _ = proposed_batch(world, banked=0)
    missing = world.post(f"/v1/batches/{batch['id']}/reject", APPROVER, json={})
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["pointer"] == "/comment"
    rejected = world.post(f"/v1/batches/{batch['id']}/reject", APPROVER, json={"comment": "wrong area"})
    assert rejected.get_json()["state"] == "rejected"
    assert rejected.get_json()["payments_by_state"] == {"rejected": 1}


def test_bank_payments_become_a_pain_001_file_valid_against_its_schema(world):
    _, batch, households = proposed_batch(world)
    world.approve(batch["id"])
    written = world.instruct(batch["id"], "bank_account")
    assert written.status_code == 200, written.get_json()
    file = written.get_json()
    assert file["format"] == "pain.001" and file["transactions"] == 2 and file["control_sum"] == "4500.00"
    assert world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()[
        "state"
    ] == (
        "approved"  # the wallet payment is not in a file yet
    )
    download = world.download(file["id"])
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    xml = download.data
    pain_001_schema().validate(xml)
    text = xml.decode()
    assert f"<MsgId>{file['message_id']}</MsgId>" in text
    assert "<NbOfTxs>2</NbOfTxs>" in text and "<CtrlSum>4500.00</CtrlSum>" in text
    assert '<InstdAmt Ccy="HNL">2250.00</InstdAmt>' in text
    officer = world.auth(REGISTRY_OFFICER)
    head = world.registry.get(f"/v1/households/{households[0]}", headers=officer).get_json()["members"][0]
    assert "<Id>2002003004</Id>" in text and f"{head['given_names']} {head['family_names']}" in text
    ids = [p["end_to_end_id"] for p in world.payments(batch["id"]) if p["channel_type"] == "bank_account"]
    assert all(f"<EndToEndId>{e}</EndToEndId>" in text for e in ids)
    # The account numbers are in the file only, never in transfers' database or its answers.
    assert "2002003004" not in str(world.payments(batch["id"]))
    wallets = world.instruct(batch["id"], "mobile_money").get_json()
    assert wallets["format"] == "csv"
    rows = list(csv.DictReader(io.StringIO(world.download(wallets["id"]).data.decode())))
    assert rows[0]["account"] == "99887766" and rows[0]["provider"] == "Tigo Money"
    after = world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()
    assert after["state"] == "instructed"
    assert [a["action"] for a in after["audit"]][-3:] == ["file_downloaded", "instructed", "file_downloaded"]
    # A payments officer may write files, nobody else; an approver cannot download one.
    assert world.download(file["id"]).status_code == 200
    assert (
        world.client.get(f"/v1/payment-files/{file['id']}", headers=world.auth(APPROVER)).status_code == 403
    )


def test_a_file_needs_an_approved_batch_and_a_payer_account(world):
    _, batch, _ = proposed_batch(world)
    early = world.instruct(batch["id"], "bank_account")
    assert early.status_code == 409 and "only an approved batch" in early.get_json()["detail"]
    wrong = world.instruct(batch["id"], "mobile_money", "pain.001")
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["pointer"] == "/format"


def test_a_bank_file_needs_the_payer_account_and_nothing_moves_without_it(world):
    programme = copy.deepcopy(TORMENTA)
    del programme["payer"]
    world.define(programme)
    incident = world.new_incident()
    world.issue(incident, 1, world.register(1, payment=BANK))
    [batch] = world.batches(incident)
    world.approve(batch["id"])
    refused = world.instruct(batch["id"], "bank_account")
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/payer/iban"
    assert {p["state"] for p in world.payments(batch["id"])} == {"approved"}
    csv_instead = world.instruct(batch["id"], "bank_account", "csv")
    assert csv_instead.status_code == 200 and csv_instead.get_json()["transactions"] == 1


def test_households_without_the_account_their_channel_needs_stay_out_of_the_file(world):
    world.define()
    no_account = {"type": "bank_account", "provider": "Banco Atlántida", "identifiers": {}}
    households = world.register(1, payment=BANK) + world.register(1, payment=no_account)
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    world.approve(batch["id"])
    written = world.instruct(batch["id"], "bank_account").get_json()
    assert written["transactions"] == 1
    [(payment_id, why)] = written["not_included"].items()
    assert why == "no IBAN or account number registered"
    left = {p["id"]: p for p in world.payments(batch["id"])}[payment_id]
    assert left["state"] == "approved" and left["reason"] == why


def settle(world, batch_id, lines):
    text = "end_to_end_id,status,reason\n" + "".join(f"{e},{s},{r}\n" for e, s, r in lines)
    return world.results(text)


def test_results_settle_fail_or_leave_unknown_and_failed_payments_are_reissued_once(world):
    _, batch, _ = proposed_batch(world, banked=3, wallets=0)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    settled, failed, unknown = world.payments(batch["id"])
    imported = settle(
        world,
        batch["id"],
        [
            (settled["end_to_end_id"], "paid", ""),
            (failed["end_to_end_id"], "rejected", "AC04 cuenta cerrada"),
            (unknown["end_to_end_id"], "timeout", ""),
        ],
    )
    assert imported.status_code == 200, imported.get_json()
    assert imported.get_json()["settled"] == 1 and imported.get_json()["failed"] == 1
    states = {p["id"]: (p["state"], p["reason"]) for p in world.payments(batch["id"])}
    assert states[failed["id"]] == ("failed", "AC04 cuenta cerrada")
    assert states[unknown["id"]][0] == "unknown"
    # An unknown payment is never paid again blindly.
    blind = world.post(
        f"/v1/batches/{batch['id']}/reissue", PAYMENTS_OFFICER, json={"payment_ids": [unknown["id"]]}
    )
    assert blind.status_code == 409 and "unknown outcome" in blind.get_json()["detail"]
    # The failed one goes again, on another channel, in a new batch that needs approval.
    again = world.post(
        f"/v1/batches/{batch['id']}/reissue",
        PAYMENTS_OFFICER,
        json={"payment_ids": [failed["id"]], "channel_type": "cash_pickup", "comment": "cuenta cerrada"},
    )
    assert again.status_code == 200, again.get_json()
    reissue = again.get_json()
    assert reissue["kind"] == "reissue" and reissue["state"] == "proposed" and reissue["households"] == 1
    [successor] = world.payments(reissue["id"])
    assert successor["replaces"] == failed["id"] and successor["end_to_end_id"] != failed["end_to_end_id"]
    assert successor["channel_type"] == "cash_pickup"
    twice = world.post(
        f"/v1/batches/{batch['id']}/reissue", PAYMENTS_OFFICER, json={"payment_ids": [failed["id"]]}
    )
    assert twice.status_code == 409
    # The unknown one turns out settled: the original batch is then partly failed.
    settle(world, batch["id"], [(unknown["end_to_end_id"], "settled", "")])
    original = world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()
    assert original["state"] == "partly_failed"
    assert original["payments_by_state"] == {"settled": 2, "reissued": 1}


def test_a_result_file_with_unknown_ids_or_duplicated_lines_changes_nothing(world):
    _, batch, _ = proposed_batch(world, banked=2, wallets=0)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    first, second = world.payments(batch["id"])
    unknown = settle(
        world, batch["id"], [(first["end_to_end_id"], "paid", ""), ("AMPnosuchpayment", "paid", "")]
    )
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == [{"pointer": "line 3", "detail": "no payment AMPnosuchpayment"}]
    duplicated = settle(
        world, batch["id"], [(first["end_to_end_id"], "paid", ""), (first["end_to_end_id"], "failed", "x")]
    )
    assert (
        duplicated.status_code == 422 and "already on line 2" in duplicated.get_json()["errors"][0]["detail"]
    )
    bad_status = settle(world, batch["id"], [(first["end_to_end_id"], "maybe", "")])
    assert bad_status.status_code == 422 and bad_status.get_json()["errors"][0]["pointer"] == "line 2"
    assert {p["state"] for p in world.payments(batch["id"])} == {"instructed"}
    settle(world, batch["id"], [(first["end_to_end_id"], "paid", ""), (second["end_to_end_id"], "paid", "")])
    contradicts = settle(world, batch["id"], [(first["end_to_end_id"], "failed", "")])
    assert contradicts.status_code == 422 and "is settled" in contradicts.get_json()["errors"][0]["detail"]
    done = world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()
    assert done["state"] == "settled"


def test_a_pain_002_status_report_is_reconciled_on_end_to_end_ids(world):
    _, batch, _ = proposed_batch(world, banked=2, wallets=0)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    ok, rejected = world.payments(batch["id"])
    report = f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
  <CstmrPmtStsRpt>
    <GrpHdr><MsgId>BANK-STS-1</MsgId><CreDtTm>2026-11-25T10:00:00</CreDtTm></GrpHdr>
    <OrgnlGrpInfAndSts><OrgnlMsgId>x</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>
    <OrgnlPmtInfAndSts>
      <OrgnlPmtInfId>x</OrgnlPmtInfId>
      <TxInfAndSts><OrgnlEndToEndId>{ok["end_to_end_id"]}</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts>
      <TxInfAndSts>
        <OrgnlEndToEndId>{rejected["end_to_end_id"]}</OrgnlEndToEndId><TxSts>RJCT</TxSts>
        <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn><AddtlInf>Cuenta cerrada</AddtlInf></StsRsnInf>
      </TxInfAndSts>
    </OrgnlPmtInfAndSts>
  </CstmrPmtStsRpt>
</Document>"""
    response = world.results(report, "application/xml")
    assert response.status_code == 200, response.get_json()
    states = {p["id"]: (p["state"], p["reason"]) for p in world.payments(batch["id"])}
    assert states == {ok["id"]: ("settled", None), rejected["id"]: ("failed", "AC04 Cuenta cerrada")}


def test_idempotency_keys_replay_the_first_answer_and_refuse_reuse(world):
    _, batch, _ = proposed_batch(world, banked=0)
    key = f"approve-{uuid.uuid4()}"
    path = f"/v1/batches/{batch['id']}/approve"
    first = world.post(path, APPROVER, "approver-luis", key=key, json={"comment": "ok"})
    replay = world.post(path, APPROVER, "approver-luis", key=key, json={"comment": "ok"})
    assert first.status_code == replay.status_code == 200
    assert replay.get_json() == first.get_json() and replay.headers["Idempotent-Replayed"] == "true"
    reused = world.post(path, APPROVER, "approver-luis", key=key, json={"comment": "different"})
    assert reused.status_code == 422 and reused.get_json()["type"].endswith("idempotency-key-reused")
    missing = world.client.post(path, headers=world.auth(APPROVER), json={})
    assert missing.status_code == 422 and "Idempotency-Key" in missing.get_json()["detail"]
    # A request still running under a key: the retry is told to wait, nothing runs twice.
    body = b'{"comment": "ok"}'
    fingerprint = hashlib.sha256(b"POST " + path.encode() + b'\n{"comment":"ok"}').hexdigest()
    with world.runtime.session_factory.begin() as session:
        session.execute(
            insert(idempotency_keys).values(
                key="still-running-1",
                principal="approver-luis",
                request=fingerprint,
                state="running",
                created_at=datetime.now(UTC),
            )
        )
    busy = world.post(
        path, APPROVER, "approver-luis", key="still-running-1", data=body, content_type="application/json"
    )
    assert busy.status_code == 409 and busy.get_json()["type"].endswith("idempotency-key-in-use")
    # The same JSON with its keys spaced or ordered otherwise is the same request.
    spaced = world.post(
        path,
        APPROVER,
        "approver-luis",
        key=key,
        data=b'{ "comment" : "ok" }',
        content_type="application/json",
    )
    assert spaced.status_code == 200 and spaced.headers["Idempotent-Replayed"] == "true"
    # A key whose request died mid-way is taken over after its lease: the request runs again, and
    # the batch's own state check stops it from doing anything twice.
    with world.runtime.session_factory.begin() as session:
        session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == "still-running-1")
            .values(created_at=datetime.now(UTC) - timedelta(minutes=10))
        )
    taken_over = world.post(
        path, APPROVER, "approver-luis", key="still-running-1", data=body, content_type="application/json"
    )
    assert taken_over.status_code == 409 and "only a proposed batch" in taken_over.get_json()["detail"]
    # An error is an answer too: replayed, not re-run.
    refused = world.post(path, APPROVER, "approver-luis", key="approve-twice-1", json={"comment": "ok"})
    assert refused.status_code == 409
    assert (
        world.post(path, APPROVER, "approver-luis", key="approve-twice-1", json={"comment": "ok"}).status_code
        == 409
    )


def test_a_file_is_never_written_with_an_account_the_registry_no_longer_has(world):
    _, batch, households = proposed_batch(world, banked=1, wallets=0)
    world.approve(batch["id"])
    file = world.instruct(batch["id"], "bank_account").get_json()
    # The household's account is removed in the registry after the file was prepared.
    read = world.registry.get(f"/v1/households/{households[0]}", headers=world.auth(REGISTRY_OFFICER))
    body = household_body()
    body["payment"] = {"type": "bank_account", "provider": "Banco Atlántida", "identifiers": {}}
    changed = world.registry.put(
        f"/v1/households/{households[0]}",
        json=body,
        headers={**world.auth(REGISTRY_OFFICER), "If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    refused = world.download(file["id"])
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["detail"] == "no IBAN or account number registered"


def test_a_malformed_iban_keeps_the_payment_out_of_the_file_until_it_changes_channel(world):
    world.define()
    bad = {"type": "bank_account", "provider": "Banco Atlántida", "identifiers": {"iban": "hn12 3456"}}
    households = world.register(1, payment=BANK) + world.register(1, payment=bad)
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    world.approve(batch["id"])
    written = world.instruct(batch["id"], "bank_account").get_json()
    [(left, why)] = written["not_included"].items()
    assert written["transactions"] == 1 and why == "the registered IBAN is not well formed"
    pain_001_schema().validate(world.download(written["id"]).data)
    moved = world.post(
        f"/v1/batches/{batch['id']}/channel",
        PAYMENTS_OFFICER,
        json={"payment_ids": [left], "channel_type": "cash_pickup", "comment": "cobro en ventanilla"},
    )
    assert moved.status_code == 200, moved.get_json()
    cash = world.instruct(batch["id"], "cash_pickup").get_json()
    assert cash["transactions"] == 1
    done = world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()
    assert done["state"] == "instructed"
    assert "channel_changed" in [a["action"] for a in done["audit"]]


def test_no_reissue_once_the_alert_is_cancelled(world):
    incident, batch, _ = proposed_batch(world, banked=1, wallets=0)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    [payment] = world.payments(batch["id"])
    settle(world, batch["id"], [(payment["end_to_end_id"], "failed", "AC04")])
    world.apply(world.alert_event(incident, 2, "Cancel").to_json())
    refused = world.post(f"/v1/batches/{batch['id']}/reissue", PAYMENTS_OFFICER, json={})
    assert refused.status_code == 409 and "cancelled" in refused.get_json()["detail"]


def test_withdrawing_the_unsent_part_of_a_flagged_batch_follows_the_sent_part_to_its_results(world):
    incident, batch, _ = proposed_batch(world, banked=1, wallets=1)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    world.apply(world.alert_event(incident, 2, "Cancel").to_json())
    kept = world.post(
        f"/v1/batches/{batch['id']}/review", APPROVER, json={"keep": False, "comment": "alerta cancelada"}
    ).get_json()
    assert kept["state"] == "instructed" and kept["payments_by_state"] == {"instructed": 1, "withdrawn": 1}
    [sent] = [p for p in world.payments(batch["id"]) if p["state"] == "instructed"]
    settle(world, batch["id"], [(sent["end_to_end_id"], "paid", "")])
    final = world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()
    assert final["state"] == "settled"


def failed_and_reissued(world):
    _, batch, _ = proposed_batch(world, banked=1, wallets=0)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    [original] = world.payments(batch["id"])
    settle(world, batch["id"], [(original["end_to_end_id"], "failed", "AC04")])
    reissue = world.post(f"/v1/batches/{batch['id']}/reissue", PAYMENTS_OFFICER, json={}).get_json()
    return batch, original, reissue


def test_a_payment_settled_after_all_stops_its_unsent_reissue(world):
    batch, original, reissue = failed_and_reissued(world)
    late = settle(world, batch["id"], [(original["end_to_end_id"], "settled", "")])
    assert late.status_code == 200, late.get_json()
    assert world.payments(batch["id"])[0]["state"] == "settled"
    stopped = world.client.get(f"/v1/batches/{reissue['id']}", headers=world.auth(AUDITOR)).get_json()
    assert stopped["state"] == "withdrawn" and stopped["payments_by_state"] == {"withdrawn": 1}


def test_a_payment_settled_after_its_reissue_was_sent_is_recorded_and_flagged(world):
    batch, original, reissue = failed_and_reissued(world)
    world.approve(reissue["id"])
    world.instruct(reissue["id"], "bank_account")
    late = settle(world, batch["id"], [(original["end_to_end_id"], "settled", "")])
    assert late.status_code == 200 and late.get_json()["settled_after_reissue"] == 1
    [recorded] = world.payments(batch["id"])
    assert recorded["state"] == "settled_after_reissue" and "paid twice" in recorded["reason"]
    flagged = world.client.get(f"/v1/batches/{reissue['id']}", headers=world.auth(AUDITOR)).get_json()
    assert "recover the duplicate" in flagged["review_reason"]


def test_a_provider_may_correct_a_failure_to_settled(world):
    _, batch, _ = proposed_batch(world, banked=1, wallets=0)
    world.approve(batch["id"])
    world.instruct(batch["id"], "bank_account")
    [payment] = world.payments(batch["id"])
    settle(world, batch["id"], [(payment["end_to_end_id"], "failed", "timeout at the bank")])
    corrected = settle(world, batch["id"], [(payment["end_to_end_id"], "settled", "")])
    assert corrected.status_code == 200
    done = world.client.get(f"/v1/batches/{batch['id']}", headers=world.auth(AUDITOR)).get_json()
    assert done["state"] == "settled"
