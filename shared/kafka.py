"""Kafka client settings and the topics Amparo uses, declared in one place.

Producers are idempotent with ``acks="all"``: ``enable_idempotence=True`` is passed explicitly,
so kafka-python refuses (instead of silently disabling idempotence) if anything conflicts.
Consumers never auto-commit and keep ``max_poll_interval_ms`` at or below 60 000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.coordinator.base import MemberState
from kafka.partitioner.default import murmur2

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class Replication:
    """How many brokers keep each partition, and how many must have a write before it counts."""

    factor: int
    min_insync: int


#: A production cluster: three brokers, a write acknowledged by two (one broker may be down).
PRODUCTION = Replication(factor=3, min_insync=2)
#: The embedded broker: one process, one copy.
EMBEDDED = Replication(factor=1, min_insync=1)


@dataclass(frozen=True)
class Topic:
    """A topic: its name, what its record key is, how many partitions it has, and how long it keeps
    its records.

    A compacted topic keeps the last record of every key for good (the current state of each
    household); the others delete records older than ``retention_days``.
    """

    name: str
    key: str
    partitions: int
    compacted: bool = False
    retention_days: int = 30

    def configs(self, replication: Replication) -> dict[str, str]:
        """The topic-level Kafka settings of this declaration on a cluster of ``replication``."""
        configs = {"min.insync.replicas": str(replication.min_insync)}
        if self.compacted:
            configs.update(
                {
                    "cleanup.policy": "compact",
                    "retention.ms": "-1",
                    "delete.retention.ms": str(DAY_MS),
                    "min.compaction.lag.ms": str(DAY_MS),
                }
            )
        else:
            configs.update({"cleanup.policy": "delete", "retention.ms": str(self.retention_days * DAY_MS)})
        return configs


HOUSEHOLDS = Topic("registry.households", key="household id", partitions=6, compacted=True)
ALERTS = Topic("alerts.alerts", key="alert (incident) id", partitions=3, retention_days=365)
EXPOSURES = Topic("alerts.exposures", key="alert id", partitions=6, retention_days=30)
BATCHES = Topic("transfers.batches", key="batch id", partitions=3, retention_days=365)
#: Transfers asks the registry to tell households what became of their payments (it holds the phones).
MESSAGES = Topic("transfers.messages", key="batch id", partitions=3, retention_days=30)
TOPICS: tuple[Topic, ...] = (HOUSEHOLDS, ALERTS, EXPOSURES, BATCHES, MESSAGES)


def dead_letter_topic(topic: str) -> str:
    """Name of the topic where a consumer of ``topic`` parks events it cannot apply."""
    return f"{topic}.dlq"


def declared_topics() -> tuple[Topic, ...]:
    """Every topic Amparo needs, each event topic followed by its dead-letter topic.

    Dead letters keep the key of their topic, on one partition, for 30 days: long enough for an
    operator to look at them and replay what was fixed.
    """
    declared: list[Topic] = []
    for topic in TOPICS:
        declared.append(topic)
        declared.append(Topic(dead_letter_topic(topic.name), key=topic.key, partitions=1, retention_days=30))
    return tuple(declared)


def all_topic_names() -> list[str]:
    """Every topic including dead-letter topics, for brokers that must have them created."""
    return [t.name for t in declared_topics()]


def partition_of(key: str, count: int) -> int:
    """The partition a record keyed ``key`` goes to among ``count`` (the producers' murmur2 rule,
    the same as Kafka's Java client)."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % count


def make_producer(bootstrap_servers: Sequence[str], client_id: str) -> KafkaProducer:
    """An idempotent producer that waits for all in-sync replicas on every send.

    Producers and consumers never ask the broker to create a topic: one created on a client's
    first request gets the broker's default shape (partitions, compaction), not the one declared
    here. (The embedded broker creates it on first produce regardless; see
    :meth:`shared.broker.EmbeddedBroker.start`.)
    """
    return KafkaProducer(
        bootstrap_servers=list(bootstrap_servers),
        client_id=client_id,
        allow_auto_create_topics=False,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=10_000,
        max_block_ms=10_000,
        reconnect_backoff_max_ms=2_000,
    )


def make_consumer(
    bootstrap_servers: Sequence[str],
    group_id: str,
    topics: Sequence[str],
    *,
    max_poll_interval_ms: int,
    client_id: str,
    instance_id: str | None = None,
    max_poll_records: int = 500,
) -> KafkaConsumer:
    """A consumer group member that commits offsets only when told to.

    With ``instance_id`` it is a static member (KIP-345): it never sends LeaveGroup, and a
    restart under the same name takes its place back as soon as it asks, instead of waiting for
    the old member's session to expire and the group to rebalance. (The embedded broker also
    left a group unjoinable for good when a dynamic member left it in the middle of a join.)

    :raise ValueError: if ``max_poll_interval_ms`` exceeds 60 000 (group joins then stall on
        the embedded broker).
    """
    if not 1_000 <= max_poll_interval_ms <= 60_000:
        raise ValueError(f"max_poll_interval_ms={max_poll_interval_ms} must be within 1000–60000")
    return KafkaConsumer(
        *topics,
        bootstrap_servers=list(bootstrap_servers),
        group_id=group_id,
        client_id=client_id,
        group_instance_id=instance_id,
        allow_auto_create_topics=False,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_interval_ms=max_poll_interval_ms,
        session_timeout_ms=min(10_000, max_poll_interval_ms),
        heartbeat_interval_ms=1_000,
        max_poll_records=max_poll_records,
        reconnect_backoff_max_ms=2_000,
    )


def joining_group(consumer: KafkaConsumer) -> bool:
    """Whether the consumer is joining (or rejoining) its group rather than a settled member of it
    (a settled member may hold no partition: the group has more members than partitions)."""
    state = getattr(getattr(consumer, "_coordinator", None), "state", MemberState.STABLE)
    return bool(state != MemberState.STABLE)
