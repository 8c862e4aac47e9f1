"""Deciding on alerts: exposures become explained decisions and batches, never a payment twice."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from services.transfers.adapters.orm import audit_log
from shared.auth import APPROVER, AUDITOR, CIVIL_PROTECTION, PROGRAMME_OFFICER
from shared.contracts.transfers import BATCH_PROPOSED, PAYMENTS_CHANGED
from tests.transfers_world import TORMENTA

pytestmark = pytest.mark.integration


def outbox_events(world):
    from sqlalchemy import select

    from shared.events import CloudEvent

    outbox = world.runtime.outbox
    with world.runtime.session_factory() as session:
        rows = session.execute(select(outbox).order_by(outbox.c.position)).all()
    assert {r.topic for r in rows} <= {"transfers.batches", "transfers.messages"}
    return [CloudEvent.from_json(r.payload) for r in rows if r.topic == "transfers.batches"]


def test_an_exposure_proposes_one_explained_batch_and_replays_change_nothing(world):
    programme = world.define()
    households = world.register(3)
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    assert batch["state"] == "proposed" and batch["kind"] == "initial"
    assert batch["households"] == 3 and batch["proposed_by"] == "officer-ana"
    # 1500 + 250 × 3 members = 2250 each (band Severe: no multiplier)
    assert batch["total"] == "6750.00" and batch["payments_by_state"] == {"proposed": 3}
    assert batch["audit"][0]["action"] == "proposed"
    published = outbox_events(world)
    assert [e.type for e in published] == [BATCH_PROPOSED, PAYMENTS_CHANGED]
    assert published[0].subject == batch["id"] and published[0].data["total"] == "6750.00"
    assert {p["household_id"] for p in published[1].data["payments"]} == set(households)
    assert {p["state"] for p in published[1].data["payments"]} == {"proposed"}
    # The same exposure published again (new event ids, as after an outbox replay) and the same
    # events delivered again: nobody is proposed twice.
    world.issue(incident, 1, households)
    assert len(world.batches(incident)) == 1

    why = world.client.get(
        f"/v1/households/{households[0]}/decisions", headers=world.auth(AUDITOR)
    ).get_json()
    first = why["decisions"][0]
    assert first["status"] == "payable" and first["programme_version"] == programme["version"]
    assert first["explanation"][0] == "✔ vulnerability score ≥ 0"
    assert "1500 + 250 × 3 = 2250 → 2250 HNL" in first["explanation"]
    assert len(why["decisions"]) == 1  # the replayed exposure was recognised, not decided again
    # Deciding again on request stores a new evaluation: the household is already entitled.
    assert world.post(f"/v1/alerts/{incident}/decisions", PROGRAMME_OFFICER).status_code == 200
    assert len(world.batches(incident)) == 1
    why = world.client.get(
        f"/v1/households/{households[0]}/decisions", headers=world.auth(AUDITOR)
    ).get_json()
    assert why["decisions"][1]["status"] == "already_entitled"
    spanish = world.client.get(
        f"/v1/households/{households[0]}/decisions?lang=es", headers=world.auth(AUDITOR)
    ).get_json()
    assert spanish["decisions"][0]["explanation"][0] == "✔ puntaje de vulnerabilidad ≥ 0"
    assert "cumple los requisitos y se propone su pago" in spanish["decisions"][0]["explanation"]
    outside = world.client.get(
        f"/v1/households/{households[0]}/decisions", headers=world.auth(AUDITOR, jurisdiction=["HN-VA"])
    )
    assert outside.status_code == 404
    assert (
        world.client.get(
            f"/v1/households/{households[0]}/decisions", headers=world.auth(CIVIL_PROTECTION)
        ).status_code
        == 403
    )


def test_an_exposure_before_its_alert_waits_and_is_decided_when_the_alert_arrives(world):
    world.define()
    households = world.register(2)
    incident = world.new_incident()
    for event in world.exposure(incident, 1, households):
        world.apply(event.to_json())
    seen = world.client.get(
        f"/v1/alerts/{incident}/decisions", headers=world.auth(PROGRAMME_OFFICER)
    ).get_json()
    assert seen["exposures"][0]["status"] == "waiting_for_alert"
    assert "not seen by transfers yet" in seen["exposures"][0]["note"]
    assert world.batches(incident) == []
    world.apply(world.alert_event(incident, 1).to_json())
    [batch] = world.batches(incident)
    assert batch["households"] == 2


def test_a_footprint_matched_under_an_update_waits_for_that_update(world):
    """The update and the footprint travel on different topics: a footprint matched under
    version 2 is never decided against version 1, whichever arrives first."""
    import uuid

    from services.alerts.service_layer.exposures import exposure_events

    world.define()
    households = world.register(2)
    incident = world.new_incident()
    world.issue(incident, 1, households[:1])
    header = {
        "incident_id": incident,
        "footprint_id": str(uuid.uuid4()),
        "kind": "wind_speed",
        "alert_version": 2,
    }
    rows = [{"household_id": h, "band": "Severe", "intensity": 55.0} for h in households]
    for event in exposure_events(incident, header, rows, {"households": 2, "people": 0}):
        world.apply(event.to_json())
    seen = world.client.get(
        f"/v1/alerts/{incident}/decisions", headers=world.auth(PROGRAMME_OFFICER)
    ).get_json()
    footprint = next(e for e in seen["exposures"] if e["exposure_key"].startswith("footprint:"))
    assert footprint["status"] == "waiting_for_alert" and "version 2" in footprint["note"]
    assert len(world.batches(incident)) == 1

    world.apply(world.alert_event(incident, 2, "Update").to_json())
    seen = world.client.get(
        f"/v1/alerts/{incident}/decisions", headers=world.auth(PROGRAMME_OFFICER)
    ).get_json()
    footprint = next(e for e in seen["exposures"] if e["exposure_key"].startswith("footprint:"))
    assert footprint["status"] == "decided"
    paid = {p["household_id"] for b in world.batches(incident) for p in world.payments(b["id"])}
    assert paid == set(households)


def test_an_update_that_widens_the_area_proposes_the_new_households_and_tops_up_the_others(world):
    world.define()
    first, more = world.register(2), world.register(2)
    incident = world.new_incident()
    world.issue(incident, 1, first)
    world.issue(incident, 2, first + more, msg_type="Update", severity="Extreme")
    initial, supplementary = world.batches(incident)
    assert supplementary["kind"] == "supplementary" and supplementary["households"] == 4
    paid = {p["household_id"]: p["amount"] for p in world.payments(supplementary["id"])}
    # Extreme: (1500 + 250 × 3) × 1.5 = 3375, rounded down to 50 → 3350 for the newcomers; those
    # paid 2250 under Severe get the difference, 1100, never their whole entitlement again.
    assert paid == {**dict.fromkeys(more, "3350.00"), **dict.fromkeys(first, "1100.00")}
    assert supplementary["total"] == "8900.00"
    # An old version's exposure arriving late is superseded, never decided.
    for event in world.exposure(incident, 1, first + more):
        world.apply(event.to_json())
    assert len(world.batches(incident)) == 2


def test_a_cancel_withdraws_proposed_batches_and_flags_approved_ones(world):
    world.define()
    households = world.register(2)
    approved_incident, proposed_incident = world.new_incident(), world.new_incident()
    world.issue(approved_incident, 1, households[:1])
    world.issue(proposed_incident, 1, households[1:])
    [to_approve] = world.batches(approved_incident)
    assert world.approve(to_approve["id"]).status_code == 200
    world.apply(world.alert_event(approved_incident, 2, "Cancel").to_json())
    world.apply(world.alert_event(proposed_incident, 2, "Cancel").to_json())
    [flagged] = world.batches(approved_incident)
    [withdrawn] = world.batches(proposed_incident)
    assert withdrawn["state"] == "withdrawn" and withdrawn["payments_by_state"] == {"withdrawn": 1}
    assert flagged["state"] == "approved" and "cancelled" in flagged["review_reason"]
    refused = world.instruct(flagged["id"], "mobile_money")
    assert refused.status_code == 409 and "flagged for review" in refused.get_json()["detail"]
    kept = world.post(
        f"/v1/batches/{flagged['id']}/review", APPROVER, json={"keep": False, "comment": "storm did not form"}
    )
    assert kept.status_code == 200 and kept.get_json()["state"] == "withdrawn"


def test_when_the_budget_is_short_the_most_vulnerable_are_paid_and_the_cut_off_is_shown(world):
    programme = copy.deepcopy(TORMENTA)
    programme["budget"] = {"per_incident": 4500, "policy": "rank_by_vulnerability"}
    world.define(programme)
    households = world.register(3)
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    assert batch["households"] == 2 and batch["total"] == "4500.00"
    assert batch["below_cut_off"] == 1 and batch["coverage"] == pytest.approx(2 / 3, abs=1e-3)
    assert batch["cut_off_score"] is not None
    # A later update finds only what is left of the budget: nothing, so nobody more is proposed.
    world.issue(incident, 2, households, msg_type="Update")
    assert len(world.batches(incident)) == 1


def test_an_anticipatory_batch_within_its_ceiling_is_pre_approved(world):
    programme = copy.deepcopy(TORMENTA)
    programme["trigger"]["mode"] = "anticipatory"
    programme["approval"] = {"four_eyes": True, "pre_approved_ceiling": 10_000}
    world.define(programme)
    incident = world.new_incident()
    world.issue(incident, 1, world.register(2))
    [batch] = world.batches(incident)
    assert batch["state"] == "approved" and batch["decided_by"] == "pre-approved ceiling"
    assert [a["action"] for a in batch["audit"]] == ["proposed", "pre_approved"]


def test_alerts_that_must_not_pay_do_not(world):
    world.define()
    households = world.register(1)
    exercise, minor = world.new_incident(), world.new_incident()
    world.issue(exercise, 1, households, status="Exercise")
    world.issue(minor, 1, households, severity="Minor")
    assert world.batches(exercise) == [] and world.batches(minor) == []
    note = world.client.get(f"/v1/alerts/{minor}/decisions", headers=world.auth(AUDITOR)).get_json()
    assert "severity Minor is below Severe" in note["exposures"][0]["note"]


def test_households_transfers_did_not_know_yet_are_proposed_when_decided_again(world):
    world.define()
    known = world.register(1)
    incident = world.new_incident()
    late = "7b0c62d4-3a39-4c8b-9d36-0d1f2f7f9a11"
    world.issue(incident, 1, known + [late])
    [batch] = world.batches(incident)
    assert batch["households"] == 1
    unknown = world.client.get(f"/v1/alerts/{incident}/decisions", headers=world.auth(AUDITOR)).get_json()
    assert unknown["evaluations"][0]["summary"]["by_status"]["unknown_household"] == 1
    again = world.post(f"/v1/alerts/{incident}/decisions", PROGRAMME_OFFICER)
    assert again.status_code == 200, again.get_json()
    assert len(world.batches(incident)) == 1  # still unknown: nothing new, nobody twice
    from services.transfers.service_layer.deciding import decide_late_households
    from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork

    def units_of_work():
        return TransfersUnitOfWork(world.runtime.session_factory, world.runtime.outbox)

    assert decide_late_households(units_of_work()) == 0  # still unknown: nothing to do
    # The household's registry record arrives; the worker's next round proposes it, once.
    from services.transfers.entrypoints.consumer import apply_household_event
    from shared.contracts.households import HOUSEHOLD_REGISTERED
    from shared.events import CloudEvent

    snapshot = {"household_id": late, "version": 1, "status": "active", "admin_code": "HN-CH-0601", "size": 2}
    snapshot["vulnerability"] = {"score": 70.0, "index_version": "v1"}
    with world.runtime.session_factory.begin() as session:
        apply_household_event(
            session, CloudEvent(type=HOUSEHOLD_REGISTERED, source="/t", subject=late, data=snapshot)
        )
    assert decide_late_households(units_of_work()) == 1
    assert decide_late_households(units_of_work()) == 0
    late_batch = world.batches(incident)[-1]
    assert late_batch["kind"] == "supplementary" and late_batch["households"] == 1
    assert [p["household_id"] for p in world.payments(late_batch["id"])] == [late]


def test_malformed_alert_events_are_dead_lettered_with_their_reason(world):
    from shared.contracts import alerts as contract
    from shared.events import CloudEvent

    bad = CloudEvent(
        type=contract.EXPOSURE_CHUNK, source="/t", subject="x", data={"chunk": 0, "households": []}
    )
    assert world.apply(bad.to_json()) == "dead_lettered"
    assert "neither a footprint nor an incident" in world.dead_letters[0]


def test_rejected_households_are_not_proposed_again_by_an_update_only_by_a_person(world):
    world.define()
    first = world.register(2)
    incident = world.new_incident()
    world.issue(incident, 1, first)
    [batch] = world.batches(incident)
    world.post(f"/v1/batches/{batch['id']}/reject", APPROVER, json={"comment": "lista equivocada"})
    more = world.register(1)
    world.issue(incident, 2, first + more, msg_type="Update")
    supplementary = world.batches(incident)[-1]
    assert supplementary["households"] == 1
    assert {p["household_id"] for p in world.payments(supplementary["id"])} == set(more)
    again = world.post(f"/v1/alerts/{incident}/decisions", PROGRAMME_OFFICER, "officer-ana")
    assert again.status_code == 200
    proposed_again = world.batches(incident)[-1]
    assert {p["household_id"] for p in world.payments(proposed_again["id"])} == set(first)
    assert proposed_again["proposed_by"] == "officer-ana"


def test_the_pre_approved_ceiling_counts_every_batch_of_the_incident(world):
    programme = copy.deepcopy(TORMENTA)
    programme["trigger"]["mode"] = "anticipatory"
    programme["approval"] = {"four_eyes": True, "pre_approved_ceiling": 5000}
    world.define(programme)
    incident = world.new_incident()
    households = [world.register(1) for _ in range(3)]
    world.issue(incident, 1, households[0])
    world.issue(incident, 2, households[0] + households[1], msg_type="Update")
    world.issue(incident, 3, households[0] + households[1] + households[2], msg_type="Update")
    states = [b["state"] for b in world.batches(incident)]
    # 2250 each: the first two fit in 5000 together, the third needs a second person.
    assert states == ["approved", "approved", "proposed"]


def test_an_expiry_does_not_throw_away_the_exposure_of_the_update_before_it(world):
    from shared.contracts import alerts as contract
    from shared.events import CloudEvent

    world.define()
    first, more = world.register(1), world.register(1)
    incident = world.new_incident()
    world.issue(incident, 1, first)
    world.apply(world.alert_event(incident, 2, "Update").to_json())
    expired = world.alert_event(incident, 3, state="expired")
    world.apply(
        CloudEvent(type=contract.ALERT_EXPIRED, source="/t", subject=incident, data=expired.data).to_json()
    )
    for event in world.exposure(incident, 2, first + more):
        world.apply(event.to_json())
    assert [b["households"] for b in world.batches(incident)] == [1, 1]


def test_big_exposures_are_decided_and_their_events_stay_small(world):
    import uuid

    from sqlalchemy import select

    from services.transfers.entrypoints.consumer import apply_household_event
    from shared.contracts.households import HOUSEHOLD_REGISTERED
    from shared.events import CloudEvent

    world.define({**TORMENTA, "budget": {"policy": "pro_rata"}})
    households = [str(uuid.uuid4()) for _ in range(2600)]
    with world.runtime.session_factory.begin() as session:
        for h in households:
            data = {
                "household_id": h,
                "version": 1,
                "status": "active",
                "admin_code": "HN-CH-0601",
                "size": 3,
            }
            data["vulnerability"] = {"score": 50.0, "index_version": "v1"}
            apply_household_event(
                session, CloudEvent(type=HOUSEHOLD_REGISTERED, source="/t", subject=h, data=data)
            )
    incident = world.new_incident()
    world.issue(incident, 1, households)
    [batch] = world.batches(incident)
    assert batch["households"] == 2600 and batch["admin_scope"] == "HN-CH-0601"
    assert world.approve(batch["id"]).status_code == 200
    outbox = world.runtime.outbox
    with world.runtime.session_factory() as session:
        sizes = session.execute(select(outbox.c.event_type, outbox.c.payload)).all()
    chunks = [len(p) for t, p in sizes if t == PAYMENTS_CHANGED]
    assert len(chunks) == 6 and max(chunks) < 400_000  # 3 chunks proposed, 3 approved


def test_a_batch_is_seen_and_moved_only_inside_the_callers_jurisdiction(world):
    world.define()
    incident = world.new_incident()
    world.issue(incident, 1, world.register(1))
    [batch] = world.batches(incident)
    elsewhere = world.auth(APPROVER, "approver-valle", jurisdiction=["HN-VA"])
    assert world.client.get(f"/v1/batches/{batch['id']}", headers=elsewhere).status_code == 404
    listed = world.client.get(f"/v1/batches?incident_id={incident}", headers=elsewhere).get_json()
    assert listed["batches"] == []
    refused = world.client.post(
        f"/v1/batches/{batch['id']}/approve",
        headers={**elsewhere, "Idempotency-Key": "valle-approve-1"},
        json={},
    )
    assert refused.status_code == 404
    assert world.batches(incident)[0]["state"] == "proposed"


def test_what_if_a_draft_programme_over_an_alerts_exposure_stores_nothing(world):
    world.define()
    households = world.register(3)
    incident = world.new_incident()
    world.issue(incident, 1, households, severity="Extreme")
    draft = copy.deepcopy(TORMENTA)
    draft["budget"] = {"per_incident": 7000, "policy": "rank_by_vulnerability"}
    before = world.batches(incident)
    response = world.client.post(
        "/v1/programmes/what-if",
        json={"programme": draft, "incident_id": incident},
        headers=world.auth(PROGRAMME_OFFICER),
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    # (1500 + 250 × 3) × 1.5 = 3375 → 3350 each; 7000 pays two of three.
    assert (result["households"], result["eligible"], result["funded"]) == (3, 3, 2)
    assert result["requested"] == 10050 and result["paid"] == 6700
    assert result["by_status"]["below_cut_off"] == 1
    assert world.batches(incident) == before
    neither = world.client.post(
        "/v1/programmes/what-if", json={"programme": draft}, headers=world.auth(PROGRAMME_OFFICER)
    )
    assert neither.status_code == 422 and neither.get_json()["errors"][0]["pointer"] == "/area"
    unknown = world.client.post(
        "/v1/programmes/what-if",
        json={"programme": draft, "incident_id": "no-such-alert"},
        headers=world.auth(PROGRAMME_OFFICER),
    )
    assert unknown.status_code == 404


def test_only_a_programme_version_approved_by_a_second_person_triggers(world):
    draft = world.define(approve=False)
    assert draft["state"] == "draft" and draft["decided_by"] is None
    households = world.register(2)
    first = world.new_incident()
    world.issue(first, 1, households[:1])
    assert world.batches(first) == []  # a draft decides nothing

    review = f"/v1/programmes/{draft['id']}/versions/1/review"
    body = {"approve": True, "comment": "mine"}
    own = world.client.post(review, json=body, headers=world.auth(APPROVER, "officer-ana"))
    assert own.status_code == 403 and "cannot also approve" in own.get_json()["detail"]
    assert world.client.post(review, json=body, headers=world.auth(PROGRAMME_OFFICER)).status_code == 403
    approved = world.review_programme(draft["id"], 1)
    assert (approved["state"], approved["decided_by"]) == ("approved", "approver-marta")
    again = world.client.post(review, json=body, headers=world.auth(APPROVER, "approver-luis"))
    assert again.status_code == 409

    # A change waits for its own approval while the approved version keeps deciding.
    changed = copy.deepcopy(TORMENTA)
    changed["benefit"]["per_member"] = 300
    response = world.client.put(
        f"/v1/programmes/{draft['id']}", json=changed, headers=world.auth(PROGRAMME_OFFICER, "officer-ana")
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "draft" and response.get_json()["version"] == 2
    second = world.new_incident()
    world.issue(second, 1, households[1:])
    [batch] = world.batches(second)
    assert batch["programme_version"] == 1 and batch["total"] == "2250.00"
    world.review_programme(draft["id"], 2, approve=False)
    with world.runtime.session_factory() as session:
        rows = session.execute(select(audit_log).where(audit_log.c.subject_type == "programme")).all()
    assert [(r.action, r.subject_id) for r in rows] == [
        ("approved", f"{draft['id']}:1"),
        ("rejected", f"{draft['id']}:2"),
    ]


def test_a_pre_approved_ceiling_is_at_most_a_quarter_of_the_budget(world):
    programme = copy.deepcopy(TORMENTA)
    programme["trigger"]["mode"] = "anticipatory"
    programme["approval"] = {"four_eyes": True, "pre_approved_ceiling": 250_001}
    refused = world.client.post("/v1/programmes", json=programme, headers=world.auth(PROGRAMME_OFFICER))
    assert refused.status_code == 422
    assert "/approval/pre_approved_ceiling" in [e["pointer"] for e in refused.get_json()["errors"]]
    programme["approval"]["pre_approved_ceiling"] = 250_000
    defined = world.define(programme)
    assert "(25% of the budget)" in defined["rules"]["approval"]


def test_a_batch_above_the_programmes_threshold_needs_two_approvers(world):
    programme = copy.deepcopy(TORMENTA)
    programme["approval"] = {"four_eyes": True, "second_approval_above": 5000}
    world.define(programme)
    small, large = world.new_incident(), world.new_incident()
    world.issue(small, 1, world.register(2))  # 4 500: one approver is enough
    world.issue(large, 1, world.register(3))  # 6 750: two
    [one] = world.batches(small)
    assert world.approve(one["id"]).get_json()["state"] == "approved"

    [two] = world.batches(large)
    first = world.approve(two["id"], "approver-luis").get_json()
    assert first["state"] == "proposed" and first["first_approved_by"] == "approver-luis"
    assert first["payments_by_state"] == {"proposed": 3} and first["audit"][-1]["action"] == "first_approval"
    again = world.approve(two["id"], "approver-luis")
    assert again.status_code == 403 and "second approver" in again.get_json()["detail"]
    proposer = world.approve(two["id"], "officer-ana")
    assert proposer.status_code == 403
    second = world.approve(two["id"], "approver-marta").get_json()
    assert second["state"] == "approved" and second["decided_by"] == "approver-marta"
    assert second["payments_by_state"] == {"approved": 3}
    assert (
        world.client.get("/v1/programmes", headers=world.auth(APPROVER))
        .get_json()[0]["rules"]["approval"]
        .endswith("batches above 5000 HNL need two approvers")
    )
