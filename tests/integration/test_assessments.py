"""Damage and needs after a hazard: exercises, visits added to households, visits synced from a
field device with or without a new household, and what the published snapshot carries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from services.registry.adapters.orm import households, outbox
from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, REGISTRY_OFFICER
from shared.events import CloudEvent
from tests.integration.test_registry_api import auth, register, registry  # noqa: F401
from tests.samples import distinct_household

pytestmark = pytest.mark.integration


def open_exercise(registry, issuer, **overrides):  # noqa: F811
    body = {"name": "Eta — Sula valley", "incidents": ["ETA-2020"], "admin_codes": ["HN-CH"]}
    body.update(overrides)
    response = registry.post("/v1/assessment-events", json=body, headers=auth(issuer, [REGISTRY_OFFICER]))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def visit(event_id, **overrides):
    body = {
        "event_id": event_id,
        "dwelling_damage": "partial",
        "displacement": "shelter",
        "shelter": "Escuela República de Cuba",
        "livelihood_losses": ["crops", "tools"],
        "needs": ["water", "food"],
        "assessed_at": datetime.now(UTC).isoformat(),
    }
    body.update(overrides)
    return body


def snapshots(registry, household_id):  # noqa: F811
    with registry.runtime.session_factory() as session:
        payloads = session.scalars(
            select(outbox.c.payload).where(outbox.c.key == household_id).order_by(outbox.c.position)
        ).all()
    return [CloudEvent.from_json(p) for p in payloads]


def test_officers_open_exercises_in_their_areas_and_field_staff_see_those_that_overlap_theirs(
    registry,  # noqa: F811
    issuer,
):
    event = open_exercise(registry, issuer)
    assert event["incidents"] == ["ETA-2020"] and event["opened_by"].startswith("user-")
    for jurisdiction, seen in ((["HN-CH-0601"], True), (["HN"], True), (["HN-CR"], False)):
        listed = registry.get("/v1/assessment-events", headers=auth(issuer, [FIELD_STAFF], jurisdiction))
        assert (event["id"] in [e["id"] for e in listed.get_json()["items"]]) is seen, jurisdiction
    body = {"name": "x", "incidents": ["ETA-2020"], "admin_codes": ["HN-CH"]}
    for roles, where, status in (
        ([FIELD_STAFF], ["HN"], 403),
        ([CIVIL_PROTECTION], ["HN"], 403),
        ([REGISTRY_OFFICER], ["HN-CR"], 403),
    ):
        response = registry.post("/v1/assessment-events", json=body, headers=auth(issuer, roles, where))
        assert response.status_code == status, (roles, where)
    refused = registry.post(
        "/v1/assessment-events",
        json={"name": " ", "incidents": ["  "], "admin_codes": ["HN-CH"]},
        headers=auth(issuer, [REGISTRY_OFFICER]),
    )
    assert refused.status_code == 422
    assert {e["pointer"] for e in refused.get_json()["errors"]} == {"/name", "/incidents"}
    closed = open_exercise(
        registry,
        issuer,
        opens_at=(datetime.now(UTC) - timedelta(days=3)).isoformat(),
        closes_at=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
    )
    listed = registry.get("/v1/assessment-events", headers=auth(issuer, [FIELD_STAFF])).get_json()
    assert closed["id"] not in [e["id"] for e in listed["items"]]


def test_a_visit_adds_a_version_whose_snapshot_carries_categories_and_no_personal_detail(
    registry,  # noqa: F811
    issuer,
):
    event = open_exercise(registry, issuer)
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}/assessments"
    response = registry.post(url, json=visit(event["id"]), headers=auth(issuer, [FIELD_STAFF]))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["household_version"] == created["version"] + 1

    shown = registry.get(f"/v1/households/{created['id']}", headers=auth(issuer, [AUDITOR])).get_json()
    (recorded,) = shown["assessments"]
    assert recorded["shelter"] == "Escuela República de Cuba" and recorded["incidents"] == ["ETA-2020"]
    assert recorded["assessed_by"] == "user-field_staff"
    last = snapshots(registry, created["id"])[-1]
    assert last.type == "amparo.registry.household.updated.v1"
    (category,) = last.data["assessments"]
    assert category["dwelling_damage"] == "partial" and category["incidents"] == ["ETA-2020"]
    assert category["livelihood_losses"] == ["crops", "tools"] and category["displacement"] == "shelter"
    assert "Escuela" not in str(last.data) and "user-field_staff" not in str(last.data)
    history = registry.get(
        f"/v1/households/{created['id']}/history", headers=auth(issuer, [REGISTRY_OFFICER])
    ).get_json()
    paths = {c["path"] for c in history[-1]["changes"]}
    assert f"assessments.{event['id']}.dwelling_damage" in paths

    # A later visit for the same exercise replaces the finding; one made before it, sent late, is refused.
    later = visit(event["id"], dwelling_damage="destroyed", displacement="host_family", shelter=None)
    assert registry.post(url, json=later, headers=auth(issuer, [FIELD_STAFF])).status_code == 201
    earlier = visit(event["id"], assessed_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat())
    refused = registry.post(url, json=earlier, headers=auth(issuer, [FIELD_STAFF]))
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["pointer"] == "/assessment/assessed_at"
    shown = registry.get(f"/v1/households/{created['id']}", headers=auth(issuer, [AUDITOR])).get_json()
    assert [a["dwelling_damage"] for a in shown["assessments"]] == ["destroyed"]


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"shelter": None}, "/assessment/shelter"),
        ({"displacement": "at_home"}, "/assessment/shelter"),
        ({"event_id": "no-such-exercise"}, "/assessment/event_id"),
        ({"assessed_at": "2099-01-01T00:00:00+00:00"}, "/assessment/assessed_at"),
        ({"needs": ["water", "yachts"]}, "/needs/1"),
        ({"dwelling_damage": "flattened"}, "/dwelling_damage"),
    ],
)
def test_a_refused_visit_names_its_field_and_changes_nothing(registry, issuer, change, pointer):  # noqa: F811
    event = open_exercise(registry, issuer)
    created = register(registry, issuer)
    body = visit(event["id"]) | change
    response = registry.post(
        f"/v1/households/{created['id']}/assessments", json=body, headers=auth(issuer, [FIELD_STAFF])
    )
    assert response.status_code == 422, response.get_json()
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
    with registry.runtime.session_factory() as session:
        assert session.scalar(select(households.c.version).where(households.c.id == created["id"])) == 1


def test_a_visit_outside_the_exercise_or_the_worker_s_areas_is_refused(registry, issuer):  # noqa: F811
    elsewhere = open_exercise(registry, issuer, admin_codes=["HN-CR"], name="Eta — Cortés")
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}/assessments"
    refused = registry.post(url, json=visit(elsewhere["id"]), headers=auth(issuer, [FIELD_STAFF]))
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/assessment/event_id"
    event = open_exercise(registry, issuer)
    outside = registry.post(url, json=visit(event["id"]), headers=auth(issuer, [FIELD_STAFF], ["HN-CR"]))
    assert outside.status_code == 403
    for role in (AUDITOR, CIVIL_PROTECTION):
        assert registry.post(url, json=visit(event["id"]), headers=auth(issuer, [role])).status_code == 403


def test_a_device_registers_and_assesses_in_one_visit_or_assesses_alone_all_or_nothing(
    registry,  # noqa: F811
    issuer,
):
    event = open_exercise(registry, issuer)
    known = register(registry, issuer, distinct_household(str(uuid.uuid4())))
    new_id, bad_id = str(uuid.uuid4()), str(uuid.uuid4())
    records = [
        {
            "client_id": str(uuid.uuid4()),
            "household_id": new_id,
            "household": distinct_household(new_id),
            "assessment": visit(event["id"], displacement="at_home", shelter=None),
        },
        {
            "client_id": str(uuid.uuid4()),
            "household_id": known["id"],
            "household": None,
            "assessment": visit(event["id"], dwelling_damage="destroyed"),
        },
        {
            "client_id": str(uuid.uuid4()),
            "household_id": bad_id,
            "household": distinct_household(bad_id),
            "assessment": visit(event["id"], shelter=None),
        },
        {"client_id": str(uuid.uuid4()), "household_id": known["id"], "household": None},
    ]
    batch = {"device": "tablet-7", "records": records}
    report = registry.post("/v1/households/sync", json=batch, headers=auth(issuer, [FIELD_STAFF])).get_json()
    assert [r["status"] for r in report["results"]] == ["created", "updated", "rejected", "rejected"]
    assert report["results"][2]["errors"] == {"/assessment/shelter": "say which shelter the household is in"}
    assert report["results"][3]["errors"]
    reader = auth(issuer, [AUDITOR])
    assert registry.get(f"/v1/households/{bad_id}", headers=reader).status_code == 404
    new = registry.get(f"/v1/households/{new_id}", headers=reader).get_json()
    assert new["version"] == 2 and new["assessments"][0]["displacement"] == "at_home"
    assert registry.get(f"/v1/households/{known['id']}", headers=reader).get_json()["version"] == 2
    again = registry.post("/v1/households/sync", json=batch, headers=auth(issuer, [FIELD_STAFF])).get_json()
    assert [r["status"] for r in again["results"][:2]] == ["already_synced", "already_synced"]
    assert registry.get(f"/v1/households/{known['id']}", headers=reader).get_json()["version"] == 2
