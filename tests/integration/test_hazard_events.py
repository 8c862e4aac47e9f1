"""One hazard, one entitlement: several senders' alerts about one hurricane pay a household once
per programme; people link and split alerts into hazard events within their jurisdiction."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from services.transfers.adapters.orm import audit_log as audit
from shared.auth import APPROVER, AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, PROGRAMME_OFFICER
from tests.transfers_world import TORMENTA

pytestmark = pytest.mark.integration

COE = {
    "sender": "coe@copeco.gob.hn",
    "admin_codes": ["HN-CH"],
    "sent": "2026-09-18T06:00:00-06:00",
    "onset": "2026-09-18T18:00:00-06:00",
    "expires": "2026-09-20T06:00:00-06:00",
}
SMN = {
    **COE,
    "sender": "smn@cenaos.gob.hn",
    "event": "Tormenta tropical",
    "sent": "2026-09-18T09:00:00-06:00",
}


def payable(world, incident_id):
    return {p["household_id"] for b in world.batches(incident_id) for p in world.payments(b["id"])}


def decisions_of(world, household_id, lang="en"):
    response = world.client.get(
        f"/v1/households/{household_id}/decisions?lang={lang}", headers=world.auth(APPROVER)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["decisions"]


def hazard_events(world, role=AUDITOR, jurisdiction=("*",)):
    response = world.client.get("/v1/hazard-events", headers=world.auth(role, jurisdiction=jurisdiction))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_second_senders_alert_naming_the_same_cap_incident_pays_no_one_twice(world):
    world.define()
    households = world.register(4)
    coe, smn = world.new_incident(), world.new_incident()
    world.issue(coe, 1, households[:3], incidents=["FIONA-2026"], **COE)
    [first] = world.batches(coe)
    assert world.approve(first["id"]).status_code == 200
    channel = world.payments(first["id"])[0]["channel_type"]
    assert world.instruct(first["id"], channel).status_code == 200

    # The meteorological office's own alert (another sender, another identifier) over the east.
    world.issue(smn, 1, households[1:], incidents=["FIONA-2026"], **SMN)
    assert payable(world, smn) == {households[3]}

    [event] = [e for e in hazard_events(world) if coe in {a["incident_id"] for a in e["alerts"]}]
    alerts = {a["incident_id"]: a for a in event["alerts"]}
    assert set(alerts) == {coe, smn} and alerts[smn]["how"] == "cap_incidents"
    assert "FIONA-2026" in alerts[smn]["note"] and alerts[smn]["sender"] == "smn@cenaos.gob.hn"

    # An approver sees the batches of every alert of the hazard event together.
    listed = world.client.get(f"/v1/batches?hazard_event_id={event['id']}", headers=world.auth(APPROVER))
    assert {b["incident_id"] for b in listed.get_json()["batches"]} == {coe, smn}
    both = f"/v1/batches?hazard_event_id={event['id']}&incident_id={smn}"
    assert {
        b["incident_id"] for b in world.client.get(both, headers=world.auth(APPROVER)).get_json()["batches"]
    } == {smn}
    unknown = world.client.get("/v1/batches?hazard_event_id=nothing", headers=world.auth(APPROVER))
    assert unknown.get_json()["batches"] == []

    # The household paid under the first alert is told why the second pays it nothing, and by which payment.
    [paid] = [p for p in world.payments(first["id"]) if p["household_id"] == households[1]]
    [under_smn] = [d for d in decisions_of(world, households[1]) if d["incident_id"] == smn]
    assert under_smn["status"] == "already_entitled" and under_smn["amount"] == "0.00"
    assert any("hazard event" in line for line in under_smn["explanation"])
    assert any(paid["end_to_end_id"] in line and coe in line for line in under_smn["explanation"])
    [en_espanol] = [d for d in decisions_of(world, households[1], "es") if d["incident_id"] == smn]
    assert any("evento de amenaza" in line for line in en_espanol["explanation"])


def test_the_budget_is_the_hazard_events_not_each_senders(world):
    programme = copy.deepcopy(TORMENTA)
    programme["budget"] = {"per_incident": 4500, "overall": 1_000_000, "policy": "rank_by_vulnerability"}
    world.define(programme)
    households = world.register(4)
    coe, smn = world.new_incident(), world.new_incident()
    world.issue(coe, 1, households[:2], incidents=["FIONA-2026"], **COE)  # 2 × 2250 = the whole 4500
    world.issue(smn, 1, households[2:], incidents=["FIONA-2026"], **SMN)
    assert len(payable(world, coe)) == 2 and payable(world, smn) == set()


def test_a_person_links_alerts_already_paid_and_the_later_batch_is_flagged(world):
    world.define()
    households = world.register(3)
    coe, smn = world.new_incident(), world.new_incident()
    world.issue(coe, 1, households[:2], **COE)
    world.issue(smn, 1, households[1:], **SMN)
    assert households[1] in payable(world, coe) & payable(world, smn)  # nothing linked them yet

    # Suggested (same kind of event, areas and times overlapping), not linked on a guess.
    [event] = [e for e in hazard_events(world) if e["alerts"][0]["incident_id"] == coe]
    assert [(s["incident_id"], s["sender"]) for s in event["suggestions"]] == [(smn, "smn@cenaos.gob.hn")]

    body = {"incident_id": smn, "with_incident_id": coe, "reason": "same hurricane, two agencies"}
    assert (
        world.client.post("/v1/hazard-events/links", json=body, headers=world.auth(FIELD_STAFF)).status_code
        == 403
    )
    elsewhere = world.auth(CIVIL_PROTECTION, jurisdiction=("HN-AT",))
    assert world.client.post("/v1/hazard-events/links", json=body, headers=elsewhere).status_code == 404
    assert hazard_events(world, CIVIL_PROTECTION, ("HN-AT",)) == []

    linked = world.client.post(
        "/v1/hazard-events/links", json=body, headers=world.auth(PROGRAMME_OFFICER, "po-eva")
    )
    assert linked.status_code == 200, linked.get_json()
    assert {a["incident_id"] for a in linked.get_json()["alerts"]} == {coe, smn}
    again = world.client.post("/v1/hazard-events/links", json=body, headers=world.auth(PROGRAMME_OFFICER))
    assert again.status_code == 409

    [later] = world.batches(smn)
    assert households[1] in later["review_reason"] and "same hazard event" in later["review_reason"]
    [earlier] = world.batches(coe)
    assert earlier["review_reason"] is None
    with world.runtime.session_factory() as session:
        rows = session.execute(select(audit).where(audit.c.subject_type == "hazard_event")).all()
    assert [(r.action, r.by) for r in rows if r.by == "po-eva"] == [("linked", "po-eva")]

    # From now on an update of either alert proposes only households neither has paid.
    newcomer = world.register(1)
    world.issue(smn, 2, [*households, *newcomer], msg_type="Update", **SMN)
    assert [b["households"] for b in world.batches(smn)][-1] == 1
    assert newcomer[0] in payable(world, smn)


def test_a_split_alert_is_a_hazard_event_of_its_own_again(world):
    world.define()
    households = world.register(2)
    coe, smn = world.new_incident(), world.new_incident()
    world.issue(coe, 1, households, incidents=["FIONA-2026"], **COE)
    body = {"incident_id": smn, "reason": "a different storm"}
    officer = world.auth(PROGRAMME_OFFICER, "po-eva")
    assert world.client.post("/v1/hazard-events/splits", json=body, headers=officer).status_code == 404
    world.issue(smn, 1, [], incidents=["FIONA-2026"], **SMN)
    split = world.client.post("/v1/hazard-events/splits", json=body, headers=officer)
    assert split.status_code == 200, split.get_json()
    assert [a["incident_id"] for a in split.get_json()["alerts"]] == [smn]
    assert world.client.post("/v1/hazard-events/splits", json=body, headers=officer).status_code == 409


def test_once_in_n_days_holds_across_hazard_events(world):
    programme = copy.deepcopy(TORMENTA)
    programme["entitlement"] = {"once_in_days": 30}
    world.define(programme)
    households = world.register(2)
    first, second = world.new_incident(), world.new_incident()
    world.issue(first, 1, households[:1], **COE)
    world.issue(second, 1, households, event="Tormenta tropical Gastón", **{**COE, "sender": "other"})
    assert payable(world, second) == {households[1]}
    described = world.client.get("/v1/programmes", headers=world.auth(APPROVER)).get_json()[0]["rules"]
    assert "at most one in 30 days" in described["entitlement"]


def test_a_rise_in_danger_pays_the_difference_and_a_fall_claws_nothing_back(world):
    world.define()
    households = world.register(3)  # three members each: 2 250 when Severe, 3 350 when Extreme
    incident = world.new_incident()
    world.issue(incident, 1, households[:2], **COE)
    world.issue(incident, 2, households, msg_type="Update", **{**COE, "severity": "Extreme"})
    first, second = world.batches(incident)
    assert first["total"] == "4500.00"
    # The newcomer in full; the two already paid, the difference (3 350 − 2 250) as top-ups.
    assert second["kind"] == "supplementary" and second["total"] == "5550.00"
    amounts = {p["household_id"]: p["amount"] for p in world.payments(second["id"])}
    assert amounts == {households[0]: "1100.00", households[1]: "1100.00", households[2]: "3350.00"}

    [top_up] = [d for d in decisions_of(world, households[0]) if d["status"] == "top_up"]
    assert any(
        "3350 HNL; 2250 HNL already held: a top-up of 1100 HNL" in line for line in top_up["explanation"]
    )
    [es] = [d for d in decisions_of(world, households[0], "es") if d["status"] == "top_up"]
    assert any("complemento de 1100 HNL" in line for line in es["explanation"])

    # Danger falls: nothing more, nothing taken back, and the household is told so.
    world.issue(incident, 3, households, msg_type="Update", **COE)
    assert len(world.batches(incident)) == 2
    latest = decisions_of(world, households[2])[-1]
    assert latest["status"] == "already_entitled"
    assert any("nothing is clawed back" in line for line in latest["explanation"])
    # The same danger again pays nothing more either.
    world.issue(incident, 4, households, msg_type="Update", **{**COE, "severity": "Extreme"})
    assert len(world.batches(incident)) == 2
    paid = {}
    for batch in world.batches(incident):
        for p in world.payments(batch["id"]):
            paid[p["household_id"]] = paid.get(p["household_id"], 0) + float(p["amount"])
    assert paid == dict.fromkeys(households, 3350.0)  # never more than the highest entitlement
