"""Grievances: a household's case filed by the hotline or field staff with its explanation
attached, routed to the role that can act with a deadline, and resolved with an outcome that acts
(a hold the registry released, a failed payment re-issued) — never by who filed it, never outside
the caller's jurisdiction, every step audited."""

from __future__ import annotations

import copy
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pyproj import Geod
from sqlalchemy import select, update
from werkzeug.serving import make_server

from services.alerts.entrypoints import app as alerts_app
from services.alerts.entrypoints import consumer as alerts_consumer
from services.demo.sms_gateway import SmsGateway
from services.transfers.adapters.alert_distances import AlertDistances
from services.transfers.adapters.orm import grievances
from services.transfers.entrypoints import app as transfers_app
from shared.auth import (
    APPROVER,
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    HOTLINE_OPERATOR,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)
from shared.contracts.households import HOUSEHOLD_EVENT_TYPES
from shared.inbox import ConsumedRecord, apply_once
from tests.integration.test_api import make_client
from tests.integration.test_monitoring import hidden_with_their_complement
from tests.samples import distinct_household
from tests.transfers_world import BANK, TORMENTA, World

pytestmark = pytest.mark.integration


def closed_port() -> int:
    """A local port nobody listens on: the alerts service is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def world(tmp_path, broker, issuer, database_url):
    w = World(
        tmp_path,
        broker,
        issuer,
        database_url,
        transfers_env={"AMPARO_ALERTS_URL": f"http://127.0.0.1:{closed_port()}"},
    )
    yield w
    w.close()


def register(world, consent=("registry", "emergency_transfers"), admin_code=None, location=None) -> dict:
    body = distinct_household(str(uuid.uuid4()))
    body["consent"]["purposes"] = list(consent)
    body["payment"] = dict(BANK)
    if admin_code:
        body["admin_code"] = admin_code
    if location:
        body["location"] = {"lat": location[0], "lon": location[1], "accuracy_m": 8}
    answer = world.registry.post("/v1/households", json=body, headers=world.auth(REGISTRY_OFFICER))
    assert answer.status_code == 201, answer.get_json()
    world.sync_registry()
    return {**answer.get_json(), "body": body}


def correct(world, registered: dict, **fields) -> None:
    """The registry officer corrects the household in the registry; transfers hears of it."""
    body = {k: v for k, v in {**registered["body"], **fields}.items() if k != "id"}
    headers = {**world.auth(REGISTRY_OFFICER), "If-Match": f'"{registered["version"]}"'}
    answer = world.registry.put(f"/v1/households/{registered['id']}", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_json()
    world.sync_registry()


def consenting(registered: dict) -> dict:
    return {**registered["body"]["consent"], "purposes": ["registry", "emergency_transfers"]}


def file(world, role, who=None, jurisdiction=("*",), **body):
    return world.client.post("/v1/grievances", json=body, headers=world.auth(role, who, jurisdiction))


def resolve(world, case_id, role, who=None, roles=None, key=None, **body):
    headers = {"Idempotency-Key": key or str(uuid.uuid4())}
    if roles:
        headers["Authorization"] = f"Bearer {world.issuer.mint(who, list(roles), ['*'])}"
    else:
        headers.update(world.auth(role, who))
    return world.client.post(f"/v1/grievances/{case_id}/resolution", json=body, headers=headers)


def one_payment_failed(world) -> tuple[str, dict, dict]:
    """An alert over three households, its batch approved and filed, the bank paying two and
    rejecting the first (a closed account): the alert, the batch and the failed payment."""
    world.define()
    households = [register(world)["id"] for _ in range(3)]
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    assert world.approve(batch["id"]).status_code == 200
    assert world.instruct(batch["id"], "bank_account").status_code == 200
    listed = world.payments(batch["id"])
    failed = listed[0]
    text = "end_to_end_id,status,reason\n" + "".join(
        f"{p['end_to_end_id']},{'rejected' if p is failed else 'paid'},{'AC04' if p is failed else ''}\n"
        for p in listed
    )
    assert world.results(text).status_code == 200
    return incident, batch, failed


def in_batches(world, incident) -> set[str]:
    return {p["household_id"] for b in world.batches(incident) for p in world.payments(b["id"])}


def test_a_held_household_complains_and_is_proposed_once_the_registry_releases_it(world):
    world.define()
    refused = register(world, consent=("registry",))
    other = register(world)
    incident = world.new_incident()
    world.issue(incident, 1, [refused["id"], other["id"]])
    assert in_batches(world, incident) == {other["id"]}

    filed = file(
        world,
        HOTLINE_OPERATOR,
        "operadora-rosa",
        household_id=refused["id"],
        kind="not_eligible",
        incident_id=incident,
        note="dice que no recibió nada",
    )
    assert filed.status_code == 201, filed.get_json()
    case = filed.get_json()
    assert (case["assigned_role"], case["channel"], case["state"]) == ("programme_officer", "hotline", "open")
    due = datetime.fromisoformat(case["due_at"]) - datetime.fromisoformat(case["filed_at"])
    assert due == timedelta(days=5) and not case["overdue"]
    explained = case["explanation"]
    assert explained["holds"] == ["recorded consent does not cover emergency transfers"]
    assert [d["status"] for d in explained["decisions"]] == ["held_no_consent"]
    assert explained["exposed"] and explained["distance"] is None  # exposed: no distance asked
    assert any("retenido" in line for line in explained["summary"]["es"])
    again = file(world, FIELD_STAFF, household_id=refused["id"], kind="not_eligible", incident_id=incident)
    assert again.status_code == 409 and again.get_json()["grievance_id"] == case["id"]

    # The registry officer cannot release a hold the registry still has; nor can the filer resolve,
    # whatever roles they hold; nor a role the outcome is not for.
    held = resolve(world, case["id"], REGISTRY_OFFICER, "oficial-juan", outcome="release_hold")
    assert held.status_code == 409 and "consent" in held.get_json()["detail"]
    own = resolve(
        world,
        case["id"],
        None,
        "operadora-rosa",
        [HOTLINE_OPERATOR, REGISTRY_OFFICER],
        outcome="release_hold",
    )
    assert own.status_code == 403
    assert resolve(world, case["id"], PAYMENTS_OFFICER, outcome="release_hold").status_code == 403
    wrong = resolve(world, case["id"], REGISTRY_OFFICER, outcome="reissue")
    assert wrong.status_code == 409 and "not_received" in wrong.get_json()["detail"]

    # The family gives consent in the registry; the release is taken and the household decided again.
    correct(world, refused, consent=consenting(refused))
    body = {"outcome": "release_hold", "note": "consentimiento dado"}
    done = resolve(world, case["id"], REGISTRY_OFFICER, "oficial-juan", key="release-rosa-1", **body)
    assert done.status_code == 200, done.get_json()
    # Sent again (a lost answer): the same answer, word for word, and nothing done twice.
    again = resolve(world, case["id"], REGISTRY_OFFICER, "oficial-juan", key="release-rosa-1", **body)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == done.get_json()
    resolved = done.get_json()
    assert (resolved["state"], resolved["outcome"], resolved["resolved_by"]) == (
        "resolved",
        "release_hold",
        "oficial-juan",
    )
    assert [h["status"] for h in resolved["outcome_detail"]["household"]] == ["payable"]
    assert in_batches(world, incident) == {refused["id"], other["id"]}
    assert [s["action"] for s in resolved["steps"]] == [
        "filed",
        "assigned:programme_officer",
        "resolved:release_hold",
    ]
    assert (
        resolve(world, case["id"], REGISTRY_OFFICER, outcome="decision_stands", note="x").status_code == 409
    )

    audit = world.client.get(
        f"/v1/audit-log?subject_type=grievance&subject_id={case['id']}", headers=world.auth(AUDITOR)
    ).get_json()
    actions = [e["action"] for e in audit["items"]]
    assert "consentimiento dado" not in str(
        audit
    )  # the notes' words stay in the case, which an erasure blanks
    assert actions.count("grievance_filed") == 1 and actions.count("grievance_resolved") == 1


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_a_payment_not_received_is_reissued_through_its_case_and_approved_again(world):
    incident, batch, failed = one_payment_failed(world)
    case = file(
        world,
        FIELD_STAFF,
        "promotora-eva",
        household_id=failed["household_id"],
        kind="not_received",
        incident_id=incident,
    ).get_json()
    assert case["assigned_role"] == "payments_officer"
    assert [p["state"] for p in case["explanation"]["payments"]] == ["failed"]
    stands = resolve(world, case["id"], PAYMENTS_OFFICER, outcome="decision_stands")
    assert stands.status_code == 422 and stands.get_json()["errors"][0]["pointer"] == "/note"

    done = resolve(
        world, case["id"], PAYMENTS_OFFICER, "tesorero-leo", outcome="reissue", channel_type="cash_pickup"
    )
    assert done.status_code == 200, done.get_json()
    detail = done.get_json()["outcome_detail"]
    assert detail["reissued"] == [failed["end_to_end_id"]]
    [successor] = [b for b in world.batches(incident) if b["id"] in detail["batches"]]
    # Money moves only once a second person approves the new batch.
    assert successor["state"] == "proposed"
    [paid_again] = world.payments(successor["id"])
    assert (paid_again["household_id"], paid_again["channel_type"]) == (failed["household_id"], "cash_pickup")
    assert {p["id"]: p["state"] for p in world.payments(batch["id"])}[failed["id"]] == "reissued"
    again = resolve(world, case["id"], PAYMENTS_OFFICER, "tesorero-leo", outcome="reissue")
    assert again.status_code == 409


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_who_may_file_read_and_hand_on_a_case_and_where(world):
    world.define()
    choluteca = register(world, admin_code="HN-CH")
    elsewhere = register(world, admin_code="HN-CR", location=(15.50, -88.02))
    incident = world.new_incident()
    world.issue(incident, 1, [elsewhere["id"]])

    # Field staff of Choluteca do not see a household of Cortés: the same answer as an unknown one.
    outside = file(
        world, FIELD_STAFF, jurisdiction=("HN-CH",), household_id=elsewhere["id"], kind="data_wrong"
    )
    unknown = file(
        world, FIELD_STAFF, jurisdiction=("HN-CH",), household_id=str(uuid.uuid4()), kind="data_wrong"
    )
    assert outside.status_code == unknown.status_code == 404
    assert file(world, PROGRAMME_OFFICER, household_id=choluteca["id"], kind="data_wrong").status_code == 403
    assert file(world, APPROVER, household_id=choluteca["id"], kind="data_wrong").status_code == 403
    nameless = file(world, FIELD_STAFF, household_id=choluteca["id"], kind="not_exposed")
    assert nameless.status_code == 422 and "incident_id" in str(nameless.get_json())
    unknown_alert = file(
        world, FIELD_STAFF, household_id=choluteca["id"], kind="not_exposed", incident_id=str(uuid.uuid4())
    )
    assert unknown_alert.status_code == 404

    # Not in the alert's exposure, and the alerts service is down: filed all the same, saying so.
    case = file(
        world,
        FIELD_STAFF,
        "promotora-eva",
        jurisdiction=("HN-CH",),
        household_id=choluteca["id"],
        kind="not_exposed",
        incident_id=incident,
    ).get_json()
    assert case["explanation"]["exposed"] == [] and "unavailable" in case["explanation"]["distance"]
    assert any("not known" in line for line in case["explanation"]["summary"]["en"])
    data = file(world, HOTLINE_OPERATOR, household_id=elsewhere["id"], kind="data_wrong").get_json()

    listed = world.client.get(
        "/v1/grievances?state=open", headers=world.auth(PROGRAMME_OFFICER, jurisdiction=("HN-CH",))
    )
    assert [c["id"] for c in listed.get_json()] == [case["id"]]
    everything = world.client.get("/v1/grievances", headers=world.auth(AUDITOR)).get_json()
    assert {c["id"] for c in everything} == {case["id"], data["id"]}
    hidden = world.client.get(
        f"/v1/grievances/{data['id']}", headers=world.auth(AUDITOR, jurisdiction=("HN-CH",))
    )
    assert hidden.status_code == 404

    # Handed on only by the role it is assigned to (or a programme officer).
    hand = {"role": "programme_officer", "note": "es un monto, no un dato"}
    refused = world.client.post(
        f"/v1/grievances/{data['id']}/assignment", json=hand, headers=world.auth(PAYMENTS_OFFICER)
    )
    assert refused.status_code == 403
    moved = world.client.post(
        f"/v1/grievances/{data['id']}/assignment",
        json=hand,
        headers=world.auth(REGISTRY_OFFICER, "oficial-ines"),
    )
    assert moved.status_code == 200 and moved.get_json()["assigned_role"] == "programme_officer"
    # Who handed it on does not also close it: one person alone never both routes and answers.
    closing = resolve(
        world, data["id"], REGISTRY_OFFICER, "oficial-ines", outcome="decision_stands", note="x"
    )
    assert closing.status_code == 403 and "handed" in closing.get_json()["detail"]

    # A correction is taken only once the registry made one.
    early = resolve(world, data["id"], REGISTRY_OFFICER, outcome="correct_record")
    assert early.status_code == 409 and "registry first" in early.get_json()["detail"]
    correct(world, elsewhere, address="Barrio Guamilito, San Pedro Sula")
    taken = resolve(world, data["id"], REGISTRY_OFFICER, outcome="correct_record", note="apellido corregido")
    assert taken.status_code == 200, taken.get_json()
    assert taken.get_json()["outcome_detail"]["household_version"] == elsewhere["version"] + 1

    # The household asks for its data to be erased: the words its case was filed with go too.
    path = f"/v1/households/{elsewhere['id']}/erasure"
    erased = world.registry.post(path, json={"reference": "SOL-7"}, headers=world.auth(REGISTRY_OFFICER))
    assert erased.status_code == 200, erased.get_json()
    world.sync_registry()
    after = world.client.get(f"/v1/grievances/{data['id']}", headers=world.auth(AUDITOR)).get_json()
    assert after["note"] == "(erased)" and after["outcome_note"] is None
    assert all(step["note"] is None for step in after["steps"]) and after["outcome"] == "correct_record"


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_a_household_replying_reclamo_to_a_message_files_a_case_once(tmp_path, broker, issuer, database_url):
    """The reply goes to the registry (through a local server speaking Infobip's API); transfers
    hears only the reply's id and what it is about, and files the case under the paid alert."""
    token = "webhook-secret-2"
    sms = SmsGateway("key-9", report_delay=0.05)
    env = {"AMPARO_SMS_URL": sms.url, "AMPARO_SMS_API_KEY": "key-9", "AMPARO_SMS_WEBHOOK_TOKEN": token}
    world = World(tmp_path, broker, issuer, database_url, registry_env=env)
    try:
        sms.inbound_url = f"http://127.0.0.1:{world.server.server_port}/v1/messages/replies?token={token}"
        world.define()
        body = distinct_household(str(uuid.uuid4()))
        body["members"][0]["phone"] = "+504 3555-0001"
        body["consent"]["purposes"] = ["registry", "emergency_transfers", "contact"]
        body["payment"] = dict(BANK)
        answer = world.registry.post("/v1/households", json=body, headers=world.auth(REGISTRY_OFFICER))
        household = answer.get_json()["id"]
        world.sync_registry()
        incident = world.new_incident()
        world.issue(incident, 1, [household])
        world.sync_messages()
        [sender] = [w for w in world.registry_runtime.workers if w.name == "message-sender"]
        sender.run.__self__.run_once()
        [told] = sms.sent_to("50435550001")
        assert "RECLAMO" in told["text"]

        assert sms.reply("50435550001", "Reclamo: no recibí nada").json() == {"applied": 1}
        assert sms.reply("50435550001", "gracias").json() == {"applied": 0}
        # Written again, angrier, with a stop word: the same case, and never an opt-out.
        assert sms.reply("50435550001", "No más! no recibí el pago").json() == {"applied": 1}
        world.sync_registry()
        world.sync_registry()  # applied once, whatever is delivered again
        [case] = world.client.get(
            f"/v1/grievances?household_id={household}", headers=world.auth(PAYMENTS_OFFICER)
        ).get_json()
        assert (case["channel"], case["kind"], case["incident_id"]) == ("reply", "not_received", incident)
        assert case["filed_by"] == "household (reply)" and case["assigned_role"] == "payments_officer"
        assert [s["action"] for s in case["steps"]][-1] == "replied_again"
        log = world.registry.get(f"/v1/households/{household}/messages", headers=world.auth(AUDITOR))
        assert log.get_json()["opted_out"] is False
        # The family changes its number; the old one, now someone else's, speaks for nobody here.
        body["members"][0]["phone"] = "+504 3555-0002"
        correct(world, {**answer.get_json(), "body": body})
        assert sms.reply("50435550001", "RECLAMO datos").json() == {"applied": 0}
        assert sms.reply("50435550001", "BAJA").json() == {"applied": 0}
        assert [p["state"] for p in case["explanation"]["payments"]] == ["proposed"]
        with world.registry_runtime.session_factory() as session:
            payloads = b"".join(
                r.payload or b"" for r in session.execute(world.registry_runtime.outbox.select())
            )
        assert b"recib" not in payloads and b"3555" not in payloads  # no words, no number
    finally:
        world.close()
        sms.close()


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_a_household_outside_the_alert_is_told_which_area_was_nearest_and_how_far(
    tmp_path, broker, issuer, database_url
):
    """Three services: the registry's households reach the alerts service as its consumer applies
    them; a CAP alert posted there reaches transfers as its events; the hotline's case asks the
    alerts service (over HTTP, with the operator's own token) how far the household lies."""
    (tmp_path / "alerts").mkdir()
    alerts, alerts_runtime = make_client(
        alerts_app, "alerts", tmp_path / "alerts", broker.bootstrap_server, AMPARO_JWKS_URL=issuer.jwks_url
    )
    server = make_server("127.0.0.1", 0, alerts.application, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    world = World(
        tmp_path,
        broker,
        issuer,
        database_url,
        transfers_env={"AMPARO_ALERTS_URL": f"http://127.0.0.1:{server.server_port}"},
    )
    try:
        world.define()
        inside = register(world, location=(13.30, -87.19))["id"]
        outside = register(world, location=(13.10, -87.19))["id"]
        feed(world.registry_runtime, alerts_runtime, HOUSEHOLD_TO_ALERTS)
        cap = COAST_ALERT.format(identifier=f"g-{uuid.uuid4()}").encode()
        posted = alerts.post(
            "/v1/alerts", data=cap, content_type="application/cap+xml", headers=world.auth(CIVIL_PROTECTION)
        )
        assert posted.status_code == 201, posted.get_json()
        incident = posted.get_json()["id"]
        feed(alerts_runtime, world.runtime, transfers_app.ALERT_HANDLERS)
        assert in_batches(world, incident) == {inside}

        case = file(
            world, HOTLINE_OPERATOR, household_id=outside, kind="not_exposed", incident_id=incident
        ).get_json()
        distance = case["explanation"]["distance"]
        assert (distance["inside"], distance["nearest"]["area"]) == (False, "Costa de Choluteca")
        # Due south of the box's southern edge (lat 13.20), at the same longitude: the meridian arc.
        _, _, metres = Geod(ellps="WGS84").inv(-87.19, 13.10, -87.19, 13.20)
        assert distance["nearest"]["distance_km"] == round(metres / 1000, 1)  # a tenth of a km, no bearing
        assert set(distance["nearest"]) == {"area", "distance_km"}
        assert any(
            "Costa de Choluteca" in line and "km" in line for line in case["explanation"]["summary"]["es"]
        )
        # Civil protection sees aggregates, never one household: the alerts service refuses them.
        refused = AlertDistances(
            f"http://127.0.0.1:{server.server_port}", issuer.mint("cp", [CIVIL_PROTECTION], ["*"])
        )
        assert "403" in refused.of(incident, outside)["unavailable"]
    finally:
        world.close()
        server.shutdown()


COAST_ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>copeco.gob.hn</sender>
  <sent>2026-11-20T10:00:00-06:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2099-01-01T00:00:00-06:00</expires>
    <area><areaDesc>Costa de Choluteca</areaDesc>
      <polygon>13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30</polygon></area>
  </info>
</alert>"""
HOUSEHOLD_TO_ALERTS = {t: alerts_consumer.apply_household_event for t in HOUSEHOLD_EVENT_TYPES}


def feed(source, target, handlers) -> None:
    """Everything ``source`` wrote to its outbox that ``target`` handles, applied through its inbox
    as its consumer would."""
    with source.session_factory() as session:
        rows = session.execute(source.outbox.select().order_by(source.outbox.c.position)).all()
    for row in rows:
        if row.payload and row.event_type in handlers:
            record = ConsumedRecord(row.topic, 0, row.position, row.payload)
            apply_once(target.session_factory, target.inbox, handlers, record, lambda _r, reason: None)


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_monitoring_counts_cases_as_a_plain_recount_of_the_stored_ones(world):
    world.define()
    households = [register(world)["id"] for _ in range(7)]
    incident = world.new_incident()
    world.issue(incident, 1, households)
    for household in households[:4]:
        made = file(
            world, HOTLINE_OPERATOR, household_id=household, kind="not_received", incident_id=incident
        )
        assert made.status_code == 201
    for household in households[4:]:
        file(world, FIELD_STAFF, household_id=household, kind="wrong_amount", incident_id=incident)
    cases = world.client.get(f"/v1/grievances?incident_id={incident}", headers=world.auth(AUDITOR)).get_json()
    for case in [c for c in cases if c["kind"] == "not_received"][:3]:
        note = "pago en camino"
        assert (
            resolve(world, case["id"], PAYMENTS_OFFICER, outcome="decision_stands", note=note).status_code
            == 200
        )
    # One case waited past its deadline.
    late = next(c for c in cases if c["kind"] == "wrong_amount")
    with world.runtime.session_factory() as session, session.begin():
        session.execute(
            update(grievances)
            .where(grievances.c.id == late["id"])
            .values(due_at=datetime.now(UTC) - timedelta(days=1))
        )

    report = world.client.get(f"/v1/monitoring/alerts/{incident}", headers=world.auth(AUDITOR)).get_json()
    with world.runtime.session_factory() as session:
        stored = session.execute(select(grievances).where(grievances.c.incident_id == incident)).all()
    now = datetime.now(UTC)
    kinds = ["not_exposed", "not_eligible", "wrong_amount", "not_received", "not_a_duplicate", "data_wrong"]
    plain = {
        "filed": [sum(r.kind == k for r in stored) for k in kinds],
        "open": [sum(r.kind == k and r.state == "open" for r in stored) for k in kinds],
        "overdue": [
            sum(r.kind == k and r.state == "open" and utc(r.due_at) < now for r in stored) for k in kinds
        ],
        "resolved": [sum(r.kind == k and r.state == "resolved" for r in stored) for k in kinds],
    }
    found = report["grievances"]
    assert found["filed"] == 7
    for measure, values in plain.items():
        expected = hidden_with_their_complement(values)
        assert [found["by_kind"][k][measure] for k in kinds] == expected, measure
    assert (
        found["by_kind"]["not_received"]["resolved"] == 3
        and found["by_kind"]["wrong_amount"]["overdue"] is None
    )
    assert found["by_outcome"]["decision_stands"] == 3 and found["days_to_resolve"]["cases"] == 3
    table = world.client.get(f"/v1/monitoring/alerts/{incident}/figures.csv", headers=world.auth(AUDITOR))
    assert "grievances,,not_received,resolved,3" in table.get_data(as_text=True)


def utc(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_an_outcome_decides_its_household_alone_and_never_within_the_pre_approved_ceiling(world):
    """Released by the registry, the held household is decided alone: the households an approver
    refused are not proposed again, and the batch goes to a second person even under a ceiling."""
    programme = copy.deepcopy(TORMENTA)
    programme["trigger"]["mode"] = "anticipatory"
    programme["approval"] = {"four_eyes": True, "pre_approved_ceiling": 100_000}
    world.define(programme)
    held = register(world, consent=("registry",))
    others = [register(world)["id"] for _ in range(2)]
    incident = world.new_incident()
    world.issue(incident, 1, [held["id"], *others])
    [first] = world.batches(incident)
    assert first["state"] == "approved"  # the alert itself decided, under the ceiling
    case = file(
        world, FIELD_STAFF, household_id=held["id"], kind="not_eligible", incident_id=incident
    ).get_json()
    # Nothing held: "release" cannot be taken on a household that was never held.
    other = file(
        world, FIELD_STAFF, household_id=others[0], kind="not_eligible", incident_id=incident
    ).get_json()
    nothing = resolve(world, other["id"], REGISTRY_OFFICER, outcome="release_hold")
    assert nothing.status_code == 409 and "no hold" in nothing.get_json()["detail"]

    correct(world, held, consent=consenting(held))
    done = resolve(world, case["id"], REGISTRY_OFFICER, outcome="release_hold")
    assert done.status_code == 200, done.get_json()
    [second] = [b for b in world.batches(incident) if b["id"] != first["id"]]
    assert second["state"] == "proposed" and second["households"] == 1
    assert [p["household_id"] for p in world.payments(second["id"])] == [held["id"]]


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_a_reissue_names_a_channel_amparo_pays_on(world):
    incident, batch, failed = one_payment_failed(world)
    case = file(
        world, FIELD_STAFF, household_id=failed["household_id"], kind="not_received", incident_id=incident
    )
    refused = resolve(
        world, case.get_json()["id"], PAYMENTS_OFFICER, outcome="reissue", channel_type="carrier_pigeon"
    )
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/channel_type"
    assert {p["id"]: p["state"] for p in world.payments(batch["id"])}[
        failed["id"]
    ] == "failed"  # nothing moved
