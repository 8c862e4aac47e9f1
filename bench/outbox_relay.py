"""Outbox relay throughput against the embedded broker, beside a plain producer loop.

The relay reads pending events from the service's database, publishes them with the idempotent
``acks="all"`` producer and marks them published; the baseline sends the same payloads straight
from memory with the same producer settings and nothing recorded. The gap is the price of never
losing an event.

    python -m bench.outbox_relay [--events 20000] [--repeat 3] [--database sqlite|URL]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from services.registry.adapters.orm import outbox
from services.registry.entrypoints.app import MIGRATIONS
from shared import db
from shared.broker import EmbeddedBroker
from shared.events import CloudEvent
from shared.kafka import make_producer
from shared.metrics import Metrics
from shared.outbox import OutboxRelay, add_event


def events(count: int) -> list[CloudEvent]:
    out = []
    for _ in range(count):
        household_id = str(uuid.uuid4())
        out.append(
            CloudEvent(
                type="amparo.registry.household.registered.v1",
                source="/amparo/registry",
                subject=household_id,
                data={
                    "household_id": household_id,
                    "version": 1,
                    "status": "active",
                    "admin_code": "HN-CH",
                    "size": 4,
                    "location": {"lat": 13.3, "lon": -87.19, "accuracy_m": 8.0, "source": "gps"},
                },
            )
        )
    return out


def run_relay(url: str, broker: EmbeddedBroker, topic: str, batch: list[CloudEvent]) -> float:
    engine = db.make_engine(url)
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    with sessions.begin() as session:
        for event in batch:
            add_event(session, outbox, topic, event)
    relay = OutboxRelay(
        sessions,
        outbox,
        producer_factory=lambda: make_producer([broker.bootstrap_server], "bench"),
        history_reader=lambda: None,
        metrics=Metrics("bench"),
        batch_size=500,  # type: ignore[arg-type,return-value]
    )
    started = time.perf_counter()
    sent = 0
    while sent < len(batch):
        sent += relay.publish_pending()
    elapsed = time.perf_counter() - started
    relay._close_clients()
    engine.dispose()
    return elapsed


def run_plain(broker: EmbeddedBroker, topic: str, batch: list[CloudEvent]) -> float:
    producer = make_producer([broker.bootstrap_server], "bench-plain")
    payloads = [(e.subject.encode(), e.to_json()) for e in batch]
    started = time.perf_counter()
    for key, value in payloads:
        producer.send(topic, key=key, value=value)
    producer.flush()
    elapsed = time.perf_counter() - started
    producer.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}; Python {platform.python_version()}")
    relay_rates, plain_rates = [], []
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.repeat):
            topic = f"bench.{round_}"
            broker.create_topics({topic: 6})
            batch = events(args.events)
            url = (
                f"sqlite:///{Path(folder) / f'bench-{round_}.db'}"
                if args.database == "sqlite"
                else args.database
            )
            relay_rates.append(args.events / run_relay(url, broker, topic, batch))
            plain_rates.append(args.events / run_plain(broker, topic, batch))
    for name, rates in (("outbox relay", relay_rates), ("plain producer (baseline)", plain_rates)):
        print(
            f"{name:<28} median {statistics.median(rates):>9,.0f} events/s   "
            f"min {min(rates):>9,.0f}   max {max(rates):>9,.0f}   ({args.repeat} runs of {args.events:,})"
        )


if __name__ == "__main__":
    main()
