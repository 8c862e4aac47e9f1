"""The outbox relay and the consumer loop against the real embedded broker."""

from __future__ import annotations

import contextlib
import threading
import uuid

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from services.alerts.adapters.orm import household_locations
from services.alerts.adapters.orm import inbox as alerts_inbox
from services.alerts.entrypoints.app import MIGRATIONS as ALERTS_MIGRATIONS
from services.alerts.entrypoints.consumer import apply_household_event
from services.registry.adapters.orm import outbox
from services.registry.entrypoints.app import MIGRATIONS as REGISTRY_MIGRATIONS
from shared import db
from shared.broker import EmbeddedBroker
from shared.contracts.households import HOUSEHOLD_REGISTERED
from shared.events import CloudEvent
from shared.inbox import EventConsumer
from shared.kafka import make_consumer, make_producer
from shared.metrics import Metrics
from shared.outbox import OutboxRelay, add_event
from tests.conftest import wait_until

pytestmark = pytest.mark.integration


def household_event(
    household_id: str | None = None, version: int = 1, correlationid: str | None = None
) -> CloudEvent:
    household_id = household_id or str(uuid.uuid4())
    return CloudEvent(
        type=HOUSEHOLD_REGISTERED,
        source="/amparo/registry",
        subject=household_id,
        correlationid=correlationid,
        data={
            "household_id": household_id,
            "version": version,
            "status": "active",
            "admin_code": "HN-CH",
            "size": 2,
            "location": {"lat": 13.3, "lon": -87.2, "accuracy_m": 5.0, "source": "gps"},
        },
    )


@pytest.fixture
def registry_db(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(REGISTRY_MIGRATIONS, engine)
    yield db.make_session_factory(engine)
    engine.dispose()


def write_events(sessions, topic: str, events: list[CloudEvent]) -> None:
    with sessions.begin() as session:
        for event in events:
            add_event(session, outbox, topic, event)


def make_relay(
    sessions, broker: EmbeddedBroker, metrics: Metrics | None = None, send_timeout: float = 15.0
) -> OutboxRelay:
    servers = [broker.bootstrap_server]
    return OutboxRelay(
        sessions,
        outbox,
        producer_factory=lambda: make_producer(servers, "test-relay"),
        history_reader=lambda: KafkaConsumer(
            bootstrap_servers=servers, group_id=None, auto_offset_reset="earliest"
        ),
        metrics=metrics or Metrics("test"),
        batch_size=50,
        send_timeout=send_timeout,
    )


def read_topic(broker: EmbeddedBroker, topic: str, expected: int, timeout: float = 30.0) -> list:
    consumer = KafkaConsumer(
        bootstrap_servers=[broker.bootstrap_server],
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    records: list = []

    def enough():
        for batch in consumer.poll(timeout_ms=200).values():
            records.extend(batch)
        return len(records) >= expected

    wait_until(enough, timeout, what=f"{expected} records on {topic}")
    consumer.close()
    return records


def test_producer_is_idempotent_and_waits_for_all_replicas(broker):
    producer = make_producer([broker.bootstrap_server], "check")
    assert producer.config["enable_idempotence"] is True
    assert producer.config["acks"] == -1
    producer.close()


def test_consumers_refuse_long_poll_intervals(broker):
    with pytest.raises(ValueError, match="60000"):
        make_consumer([broker.bootstrap_server], "g", ["t"], max_poll_interval_ms=300_000, client_id="c")


def test_relay_publishes_in_order_keyed_by_subject(registry_db, broker):
    topic = f"test.relay.{uuid.uuid4().hex[:8]}"
    broker.create_topics({topic: 3})
    household_id = str(uuid.uuid4())
    events = [household_event(household_id, version=v, correlationid="corr-42") for v in (1, 2, 3)]
    events += [household_event() for _ in range(20)]
    write_events(registry_db, topic, events)

    metrics = Metrics("test")
    relay = make_relay(registry_db, broker, metrics)
    assert relay.publish_pending() == 23
    assert relay.publish_pending() == 0
    relay.check_continuity()  # a healthy broker is never taken for a restarted one
    assert metrics.broker_resets.labels(topic)._value.get() == 0
    assert relay.publish_pending() == 0
    records = read_topic(broker, topic, 23)
    same_household = [r for r in records if r.key == household_id.encode()]
    assert [CloudEvent.from_json(r.value).data["version"] for r in same_household] == [1, 2, 3]
    assert len({r.partition for r in same_household}) == 1
    assert dict(same_household[0].headers)["correlationid"] == b"corr-42"
    with registry_db() as session:
        assert (
            session.scalar(select(func.count()).select_from(outbox).where(outbox.c.kafka_offset.is_(None)))
            == 0
        )


def test_relay_keeps_events_while_the_broker_is_down_and_sends_them_after(registry_db):
    topic = "registry.households"
    broker = EmbeddedBroker().start()
    broker.create_topics({topic: 2})
    metrics = Metrics("test")
    relay = make_relay(registry_db, broker, metrics, send_timeout=3.0)  # the broker's absence noticed sooner
    try:
        household_id = str(uuid.uuid4())
        write_events(registry_db, topic, [household_event(household_id, v) for v in (1, 2)])
        write_events(registry_db, topic, [household_event() for _ in range(3)])
        assert relay.publish_pending() == 5

        broker.stop()
        write_events(registry_db, topic, [household_event(household_id, 3)])
        write_events(registry_db, topic, [household_event() for _ in range(3)])
        stop = threading.Event()
        worker = threading.Thread(target=relay.run, args=(stop,), daemon=True)
        worker.start()
        wait_until(lambda: metrics.outbox_publish_failures._value.get() >= 1, 60, what="a failed relay round")
        with registry_db() as session:
            pending = session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
            )
        assert pending == 4  # nothing marked published while the broker was away

        broker.start()  # memory-only: it comes back empty
        wait_until(lambda: _pending(registry_db) == 0, 60, what="the relay to republish everything")
        records = read_topic(broker, topic, 9, timeout=60)
        stop.set()
        worker.join(20)
        # The 5 events published before the restart were lost by the broker and sent again.
        assert metrics.broker_resets.labels(topic)._value.get() >= 1
        assert len({r.value for r in records}) == 9
        # ... and the household's latest version is the last of its key in the new log.
        versions = [
            CloudEvent.from_json(r.value).data["version"] for r in records if r.key == household_id.encode()
        ]
        assert versions[-1] == 3 and sorted(set(versions)) == [1, 2, 3]
    finally:
        broker.stop()


def _pending(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None)))


def test_consumer_applies_each_event_once_and_parks_poison(database_url, broker):
    topic = "registry.households"
    alerts_engine = db.make_engine(database_url)
    db.upgrade(ALERTS_MIGRATIONS, alerts_engine)
    alerts = db.make_session_factory(alerts_engine)
    group = f"test-{uuid.uuid4().hex[:8]}"
    metrics = Metrics("test")
    servers = [broker.bootstrap_server]
    failures_left = [3]

    def flaky(session, event):
        # The database "goes away" three times mid-stream: the loop must rewind and retry.
        if failures_left[0] > 0:
            failures_left[0] -= 1
            raise ConnectionError("database unavailable")
        if event.id == buggy.id:
            raise KeyError("a bug in the handler")  # not transient: parked after 3 attempts
        return apply_household_event(session, event)

    consumer = EventConsumer(
        alerts,
        alerts_inbox,
        {HOUSEHOLD_REGISTERED: flaky},
        consumer_factory=lambda: make_consumer(
            servers, group, [topic], max_poll_interval_ms=10_000, client_id="t"
        ),
        producer_factory=lambda: make_producer(servers, "t-dlq"),
        metrics=metrics,
    )
    producer = make_producer(servers, "test-direct")
    # The broker is shared: count only what this test sends, by its household ids.
    events = [household_event() for _ in range(10)]
    for event in events:
        producer.send(topic, key=event.subject.encode(), value=event.to_json())
    producer.send(topic, key=events[0].subject.encode(), value=events[0].to_json())  # a redelivery
    poison = household_event()
    poison.data["size"] = "five"
    buggy = household_event()
    producer.send(topic, key=poison.subject.encode(), value=poison.to_json())
    producer.send(topic, key=buggy.subject.encode(), value=buggy.to_json())
    producer.flush()

    ids = {e.subject for e in events}

    def applied() -> bool:
        # EventConsumer.run backs off after a failure; the test retries at once.
        with contextlib.suppress(ConnectionError, KeyError):
            consumer.consume_once(timeout_ms=500)
        with alerts() as session:
            stored = set(session.scalars(select(household_locations.c.household_id)))
            inbox_ids = set(session.scalars(select(alerts_inbox.c.event_id)))
        return ids <= stored and {poison.id, buggy.id} <= inbox_ids

    wait_until(applied, 90, interval=0, what="all events applied")
    with alerts() as session:
        outcomes = dict(session.execute(select(alerts_inbox.c.event_id, alerts_inbox.c.outcome)).all())
    assert all(outcomes[e.id] == "applied" for e in events)
    assert outcomes[poison.id] == outcomes[buggy.id] == "dead_lettered"
    assert metrics.inbox_events.labels(topic, "duplicate")._value.get() >= 1  # the redelivery was seen
    # Three transient failures, and the bug twice before it was parked: each one retried.
    assert metrics.consumer_retries.labels(topic)._value.get() == 5
    dead = read_topic(broker, "registry.households.dlq", 2)
    reasons = {CloudEvent.from_json(r.value).id: dict(r.headers)["reason"] for r in dead}
    assert b"/size" in reasons[poison.id] and b"failed 3 times: KeyError" in reasons[buggy.id]
    producer.close()
