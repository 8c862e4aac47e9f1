"""The daily snapshot pass, weight sets and municipal layers on the registry over HTTP, on SQLite
and PostgreSQL; what the pass publishes applied by both consumers' projections."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from services.alerts.adapters.orm import household_locations
from services.alerts.entrypoints import app as alerts_app
from services.registry.adapters.orm import outbox
from services.registry.entrypoints import app as registry_app
from services.registry.service_layer.snapshots import DayNotCome, refresh_snapshots
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.transfers.adapters.orm import household_attributes
from services.transfers.entrypoints import app as transfers_app
from shared.auth import APPROVER, AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from shared.contracts.households import HOUSEHOLD_EVENT_TYPES
from shared.events import CloudEvent
from shared.inbox import ConsumedRecord, apply_once
from tests.integration.test_api import make_client
from tests.samples import distinct_household

pytestmark = pytest.mark.integration
LAYER = Path(__file__).resolve().parents[1] / "data" / "admin" / "hn-ch-municipalities-drawn.geojson"


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    client.runtime = runtime
    client.deps = runtime.extensions["amparo.registry"]
    client.clock = client.deps.now = Clock(datetime(2028, 7, 30, 15, tzinfo=UTC))
    return client


def auth(issuer, role, who=None, jurisdiction=("HN",)):
    return {"Authorization": f"Bearer {issuer.mint(who or 'user-' + role, [role], list(jurisdiction))}"}


def child_born(birth: str, **changes):
    """A family whose child was born on ``birth`` (the adults' next counted birthdays are far off)."""
    body = distinct_household(str(uuid.uuid4()))
    body["members"][1]["birth_date"] = birth
    body["members"][0]["birth_date"] = "1986-03-14"
    body.update(changes)
    return body


def register(registry, issuer, body):
    response = registry.post("/v1/households", json=body, headers=auth(issuer, FIELD_STAFF))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_pass(registry, day: date):
    runtime = registry.runtime
    return refresh_snapshots(
        day,
        lambda: RegistryUnitOfWork(runtime.session_factory, runtime.outbox),
        registry.deps.index,
        registry.deps.now,
    )


def snapshots_of(registry, household_id: str) -> list[dict]:
    with registry.runtime.session_factory() as session:
        rows = session.execute(
            select(outbox.c.payload).where(outbox.c.key == household_id).order_by(outbox.c.position)
        ).scalars()
        events = [CloudEvent.from_json(row) for row in rows]
    return [e.data for e in events if e.type in HOUSEHOLD_EVENT_TYPES]


def test_a_birthday_crossing_a_band_is_published_once_under_the_same_version(registry, issuer):
    sent = child_born("2023-08-02")
    turning_5 = register(registry, issuer, sent)
    later = register(registry, issuer, child_born("2023-11-20"))
    registry.clock.at = datetime(2028, 8, 2, 0, 40, tzinfo=UTC)
    with pytest.raises(DayNotCome):
        run_pass(registry, date(2028, 8, 3))

    report = run_pass(registry, date(2028, 8, 2))
    assert (report.looked_at, report.published) == (1, 1)
    first, refreshed = snapshots_of(registry, turning_5["id"])
    assert (refreshed["version"], refreshed["snapshot_revision"], refreshed["snapshot_on"]) == (
        1,
        1,
        "2028-08-02",
    )
    # By hand with dateutil: the head is 42, the child 5, the grandmother's estimate stays 71.
    ages = [relativedelta(date(2028, 8, 2), date(1986, 3, 14)).years, 5, 71]
    assert (
        refreshed["members_by_age_band"]
        == {"0_4": 0, "5_17": 1, "18_64": 1, "65_plus": 1}
        == {
            "0_4": sum(a <= 4 for a in ages),
            "5_17": sum(5 <= a <= 17 for a in ages),
            "18_64": sum(18 <= a <= 64 for a in ages),
            "65_plus": sum(a >= 65 for a in ages),
        }
    )
    assert first["members_by_age_band"]["0_4"] == 1
    assert refreshed["vulnerability"]["components"]["children_under_5"] == 0.0
    assert refreshed["vulnerability"]["score"] < first["vulnerability"]["score"]

    # Run again, or for an earlier day: nothing more.
    assert run_pass(registry, date(2028, 8, 2)).published == 0
    assert run_pass(registry, date(2028, 8, 1)).published == 0
    assert len(snapshots_of(registry, turning_5["id"])) == 2 and len(snapshots_of(registry, later["id"])) == 1

    shown = registry.get(
        f"/v1/households/{turning_5['id']}", headers=auth(issuer, REGISTRY_OFFICER)
    ).get_json()
    assert shown["version"] == 1 and shown["vulnerability"]["score"] == refreshed["vulnerability"]["score"]

    # A change afterwards is version 2, revision 0; the other child is due on its own day.
    registry.clock.at = datetime(2028, 8, 10, 12, tzinfo=UTC)
    body = {k: v for k, v in sent.items() if k != "id"} | {"address": "Barrio El Centro"}
    body["members"] = [{**m, "id": turning_5["members"][i]["id"]} for i, m in enumerate(sent["members"])]
    changed = registry.put(
        f"/v1/households/{turning_5['id']}",
        json=body,
        headers={**auth(issuer, FIELD_STAFF), "If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.get_json()
    newest = snapshots_of(registry, turning_5["id"])[-1]
    assert (newest["version"], newest["snapshot_revision"], newest["snapshot_on"]) == (2, 0, "2028-08-10")
    registry.clock.at = datetime(2028, 11, 20, 1, tzinfo=UTC)
    assert run_pass(registry, date(2028, 11, 20)).published == 1
    assert snapshots_of(registry, later["id"])[-1]["members_by_age_band"]["0_4"] == 0


def test_two_passes_at_once_publish_each_refresh_once(registry, issuer):
    created = [register(registry, issuer, child_born("2023-08-02"))["id"] for _ in range(6)]
    registry.clock.at = datetime(2028, 8, 2, 0, 40, tzinfo=UTC)
    reports = []
    threads = [
        threading.Thread(target=lambda: reports.append(run_pass(registry, date(2028, 8, 2))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.published for r in reports) == 6
    for household_id in created:
        revisions = [s["snapshot_revision"] for s in snapshots_of(registry, household_id)]
        assert revisions == [0, 1]


def test_both_projections_take_the_refreshed_snapshot_and_ignore_the_older_one(
    registry, issuer, tmp_path, broker, new_database
):
    created = register(registry, issuer, child_born("2023-08-02"))
    registry.clock.at = datetime(2028, 8, 2, 0, 40, tzinfo=UTC)
    run_pass(registry, date(2028, 8, 2))
    with registry.runtime.session_factory() as session:
        payloads = list(
            session.execute(
                select(outbox.c.payload).where(outbox.c.key == created["id"]).order_by(outbox.c.position)
            ).scalars()
        )
    for name, module, table in (
        ("alerts", alerts_app, household_locations),
        ("transfers", transfers_app, household_attributes),
    ):
        (tmp_path / name).mkdir()
        _, runtime = make_client(module, name, tmp_path / name, broker.bootstrap_server, new_database())
        handlers = transfers_app.HOUSEHOLD_HANDLERS if name == "transfers" else alerts_household_handlers()
        for offset, payload in enumerate([*payloads, payloads[0]]):  # the first again, after the refresh
            apply_once(
                runtime.session_factory,
                runtime.inbox,
                handlers,
                ConsumedRecord(name, 0, offset, payload),
                _dead,
            )
        with runtime.session_factory() as session:
            row = session.execute(select(table).where(table.c.household_id == created["id"])).one()
        assert (row.version, row.snapshot_revision, row.children_under_5) == (1, 1, 0), name
        if name == "transfers":
            refreshed = json.loads(payloads[-1])["data"]
            assert row.vulnerability_score == refreshed["vulnerability"]["score"]


def alerts_household_handlers():
    from services.alerts.entrypoints.consumer import apply_household_event

    return dict.fromkeys(HOUSEHOLD_EVENT_TYPES, apply_household_event)


def _dead(_record, reason):
    raise AssertionError(f"dead-lettered: {reason}")


def weights_for(area: str, version: str, effective_from: str, **weights: float) -> dict:
    base = dict.fromkeys(
        (
            "children_under_5",
            "elderly_65_plus",
            "disability",
            "female_headed",
            "dependency_ratio",
            "pregnancy_or_chronic_illness",
            "precarious_dwelling",
            "crowding",
            "unsafe_water",
            "no_sanitation",
            "no_stable_income",
        ),
        1.0,
    )
    return {"version": version, "area": area, "effective_from": effective_from, "weights": base | weights}


def test_new_weights_for_an_area_are_approved_by_another_person_and_rescore_only_that_area(registry, issuer):
    inside = register(registry, issuer, child_born("2020-01-10", admin_code="HN-CH-0601"))
    outside = register(
        registry, issuer, child_born("2020-01-10", admin_code="HN-CR", location={"lat": 15.5, "lon": -87.9})
    )
    officer = auth(issuer, REGISTRY_OFFICER, "ana")
    wrong = registry.post(
        "/v1/vulnerability-weights",
        json=weights_for("HN-CH", "ch-2028", "2028-08-15", crowding=-2),
        headers=officer,
    )
    assert wrong.status_code == 422 and "weights for HN-CH version ch-2028" in wrong.get_json()["detail"]
    assert [e["pointer"] for e in wrong.get_json()["errors"]] == ["/weights/crowding"]
    past = registry.post(
        "/v1/vulnerability-weights", json=weights_for("HN-CH", "ch-2028", "2028-07-30"), headers=officer
    )
    assert past.status_code == 422 and past.get_json()["errors"][0]["pointer"] == "/effective_from"
    foreign = registry.post(
        "/v1/vulnerability-weights", json=weights_for("GT-PE", "gt", "2028-08-15"), headers=officer
    )
    assert foreign.status_code == 403

    proposed = registry.post(
        "/v1/vulnerability-weights",
        json=weights_for("HN-CH", "ch-2028", "2028-08-15", disability=20.0),
        headers=officer,
    )
    assert proposed.status_code == 201 and proposed.get_json()["status"] == "proposed"
    own = registry.post(
        "/v1/vulnerability-weights/ch-2028/decision", json={"decision": "approve"}, headers=officer
    )
    assert own.status_code == 403
    field = registry.post(
        "/v1/vulnerability-weights/ch-2028/decision",
        json={"decision": "approve"},
        headers=auth(issuer, FIELD_STAFF),
    )
    assert field.status_code == 403
    approved = registry.post(
        "/v1/vulnerability-weights/ch-2028/decision",
        json={"decision": "approve", "comment": "board minute 14"},
        headers=auth(issuer, APPROVER, "luis"),
    )
    assert approved.status_code == 200 and approved.get_json()["decided_by"] == "luis"

    registry.clock.at = datetime(2028, 8, 14, 9, tzinfo=UTC)  # not yet in effect: nothing moves
    registry.deps.reference_changed()
    assert run_pass(registry, date(2028, 8, 14)).published == 0
    registry.clock.at = datetime(2028, 8, 15, 0, 40, tzinfo=UTC)
    report = run_pass(registry, date(2028, 8, 15))
    assert report.weight_sets_applied == ["ch-2028"] and report.published == 1
    rescored = snapshots_of(registry, inside["id"])[-1]
    assert rescored["vulnerability"]["index_version"] == "ch-2028" and rescored["snapshot_revision"] == 1
    assert rescored["vulnerability"]["score"] > inside["vulnerability"]["score"]  # a disability weighs more
    assert len(snapshots_of(registry, outside["id"])) == 1
    assert run_pass(registry, date(2028, 8, 15)).weight_sets_applied == []

    # A household registered there from then on is scored with the area's weights at once.
    later = register(registry, issuer, child_born("2020-01-10", admin_code="HN-CH-0602"))
    assert later["vulnerability"]["index_version"] == "ch-2028"
    audit = registry.get("/v1/audit-log?limit=500", headers=auth(issuer, AUDITOR, jurisdiction=("*",)))
    actions = [e["action"] for e in audit.get_json()["items"]] if audit.status_code == 200 else []
    assert {"weights_proposed", "weights_approved", "weights_took_effect"} <= set(actions), audit.get_json()


def test_a_municipal_layer_checks_codes_and_homes_once_loaded(registry, issuer):
    officer = auth(issuer, REGISTRY_OFFICER, "ana", jurisdiction=("HN",))
    sample = child_born("2020-01-10", admin_code="HN-CH-0699", location={"lat": 13.30, "lon": -87.19})
    assert registry.post("/v1/households", json=sample, headers=auth(issuer, FIELD_STAFF)).status_code == 201

    query = "?country=HN&source=drawn%20for%20tests&tolerance_m=150"
    area_only = auth(issuer, REGISTRY_OFFICER, "eva", jurisdiction=("HN-CH",))
    assert (
        registry.post(f"/v1/admin-boundaries{query}", data=LAYER.read_bytes(), headers=area_only).status_code
        == 403
    )
    broken = json.loads(LAYER.read_text())
    broken["features"][0]["properties"]["code"] = "HN-0601"
    refused = registry.post(f"/v1/admin-boundaries{query}", data=json.dumps(broken), headers=officer)
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["pointer"] == "/features/0/properties/code"
    loaded = registry.post(f"/v1/admin-boundaries{query}", data=LAYER.read_bytes(), headers=officer)
    assert loaded.status_code == 200 and loaded.get_json()["municipalities"] == 3

    def refusal(**changes):
        response = registry.post(
            "/v1/households", json=child_born("2020-01-10", **changes), headers=auth(issuer, FIELD_STAFF)
        )
        return response.status_code, {
            e["pointer"]: e["detail"] for e in response.get_json().get("errors", [])
        }

    status, errors = refusal(admin_code="HN-CH-0699", location={"lat": 13.30, "lon": -87.19})
    assert status == 422 and "unknown municipality HN-CH-0699" in errors["/admin_code"]
    assert "HN-CH-0601 (Choluteca)" in errors["/admin_code"]
    status, errors = refusal(admin_code="HN-CH-0601", location={"lat": 13.30, "lon": -87.40})
    assert status == 422 and "it lies in HN-CH-0607 (Marcovia)" in errors["/location"]
    assert refusal(admin_code="HN-CH-0601", location={"lat": 13.30, "lon": -87.3009})[0] == 201  # 97 m over
    assert (
        refusal(admin_code="HN-CH", location={"lat": 13.30, "lon": -87.40})[0] == 201
    )  # first level: as before
    layers = registry.get("/v1/admin-boundaries", headers=auth(issuer, AUDITOR)).get_json()
    assert (
        layers[0]["country"] == "HN" and layers[0]["municipalities"] == 3 and layers[0]["loaded_by"] == "ana"
    )


def test_the_worker_runs_the_pass_once_a_day_at_its_time_on_the_instance_holding_the_lease(registry, issuer):
    from services.registry.service_layer.snapshots import DailyTime, SnapshotWorker
    from shared.outbox import RelayLease

    register(registry, issuer, child_born("2023-08-02"))
    runtime = registry.runtime

    def worker():
        return SnapshotWorker(
            lambda: RegistryUnitOfWork(runtime.session_factory, runtime.outbox),
            registry.deps,
            DailyTime.parse("00:30"),
            RelayLease(runtime.engine, f"test-snapshots-{uuid.uuid4().hex[:6]}"),
        )

    first = worker()
    second = SnapshotWorker(
        first.units_of_work, first.deps, first.at, RelayLease(runtime.engine, first.lease.name)
    )
    registry.clock.at = datetime(2028, 8, 2, 0, 10, tzinfo=UTC)  # before its time: yesterday's pass
    assert first.run_once().day == date(2028, 8, 1) and first.run_once() is None
    registry.clock.at = datetime(2028, 8, 2, 0, 31, tzinfo=UTC)
    report = first.run_once()
    assert report.day == date(2028, 8, 2) and report.published == 1
    assert second.run_once() is None  # the lease is the first's
    assert first.run_once() is None  # done for the day
    registry.clock.at = datetime(2028, 8, 3, 0, 31, tzinfo=UTC)
    assert first.run_once().published == 0  # the next day: nothing due
    first.lease.release()


def test_an_operator_runs_the_pass_for_a_day(tmp_path):
    from click.testing import CliRunner

    from services.cli import main
    from shared import db
    from tests.samples import registry_keys

    url = f"sqlite:///{tmp_path / 'registry.db'}"
    db.upgrade(registry_app.MIGRATIONS, db.make_engine(url))
    env = {"AMPARO_REGISTRY_DATABASE_URL": url, **registry_keys()}
    ran = CliRunner().invoke(main, ["registry", "refresh-snapshots", "--day", "2026-01-02"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "snapshots of 2026-01-02: 0 households due looked at, 0 published again" in ran.output
    ahead = CliRunner().invoke(main, ["registry", "refresh-snapshots", "--day", "2999-01-01"], env=env)
    assert ahead.exit_code == 2 and "has not come yet" in ahead.output


OLD_HOUSEHOLD = (
    "INSERT INTO households (id, admin_code, size, lat, lon, location_source, status, version, registered_at,"
    " registered_by) VALUES (:id, 'HN-CH', 1, 13.3, -87.19, 'gps', :status, 1, '2026-01-05 10:00:00', 'u')"
)


def test_the_upgrade_makes_every_active_household_due_once(new_database):
    from sqlalchemy import text

    from services.registry.adapters.orm import households
    from shared import db

    engine = db.make_engine(new_database())
    db.upgrade(registry_app.MIGRATIONS, engine, "0008")
    with engine.begin() as connection:
        for household_id, status in (("a", "active"), ("b", "moved")):
            connection.execute(
                text(OLD_HOUSEHOLD),
                {"id": household_id, "status": status},
            )
    db.upgrade(registry_app.MIGRATIONS, engine)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(households.c.id, households.c.snapshot_due_on)).all())
    engine.dispose()
    assert rows["b"] is None and str(rows["a"]) == datetime.now(UTC).date().isoformat()
