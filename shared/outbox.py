"""The transactional outbox and the relay that publishes it to Kafka.

A handler that changes state calls :func:`add_event` on the same session, so the event row is
committed with the change or not at all. The :class:`OutboxRelay` then publishes pending rows in
order with an idempotent, ``acks="all"`` producer, marks only the unbroken run of rows the broker
acknowledged, and keeps retrying with backoff while the broker is down.

The embedded broker keeps its log in memory. When it restarts it has forgotten what was
published; the relay notices (the broker hands out offsets it had already given, or its end
offsets fall below what the relay recorded) and republishes the topic from the outbox.
Consumers' inboxes make the repeat harmless.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from sqlalchemy import Engine, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from shared.events import CloudEvent
from shared.faults import crash_point
from shared.ids import random_uuid
from shared.logs import current_correlation_id
from shared.metrics import Metrics

log = logging.getLogger(__name__)


#: Kafka refuses records over 1 MB by default; an event this large is a bug, refused at the source.
MAX_EVENT_BYTES = 900_000


class EventTooLarge(ValueError):
    """An event would not fit in one Kafka record; the caller's transaction must fail."""


def add_event(session: Session, outbox: Table, topic: str, event: CloudEvent) -> None:
    """Write ``event`` to the outbox inside the caller's open transaction.

    The record key is the event's ``subject`` (the entity id), which keeps every event of one
    household, alert or batch on one partition and therefore in order. The work's correlation id
    is stamped on the envelope if it has none.
    """
    add_events(session, outbox, topic, [event])


#: The outbox's event type for a tombstone (its payload is empty: the record has no value).
TOMBSTONE = "tombstone"


def add_events(session: Session, outbox: Table, topic: str, events: Sequence[CloudEvent]) -> None:
    """:func:`add_event` for many events, in order, in one statement.

    :raise EventTooLarge: if any event would not fit in one Kafka record (nothing is written).
    """
    rows = []
    for event in events:
        if event.correlationid is None and current_correlation_id():
            event = CloudEvent(**{**event.__dict__, "correlationid": current_correlation_id()})
        payload = event.to_json()
        if len(payload) > MAX_EVENT_BYTES:
            raise EventTooLarge(
                f"event {event.type} for {event.subject} is {len(payload):,} bytes; "
                f"at most {MAX_EVENT_BYTES:,}"
            )
        rows.append(
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": topic,
                "key": event.subject,
                "payload": payload,
                "correlation_id": event.correlationid,
                "created_at": event.time,
            }
        )
    if rows:
        session.execute(insert(outbox), rows)


def add_tombstone(session: Session, outbox: Table, topic: str, key: str) -> None:
    """A Kafka tombstone (a record without a value) for ``key`` on a compacted ``topic``: once
    compacted, the topic keeps nothing of that key. Consumers skip it."""
    session.execute(
        insert(outbox).values(
            event_id=random_uuid(),
            event_type=TOMBSTONE,
            topic=topic,
            key=key,
            payload=b"",
            correlation_id=current_correlation_id(),
            created_at=datetime.now(UTC),
        )
    )


def replay(
    session_factory: sessionmaker[Session], outbox: Table, since: datetime, topic: str | None = None
) -> int:
    """Mark every event written at or after ``since`` as unpublished, so the relay sends it again.

    Consumers apply each event once (their inbox), so a replay only changes projections that
    had been wiped or never saw the events. Returns the number of events queued again.
    """
    if since.tzinfo is None:
        raise ValueError("since must carry a time zone (e.g. 2026-11-22T10:00:00+00:00)")
    condition = outbox.c.created_at >= since
    if topic is not None:
        condition = condition & (outbox.c.topic == topic)
    with session_factory.begin() as session:
        result = session.execute(
            update(outbox).where(condition).values(published_at=None, kafka_partition=None, kafka_offset=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)


class RelayLease:
    """Lets only one relay publish a service's outbox at a time (others wait as standbys).

    Two relays sharing one outbox (during a rolling restart, say) would send rows twice and take
    each other's offsets for a broker restart. PostgreSQL: a session advisory lock held on a
    dedicated connection. SQLite: an exclusive ``flock`` on a file beside the database.
    """

    def __init__(self, engine: Engine, name: str):
        self.engine = engine
        self.name = name
        self._connection: Any = None
        self._file: Any = None

    def held(self) -> bool:
        """Whether this relay holds the lease, taking it if it is free."""
        if self.engine.dialect.name == "sqlite":
            return self._held_sqlite()
        return self._held_postgresql()

    def _held_sqlite(self) -> bool:
        import fcntl

        if self._file is not None:
            return True
        database = self.engine.url.database
        if not database or database == ":memory:":
            return True
        handle = open(f"{database}.{self.name}.relay.lock", "a")  # noqa: SIM115 - held while publishing
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def _held_postgresql(self) -> bool:
        from sqlalchemy import text

        key = zlib.crc32(f"amparo-relay:{self.name}".encode()) - 2**31
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - the connection (and with it the lock) is gone
                self._connection = None
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None


@dataclass(frozen=True)
class _Pending:
    position: int
    topic: str
    key: str
    payload: bytes
    event_id: str
    event_type: str
    correlation_id: str | None


class OutboxRelay:
    """Publishes a service's outbox to Kafka, in order, until told to stop.

    Parameters
    ----------
    session_factory, outbox
        The service's database sessions and its ``outbox`` table.
    producer_factory
        Builds a fresh idempotent producer; called again after any failure, because an
        idempotent producer whose broker restarted can be left with a producer id the broker
        no longer knows.
    history_reader
        Builds a group-less consumer used only to read back published events (broker continuity checks).
    send_timeout
        Seconds a round waits for the broker to acknowledge what it sent before the round fails
        (and is tried again after a backoff).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        outbox: Table,
        producer_factory: Callable[[], KafkaProducer],
        history_reader: Callable[[], KafkaConsumer],
        metrics: Metrics,
        *,
        batch_size: int = 500,
        idle_interval: float = 0.2,
        continuity_interval: float = 3.0,
        max_backoff: float = 10.0,
        lease: RelayLease | None = None,
        send_timeout: float = 15.0,
    ):
        self.lease = lease
        self.send_timeout = send_timeout
        self.session_factory = session_factory
        self.outbox = outbox
        self.producer_factory = producer_factory
        self.history_reader = history_reader
        self.metrics = metrics
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.continuity_interval = continuity_interval
        self.max_backoff = max_backoff
        self._producer: KafkaProducer | None = None
        self._reader: KafkaConsumer | None = None
        self._last_continuity_check = 0.0

    # -- the loop -----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set, backing off (0.5 s doubling to ``max_backoff``) on failure."""
        backoff = 0.5
        while not stop.is_set():
            try:
                if self.lease is not None and not self.lease.held():
                    stop.wait(1.0)  # another relay publishes this outbox; stand by
                    continue
                published = self.publish_pending()
                if time.monotonic() - self._last_continuity_check > self.continuity_interval:
                    self.check_continuity()
                backoff = 0.5
                if published == 0:
                    stop.wait(self.idle_interval)
            except Exception as exc:  # noqa: BLE001 - every failure here means "retry later"
                self.metrics.outbox_publish_failures.inc()
                log.warning("outbox relay round failed, retrying in %.1fs: %s", backoff, exc)
                self._close_clients()
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        self._close_clients()
        if self.lease is not None:
            self.lease.release()

    def publish_pending(self) -> int:
        """Publish one batch of pending events; return how many were acknowledged."""
        with self.session_factory() as session:
            rows = [
                _Pending(*row)
                for row in session.execute(
                    select(
                        self.outbox.c.position,
                        self.outbox.c.topic,
                        self.outbox.c.key,
                        self.outbox.c.payload,
                        self.outbox.c.event_id,
                        self.outbox.c.event_type,
                        self.outbox.c.correlation_id,
                    )
                    .where(self.outbox.c.published_at.is_(None))
                    .order_by(self.outbox.c.position)
                    .limit(self.batch_size)
                )
            ]
            pending_total = session.scalar(
                select(func.count()).select_from(self.outbox).where(self.outbox.c.published_at.is_(None))
            )
        self.metrics.outbox_pending.set(pending_total or 0)
        if not rows:
            return 0
        producer = self._get_producer()
        futures = [
            producer.send(
                row.topic,
                key=row.key.encode(),
                value=bytes(row.payload) or None,  # an empty payload is a tombstone
                headers=_headers(row),
            )
            for row in rows
        ]
        producer.flush(timeout=self.send_timeout)
        acknowledged: list[tuple[_Pending, int, int]] = []
        failure: Exception | None = None
        for row, future in zip(rows, futures, strict=True):
            try:
                metadata = future.get(timeout=0)
            except Exception as exc:  # noqa: BLE001 - stop at the first unacknowledged row
                failure = exc
                break
            acknowledged.append((row, metadata.partition, metadata.offset))
        if acknowledged:
            crash_point("relay.before_marking_published")
            self._record(acknowledged)
        if failure is not None:
            raise RuntimeError(
                f"broker acknowledged {len(acknowledged)} of {len(rows)} events: {failure}"
            ) from failure
        return len(acknowledged)

    # -- bookkeeping --------------------------------------------------------------------------

    def _record(self, acknowledged: Sequence[tuple[_Pending, int, int]]) -> None:
        """Mark acknowledged rows published; republish a topic whose broker lost its history.

        When the broker handed out offsets it had already given (it restarted empty), the rows
        of that topic just sent stay unpublished with the rest of the topic's history, so the
        next rounds send everything again in outbox order and each key's latest event ends last.
        """
        now = datetime.now(UTC)
        lowest: dict[tuple[str, int], int] = {}
        for row, partition, offset in acknowledged:
            key = (row.topic, partition)
            lowest[key] = min(offset, lowest.get(key, offset))
        with self.session_factory.begin() as session:
            recorded = self._recorded_offsets(session, {t for t, _ in lowest})
            lost_topics = {
                topic
                for (topic, partition), offset in lowest.items()
                if recorded.get((topic, partition), -1) >= offset
            }
            for topic in lost_topics:
                self._requeue_topic(session, topic)
            kept = [(row, p, o) for row, p, o in acknowledged if row.topic not in lost_topics]
            if kept:  # one statement for the whole round, not one per row
                session.execute(
                    update(self.outbox)
                    .where(self.outbox.c.position == bindparam("_position"))
                    .values(
                        published_at=bindparam("_at"),
                        kafka_partition=bindparam("_partition"),
                        kafka_offset=bindparam("_offset"),
                    ),
                    [
                        {"_position": row.position, "_at": now, "_partition": partition, "_offset": offset}
                        for row, partition, offset in kept
                    ],
                )
        for row, _, _ in kept:
            self.metrics.outbox_published.labels(row.topic).inc()

    def check_continuity(self, timeout: float = 2.0) -> None:
        """Requeue every topic whose broker no longer holds the last event the relay published.

        For each partition, the record at the highest recorded offset is read back and its
        ``ce_id`` header compared with the event recorded there. A restarted in-memory broker
        answers with another record, an out-of-range offset (the reader then lands on offset 0)
        or an empty log. End offsets alone are not trusted: the embedded broker under-reports
        them after multi-record batches.
        """
        self._last_continuity_check = time.monotonic()
        with self.session_factory() as session:
            last = self._last_published(session)
        if not last:
            return
        reader = self._get_reader()
        partitions = list(last)
        reader.assign(partitions)
        for tp in partitions:
            reader.seek(tp, last[tp][0])
        found: dict[TopicPartition, tuple[int, str | None]] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(partitions) and time.monotonic() < deadline:
            for tp, records in reader.poll(timeout_ms=200, max_records=len(partitions) * 5).items():
                if tp not in found and records:
                    headers = dict(records[0].headers or [])
                    event_id = headers.get("ce_id")
                    found[tp] = (records[0].offset, event_id.decode() if event_id else None)
                    reader.pause(tp)
        reader.resume(*partitions)
        missing = [tp for tp in partitions if tp not in found]
        empty = {tp for tp, end in reader.end_offsets(missing).items() if end == 0} if missing else set()
        lost = {tp.topic for tp in partitions if (tp in found and found[tp] != last[tp]) or tp in empty}
        if lost:
            with self.session_factory.begin() as session:
                for topic in lost:
                    self._requeue_topic(session, topic)

    def _last_published(self, session: Session) -> dict[TopicPartition, tuple[int, str]]:
        """(offset, event id) of the newest published event on each partition."""
        newest = (
            select(
                self.outbox.c.topic,
                self.outbox.c.kafka_partition,
                func.max(self.outbox.c.kafka_offset).label("o"),
            )
            .where(self.outbox.c.kafka_offset.is_not(None))
            .group_by(self.outbox.c.topic, self.outbox.c.kafka_partition)
            .subquery()
        )
        rows = session.execute(
            select(
                self.outbox.c.topic,
                self.outbox.c.kafka_partition,
                self.outbox.c.kafka_offset,
                self.outbox.c.event_id,
            ).join(
                newest,
                (self.outbox.c.topic == newest.c.topic)
                & (self.outbox.c.kafka_partition == newest.c.kafka_partition)
                & (self.outbox.c.kafka_offset == newest.c.o),
            )
        )
        return {TopicPartition(t, p): (o, e) for t, p, o, e in rows}

    def _recorded_offsets(self, session: Session, topics: set[str] | None) -> dict[tuple[str, int], int]:
        query = (
            select(self.outbox.c.topic, self.outbox.c.kafka_partition, func.max(self.outbox.c.kafka_offset))
            .where(self.outbox.c.kafka_offset.is_not(None))
            .group_by(self.outbox.c.topic, self.outbox.c.kafka_partition)
        )
        if topics is not None:
            query = query.where(self.outbox.c.topic.in_(topics))
        return {(t, p): o for t, p, o in session.execute(query)}

    def _requeue_topic(self, session: Session, topic: str) -> None:
        result = session.execute(
            update(self.outbox)
            .where(self.outbox.c.topic == topic, self.outbox.c.published_at.is_not(None))
            .values(published_at=None, kafka_partition=None, kafka_offset=None)
        )
        self.metrics.broker_resets.labels(topic).inc()
        log.warning(
            "broker lost the history of %s; republishing %d events from the outbox",
            topic,
            getattr(result, "rowcount", -1),
            extra={"topic": topic},
        )

    # -- clients ------------------------------------------------------------------------------

    def _get_producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = self.producer_factory()
        return self._producer

    def _get_reader(self) -> KafkaConsumer:
        if self._reader is None:
            self._reader = self.history_reader()
        return self._reader

    def _close_clients(self) -> None:
        for client in (self._producer, self._reader):
            if client is not None:
                try:
                    client.close(timeout=1) if isinstance(client, KafkaProducer) else client.close()
                except Exception:  # noqa: BLE001 - closing a broken client may fail too
                    log.debug("closing a Kafka client failed", exc_info=True)
        self._producer = None
        self._reader = None


def _headers(row: _Pending) -> list[tuple[str, bytes]]:
    headers: list[tuple[str, Any]] = [
        ("content-type", b"application/cloudevents+json"),
        ("ce_id", row.event_id.encode()),
        ("ce_type", row.event_type.encode()),
    ]
    if row.correlation_id:
        headers.append(("correlationid", row.correlation_id.encode()))
    return headers
