"""A poll's records applied together in one transaction, and what happens when that fails."""

from __future__ import annotations

import time
import uuid
from collections import namedtuple
from types import SimpleNamespace

import pytest
from kafka import TopicPartition
from kafka.coordinator.base import MemberState
from sqlalchemy import func, select

from services.alerts.adapters.orm import household_locations
from services.alerts.adapters.orm import inbox as alerts_inbox
from services.alerts.entrypoints.app import MIGRATIONS as ALERTS_MIGRATIONS
from services.alerts.entrypoints.consumer import apply_household_event, apply_household_events
from shared import db
from shared.contracts.households import HOUSEHOLD_EVENT_TYPES
from shared.inbox import (
    APPLIED,
    DEAD_LETTERED,
    DUPLICATE,
    STALE,
    ConsumedRecord,
    EventConsumer,
    apply_all,
    apply_once,
)
from shared.metrics import Metrics
from tests.samples import snapshot_event

pytestmark = pytest.mark.integration

TOPIC = "registry.households"
HANDLERS = {t: apply_household_event for t in HOUSEHOLD_EVENT_TYPES}
BATCH_HANDLERS = {t: apply_household_events for t in HOUSEHOLD_EVENT_TYPES}
Message = namedtuple("Message", "offset value")


@pytest.fixture
def alerts(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(ALERTS_MIGRATIONS, engine)
    yield db.make_session_factory(engine)
    engine.dispose()


class FakeKafka:
    """A consumer that hands out a fixed list of record values, one poll at a time, and a
    producer that keeps what was dead-lettered."""

    def __init__(self, values: list[bytes]):
        self.messages = [Message(offset, value) for offset, value in enumerate(values)]
        self.position = 0
        self.commits = 0
        self.dead: list[bytes] = []
        self.closed = False
        self._coordinator = SimpleNamespace(state=MemberState.STABLE)

    def poll(self, timeout_ms: int = 0):  # noqa: ARG002 - the real signature
        chunk = self.messages[self.position :]
        self.position = len(self.messages)
        return {TopicPartition(TOPIC, 0): chunk} if chunk else {}

    def assignment(self) -> set[TopicPartition]:
        return {TopicPartition(TOPIC, 0)}

    def close(self, autocommit: bool = True) -> None:  # noqa: ARG002 - the real signature
        self.closed = True

    def seek(self, _tp: TopicPartition, offset: int) -> None:
        self.position = offset

    def commit(self, *_args, **_kwargs) -> None:
        self.commits += 1

    def send(self, _topic: str, value: bytes, headers):  # noqa: ARG002
        self.dead.append(value)
        return self

    def get(self, timeout: float):  # noqa: ARG002
        return None


def consumer_for(alerts, kafka: FakeKafka, handlers=None) -> EventConsumer:
    return EventConsumer(
        alerts,
        alerts_inbox,
        handlers or HANDLERS,
        consumer_factory=lambda: kafka,
        producer_factory=lambda: kafka,
        metrics=Metrics(f"test-{uuid.uuid4().hex[:8]}"),
        batch_handlers=BATCH_HANDLERS,
    )


def stored(alerts) -> tuple[dict[str, int], dict[str, str]]:
    with alerts() as session:
        versions = dict(
            session.execute(select(household_locations.c.household_id, household_locations.c.version)).all()
        )
        outcomes = dict(session.execute(select(alerts_inbox.c.event_id, alerts_inbox.c.outcome)).all())
    return versions, outcomes


@pytest.mark.parametrize("garbage", [False, True], ids=["bad-data", "bad-data-and-not-json"])
def test_a_poison_event_inside_a_batch_is_parked_alone_and_its_neighbours_applied_once(alerts, garbage):
    good = [snapshot_event(str(uuid.uuid4()), 1) for _ in range(6)]
    poison = snapshot_event(str(uuid.uuid4()), 1)
    poison.data["size"] = "five"
    unreadable = [b"{not json"] if garbage else []
    values = (
        [e.to_json() for e in good[:3]] + [poison.to_json(), *unreadable] + [e.to_json() for e in good[3:]]
    )
    kafka = FakeKafka(values)
    calls: list[str] = []

    def counting(session, event):
        calls.append(event.id)
        return apply_household_event(session, event)

    consumer = consumer_for(alerts, kafka, {t: counting for t in HOUSEHOLD_EVENT_TYPES})
    assert consumer.consume_once() == len(values)
    versions, outcomes = stored(alerts)
    assert versions == {e.subject: 1 for e in good}
    assert all(outcomes[e.id] == APPLIED for e in good)
    assert outcomes[poison.id] == DEAD_LETTERED
    assert len(outcomes) == len(good) + 1 + len(unreadable)  # garbage is recorded under its position
    assert kafka.dead == [poison.to_json(), *unreadable]  # each parked once, alone
    # The batch was rolled back, then each good event applied once by the one-by-one path.
    assert sorted(c for c in calls if c != poison.id) == sorted(e.id for e in good)
    assert kafka.commits == 1
    # Delivered again: nothing is applied twice, the poison is parked again (it may have become
    # applicable), the good ones are duplicates.
    kafka.position = 0
    assert consumer.consume_once() == len(values)
    assert stored(alerts)[0] == versions
    assert sorted(c for c in calls if c != poison.id) == sorted(e.id for e in good)


def test_a_redelivered_batch_applies_nothing_twice(alerts):
    ids = [str(uuid.uuid4()) for _ in range(4)]
    events = [snapshot_event(i, 1) for i in ids] + [
        snapshot_event(ids[0], 3, "HN-CR"),
        snapshot_event(ids[0], 2),
    ]
    kafka = FakeKafka([e.to_json() for e in [*events, events[1]]])  # one repeat inside the batch
    consumer = consumer_for(alerts, kafka)
    assert consumer.consume_once() == 7
    versions, outcomes = stored(alerts)
    assert versions == {ids[0]: 3, ids[1]: 1, ids[2]: 1, ids[3]: 1}
    assert outcomes[events[5].id] == STALE  # version 2 came after version 3
    kafka.position = 0
    assert consumer.consume_once() == 7
    assert stored(alerts) == (versions, outcomes)
    records = [ConsumedRecord(TOPIC, 0, n, e.to_json()) for n, e in enumerate(events)]
    assert apply_all(alerts, alerts_inbox, HANDLERS, records, BATCH_HANDLERS) == [DUPLICATE] * 6
    with alerts() as session:
        row = session.execute(
            select(household_locations).where(household_locations.c.household_id == ids[0])
        ).one()
        assert row.admin_code == "HN-CR"
        assert session.scalar(select(func.count()).select_from(alerts_inbox)) == 6


def test_applying_together_gives_what_applying_one_by_one_gives(database_url, tmp_path):
    ids = [str(uuid.uuid4()) for _ in range(5)]
    events = [snapshot_event(ids[n % 5], 1 + n // 5, f"HN-{'CH' if n % 2 else 'CR'}") for n in range(15)]
    events.insert(3, snapshot_event(ids[1], 1))  # stale against nothing yet stored: applied once
    events.append(events[2])  # a repeat
    records = [ConsumedRecord(TOPIC, 0, n, e.to_json()) for n, e in enumerate(events)]
    results = []
    for together in (True, False):
        engine = db.make_engine(database_url if together else f"sqlite:///{tmp_path / 'one.db'}")
        db.upgrade(ALERTS_MIGRATIONS, engine)
        sessions = db.make_session_factory(engine)
        if together:
            outcomes = apply_all(sessions, alerts_inbox, HANDLERS, records, BATCH_HANDLERS)
        else:
            outcomes = [apply_once(sessions, alerts_inbox, HANDLERS, r, lambda *a: None) for r in records]
        with sessions() as session:
            rows = sorted(
                tuple(r)
                for r in session.execute(
                    select(
                        household_locations.c.household_id,
                        household_locations.c.version,
                        household_locations.c.admin_code,
                    )
                )
            )
        results.append((outcomes, rows, stored(sessions)[1]))
        engine.dispose()
    assert results[0] == results[1]
    assert results[0][0].count(DUPLICATE) == 1 and results[0][0].count(STALE) == 1


def test_a_transient_failure_of_a_batch_records_nothing_and_comes_again(alerts):
    events = [snapshot_event(str(uuid.uuid4()), 1) for _ in range(3)]
    kafka = FakeKafka([e.to_json() for e in events])
    failures = [1]

    def flaky(session, many):
        if failures[0]:
            failures[0] -= 1
            raise ConnectionError("database unavailable")
        return apply_household_events(session, many)

    consumer = consumer_for(alerts, kafka)
    consumer.batch_handlers = {t: flaky for t in HOUSEHOLD_EVENT_TYPES}
    with pytest.raises(ConnectionError):
        consumer.consume_once()
    assert stored(alerts) == ({}, {}) and kafka.commits == 0 and kafka.position == 0
    assert consumer.consume_once() == 3
    assert stored(alerts)[0] == {e.subject: 1 for e in events}


def test_a_member_stuck_joining_its_group_is_replaced_and_a_settled_idle_one_is_not(alerts):
    stuck, fresh = FakeKafka([]), FakeKafka([snapshot_event(str(uuid.uuid4()), 1).to_json()])
    stuck._coordinator.state = MemberState.REBALANCING
    made = iter([stuck, fresh])
    consumer = consumer_for(alerts, stuck)
    consumer.consumer_factory = lambda: next(made)
    consumer.rejoin_after = 0.05

    consumer.consume_once(timeout_ms=0)  # the join starts being timed
    time.sleep(0.1)
    consumer.consume_once(timeout_ms=0)  # joining for too long: closed
    assert stuck.closed
    assert consumer.consume_once(timeout_ms=0) == 1  # the new member consumes

    idle = FakeKafka([])  # settled, with nothing to read: kept however long it waits
    consumer = consumer_for(alerts, idle)
    consumer.rejoin_after = 0.0
    for _ in range(3):
        consumer.consume_once(timeout_ms=0)
    assert not idle.closed
