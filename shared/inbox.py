"""The consumer loop: each event applied exactly once, offsets committed only after the database.

For every record the loop opens one database transaction that (1) looks the event id up in the
``inbox`` table, (2) applies the event through the service's handler, and (3) records the event
id — then commits. Only when every record of a poll is committed are the Kafka offsets committed.
A crash anywhere means the records come again, and the inbox turns the repeat into a no-op.

The records of one partition in one poll are first tried together (:func:`apply_all`): one
inbox read for all their event ids, the handlers in order (a handler's batch form, when it has
one, for each run of consecutive events), one commit. If that fails for any reason other than
a transient one, nothing of it is kept and the records are applied one by one as above, so a
bad record is still parked on its own and its neighbours are applied once.

Events that can never be applied (not a CloudEvent, an unknown type, data that fails its schema)
are parked on the topic's dead-letter topic with the reason, recorded in the inbox as
``dead_lettered``, and the loop moves on. Anything else (database down, broker down) is
transient: the loop rewinds to the first unapplied record and retries with backoff.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.db import bulk_insert
from shared.errors import InvalidInput
from shared.events import CloudEvent
from shared.faults import crash_point
from shared.kafka import dead_letter_topic, joining_group
from shared.logs import correlation
from shared.metrics import Metrics
from shared.partitions import PartitionAssignment, applying

log = logging.getLogger(__name__)

APPLIED = "applied"
STALE = "stale"
DUPLICATE = "duplicate"
DEAD_LETTERED = "dead_lettered"


class UnknownEventType(InvalidInput):
    """A consumer received an event type it has no handler for."""

    slug = "unknown-event-type"
    title = "Unknown event type"


class _InboxKeyTaken(Exception):
    """Another delivery of the same event recorded it first."""


#: A handler applies one event in the open session and says whether it changed anything
#: (``True``) or was older than what is stored (``False``, recorded as stale).
EventHandler = Callable[[Session, CloudEvent], bool]

#: A handler's batch form: applies consecutive events in order in the open session and returns,
#: for each, what the :data:`EventHandler` would have returned had they come one by one.
BatchHandler = Callable[[Session, Sequence[CloudEvent]], list[bool]]

#: Event ids per ``IN (...)`` of an inbox query.
_IDS_PER_QUERY = 500


@dataclass(frozen=True)
class ConsumedRecord:
    """What the loop needs of a Kafka record (so tests can feed records without a broker)."""

    topic: str
    partition: int
    offset: int
    value: bytes


def apply_once(
    session_factory: sessionmaker[Session],
    inbox: Table,
    handlers: Mapping[str, EventHandler],
    record: ConsumedRecord,
    dead_letter: Callable[[ConsumedRecord, str], None],
) -> str:
    """Apply one consumed record at most once; return the outcome.

    :return: ``applied``, ``stale`` (older than the stored version), ``duplicate`` (already in
        the inbox) or ``dead_lettered`` (could never be applied; parked with its reason).
    :raise Exception: any transient failure (database, broker); nothing is recorded then.
    """
    try:
        event = CloudEvent.from_json(record.value)
        handler = handlers.get(event.type)
        if handler is None:
            raise UnknownEventType(f"no handler for event type {event.type!r}")
    except InvalidInput as exc:
        reason = _reason(exc)
        dead_letter(record, reason)
        event_id = _event_id_or_position(record)
        _record_in_inbox(session_factory, inbox, event_id, "unknown", record, DEAD_LETTERED)
        log.warning("event dead-lettered: %s", reason, extra={"topic": record.topic, "offset": record.offset})
        return DEAD_LETTERED

    with correlation(event.correlationid):
        try:
            with session_factory.begin() as session:
                seen = session.scalar(select(inbox.c.outcome).where(inbox.c.event_id == event.id))
                if seen in (APPLIED, STALE):
                    return DUPLICATE
                if seen == DEAD_LETTERED:
                    # Parked before (say, by a consumer that did not know the type yet): try again.
                    session.execute(delete(inbox).where(inbox.c.event_id == event.id))
                # The inbox row goes in first: a concurrent delivery then fails on its key here,
                # before touching the projection.
                try:
                    session.execute(insert(inbox).values(**_inbox_row(event.id, event.type, record, APPLIED)))
                except IntegrityError as exc:
                    raise _InboxKeyTaken from exc
                with applying(record.partition):
                    changed = handler(session, event)
                if not changed:
                    session.execute(update(inbox).where(inbox.c.event_id == event.id).values(outcome=STALE))
        except _InboxKeyTaken:
            return DUPLICATE
        except InvalidInput as exc:
            # The data of a well-formed event is unusable: park it, never retry.
            dead_letter(record, _reason(exc))
            _record_in_inbox(session_factory, inbox, event.id, event.type, record, DEAD_LETTERED)
            log.warning("event %s dead-lettered: %s", event.id, _reason(exc))
            return DEAD_LETTERED
        outcome = APPLIED if changed else STALE
        log.info(
            "%s %s %s",
            outcome,
            event.type,
            event.subject,
            extra={"event_id": event.id, "topic": record.topic, "offset": record.offset},
        )
        return outcome


def apply_all(
    session_factory: sessionmaker[Session],
    inbox: Table,
    handlers: Mapping[str, EventHandler],
    records: Sequence[ConsumedRecord],
    batch_handlers: Mapping[str, BatchHandler] | None = None,
) -> list[str]:
    """Apply consumed records in one transaction, each at most once; return their outcomes in order.

    The inbox is read once for all the event ids. Events already applied (or stale), and an
    event repeated within ``records``, are ``duplicate``; the others are recorded in the inbox
    and applied in order, runs of consecutive events whose type has a batch handler through it
    in one call, every other event through its handler; then everything commits at once.

    :return: per record ``applied``, ``stale`` or ``duplicate``.
    :raise Exception: if any record cannot be applied (not a CloudEvent, unknown type, bad data,
        a bug, a transient failure). Nothing is recorded then; the caller applies the records one
        by one with :func:`apply_once`, which parks only the bad one.
    """
    batch_handlers = batch_handlers or {}
    events = [CloudEvent.from_json(record.value) for record in records]
    for event in events:
        if event.type not in handlers:
            raise UnknownEventType(f"no handler for event type {event.type!r}")
    outcomes = [DUPLICATE] * len(records)
    with session_factory.begin() as session:
        ids = list({event.id for event in events})
        seen: dict[str, str] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            page = ids[start : start + _IDS_PER_QUERY]
            seen.update(
                session.execute(
                    select(inbox.c.event_id, inbox.c.outcome).where(inbox.c.event_id.in_(page))
                ).all()
            )
        parked = [event_id for event_id, outcome in seen.items() if outcome == DEAD_LETTERED]
        if parked:  # parked before (say, by a consumer that did not know the type yet): try again
            session.execute(delete(inbox).where(inbox.c.event_id.in_(parked)))
        todo: list[int] = []
        taken: set[str] = set()
        for index, event in enumerate(events):
            if seen.get(event.id) in (APPLIED, STALE) or event.id in taken:
                continue
            taken.add(event.id)
            todo.append(index)
        # The inbox rows go in first: a concurrent delivery then fails on its key here.
        bulk_insert(
            session, inbox, [_inbox_row(events[i].id, events[i].type, records[i], APPLIED) for i in todo]
        )
        stale: list[str] = []
        start = 0
        while start < len(todo):
            first = events[todo[start]]
            partition = records[todo[start]].partition
            many = batch_handlers.get(first.type)
            end = start + 1
            if many is None:
                with correlation(first.correlationid), applying(partition):
                    changed = [handlers[first.type](session, first)]
            else:
                while (
                    end < len(todo)
                    and batch_handlers.get(events[todo[end]].type) is many
                    and records[todo[end]].partition == partition
                ):
                    end += 1
                with applying(partition):
                    changed = many(session, [events[i] for i in todo[start:end]])
            for index, done in zip(todo[start:end], changed, strict=True):
                outcomes[index] = APPLIED if done else STALE
                if not done:
                    stale.append(events[index].id)
            start = end
        for start in range(0, len(stale), _IDS_PER_QUERY):
            page = stale[start : start + _IDS_PER_QUERY]
            session.execute(update(inbox).where(inbox.c.event_id.in_(page)).values(outcome=STALE))
    if records:
        log.info(
            "%d events applied together, %d stale, %d duplicate",
            outcomes.count(APPLIED),
            outcomes.count(STALE),
            outcomes.count(DUPLICATE),
            extra={"topic": records[0].topic, "offset": records[0].offset},
        )
    return outcomes


def _reason(exc: InvalidInput) -> str:
    if exc.errors:
        return exc.detail + ": " + "; ".join(f"{e.pointer} {e.detail}" for e in exc.errors)
    return exc.detail


def park(
    session_factory: sessionmaker[Session],
    inbox: Table,
    record: ConsumedRecord,
    reason: str,
    dead_letter: Callable[[ConsumedRecord, str], None],
) -> str:
    """Dead-letter a record that keeps failing for a reason that is not transient."""
    dead_letter(record, reason)
    _record_in_inbox(session_factory, inbox, _event_id_or_position(record), "unknown", record, DEAD_LETTERED)
    log.error(
        "event parked after repeated failures: %s",
        reason,
        extra={"topic": record.topic, "offset": record.offset},
    )
    return DEAD_LETTERED


def is_transient(error: BaseException) -> bool:
    """Whether a failure may go away by itself (database or broker unreachable, a lock, a timeout)."""
    from kafka.errors import KafkaError
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return isinstance(error, OperationalError | InterfaceError | PoolTimeout | KafkaError | OSError)


def _event_id_or_position(record: ConsumedRecord) -> str:
    try:
        candidate = json.loads(record.value).get("id")
    except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        candidate = None
    if isinstance(candidate, str) and 0 < len(candidate) <= 100:
        return candidate
    return f"{record.topic}/{record.partition}/{record.offset}"


def _inbox_row(event_id: str, event_type: str, record: ConsumedRecord, outcome: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type[:255],
        "topic": record.topic,
        "kafka_partition": record.partition,
        "kafka_offset": record.offset,
        "outcome": outcome,
        "processed_at": datetime.now(UTC),
    }


def _record_in_inbox(
    session_factory: sessionmaker[Session],
    inbox: Table,
    event_id: str,
    event_type: str,
    record: ConsumedRecord,
    outcome: str,
) -> None:
    try:
        with session_factory.begin() as session:
            session.execute(insert(inbox).values(**_inbox_row(event_id, event_type, record, outcome)))
    except IntegrityError:
        pass  # already recorded by an earlier delivery


class EventConsumer:
    """Consumes topics as one member of a consumer group and applies each event exactly once.

    Parameters
    ----------
    consumer_factory
        Builds the group consumer (see :func:`shared.kafka.make_consumer`); called again after
        a failure of the Kafka client itself.
    producer_factory
        Builds the producer used for dead letters.
    handlers
        Event type → handler.
    batch_handlers
        Event type → the handler's batch form, for the types that have one (see :func:`apply_all`).
    assignment
        Kept up to date, after every poll, with the partitions the group assigned this member.
    rejoin_after
        Seconds a member may spend joining its group; past them it is closed and a new member
        joins in its place (a join the broker never answers otherwise stops this consumer for good
        while the service still looks ready).
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        inbox: Table,
        handlers: Mapping[str, EventHandler],
        consumer_factory: Callable[[], KafkaConsumer],
        producer_factory: Callable[[], KafkaProducer],
        metrics: Metrics,
        *,
        max_backoff: float = 10.0,
        max_attempts: int = 3,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        assignment: PartitionAssignment | None = None,
        rejoin_after: float = 60.0,
    ):
        self.assignment = assignment
        self.rejoin_after = rejoin_after
        self._joining_since: float | None = None
        self._assigned: frozenset[TopicPartition] = frozenset()
        self.max_attempts = max_attempts
        self.batch_handlers = dict(batch_handlers or {})
        self._attempts: dict[tuple[str, int, int], int] = {}
        self.session_factory = session_factory
        self.inbox = inbox
        self.handlers = handlers
        self.consumer_factory = consumer_factory
        self.producer_factory = producer_factory
        self.metrics = metrics
        self.max_backoff = max_backoff
        self._consumer: KafkaConsumer | None = None
        self._producer: KafkaProducer | None = None

    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set."""
        backoff = 0.5
        while not stop.is_set():
            try:
                self.consume_once(timeout_ms=500)
                backoff = 0.5
            except Exception as exc:  # noqa: BLE001 - transient: records come again after backoff
                log.warning("consumer round failed, retrying in %.1fs: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        self._close()

    def consume_once(self, timeout_ms: int = 500) -> int:
        """Poll once, apply what came, commit offsets; return the number of records handled."""
        consumer = self._get_consumer()
        batches = consumer.poll(timeout_ms=timeout_ms)
        if self.assignment is not None:
            self._report_assignment(consumer)
        if not batches:
            self._watch_membership(consumer)
        handled = 0
        for tp, records in batches.items():
            consumed = [ConsumedRecord(tp.topic, tp.partition, m.offset, m.value) for m in records if m.value]
            if len(consumed) < len(records):  # tombstones: nothing to apply, only compaction's
                self.metrics.inbox_events.labels(tp.topic, "tombstone").inc(len(records) - len(consumed))
            if not consumed:
                continue
            together = self._apply_together(consumer, batches, tp, consumed)
            if together is not None:
                for result in together:
                    self.metrics.inbox_events.labels(tp.topic, result).inc()
                handled += len(together)
                continue
            for index, record in enumerate(consumed):
                outcome: str | None
                try:
                    outcome = apply_once(
                        self.session_factory, self.inbox, self.handlers, record, self._dead_letter
                    )
                except Exception as exc:
                    outcome = self._after_failure(record, exc)
                    if outcome is None:
                        self.metrics.consumer_retries.labels(tp.topic).inc()
                        self._rewind(consumer, batches, tp, index)
                        raise
                self.metrics.inbox_events.labels(tp.topic, outcome).inc()
                handled += 1
        if handled:
            crash_point("consumer.before_offset_commit")
            consumer.commit(timeout_ms=10_000)
        return handled

    def _watch_membership(self, consumer: KafkaConsumer) -> None:
        """Log what the group assigns this member; replace a member that has been joining its group
        for longer than :attr:`rejoin_after`."""
        assigned = frozenset(consumer.assignment())
        if assigned != self._assigned:
            self._assigned = assigned
            log.info("consuming %s", ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned)))
        if not joining_group(consumer):
            self._joining_since = None
            return
        now = time.monotonic()
        if self._joining_since is None:
            self._joining_since = now
        elif now - self._joining_since > self.rejoin_after:
            log.warning(
                "still joining the consumer group after %.0fs: a new member takes this one's place",
                now - self._joining_since,
            )
            self._joining_since = None
            self._assigned = frozenset()
            self._close_consumer()

    def _report_assignment(self, consumer: KafkaConsumer) -> None:
        """Tell :attr:`assignment` what the group gave this member (nothing while it rebalances)."""
        assert self.assignment is not None
        assigned: dict[str, set[int]] = {topic: set() for topic in consumer.subscription() or ()}
        for tp in consumer.assignment():
            assigned.setdefault(tp.topic, set()).add(tp.partition)
        counts = {topic: len(consumer.partitions_for_topic(topic) or ()) for topic in assigned}
        if not all(counts.values()):
            return  # the topics' metadata is not known yet: keep what was known
        self.assignment.update({t: frozenset(p) for t, p in assigned.items()}, counts)

    def _apply_together(
        self,
        consumer: KafkaConsumer,
        batches: Mapping[TopicPartition, list[Any]],
        tp: TopicPartition,
        records: Sequence[ConsumedRecord],
    ) -> list[str] | None:
        """A partition's records of this poll applied in one transaction; ``None`` when they must
        be applied one by one (one of them cannot be applied: parked alone by :func:`apply_once`).

        :raise Exception: a transient failure, after rewinding to the first of ``records``.
        """
        if len(records) < 2:
            return None
        try:
            return apply_all(self.session_factory, self.inbox, self.handlers, records, self.batch_handlers)
        except Exception as exc:
            if is_transient(exc):
                self.metrics.consumer_retries.labels(tp.topic).inc()
                self._rewind(consumer, batches, tp, 0)
                raise
            log.info(
                "%d records could not be applied together (%s: %s); applying them one by one",
                len(records),
                type(exc).__name__,
                exc,
                extra={"topic": tp.topic, "offset": records[0].offset},
            )
            return None

    def _after_failure(self, record: ConsumedRecord, error: Exception) -> str | None:
        """``None`` to retry the record later; an outcome once a non-transient failure repeats."""
        if is_transient(error):
            return None
        key = (record.topic, record.partition, record.offset)
        self._attempts[key] = self._attempts.get(key, 0) + 1
        if self._attempts[key] < self.max_attempts:
            log.warning("applying %s failed (attempt %d): %r", key, self._attempts[key], error)
            return None
        del self._attempts[key]
        reason = f"failed {self.max_attempts} times: {type(error).__name__}: {error}"[:1000]
        return park(self.session_factory, self.inbox, record, reason, self._dead_letter)

    def _rewind(
        self,
        consumer: KafkaConsumer,
        batches: Mapping[TopicPartition, list[Any]],
        failed_tp: TopicPartition,
        failed_index: int,
    ) -> None:
        """Seek every partition of this poll back to its first record not yet applied.

        Partitions already processed completely are committed, so their work is not redone.
        """
        done = {}
        seen_failed = False
        for tp, records in batches.items():
            if tp == failed_tp:
                consumer.seek(tp, records[failed_index].offset)
                seen_failed = True
            elif seen_failed:
                consumer.seek(tp, records[0].offset)
            else:
                done[tp] = records[-1].offset + 1
        if done:
            try:
                consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in done.items()})
            except Exception:  # noqa: BLE001 - the inbox absorbs a redelivery if this fails
                log.debug("partial commit failed", exc_info=True)

    def _dead_letter(self, record: ConsumedRecord, reason: str) -> None:
        if self._producer is None:
            self._producer = self.producer_factory()
        self._producer.send(
            dead_letter_topic(record.topic),
            value=record.value,
            headers=[
                ("reason", reason.encode()[:2000]),
                ("source-topic", record.topic.encode()),
                ("source-partition", str(record.partition).encode()),
                ("source-offset", str(record.offset).encode()),
            ],
        ).get(timeout=15)

    def _get_consumer(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = self.consumer_factory()
        return self._consumer

    def _close_consumer(self) -> None:
        if self._consumer is not None:
            try:
                self._consumer.close(autocommit=False)
            except Exception:  # noqa: BLE001
                log.debug("closing consumer failed", exc_info=True)
        self._consumer = None

    def _close(self) -> None:
        self._close_consumer()
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except Exception:  # noqa: BLE001
                log.debug("closing producer failed", exc_info=True)
        self._producer = None
