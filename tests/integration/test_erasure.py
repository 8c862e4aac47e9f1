"""Erasure on request: the registry removes a household's personal data everywhere it keeps it,
keeps what the law requires (ids, decisions, payments), tells the projections (they keep no location
or attribute of it) with a compaction tombstone behind, and the audit log says that it happened
without saying what was erased."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from services.alerts.domain.locations import location_from_snapshot
from services.registry.adapters.orm import audit, household_history, household_messages
from services.transfers.adapters.orm import household_attributes, payments
from shared.auth import FIELD_STAFF, REGISTRY_OFFICER
from shared.contracts.households import HOUSEHOLD_ERASED, erased_snapshot, load_snapshot
from tests.samples import distinct_household
from tests.transfers_world import BANK

pytestmark = pytest.mark.integration


@pytest.fixture
def paid_household(world):
    """A household registered with a phone and a bank account, proposed for payment, and asked to
    be told so (its message waits, queued: no provider here)."""
    world.define()
    body = distinct_household(str(uuid.uuid4()))
    body["members"][0]["phone"] = "+504 3555-0101"
    body["members"][0]["document"] = {
        "type": "national_id",
        "number": f"0801-1990-{uuid.uuid4().int % 10**5:05d}",
    }
    body["payment"] = copy.deepcopy(BANK)
    body["address"] = "Barrio El Centro, casa 12"
    body["consent"]["purposes"] = ["registry", "emergency_transfers", "contact"]
    answer = world.registry.post("/v1/households", json=body, headers=world.auth(REGISTRY_OFFICER))
    assert answer.status_code == 201, answer.get_json()
    household = answer.get_json()
    world.sync_registry()
    incident = world.new_incident()
    world.issue(incident, 1, [household["id"]])
    assert world.batches(incident)
    world.sync_messages()
    return household, body


def personal_values(body: dict) -> list[str]:
    """What must not be found anywhere once erased."""
    values = [body["address"], "35550101", "3555-0101", BANK["identifiers"]["account_number"]]
    for member in body["members"]:
        values += [member["given_names"], member["family_names"]]
        if member.get("document"):
            values.append(member["document"]["number"])
        if member.get("birth_date"):
            values.append(member["birth_date"])
    return values


def test_erasure_removes_personal_data_everywhere_and_keeps_the_tombstone(world, paid_household):
    household, body = paid_household
    outbox = world.registry_runtime.outbox
    with world.registry_runtime.session_factory() as session, session.begin():  # as the relay would
        session.execute(update(outbox).values(published_at=datetime.now(UTC)))
    officer = world.auth(REGISTRY_OFFICER, "officer-erase")
    path = f"/v1/households/{household['id']}/erasure"
    done = world.registry.post(path, json={"reference": "SOL-2026-0042", "location": True}, headers=officer)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["reference"] == "SOL-2026-0042" and done.get_json()["location_erased"] is True

    shown = world.registry.get(f"/v1/households/{household['id']}", headers=officer).get_json()
    assert shown["status"] == "inactive" and shown["address"] is None
    assert {m["given_names"] for m in shown["members"]} == {"(erased)"}
    assert all(m.get("phone") in (None, "") and not m.get("document") for m in shown["members"])
    assert shown["location"]["source"] == "admin_centroid" and shown["location"]["accuracy_m"] == 15000
    with world.registry_runtime.session_factory() as session:
        kept = json.dumps(
            [
                [dict(r._mapping) for r in session.execute(select(t)).all()]
                for t in (household_history, household_messages, audit.entries)
            ],
            default=str,
        )
        history = world.registry.get(f"/v1/households/{household['id']}/history", headers=officer).get_json()
    everything = kept + json.dumps(history) + json.dumps(shown)
    for value in personal_values(body):
        assert value not in everything, value
    assert "SOL-2026-0042" in kept and '"erased"' in kept  # the audit log says that it happened

    # The projections are told, and a tombstone follows for compaction; the snapshots published
    # before (with the exact location) left the outbox.
    with world.registry_runtime.session_factory() as session:
        left = session.execute(
            select(outbox).where(outbox.c.key == household["id"]).order_by(outbox.c.position.desc())
        ).all()
    tombstone, erased_event = left
    assert tombstone.payload == b"" and tombstone.key == household["id"]
    assert json.loads(erased_event.payload)["type"] == HOUSEHOLD_ERASED
    world.sync_registry()
    with world.runtime.session_factory() as session:
        attributes = session.execute(
            select(household_attributes).where(household_attributes.c.household_id == household["id"])
        ).one()
        kept_payments = session.execute(
            select(payments).where(payments.c.household_id == household["id"])
        ).all()
    assert attributes.status == "inactive" and attributes.people is None
    assert attributes.consent_emergency is None and attributes.vulnerability_score is None
    assert len(kept_payments) == 1  # what the law requires stays: the payment and its amount

    # What was erased is never recorded again (a change, a re-import, a device's sync).
    back = {k: v for k, v in body.items() if k != "id"}
    put = world.registry.put(
        f"/v1/households/{household['id']}",
        json=back,
        headers={**officer, "If-Match": f'"{shown["version"]}"'},
    )
    assert put.status_code == 409 and "never recorded again" in put.get_json()["detail"]

    # Once only, by a registry officer of the household's area.
    again = world.registry.post(path, json={"reference": "SOL-2026-0043"}, headers=officer)
    assert again.status_code == 409
    for headers in (world.auth(FIELD_STAFF), world.auth(REGISTRY_OFFICER, jurisdiction=("GT",))):
        assert world.registry.post(path, json={"reference": "SOL-1"}, headers=headers).status_code == 403


def test_an_erased_household_leaves_the_alerts_index_without_a_location():
    snapshot = load_snapshot(erased_snapshot(str(uuid.uuid4()), 4, "HN-CH", 3))
    kept = location_from_snapshot(snapshot)
    assert (kept.lat, kept.lon, kept.indexed, kept.size) == (None, None, False, 3)
    assert kept.children_under_5 == kept.persons_with_disabilities == 0
