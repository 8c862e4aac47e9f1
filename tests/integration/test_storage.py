"""Outbox, inbox, migrations and projections on real databases: SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.alerts.adapters.orm import household_locations
from services.alerts.adapters.orm import inbox as alerts_inbox
from services.alerts.entrypoints.app import MIGRATIONS as ALERTS_MIGRATIONS
from services.alerts.entrypoints.consumer import apply_household_event
from services.registry.adapters.orm import household_history, households, members, outbox
from services.registry.entrypoints.app import MIGRATIONS as REGISTRY_MIGRATIONS
from services.registry.service_layer.common import Actor
from services.registry.service_layer.registration import RegisterHousehold, register_household
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from services.transfers.entrypoints.app import MIGRATIONS as TRANSFERS_MIGRATIONS
from shared import db
from shared.contracts.households import HOUSEHOLD_UPDATED
from shared.events import CloudEvent
from shared.inbox import APPLIED, DEAD_LETTERED, DUPLICATE, STALE, ConsumedRecord, apply_once
from shared.outbox import replay
from tests.samples import distinct_household, household_body, registry_dependencies, snapshot_event

pytestmark = pytest.mark.integration


DEPS = registry_dependencies()


def registration(household_id=None, **overrides):
    from marshmallow import EXCLUDE

    from services.registry.entrypoints.api import household_input
    from services.registry.entrypoints.schemas import HouseholdInputSchema

    loaded = HouseholdInputSchema(unknown=EXCLUDE).load(household_body(**overrides))
    actor = Actor("ana", lambda code: True)
    return RegisterHousehold(household_input(loaded), actor, household_id)


def register(sessions, command=None):
    return register_household(command or registration(), RegistryUnitOfWork(sessions, outbox), DEPS)


@pytest.fixture
def registry(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(REGISTRY_MIGRATIONS, engine)
    yield db.make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def alerts(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(ALERTS_MIGRATIONS, engine)
    yield db.make_session_factory(engine)
    engine.dispose()


def test_every_service_migrates_from_an_empty_database(new_database):
    from sqlalchemy import inspect

    heads = {REGISTRY_MIGRATIONS: "0014", ALERTS_MIGRATIONS: "0010", TRANSFERS_MIGRATIONS: "0017"}
    expected = {
        REGISTRY_MIGRATIONS: "households",
        ALERTS_MIGRATIONS: "household_locations",
        TRANSFERS_MIGRATIONS: "household_attributes",
    }
    for migrations, table in expected.items():
        engine = db.make_engine(new_database())
        assert db.current_revision(migrations, engine) is None
        db.upgrade(migrations, engine)
        assert db.current_revision(migrations, engine) == heads[migrations]
        assert {table, "outbox", "inbox", db.version_table(migrations)} <= set(
            inspect(engine).get_table_names()
        )
        db.upgrade(migrations, engine)  # a second run changes nothing
        engine.dispose()


def test_registry_migrates_forward_keeping_households_of_the_first_schema(database_url):
    from sqlalchemy import text

    engine = db.make_engine(database_url)
    db.upgrade(REGISTRY_MIGRATIONS, engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO households (id, admin_code, size, lat, lon, location_source, status, version, "
                "registered_at, registered_by) VALUES ('h1', 'HN-CH', 2, 13.3, -87.2, 'gps', 'active', 1, "
                ":at, 'ana')"
            ),
            {"at": datetime.now(UTC)},
        )
    db.upgrade(REGISTRY_MIGRATIONS, engine)
    with db.make_session_factory(engine)() as session:
        from services.registry.adapters.households import HouseholdRepository

        old = HouseholdRepository(session).get("h1")
    assert old is not None and old.admin_code == "HN-CH" and old.version == 1
    assert old.registration.source == "field" and old.facts.dwelling == {}
    engine.dispose()


@pytest.mark.parametrize("code, area", [("HN-CH-0601", "HN-CH"), ("HN-CH", "HN-CH"), ("HN", "HN")])
def test_members_of_the_blocks_schema_get_their_households_first_level_area(database_url, code, area):
    from sqlalchemy import text

    engine = db.make_engine(database_url)
    db.upgrade(REGISTRY_MIGRATIONS, engine, "0009")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO households (id, admin_code, size, lat, lon, location_source, status, version, "
                "registered_at, registered_by, dwelling, services, livelihood, vulnerability_components, "
                "assessments, enrolments, snapshot_revision) VALUES ('h1', :code, 1, 13.3, -87.2, 'gps', "
                "'active', 1, :at, 'ana', '{}', '{}', '{}', '{}', '[]', '[]', 0)"
            ),
            {"at": datetime.now(UTC), "code": code},
        )
        connection.execute(
            text(
                "INSERT INTO members (id, household_id, position, given_names, family_names, sex, "
                "relationship, disability, pregnant, chronic_illness, birth_year, block_initial) VALUES "
                "('m1', 'h1', 0, 'Ana', 'Cruz', 'female', 'head', '{}', false, false, 1980, 'a')"
            )
        )
    db.upgrade(REGISTRY_MIGRATIONS, engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT block_area FROM members")).scalar() == area
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_state_change_and_event_commit_together(registry):
    household, created = register(registry)
    assert created
    with registry() as session:
        rows = session.execute(select(outbox)).all()
    assert len(rows) == 1
    event = CloudEvent.from_json(rows[0].payload)
    assert event.subject == household.id and rows[0].key == household.id
    assert rows[0].topic == "registry.households" and rows[0].published_at is None


def test_a_failed_transaction_leaves_neither_change_nor_event(registry):
    def crash_after_writing(event):
        raise RuntimeError("crash before commit")

    from services.registry.service_layer import registration as module

    original = module.household_event
    module.household_event = lambda household, previous: crash_after_writing(original(household, previous))
    try:
        with pytest.raises(RuntimeError):
            register(registry)
    finally:
        module.household_event = original
    with registry() as session:
        for table in (households, members, household_history, outbox):
            assert session.scalar(select(func.count()).select_from(table)) == 0


def test_retried_registration_with_the_same_id_is_not_doubled(registry):
    household_id = str(uuid.uuid4())
    first, created = register(registry, registration(household_id))
    again, created_again = register(registry, registration(household_id))
    assert created and not created_again and again.id == first.id
    with registry() as session:
        assert session.scalar(select(func.count()).select_from(outbox)) == 1
    from services.registry.domain.errors import HouseholdIdTaken

    with pytest.raises(HouseholdIdTaken):
        register(registry, registration(household_id, address="Otra dirección"))


_snapshot_event = snapshot_event


def _deliver(sessions, event: CloudEvent, offset: int = 0, dead: list | None = None) -> str:
    record = ConsumedRecord("registry.households", 0, offset, event.to_json())
    return apply_once(
        sessions,
        alerts_inbox,
        {HOUSEHOLD_UPDATED: apply_household_event},
        record,
        lambda r, reason: (dead if dead is not None else []).append((r, reason)),
    )


def test_the_same_event_twice_is_applied_once(alerts):
    event = _snapshot_event(str(uuid.uuid4()), 1)
    assert _deliver(alerts, event) == APPLIED
    assert _deliver(alerts, event, offset=1) == DUPLICATE
    with alerts() as session:
        assert session.scalar(select(func.count()).select_from(alerts_inbox)) == 1
        assert session.scalar(select(func.count()).select_from(household_locations)) == 1


def test_an_older_version_never_overwrites_a_newer_one(alerts):
    household_id = str(uuid.uuid4())
    assert _deliver(alerts, _snapshot_event(household_id, 2, "HN-CR")) == APPLIED
    assert _deliver(alerts, _snapshot_event(household_id, 1, "HN-CH")) == STALE
    with alerts() as session:
        row = session.execute(select(household_locations)).one()
    assert (row.version, row.admin_code) == (2, "HN-CR")


def test_malformed_events_are_dead_lettered_with_the_reason_and_recorded(alerts):
    dead: list = []
    bad_data = _snapshot_event(str(uuid.uuid4()), 1)
    bad_data.data["location"]["lat"] = 123
    assert _deliver(alerts, bad_data, dead=dead) == DEAD_LETTERED
    assert "/location/lat" in dead[0][1]
    garbage = ConsumedRecord("registry.households", 0, 7, b"{not json")
    assert (
        apply_once(alerts, alerts_inbox, {}, garbage, lambda r, reason: dead.append((r, reason)))
        == DEAD_LETTERED
    )
    assert "not JSON" in dead[1][1]
    with alerts() as session:
        assert session.scalar(select(func.count()).select_from(household_locations)) == 0
        outcomes = session.scalars(select(alerts_inbox.c.outcome)).all()
    assert outcomes == [DEAD_LETTERED, DEAD_LETTERED]
    # A parked event delivered again is tried again (it may be applicable now), and parked again.
    assert _deliver(alerts, bad_data, dead=dead) == DEAD_LETTERED
    with alerts() as session:
        assert session.scalar(select(func.count()).select_from(alerts_inbox)) == 2


def test_a_database_failure_records_nothing(alerts):
    event = _snapshot_event(str(uuid.uuid4()), 1)

    def broken(session, _event):
        raise ConnectionError("database went away")

    record = ConsumedRecord("registry.households", 0, 0, event.to_json())
    with pytest.raises(ConnectionError):
        apply_once(alerts, alerts_inbox, {HOUSEHOLD_UPDATED: broken}, record, lambda *a: None)
    with alerts() as session:
        assert session.scalar(select(func.count()).select_from(alerts_inbox)) == 0
    assert _deliver(alerts, event) == APPLIED  # the retry then applies it


def test_replay_requeues_events_since_a_time(registry):
    for _ in range(3):  # three different families (the same one thrice would add review events)
        family = distinct_household(str(uuid.uuid4()))
        register(registry, registration(members=family["members"], location=family["location"]))
    with registry.begin() as session:
        session.execute(
            outbox.update().values(published_at=datetime.now(UTC), kafka_partition=0, kafka_offset=1)
        )
    assert replay(registry, outbox, datetime.now(UTC) - timedelta(hours=1)) == 3
    assert replay(registry, outbox, datetime.now(UTC) + timedelta(hours=1)) == 0
    with registry() as session:
        assert (
            session.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))
            == 3
        )
    with pytest.raises(ValueError, match="time zone"):
        replay(registry, outbox, datetime(2026, 1, 1))


def test_an_event_parked_for_an_unknown_type_is_applied_when_replayed_later(alerts):
    event = _snapshot_event(str(uuid.uuid4()), 1)
    record = ConsumedRecord("registry.households", 0, 0, event.to_json())
    dead: list = []
    assert (
        apply_once(alerts, alerts_inbox, {}, record, lambda r, reason: dead.append(reason)) == DEAD_LETTERED
    )
    assert "no handler" in dead[0]
    # The consumer learns the type (an upgrade); the replayed event is applied, not a "duplicate".
    assert _deliver(alerts, event, offset=5) == APPLIED
    assert _deliver(alerts, event, offset=6) == DUPLICATE


def test_deeply_nested_garbage_is_parked_not_retried_forever(alerts):
    record = ConsumedRecord("registry.households", 0, 9, b"[" * 100_000)
    dead: list = []
    assert (
        apply_once(alerts, alerts_inbox, {}, record, lambda r, reason: dead.append(reason)) == DEAD_LETTERED
    )
    huge = _snapshot_event(str(uuid.uuid4()), 2**70)
    assert _deliver(alerts, huge, dead=dead) == DEAD_LETTERED and "/version" in dead[-1][1]


def test_only_one_relay_at_a_time_publishes_an_outbox(database_url):
    from shared.outbox import RelayLease

    engine = db.make_engine(database_url)
    first, second = RelayLease(engine, "registry"), RelayLease(engine, "registry")
    assert first.held() and first.held()
    assert not second.held()
    assert RelayLease(engine, "alerts").held()  # another service's outbox is another lease
    first.release()
    assert second.held()
    second.release()
    engine.dispose()


def test_reads_do_not_wait_for_a_writer_on_sqlite(tmp_path):
    import time

    from services.registry.service_layer.unit_of_work import RegistryUnitOfWork

    engine = db.make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    db.upgrade(REGISTRY_MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    register(sessions)
    writer = RegistryUnitOfWork(sessions, outbox).__enter__()
    writer.session.execute(select(func.count()).select_from(households))  # holds the write lock
    started = time.monotonic()
    with RegistryUnitOfWork(sessions, outbox, read_only=True) as reader:
        assert reader.session.scalar(select(func.count()).select_from(households)) == 1
    assert time.monotonic() - started < 1.0
    with (
        pytest.raises(RuntimeError, match="read-only"),
        RegistryUnitOfWork(sessions, outbox, read_only=True) as r,
    ):
        r.publish(
            "t", CloudEvent(type="amparo.registry.household.updated.v1", source="/t", subject="x", data={})
        )
    writer.__exit__(None, None, None)
    engine.dispose()
