"""Holds: a household with an open probable duplicate, or whose recorded consent does not cover
emergency transfers, is never proposed; once the registry officer decides (or consent is given)
it is decided again."""

from __future__ import annotations

import copy
import uuid

import pytest

from services.transfers.service_layer.deciding import decide_late_households
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.auth import APPROVER, REGISTRY_OFFICER
from tests.samples import distinct_household

pytestmark = pytest.mark.integration


def register_body(world, body):
    response = world.registry.post("/v1/households", json=body, headers=world.auth(REGISTRY_OFFICER))
    assert response.status_code == 201, response.get_json()
    world.sync_registry()
    return response.get_json()


def decide_late(world) -> int:
    return decide_late_households(TransfersUnitOfWork(world.runtime.session_factory, world.runtime.outbox))


def statuses(world, household_id, lang="en"):
    answer = world.client.get(
        f"/v1/households/{household_id}/decisions?lang={lang}", headers=world.auth(APPROVER)
    )
    assert answer.status_code == 200, answer.get_json()
    return [(d["status"], d["explanation"]) for d in answer.get_json()["decisions"]]


def paid(world, incident):
    return sorted(p["household_id"] for b in world.batches(incident) for p in world.payments(b["id"]))


@pytest.mark.parametrize("decision", ["merge", "dismiss"])
def test_a_probable_duplicate_is_held_until_the_registry_officer_decides(world, decision):
    world.define()
    first = register_body(world, distinct_household(str(uuid.uuid4())))
    # The same family registered again by the same field worker: queued as a probable duplicate.
    again = copy.deepcopy(distinct_household(first["id"]))
    again["id"] = str(uuid.uuid4())
    second = register_body(world, again)
    other = world.register(1)[0]
    incident = world.new_incident()
    world.issue(incident, 1, [first["id"], second["id"], other])
    assert paid(world, incident) == [other]
    [(status, explanation)] = statuses(world, first["id"])
    assert status == "held_duplicate" and any("probable duplicate" in line for line in explanation)
    assert statuses(world, second["id"], "es")[0][0] == "held_duplicate"
    assert any("retenido" in line for line in statuses(world, second["id"], "es")[0][1])
    assert decide_late(world) == 0  # still held: nothing to decide again

    officer = world.auth(REGISTRY_OFFICER)
    queue = world.registry.get("/v1/duplicates", headers=officer).get_json()
    pairs = [c for c in queue if {c["household_a"], c["household_b"]} == {first["id"], second["id"]}]
    assert pairs and max(c["score"] for c in pairs) == 1.0
    body = {"decision": decision, "keep": first["id"], "members": [], "comment": "revisado"}
    answer = world.registry.post(f"/v1/duplicates/{pairs[0]['id']}/decision", headers=officer, json=body)
    assert answer.status_code == 200, answer.get_json()
    # One decision settles every pair of members between the two households.
    assert not [c for c in world.registry.get("/v1/duplicates", headers=officer).get_json() if c in pairs]
    world.sync_registry()
    assert decide_late(world) == 1
    expected = [first["id"], other] if decision == "merge" else [first["id"], second["id"], other]
    assert paid(world, incident) == sorted(expected)
    assert decide_late(world) == 0


def test_a_household_whose_consent_does_not_cover_emergency_transfers_is_held(world):
    world.define()
    body = distinct_household(str(uuid.uuid4()))
    body["consent"]["purposes"] = ["registry"]
    refused = register_body(world, body)
    unrecorded = distinct_household(str(uuid.uuid4()))
    del unrecorded["consent"]
    unknown = register_body(world, unrecorded)
    incident = world.new_incident()
    world.issue(incident, 1, [refused["id"], unknown["id"]])
    assert paid(world, incident) == [unknown["id"]]  # no consent on record is not a refusal
    assert statuses(world, refused["id"])[0][0] == "held_no_consent"

    # The family gives consent for emergency transfers: decided again, proposed.
    changed = {**body, "consent": {**body["consent"], "purposes": ["registry", "emergency_transfers"]}}
    changed.pop("id")
    answer = world.registry.put(
        f"/v1/households/{refused['id']}",
        json=changed,
        headers={**world.auth(REGISTRY_OFFICER), "If-Match": f'"{refused["version"]}"'},
    )
    assert answer.status_code == 200, answer.get_json()
    world.sync_registry()
    assert decide_late(world) == 1
    assert paid(world, incident) == sorted([refused["id"], unknown["id"]])
