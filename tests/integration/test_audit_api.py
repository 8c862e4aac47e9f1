"""The audit log over HTTP: filtered by action, person, subject, outcome and time; its chain
verified by an auditor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import update

from services.registry.entrypoints import app as registry_app
from shared.auth import AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(tmp_path, broker, database_url):
    return make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)


def token(issuer, subject, roles):
    return {"Authorization": f"Bearer {issuer.mint(subject, roles, ['HN'])}"}


def entries(client, auditor, **query):
    path = "/v1/audit-log?" + "&".join(f"{k}={quote(str(v))}" for k, v in query.items())
    answer = client.get(path, headers=auditor)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_the_log_filtered_by_action_person_subject_and_time(registry, issuer):
    client, _ = registry
    auditor = token(issuer, "auditora", [AUDITOR])
    before = datetime.now(UTC) - timedelta(seconds=1)
    # Three refusals by two people, on two paths.
    assert client.get("/v1/audit-log", headers=token(issuer, "carla", [FIELD_STAFF])).status_code == 403
    assert client.get("/v1/audit-log", headers=token(issuer, "marta", [REGISTRY_OFFICER])).status_code == 403
    assert (
        client.get("/v1/audit-log/verification", headers=token(issuer, "carla", [FIELD_STAFF])).status_code
        == 403
    )
    after = datetime.now(UTC) + timedelta(seconds=1)

    by_carla = entries(client, auditor, by="carla")
    assert [e["subject_id"] for e in by_carla] == ["/v1/audit-log/verification", "/v1/audit-log"]
    assert {e["outcome"] for e in by_carla} == {"denied"}
    action = by_carla[1]["action"]
    assert action == "GET /v1/audit-log"
    assert [e["by"] for e in entries(client, auditor, action=action)] == ["marta", "carla"]
    assert [e["by"] for e in entries(client, auditor, action=action, by="marta")] == ["marta"]
    assert len(entries(client, auditor, subject_id="/v1/audit-log/verification")) == 1
    assert len(entries(client, auditor, since=before.isoformat(), until=after.isoformat())) == 3
    assert entries(client, auditor, since=after.isoformat()) == []
    assert entries(client, auditor, until=before.isoformat()) == []
    assert entries(client, auditor, by="nobody") == []
    # The actions to choose from, counted from the entries themselves, the most frequent first.
    listed = client.get("/v1/audit-log/actions", headers=auditor).get_json()
    everything = entries(client, auditor, limit=500)
    counted = {a: sum(e["action"] == a for e in everything) for a in {e["action"] for e in everything}}
    assert {a["action"]: a["entries"] for a in listed} == counted
    assert [a["entries"] for a in listed] == sorted(counted.values(), reverse=True)
    assert listed[0] == {"action": "GET /v1/audit-log", "entries": 2}
    field_staff = token(issuer, "carla", [FIELD_STAFF])
    assert client.get("/v1/audit-log/actions", headers=field_staff).status_code == 403
    # A time without its offset is refused, naming the field.
    naive = client.get("/v1/audit-log?since=2026-12-01T10:00:00", headers=auditor)
    assert naive.status_code == 422 and "/since" in str(naive.get_json()["errors"])
    # A time with no UTC counterpart is refused, not failed on.
    ancient = client.get(f"/v1/audit-log?until={quote('0001-01-01T00:00:00+05:00')}", headers=auditor)
    assert ancient.status_code == 422 and "/until" in str(ancient.get_json()["errors"])


def test_an_auditor_verifies_the_chain_and_sees_where_it_breaks(registry, issuer):
    client, _ = registry
    auditor = token(issuer, "auditora", [AUDITOR])
    for subject in ("carla", "luis"):
        client.get("/v1/audit-log", headers=token(issuer, subject, [FIELD_STAFF]))
    found = client.get("/v1/audit-log/verification", headers=auditor).get_json()
    newest = entries(client, auditor, limit=1)[0]
    assert found == {
        "intact": True,
        "entries": newest["position"],
        "last_hash": newest["hash"],
        "broken": None,
    }

    log = client.application.extensions["amparo.audit"]
    with log.sessions.begin() as session:
        session.execute(
            update(log.tables.entries).where(log.tables.entries.c.position == 1).values(by="someone")
        )
    broken = client.get("/v1/audit-log/verification", headers=auditor).get_json()
    assert broken["intact"] is False and broken["entries"] == 0
    assert broken["broken"] == {"position": 1, "reason": "content changed (its hash does not match)"}
