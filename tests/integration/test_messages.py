"""Messages to households, end to end: transfers asks as payments move, the registry decides whom
it may write to and sends through a local server speaking Infobip's SMS API v3 (the provider's
documented API), with retries that never send twice, delivery reports, opting out by reply, and a
log per household. Transfers never sees a phone number."""

from __future__ import annotations

import copy
import time
import uuid

import pytest
import requests

from services.demo.sms_gateway import SmsGateway
from shared.auth import AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from tests.samples import distinct_household
from tests.transfers_world import BANK, TORMENTA, World

pytestmark = pytest.mark.integration
TOKEN = "webhook-secret-1"
PROGRAMME = {
    **TORMENTA,
    "approval": {"four_eyes": True},
    "messages": {
        "pickup_place": "Oficina del IHSS, Choluteca",
        "templates": {"settled": {"es": "{programme}: le pagamos {amount} {currency}. ¡Cuídese!"}},
    },
}


@pytest.fixture
def gateway():
    sms = SmsGateway("key-123", report_delay=0.05)
    yield sms
    sms.close()


@pytest.fixture
def world(tmp_path, broker, issuer, database_url, gateway):
    env = {"AMPARO_SMS_URL": gateway.url, "AMPARO_SMS_API_KEY": "key-123", "AMPARO_SMS_WEBHOOK_TOKEN": TOKEN}
    w = World(tmp_path, broker, issuer, database_url, registry_env=env)
    registry = f"http://127.0.0.1:{w.server.server_port}"
    gateway.report_url = f"{registry}/v1/messages/delivery-reports?token={TOKEN}"
    gateway.inbound_url = f"{registry}/v1/messages/replies?token={TOKEN}"
    yield w
    w.close()


def register(
    world, phone: str | None, purposes=("registry", "emergency_transfers", "contact"), **extra
) -> str:
    return registered(world, phone, purposes, **extra)[0]


def registered(world, phone, purposes=("registry", "emergency_transfers", "contact"), **extra):
    """The household's id and the body it was registered with (its members' ids added)."""
    body = distinct_household(str(uuid.uuid4()))
    body["members"][0]["phone"] = phone
    if phone is None:
        body["members"][0].pop("phone")
    body["consent"] = {**body["consent"], "purposes": list(purposes)}
    body.update(extra)
    answer = world.registry.post("/v1/households", json=body, headers=world.auth(REGISTRY_OFFICER))
    assert answer.status_code == 201, answer.get_json()
    created = answer.get_json()
    for sent, kept in zip(body["members"], created["members"], strict=True):
        sent["id"] = kept["id"]
    return created["id"], body


def sender(world):
    [worker] = [w for w in world.registry_runtime.workers if w.name == "message-sender"]
    return worker.run.__self__


def log(world, household_id: str) -> dict:
    answer = world.registry.get(
        f"/v1/households/{household_id}/messages", headers=world.auth(REGISTRY_OFFICER)
    )
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def until(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("not in time")


def test_households_are_told_as_their_payment_moves_once_each_and_only_with_consent(world, gateway):
    world.define(PROGRAMME)
    banked = register(world, "+504 3111-0001", payment=copy.deepcopy(BANK))
    english = register(world, "+504 3111-0002", payment=copy.deepcopy(BANK), language="en")
    pickup = {"type": "cash_pickup", "provider": "Ventanilla IHSS", "identifiers": {}}
    cash = register(world, "+504 3111-0003", payment=pickup)
    silent = register(
        world, "+504 3111-0004", purposes=("registry", "emergency_transfers"), payment=copy.deepcopy(BANK)
    )
    no_phone = register(world, None, payment=copy.deepcopy(BANK))
    world.sync_registry()
    incident = world.new_incident()
    world.issue(incident, 1, [banked, english, cash, silent, no_phone])
    # Transfers' requests carry no phone number, ever.
    with world.runtime.session_factory() as session:
        payloads = b"".join(r.payload for r in session.execute(world.runtime.outbox.select()).all())
    assert b"3111" not in payloads and b"phone" not in payloads

    # The provider is busy: the first message is kept by it but answered 503; the second refused (500).
    gateway.troubles = ["503", "500"]
    assert world.sync_messages() >= 1
    assert world.sync_messages() == 0
    run = sender(world)
    run.run_once()
    # The two that met trouble wait for another attempt (the one the provider kept may be reported
    # delivered meanwhile: it is then never sent again); the third went.
    tried = [m for h in (banked, english, cash) for m in log(world, h)["messages"]]
    assert sum(m["attempts"] for m in tried) == 3  # one each, counted before it was sent
    _send_again_now(world)
    run.run_once()
    entitled = {h: log(world, h)["messages"] for h in (banked, english, cash, silent, no_phone)}
    assert [m["kind"] for m in entitled[banked]] == ["entitled"]
    assert gateway.duplicates() == {}  # the one kept before its 503 was found in the logs, not sent again
    assert len(gateway.sent_to("50431110001")) == 1 and len(gateway.sent_to("50431110002")) == 1
    until(lambda: log(world, banked)["messages"][0]["status"] == "delivered")
    [english_message] = entitled[english]
    assert (
        english_message["language"] == "en"
        and "qualifies" in english_message["text"]
        and "STOP" in english_message["text"]
    )
    assert "califica" in entitled[banked][0]["text"] and "BAJA" in entitled[banked][0]["text"]
    assert entitled[banked][0]["to"] == "…0001"
    assert entitled[silent][0]["status"] == "not_sent" and "consent" in entitled[silent][0]["reason"]
    assert (
        entitled[no_phone][0]["status"] == "not_sent"
        and entitled[no_phone][0]["reason"] == "no phone recorded"
    )
    assert gateway.sent_to("50431110004") == []

    # Approved, then in a file: the cash household is told where and with which code.
    [batch] = world.batches(incident)
    assert world.approve(batch["id"]).status_code == 200
    for channel in ("bank_account", "cash_pickup"):
        written = world.instruct(batch["id"], channel)
        assert written.status_code == 200, written.get_json()
    world.sync_messages()
    for _ in range(2):  # the provider's "500" costs one more round
        _send_again_now(world)
        run.run_once()
    payments = {p["household_id"]: p for p in world.payments(batch["id"])}
    [told] = [m for m in log(world, cash)["messages"] if m["kind"] == "sent"]
    code = payments[cash]["end_to_end_id"][-8:].upper()
    assert "Oficina del IHSS, Choluteca" in told["text"] and code in told["text"]
    assert [m["kind"] for m in log(world, banked)["messages"]] == ["entitled", "approved", "sent"]

    # The banked household replies BAJA: no more messages to it; settled, the others are told
    # in the programme's own words.
    assert gateway.reply("50431110001", "Baja").status_code == 200
    assert log(world, banked)["opted_out"] is True
    lines = "".join(
        f"{p['end_to_end_id']},paid,\n" for p in payments.values() if p["channel_type"] == "bank_account"
    )
    assert world.results("end_to_end_id,status,reason\n" + lines).status_code == 200
    world.sync_messages()
    _send_again_now(world)
    run.run_once()
    [after] = [m for m in log(world, banked)["messages"] if m["kind"] == "settled"]
    assert after["status"] == "not_sent" and "no more messages" in after["reason"]
    [paid_en] = [m for m in log(world, english)["messages"] if m["kind"] == "settled"]
    assert (
        paid_en["status"] in ("sent", "delivered") and "was paid" in paid_en["text"]
    )  # no English wording of its own
    assert len(gateway.sent_to("50431110001")) == 3 and gateway.duplicates() == {}


def _send_again_now(world) -> None:
    """Make every queued message due now (the worker's back-off would wait 30 s)."""
    from sqlalchemy import update

    from services.registry.adapters.orm import household_messages

    with world.registry_runtime.session_factory() as session, session.begin():
        session.execute(
            update(household_messages)
            .where(household_messages.c.status == "queued")
            .values(next_attempt_at=None)
        )


def test_a_number_changed_after_the_decision_is_not_written_to_and_the_log_says_why(world, gateway):
    world.define(PROGRAMME)
    household, body = registered(world, "+504 3222-0001", payment=copy.deepcopy(BANK))
    world.sync_registry()
    incident = world.new_incident()
    world.issue(incident, 1, [household])
    # Someone changes the number after the payment was proposed.
    body["members"][0]["phone"] = "+504 3999-9999"
    body.pop("id")
    updated = world.registry.put(
        f"/v1/households/{household}", json=body, headers={**world.auth(REGISTRY_OFFICER), "If-Match": '"1"'}
    )
    assert updated.status_code == 200, updated.get_json()
    world.sync_messages()
    sender(world).run_once()
    [message] = log(world, household)["messages"]
    assert message["status"] == "not_sent" and "phone number changed" in message["reason"]
    assert gateway.sent_to("50439999999") == [] and gateway.sent_to("50432220001") == []


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)  # roles and tokens only
def test_who_may_read_a_log_and_what_the_webhooks_refuse(world, gateway):
    world.define(PROGRAMME)
    household = register(world, "+504 3333-0001", payment=copy.deepcopy(BANK))
    path = f"/v1/households/{household}/messages"
    assert world.registry.get(path, headers=world.auth(FIELD_STAFF)).status_code == 403
    assert world.registry.get(path, headers=world.auth(AUDITOR, jurisdiction=("GT",))).status_code == 403
    assert world.registry.get(path, headers=world.auth(AUDITOR)).status_code == 200
    registry = f"http://127.0.0.1:{world.server.server_port}"
    report = {"results": [{"messageId": "x", "status": {"groupName": "DELIVERED"}}]}
    for token in ("", "?token=wrong"):
        refused = requests.post(f"{registry}/v1/messages/delivery-reports{token}", json=report, timeout=5)
        assert refused.status_code == 401
    # A reply from a number nobody was written to opts nobody out.
    assert gateway.reply("50400000000", "STOP").json() == {"applied": 0}


def test_counts_are_by_kind_and_status_inside_the_jurisdiction(world, gateway):
    world.define(PROGRAMME)
    households = [register(world, f"+504 3444-000{n}", payment=copy.deepcopy(BANK)) for n in range(3)]
    world.sync_registry()
    world.issue(world.new_incident(), 1, households)
    world.sync_messages()
    gateway.troubles = ["400"]  # the request of three is refused whole: each goes again alone
    sender(world).run_once()
    assert len(gateway.received) == 3 and gateway.duplicates() == {}
    counts = world.registry.get("/v1/messages/counts", headers=world.auth(AUDITOR)).get_json()["by_kind"]
    assert (
        counts == {"entitled": {"sent": 3}}
        or counts == {"entitled": {"sent": 2, "delivered": 1}}
        or sum(counts["entitled"].values()) == 3
    )
    elsewhere = world.registry.get("/v1/messages/counts", headers=world.auth(AUDITOR, jurisdiction=("GT",)))
    assert elsewhere.get_json() == {"by_kind": {}}
