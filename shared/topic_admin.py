"""Creating the declared topics (:func:`shared.kafka.declared_topics`) on a Kafka cluster, and
saying how the topics found there differ from the declaration.

Nothing here changes a topic that exists: partitions cannot be taken away, and adding some moves
keys to other partitions (per-key order would be lost for records in flight). A difference is
reported for an operator to decide on.

Examples
--------
>>> for outcome in apply_topics(["kafka-1:9092"], declared_topics(), PRODUCTION):  # doctest: +SKIP
...     print(outcome.describe())
registry.households: created (6 partitions, 3 replicas, cleanup.policy=compact, ...)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import TopicAlreadyExistsError

from shared.kafka import Replication, Topic

CREATED = "created"
PRESENT = "present"
DIFFERS = "differs"


@dataclass(frozen=True)
class TopicOutcome:
    """What became of one declared topic: created, present as declared, or present but different."""

    topic: Topic
    state: str
    differences: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line for an operator."""
        if self.state == DIFFERS:
            return f"{self.topic.name}: differs from the declaration: {'; '.join(self.differences)}"
        return f"{self.topic.name}: {self.state}"


def apply_topics(
    bootstrap_servers: Sequence[str],
    topics: Sequence[Topic],
    replication: Replication,
    *,
    timeout_ms: int = 15_000,
) -> list[TopicOutcome]:
    """Create each of ``topics`` that is missing, with its partitions, replicas and settings;
    compare those that exist with their declaration.

    ``timeout_ms`` bounds the wait for the cluster to answer, and for each request.
    Settings are compared only where the broker reports them (a broker reports settings that
    differ from its defaults; the embedded broker reports none).

    :raise kafka.errors.KafkaError: if the cluster cannot be reached or refuses a creation.
    """
    admin = KafkaAdminClient(
        bootstrap_servers=list(bootstrap_servers),
        request_timeout_ms=timeout_ms,
        bootstrap_timeout_ms=timeout_ms,
    )
    try:
        existing = set(admin.list_topics())
        created = []
        for topic in topics:
            if topic.name in existing:
                continue
            try:
                admin.create_topics(
                    [
                        NewTopic(
                            topic.name,
                            topic.partitions,
                            replication.factor,
                            topic_configs=topic.configs(replication),
                        )
                    ]
                )
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # created meanwhile by another run: compared below
        compared = [t for t in topics if t.name not in created]
        shapes = _shapes(admin, [t.name for t in compared])
        settings = _settings(admin, [t.name for t in compared])
    finally:
        admin.close()
    outcomes = [TopicOutcome(t, CREATED) for t in topics if t.name in created]
    for topic in compared:
        differences = _differences(topic, replication, shapes.get(topic.name), settings.get(topic.name, {}))
        outcomes.append(TopicOutcome(topic, DIFFERS if differences else PRESENT, differences))
    order = {t.name: i for i, t in enumerate(topics)}
    return sorted(outcomes, key=lambda o: order[o.topic.name])


def _shapes(admin: KafkaAdminClient, names: list[str]) -> dict[str, tuple[int, int]]:
    """Partition count and replica count (of the first partition) of each named topic."""
    if not names:
        return {}
    shapes = {}
    for described in admin.describe_topics(names):
        partitions = described["partitions"]
        replicas = len(partitions[0]["replica_nodes"]) if partitions else 0
        shapes[described["name"]] = (len(partitions), replicas)
    return shapes


def _settings(admin: KafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    """The settings the broker reports for each named topic (``{}`` where it reports none)."""
    if not names:
        return {}
    reported = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names])
    return {
        name: {key: _value(entry) for key, entry in (configs or {}).items()}
        for name, configs in reported.get("topic", {}).items()
    }


def _value(entry: Any) -> str:
    return str(entry.get("value") if isinstance(entry, dict) else entry)


def _differences(
    topic: Topic, replication: Replication, shape: tuple[int, int] | None, reported: dict[str, str]
) -> list[str]:
    if shape is None:
        return ["not described by the broker"]
    partitions, replicas = shape
    differences = []
    if partitions != topic.partitions:
        differences.append(f"{partitions} partitions, declared {topic.partitions}")
    if replicas != replication.factor:
        differences.append(f"{replicas} replicas, declared {replication.factor}")
    for key, value in topic.configs(replication).items():
        if key in reported and reported[key] != value:
            differences.append(f"{key}={reported[key]}, declared {value}")
    return differences
