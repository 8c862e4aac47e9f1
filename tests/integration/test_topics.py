"""The topic declaration applied to a real broker with `amparo topics --apply`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from services.cli import main
from shared.broker import EmbeddedBroker
from shared.kafka import EMBEDDED, HOUSEHOLDS, PRODUCTION, TOPICS, declared_topics

pytestmark = pytest.mark.integration


def test_the_declaration_shapes_every_topic_and_its_dead_letters():
    declared = {t.name: t for t in declared_topics()}
    assert list(declared) == [n for t in TOPICS for n in (t.name, f"{t.name}.dlq")]
    assert HOUSEHOLDS.configs(PRODUCTION) == {
        "min.insync.replicas": "2",
        "cleanup.policy": "compact",
        "retention.ms": "-1",
        "delete.retention.ms": "86400000",
        "min.compaction.lag.ms": "86400000",
    }
    assert [t.name for t in TOPICS if t.compacted] == ["registry.households"]
    for topic in declared.values():
        assert topic.configs(EMBEDDED)["min.insync.replicas"] == "1"
        if not topic.compacted:
            assert topic.configs(PRODUCTION)["cleanup.policy"] == "delete"
            assert int(topic.configs(PRODUCTION)["retention.ms"]) == topic.retention_days * 86_400_000
    printed = CliRunner().invoke(main, ["topics", "--json"])
    assert printed.exit_code == 0
    assert json.loads(printed.output) == [
        {
            "name": t.name,
            "key": t.key,
            "partitions": t.partitions,
            "replication_factor": 3,
            "configs": t.configs(PRODUCTION),
        }
        for t in declared.values()
    ]


def test_apply_creates_the_declared_topics_once_and_reports_those_that_differ():
    with EmbeddedBroker() as broker:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_server)
        admin.create_topics([NewTopic("alerts.exposures", 2, 1)])  # made by hand, with 2 partitions
        arguments = ["topics", "--apply", "--replication", "embedded", "--bootstrap-servers"]
        first = CliRunner().invoke(main, [*arguments, broker.bootstrap_server])
        assert first.exit_code == 1
        lines = first.output.splitlines()
        assert "alerts.exposures: differs from the declaration: 2 partitions, declared 6" in lines
        assert "registry.households: created" in lines
        assert sum(line.endswith(": created") for line in lines) == len(declared_topics()) - 1
        assert "some topics differ from the declaration" in first.output
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics()}
        assert {t.name: described[t.name] for t in declared_topics()} == {
            t.name: (2 if t.name == "alerts.exposures" else t.partitions) for t in declared_topics()
        }
        admin.delete_topics(["alerts.exposures"])
        admin.close()
        CliRunner().invoke(main, [*arguments, broker.bootstrap_server])
        again = CliRunner().invoke(main, [*arguments, broker.bootstrap_server])
        assert again.exit_code == 0, again.output
        assert again.output.splitlines() == [f"{t.name}: present" for t in declared_topics()]


def test_apply_names_the_brokers_it_cannot_reach():
    result = CliRunner().invoke(
        main, ["topics", "--apply", "--timeout", "2", "--bootstrap-servers", "127.0.0.1:1"]
    )
    assert result.exit_code == 1
    assert "cannot apply the topics on 127.0.0.1:1" in result.output
