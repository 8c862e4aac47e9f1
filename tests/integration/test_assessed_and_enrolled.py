"""A response programme reaches the households whose dwelling an assessment after *this* hazard
found damaged (not those assessed after another storm), including those assessed after it decided;
a benefit tops up the households enrolled in a regular programme. Amounts are checked against a
plain computation per household."""

from __future__ import annotations

import copy
import io
from datetime import UTC, datetime

from services.transfers.service_layer.deciding import decide_late_households
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.auth import APPROVER, REGISTRY_OFFICER
from tests.transfers_world import TORMENTA

DAMAGED = copy.deepcopy(TORMENTA) | {
    "name": "Vivienda dañada — respuesta",
    "eligibility": {"all": [{"field": "dwelling_damage", "op": "in", "value": ["partial", "destroyed"]}]},
    "benefit": {"base": 3000, "per_enrolment": {"BONO-VIDA": 1000}, "cap": 3500, "rounding": 1},
}


def open_exercise(world, incidents):
    answer = world.registry.post(
        "/v1/assessment-events",
        json={"name": "Evaluación", "incidents": incidents, "admin_codes": ["HN"]},
        headers=world.auth(REGISTRY_OFFICER),
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def assess(world, household_id, event_id, damage):
    body = {
        "event_id": event_id,
        "dwelling_damage": damage,
        "displacement": "at_home",
        "assessed_at": datetime.now(UTC).isoformat(),
    }
    answer = world.registry.post(
        f"/v1/households/{household_id}/assessments", json=body, headers=world.auth(REGISTRY_OFFICER)
    )
    assert answer.status_code == 201, answer.get_json()


def enrol(world, household_ids):
    text = "household_reference\n" + "\n".join(household_ids) + "\n"
    officer = world.auth(REGISTRY_OFFICER)
    roster = world.registry.post(
        "/v1/rosters",
        data={"programme": "BONO-VIDA", "file": (io.BytesIO(text.encode()), "padron.csv")},
        content_type="multipart/form-data",
        headers=officer,
    ).get_json()
    assert world.registry.post(f"/v1/rosters/{roster['id']}/commit", headers=officer).status_code == 200


def proposed(world, incident):
    return {
        p["household_id"]: float(p["amount"])
        for b in world.batches(incident)
        for p in world.payments(b["id"])
    }


def test_a_response_programme_pays_the_damaged_of_this_hazard_with_a_top_up_for_the_enrolled(world):
    world.define(DAMAGED)
    destroyed, partial, intact, other_storm, later, enrolled = homes = world.register(6)
    this_hazard, other_hazard = open_exercise(world, ["ETA-2020"]), open_exercise(world, ["IOTA-2020"])
    for household, damage in ((destroyed, "destroyed"), (partial, "partial"), (intact, "none")):
        assess(world, household, this_hazard, damage)
    assess(world, other_storm, other_hazard, "destroyed")
    assess(world, enrolled, this_hazard, "partial")
    enrol(world, [enrolled, partial])
    world.sync_registry()

    incident = world.new_incident()
    world.issue(incident, 1, homes, incidents=["ETA-2020"])
    # The oracle: the programme's words applied one household at a time.
    expected = {h: 3000.0 for h in (destroyed, partial, enrolled)}
    expected[enrolled] = expected[partial] = min(3000.0 + 1000.0, 3500.0)
    assert proposed(world, incident) == expected

    # A vertical expansion of the regular programme, tried over the same alert and over the area.
    vertical = copy.deepcopy(DAMAGED) | {
        "eligibility": {"field": "enrolled_in", "op": "includes", "value": "bono-vida"}
    }
    for body in ({"incident_id": incident}, {"area": "HN", "band": "Severe"}):
        tried = world.client.post(
            "/v1/programmes/what-if",
            json={"programme": vertical, **body},
            headers=world.auth("programme_officer"),
        )
        assert tried.status_code == 200 and tried.get_json()["eligible"] == 2, tried.get_json()

    # Found destroyed after the programme decided: decided again, and proposed once.
    assess(world, later, this_hazard, "destroyed")
    world.sync_registry()
    assert (
        decide_late_households(TransfersUnitOfWork(world.runtime.session_factory, world.runtime.outbox)) == 1
    )
    assert proposed(world, incident) == expected | {later: 3000.0}
    assert (
        decide_late_households(TransfersUnitOfWork(world.runtime.session_factory, world.runtime.outbox)) == 0
    )

    explained = world.client.get(
        f"/v1/households/{enrolled}/decisions?lang=es", headers=world.auth(APPROVER)
    ).get_json()
    (first,) = [d for d in explained["decisions"] if d["status"] == "payable"]
    said = " ".join(first["explanation"])
    assert "+ 1000 (inscrito en BONO-VIDA) = 4000; tope 3500" in said, said
    shown = world.client.get(
        f"/v1/households/{other_storm}/decisions", headers=world.auth(APPROVER)
    ).get_json()
    assert shown["decisions"][-1]["status"] == "not_eligible"


def test_rules_on_assessments_and_enrolments_name_their_mistakes(world):
    officer = world.auth("programme_officer")
    for eligibility, pointer in (
        ({"field": "dwelling_damage", "op": "==", "value": "flattened"}, "/eligibility/value"),
        ({"field": "enrolled_in", "op": "in", "value": ["X"]}, "/eligibility/op"),
        ({"field": "enrolled_in", "op": "includes", "value": 3}, "/eligibility/value"),
    ):
        document = copy.deepcopy(DAMAGED) | {"eligibility": eligibility}
        answer = world.client.post("/v1/programmes", json=document, headers=officer)
        assert answer.status_code == 422, answer.get_json()
        assert pointer in [e["pointer"] for e in answer.get_json()["errors"]], answer.get_json()
    wrong_code = copy.deepcopy(DAMAGED)
    wrong_code["benefit"]["per_enrolment"] = {"bono vida!": 10}
    answer = world.client.post("/v1/programmes", json=wrong_code, headers=officer)
    assert answer.status_code == 422
    assert answer.get_json()["errors"][0]["pointer"].startswith("/benefit/per_enrolment/")
