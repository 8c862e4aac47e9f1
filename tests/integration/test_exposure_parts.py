"""An exposure in parts, one per alerts instance, each covering some partitions of the household
topic: decided once, when every partition is covered once, whatever the order, the repeats and
the overlaps; with several transfers instances on one database deciding each exposure once."""

from __future__ import annotations

import logging
import random
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from services.transfers.adapters.orm import (
    evaluations,
    exposed_households,
    exposure_parts,
    exposures,
    programmes,
)
from services.transfers.entrypoints import consumer
from services.transfers.entrypoints.app import MIGRATIONS
from services.transfers.service_layer import collecting
from shared import db
from shared.auth import PROGRAMME_OFFICER
from shared.contracts import alerts as alert_contract
from shared.events import CloudEvent
from tests.transfers_world import TORMENTA, World

pytestmark = pytest.mark.integration

EVERY = [0, 1, 2, 3, 4, 5]


def part_events(
    incident_id: str,
    version: int,
    households: list[str],
    partitions: list[int] | None,
    count: int = 6,
    per_chunk: int = 2,
) -> list[CloudEvent]:
    """One part of an exposure as an alerts instance publishes it: chunks, then a completion.
    ``partitions=None`` makes the events of a release before parts (no partition fields)."""
    header: dict[str, Any] = {"incident_id": incident_id, "version": version}
    if partitions is not None:
        header |= {"partitions": partitions, "partition_count": count}
    chunks = [households[n : n + per_chunk] for n in range(0, len(households), per_chunk)] or [[]]
    events = [
        CloudEvent(
            type=alert_contract.EXPOSURE_CHUNK,
            source=alert_contract.SOURCE,
            subject=incident_id,
            data={
                **header,
                "chunk": n,
                "chunks": len(chunks),
                "households": [{"household_id": h, "area": "Costa sur", "band": "Severe"} for h in chunk],
            },
        )
        for n, chunk in enumerate(chunks)
    ]
    totals = {"households": len(households), "people": 3 * len(households), "may_trigger_transfers": True}
    events.append(
        CloudEvent(
            type=alert_contract.EXPOSURE_COMPLETED,
            source=alert_contract.SOURCE,
            subject=incident_id,
            data={**header, "chunks": len(chunks), **totals},
        )
    )
    return events


def in_partitions(households: list[str], partitions: list[int]) -> list[str]:
    """The households a part covering ``partitions`` holds (household n is in partition n mod 6)."""
    return [h for n, h in enumerate(households) if n % 6 in partitions]


def again(event: CloudEvent) -> CloudEvent:
    """The same event published anew (a new id, as after an outbox replay)."""
    return CloudEvent(type=event.type, source=event.source, subject=event.subject, data=event.data)


def seen(world: World, incident_id: str) -> dict[str, Any]:
    response = world.client.get(f"/v1/alerts/{incident_id}/decisions", headers=world.auth(PROGRAMME_OFFICER))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def paid(world: World, incident_id: str) -> dict[str, str]:
    return {
        p["household_id"]: p["amount"] for b in world.batches(incident_id) for p in world.payments(b["id"])
    }


def test_three_parts_in_any_order_and_twice_are_decided_once_like_one_part(world):
    world.define()
    households = world.register(12)
    whole = world.new_incident()
    world.apply(world.alert_event(whole, 1).to_json())
    for event in part_events(whole, 1, households, EVERY):
        world.apply(event.to_json())
    expected = paid(world, whole)
    assert set(expected) == set(households)

    for seed in range(3):
        incident = world.new_incident()
        events = [world.alert_event(incident, 1)]
        for partitions in ([0, 3], [1, 4], [2, 5]):
            events += part_events(incident, 1, in_partitions(households, partitions), partitions)
        rng = random.Random(seed)
        delivered = events + [again(e) for e in rng.sample(events, 5)] + rng.sample(events, 5)
        rng.shuffle(delivered)
        for event in delivered:
            world.apply(event.to_json())
        found = seen(world, incident)
        [exposure] = found["exposures"]
        assert exposure["status"] == "decided", exposure
        assert exposure["households"] == 12
        assert len(found["evaluations"]) == 1
        assert len(world.batches(incident)) == 1
        assert paid(world, incident) == expected


def test_an_exposure_missing_a_partition_stays_collecting_and_says_what_is_missing(world):
    world.define()
    households = world.register(6)
    incident = world.new_incident()
    world.apply(world.alert_event(incident, 1).to_json())
    for partitions in ([0, 1], [3, 4]):
        for event in part_events(incident, 1, in_partitions(households, partitions), partitions):
            world.apply(event.to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["status"] == "collecting"
    assert exposure["note"] == "4 of 6 partitions received (missing 2, 5)"
    assert exposure["households"] == 4

    last = part_events(incident, 1, in_partitions(households, [2, 5]), [2, 5], per_chunk=1)
    world.apply(last[0].to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["note"] == (
        "4 of 6 partitions received (missing 2, 5); part of partitions 2,5: 1 of ? chunks received"
    )
    world.apply(last[2].to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["note"].endswith("part of partitions 2,5: 1 of 2 chunks received")
    assert world.batches(incident) == []
    world.apply(last[1].to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["status"] == "decided" and exposure["households"] == 6
    assert set(paid(world, incident)) == set(households)


def test_a_part_overlapping_an_accepted_one_is_never_counted(world, caplog):
    world.define()
    households = world.register(12)
    incident = world.new_incident()
    world.apply(world.alert_event(incident, 1).to_json())
    for event in part_events(incident, 1, in_partitions(households, [0, 1, 2]), [0, 1, 2]):
        world.apply(event.to_json())
    # Another instance's part, from before a rebalance, covering 2 again and 3.
    with caplog.at_level(logging.WARNING, logger=collecting.__name__):
        for event in part_events(incident, 1, in_partitions(households, [2, 3]), [2, 3]):
            world.apply(event.to_json())
    assert "partitions 2 were already received in another part" in caplog.text
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["status"] == "collecting" and exposure["households"] == 6
    assert exposure["note"] == "3 of 6 partitions received (missing 3, 4, 5)"
    with world.runtime.session_factory() as session:
        refused = session.execute(select(exposure_parts).where(exposure_parts.c.partitions == "2,3")).one()
        staged = session.scalar(text("SELECT count(*) FROM staged_households"))
    assert refused.status == "overlapping" and "this part is not counted" in refused.note
    assert staged == 0

    for event in part_events(incident, 1, in_partitions(households, [3, 4, 5]), [3, 4, 5]):
        world.apply(event.to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["status"] == "decided" and exposure["households"] == 12
    [batch] = world.batches(incident)
    assert batch["households"] == 12
    with world.runtime.session_factory() as session:
        rows = session.scalar(select(func.count()).select_from(exposed_households))
    assert rows == 12


def test_parts_named_wrongly_are_dead_lettered_with_the_field(world):
    households = world.register(2)
    incident = world.new_incident()
    for event in part_events(incident, 1, households[:1], [0, 1, 2]):
        world.apply(event.to_json())
    wrong = {
        "/partition_count": [{"partitions": [3, 4, 5], "partition_count": 12}, {"partition_count": 0}],
        "/partitions": [
            {"partitions": [3, 6]},
            {"partitions": [4, 3]},
            {"partitions": [3, 3]},
            {"partitions": ["3"]},
            {"partitions": [True]},
            {"partitions": []},
            {"partitions": "3,4"},
        ],
    }
    for field, changes in wrong.items():
        for change in changes:
            for event in part_events(incident, 1, households[1:], [3, 4, 5]):
                event.data.update(change)
                before = len(world.dead_letters)
                assert world.apply(event.to_json()) == "dead_lettered"
                assert len(world.dead_letters) == before + 1
                assert field in world.dead_letters[-1], (change, world.dead_letters[-1])
    # An event of the release before parts counts 1 partition: not this exposure's 6.
    for event in part_events(incident, 1, households[1:], None):
        assert world.apply(event.to_json()) == "dead_lettered"
        assert "/partition_count" in world.dead_letters[-1]
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["note"] == "3 of 6 partitions received (missing 3, 4, 5)"


def test_events_without_partitions_are_one_part_and_still_decided(world):
    world.define()
    households = world.register(5)
    incident = world.new_incident()
    events = part_events(incident, 1, households, None)
    for event in [events[-1], *events[:2]]:
        world.apply(event.to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["note"] == "2 of 3 chunks received"
    world.apply(events[2].to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["status"] == "waiting_for_alert"
    world.apply(world.alert_event(incident, 1).to_json())
    [exposure] = seen(world, incident)["exposures"]
    assert exposure["status"] == "decided" and exposure["households"] == 5
    assert set(paid(world, incident)) == set(households)


HANDLERS = {
    alert_contract.EXPOSURE_CHUNK: consumer.apply_exposure_chunk,
    alert_contract.EXPOSURE_COMPLETED: consumer.apply_exposure_completed,
}


def apply(sessions, handler, event: CloudEvent) -> None:
    with sessions.begin() as session:
        handler(session, event)


def test_an_exposure_collected_before_the_upgrade_is_one_part_and_is_finished_after_it(database_url):
    engine = db.make_engine(database_url)
    db.upgrade(MIGRATIONS, engine, "0006")
    incident = str(uuid.uuid4())
    households = [str(uuid.uuid4()) for _ in range(5)]
    events = part_events(incident, 1, households, None)
    key = f"alert:{incident}:1"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO exposures (exposure_key, incident_id, version, kind, chunks, households, "
                "status, note, received_at) VALUES (:key, :incident, 1, 'alert_area', 3, 5, 'collecting', "
                "'2 of 3 chunks received', :at)"
            ),
            {"key": key, "incident": incident, "at": db.as_stored(events[0].time)},
        )
        for chunk in (0, 1):
            connection.execute(
                text("INSERT INTO exposure_chunks (exposure_key, chunk) VALUES (:key, :chunk)"),
                {"key": key, "chunk": chunk},
            )
        for household in households[:4]:
            connection.execute(
                text(
                    "INSERT INTO exposed_households (exposure_key, household_id, band) "
                    "VALUES (:key, :household, 'Severe')"
                ),
                {"key": key, "household": household},
            )
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    with sessions() as session:
        part = session.execute(select(exposure_parts)).one()
        assert (part.partitions, part.partition_count, part.chunks, part.status) == ("0", 1, 3, "collecting")
        assert session.scalar(select(exposures.c.partition_count)) == 1
    apply(sessions, consumer.apply_exposure_chunk, events[1])  # seen before the upgrade
    apply(sessions, consumer.apply_exposure_chunk, events[2])
    apply(sessions, consumer.apply_exposure_completed, events[3])
    apply(sessions, consumer.apply_alert_event, World.alert_event(incident, 1))
    with sessions() as session:
        exposure = session.execute(select(exposures)).one()
        exposed = set(session.scalars(select(exposed_households.c.household_id)))
    assert exposure.status == "decided" and exposure.households == 5
    assert exposed == set(households)
    engine.dispose()


def test_two_instances_deciding_side_by_side_decide_each_exposure_exactly_once(postgres):
    """The alert version and the last part of its exposure, applied at the same moment by two
    instances of transfers on one PostgreSQL database: decided once, every round."""
    engine = db.make_engine(postgres.new_database())
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    with sessions.begin() as session:
        session.execute(
            insert(programmes).values(
                id=str(uuid.uuid4()),
                version=1,
                name=TORMENTA["name"],
                document=TORMENTA,
                created_by="officer-ana",
                created_at=datetime.now(UTC),
            )
        )
    rounds, failures = 40, []
    for n in range(rounds):
        incident = str(uuid.uuid4())
        households = [str(uuid.uuid4()) for _ in range(6)]
        first = part_events(incident, 1, in_partitions(households, [0, 1, 2]), [0, 1, 2])
        last = part_events(incident, 1, in_partitions(households, [3, 4, 5]), [3, 4, 5])
        for event in first + last[:-1]:
            apply(sessions, HANDLERS[event.type], event)
        together = threading.Barrier(2)

        def side(handler, event, together=together):
            try:
                with sessions.begin() as session:
                    together.wait(5)
                    handler(session, event)
            except Exception as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)

        pair = [
            threading.Thread(target=side, args=(consumer.apply_alert_event, World.alert_event(incident, 1))),
            threading.Thread(target=side, args=(consumer.apply_exposure_completed, last[-1])),
        ]
        if n % 2:
            pair.reverse()
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join(30)
        assert not failures, failures
        with sessions() as session:
            status = session.scalar(select(exposures.c.status).where(exposures.c.incident_id == incident))
            decided = session.scalar(
                select(func.count()).select_from(evaluations).where(evaluations.c.incident_id == incident)
            )
        assert (status, decided) == ("decided", 1), f"round {n}"
    engine.dispose()
