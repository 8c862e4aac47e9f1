"""Two alerts instances, each indexing half the partitions of one database, match an alert and a
footprint between them exactly as one instance indexing every household does."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from rasterio.transform import from_origin
from sqlalchemy import select

from services.alerts.adapters.orm import outbox
from services.alerts.entrypoints import app as alerts_app
from services.alerts.service_layer.alerts import ReceiveCap, receive_cap
from services.alerts.service_layer.footprints import NewFootprint, apply_footprint
from services.alerts.service_layer.indexing import Indexing
from services.alerts.service_layer.parts import match_unfinished
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.contracts import alerts as contract
from shared.kafka import HOUSEHOLDS
from shared.partitions import Owned, PartitionAssignment
from tests.integration.test_alerts_api import LARGE, SMALL, _geotiff, add_households, cap
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration

THRESHOLDS = [{"band": "moderate", "min": 0.5}, {"band": "severe", "min": 1.5}]


@pytest.fixture
def alerts(tmp_path, broker, database_url):
    """The alerts app over a database holding 900 households of every size around Choluteca,
    some of them known only by their municipality."""
    client, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    rng = np.random.default_rng(11)
    for size in range(1, 7):
        points = zip(rng.uniform(-87.8, -86.7, 140), rng.uniform(12.8, 13.8, 140), strict=True)
        add_households(runtime.session_factory, points, "HN-CH-0601", size=size, female_headed=size % 2 == 0)
    add_households(runtime.session_factory, [(0, 0)] * 60, "HN-CH-0601", located=False)
    client.runtime = runtime
    return client


def instance(name: str, partitions: set[int]) -> Indexing:
    assignment = PartitionAssignment()
    assignment.update({HOUSEHOLDS.name: frozenset(partitions)}, {HOUSEHOLDS.name: HOUSEHOLDS.partitions})
    return Indexing(instance=name, assignment=assignment, whole=False)


def exposure_parts(client, subject: str) -> tuple[list[dict], list[str]]:
    """The completion events published for ``subject``, and the households of its chunks."""
    with client.runtime.session_factory() as session:
        rows = session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.key == subject)
            .order_by(outbox.c.position)
        ).all()
    events = [(kind, json.loads(payload)["data"]) for kind, payload in rows]
    return [data for kind, data in events if kind == contract.EXPOSURE_COMPLETED], [
        h["household_id"]
        for kind, data in events
        if kind == contract.EXPOSURE_CHUNK
        for h in data["households"]
    ]


def units_of_work(alerts) -> Callable[..., AlertsUnitOfWork]:
    """Units of work of an instance indexing as ``indexing`` says (every household if ``None``)."""

    def uow(indexing: Indexing | None = None, read_only: bool = False) -> AlertsUnitOfWork:
        runtime = alerts.runtime
        return AlertsUnitOfWork(
            runtime.session_factory, runtime.outbox, indexing=indexing, read_only=read_only
        )

    return uow


def flood_depth() -> bytes:
    depth = np.tile(np.linspace(0, 3, 100), (100, 1))
    return _geotiff("EPSG:4326", depth, from_origin(-87.7, 13.8, 0.01, 0.01))


def test_two_instances_match_between_them_what_one_matches(alerts):
    uow = units_of_work(alerts)
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})

    # One instance indexing every household: the reference.
    whole = receive_cap(
        ReceiveCap(cap("one-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(),
    )[0]
    whole_footprint = apply_footprint(
        NewFootprint(flood_depth(), "image/tiff", "flood_depth", THRESHOLDS, "cp"), uow()
    )

    # The west instance receives both: it matches its half before answering.
    incident = receive_cap(
        ReceiveCap(cap("two-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(west),
    )[0]
    footprint = apply_footprint(
        NewFootprint(flood_depth(), "image/tiff", "flood_depth", THRESHOLDS, "cp"), uow(west)
    )
    assert incident["exposure"]["partitions_matched"] == 3
    assert 0 < incident["exposure"]["households"] < whole["exposure"]["households"]
    assert footprint["exposure"]["partitions_matched"] == 3
    # The west instance finds nothing more to do; the east one matches the other half.
    assert match_unfinished(lambda **kw: uow(west, **kw)) == 0
    assert match_unfinished(lambda **kw: uow(east, **kw)) == 6
    assert match_unfinished(lambda **kw: uow(east, **kw)) == 0

    with uow() as reading:
        together = reading.alerts.incident(incident["id"])["exposure_summary"]
        footprint_row = reading.alerts.footprint(footprint["id"])
    assert together == whole["exposure"]
    assert footprint_row["summary"] == whole_footprint["exposure"]

    for subject, reference in ((incident["id"], whole["id"]), (footprint["id"], whole_footprint["id"])):
        parts, households = exposure_parts(alerts, subject)
        whole_parts, whole_households = exposure_parts(alerts, reference)
        assert [p["partitions"] for p in parts] == [[0, 1, 2], [3, 4, 5]]
        assert whole_parts[0]["partitions"] == list(range(HOUSEHOLDS.partitions))
        assert {p["partition_count"] for p in parts + whole_parts} == {HOUSEHOLDS.partitions}
        # Every household exactly once, the same ones as one instance found.
        assert len(households) == len(set(households)) and set(households) == set(whole_households)
        assert sum(p["households"] for p in parts) == whole_parts[0]["households"] > 0


def test_an_instance_given_no_partitions_yet_leaves_the_matching_to_others(alerts):
    runtime = alerts.runtime
    waiting = Indexing(instance="alerts-new", assignment=PartitionAssignment(), whole=False)
    incident = receive_cap(
        ReceiveCap(cap("new-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        AlertsUnitOfWork(runtime.session_factory, runtime.outbox, indexing=waiting),
    )[0]
    assert incident["exposure"] is None  # stored and announced; nothing matched yet
    everyone = lambda **kw: AlertsUnitOfWork(runtime.session_factory, runtime.outbox, **kw)  # noqa: E731
    assert match_unfinished(everyone) == HOUSEHOLDS.partitions
    with everyone() as reading:
        summary = reading.alerts.incident(incident["id"])["exposure_summary"]
    assert summary["partitions_matched"] == HOUSEHOLDS.partitions and summary["households"] > 0


def test_parts_matched_after_an_expiry_or_an_update_land_where_they_belong(alerts):
    from datetime import UTC, datetime

    from services.alerts.service_layer.alerts import expire_due

    uow = units_of_work(alerts)
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})

    def received(
        identifier: str, polygon: str, msg_type: str = "Alert", references=(), hour: int = 10
    ) -> dict:
        sent = f"2026-11-20T{hour}:00:00-06:00"
        body = cap(identifier, sent, msg_type=msg_type, polygon=polygon, references=references)
        return receive_cap(ReceiveCap(body, "application/cap+xml", "cp"), uow(west))[0]

    # Expired before the east half came: the incident still shows its whole last exposure.
    expiring = received("exp-1", LARGE)
    expire_due(uow(), datetime(2100, 1, 1, tzinfo=UTC))
    match_unfinished(lambda **kw: uow(east, **kw))
    with uow() as reading:
        shown = reading.alerts.incident(expiring["id"])
    assert shown["state"] == "expired" and shown["exposure_summary"]["partitions_matched"] == 6

    # Updated before the east half of version 1 came: version 2's exposure is what it shows.
    first = received("upd-1", LARGE)
    second = received(
        "upd-2",
        SMALL,
        msg_type="Update",
        references=("copeco.gob.hn,upd-1,2026-11-20T10:00:00-06:00",),
        hour=11,
    )
    assert second["id"] == first["id"] and second["version"] == 2
    match_unfinished(lambda **kw: uow(east, **kw))
    with uow() as reading:
        shown = reading.alerts.incident(first["id"])["exposure_summary"]
    small = receive_cap(
        ReceiveCap(cap("small-1", "2026-11-20T10:00:00-06:00", polygon=SMALL), "application/cap+xml", "cp"),
        uow(),
    )[0]
    assert shown == small["exposure"]

    # An update without areas, then the expiry, before the east half of version 1 came: version
    # 1's exposure is not shown again.
    third = received("none-1", LARGE)
    no_areas = cap(
        "none-2",
        "2026-11-20T11:00:00-06:00",
        msg_type="Update",
        polygon=LARGE,
        references=("copeco.gob.hn,none-1,2026-11-20T10:00:00-06:00",),
    )
    no_areas = no_areas.replace(b"<area><areaDesc>Costa de Choluteca</areaDesc><polygon>", b"<!--").replace(
        b"</polygon></area>", b"-->"
    )
    receive_cap(ReceiveCap(no_areas, "application/cap+xml", "cp"), uow(west))
    expire_due(uow(), datetime(2100, 1, 1, tzinfo=UTC))
    match_unfinished(lambda **kw: uow(east, **kw))
    with uow() as reading:
        shown = reading.alerts.incident(third["id"])
    assert shown["state"] == "expired" and shown["version"] == 3 and shown["exposure_summary"] is None


def test_households_stored_without_their_partition_are_matched_where_their_key_belongs(alerts):
    """Rows from before partitions were stored (or filled in by hand) carry none: each is read as
    the registry's producer would have placed it, by one instance or by the instance owning it."""
    from sqlalchemy import update

    from services.alerts.adapters.orm import household_locations

    uow = units_of_work(alerts)
    whole_before = receive_cap(
        ReceiveCap(cap("key-0", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(),
    )[0]["exposure"]
    with alerts.runtime.session_factory.begin() as session:
        session.execute(update(household_locations).values(partition=None))
    whole = receive_cap(
        ReceiveCap(cap("key-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(),
    )[0]["exposure"]
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})
    halves = receive_cap(
        ReceiveCap(cap("key-2", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(west),
    )[0]
    match_unfinished(lambda **kw: uow(east, **kw))
    with uow() as reading:
        together = reading.alerts.incident(halves["id"])["exposure_summary"]
    assert whole == whole_before == together and whole["households"] > 0


class ShrinkingAssignment(PartitionAssignment):
    """The group takes partitions 3–5 away the moment after they were first read: a rebalance at
    the worst time, which no broker can be told to do on cue."""

    def __init__(self) -> None:
        super().__init__()
        self.update({HOUSEHOLDS.name: frozenset(range(6))}, {HOUSEHOLDS.name: HOUSEHOLDS.partitions})
        self.reads = 0

    def of(self, topic: str) -> Owned | None:
        self.reads += 1
        if self.reads == 2:
            self.update({HOUSEHOLDS.name: frozenset({0, 1, 2})}, {HOUSEHOLDS.name: HOUSEHOLDS.partitions})
        return super().of(topic)


def test_a_rebalance_while_matching_never_claims_a_partition_without_its_households(alerts):
    uow = units_of_work(alerts)
    whole = receive_cap(
        ReceiveCap(cap("rb-0", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(),
    )[0]["exposure"]
    shrinking = Indexing(instance="alerts-shrinking", assignment=ShrinkingAssignment(), whole=False)
    incident = receive_cap(
        ReceiveCap(cap("rb-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(shrinking),
    )[0]
    # What it claimed, it matched against those partitions' households.
    assert incident["exposure"] == whole


def test_households_beyond_the_declared_partitions_stop_the_matching_rather_than_go_missing(alerts, caplog):
    from sqlalchemy import update

    from services.alerts.adapters.orm import household_locations

    uow = units_of_work(alerts)
    with alerts.runtime.session_factory.begin() as session:
        session.execute(
            update(household_locations)
            .where(household_locations.c.partition == 1)
            .values(partition=HOUSEHOLDS.partitions + 1)
        )
    incident = receive_cap(
        ReceiveCap(cap("far-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(),
    )[0]
    assert incident["exposure"] is None  # stored, not matched: nobody left out silently
    assert f"beyond the {HOUSEHOLDS.partitions} declared" in caplog.text
    # Nor by instances that index only their own partitions (none of them holds the ones beyond).
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})
    halves = receive_cap(
        ReceiveCap(cap("far-2", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(west),
    )[0]
    assert match_unfinished(lambda **kw: uow(east, **kw)) == 0
    assert halves["exposure"] is None


def test_every_part_is_matched_against_the_areas_as_they_were_when_the_alert_came(alerts):
    from services.alerts.service_layer.alerts import load_layer
    from tests.integration.test_alerts_api import GEOCODED

    uow = units_of_work(alerts)
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})
    whole = receive_cap(ReceiveCap(GEOCODED.encode(), "application/cap+xml", "cp"), uow())[0]
    by_west = receive_cap(
        ReceiveCap(GEOCODED.replace("g-1", "g-2").encode(), "application/cap+xml", "cp"), uow(west)
    )[0]
    # An operator replaces the layer before the east half is matched: Choluteca shrinks to a dot.
    dot = {
        "type": "Polygon",
        "coordinates": [[[-87.0, 13.0], [-86.99, 13.0], [-86.99, 13.01], [-87.0, 13.0]]],
    }
    load_layer(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"code": "HN-CH"}, "geometry": dot}],
        },
        "ISO3166-2",
        "code",
        uow(),
    )
    match_unfinished(lambda **kw: uow(east, **kw))
    with uow() as reading:
        together = reading.alerts.incident(by_west["id"])["exposure_summary"]
    assert together == whole["exposure"] and together["households"] > 100


def test_two_instances_receiving_one_incident_at_once_take_its_messages_in_turn(alerts):
    """The same alert sent to two instances at once, then an alert and its update: each message is
    stored once, answered, and numbered in turn (on PostgreSQL the two really run side by side)."""
    from concurrent.futures import ThreadPoolExecutor

    uow = units_of_work(alerts)
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})

    def receive(body: bytes, indexing: Indexing) -> tuple[dict, bool]:
        return receive_cap(ReceiveCap(body, "application/cap+xml", "cp"), uow(indexing))

    with ThreadPoolExecutor(3) as pool:
        for n in range(5):
            alert = cap(f"twice-{n}", "2026-11-20T10:00:00-06:00", polygon=LARGE)
            update = cap(
                f"twice-{n}-u",
                "2026-11-20T11:00:00-06:00",
                msg_type="Update",
                polygon=LARGE,
                references=(f"copeco.gob.hn,twice-{n},2026-11-20T10:00:00-06:00",),
            )
            sent = [(alert, west), (alert, east), (update, east)]
            results = [f.result() for f in [pool.submit(receive, body, indexing) for body, indexing in sent]]
            assert sorted(created for _, created in results[:2]) == [False, True]
            assert results[2][1] and len({incident["id"] for incident, _ in results}) == 1
            assert len(reading_messages(uow, results[2][0]["id"])) == 2


def reading_messages(uow, incident_id: str) -> list:
    with uow() as reading:
        return reading.alerts.messages_of(incident_id)


def test_households_after_the_alert_are_followed_partition_by_partition(alerts):
    """Several instances: a family on a partition not yet matched is found by the matching; one on
    a partition already matched is published as a supplement — never both, never neither."""
    import uuid

    from services.alerts.entrypoints.consumer import apply_household_event
    from shared.contracts.households import HOUSEHOLD_REGISTERED
    from shared.events import CloudEvent
    from shared.kafka import partition_of

    uow = units_of_work(alerts)
    west, east = instance("alerts-west", {0, 1, 2}), instance("alerts-east", {3, 4, 5})
    incident = receive_cap(
        ReceiveCap(cap("after-1", "2026-11-20T10:00:00-06:00", polygon=LARGE), "application/cap+xml", "cp"),
        uow(west),
    )[0]

    def household_on(partitions: set[int]) -> str:
        while (found := str(uuid.uuid4())) and partition_of(found, HOUSEHOLDS.partitions) not in partitions:
            pass
        return found

    def register(household_id: str) -> None:
        data = {
            "household_id": household_id,
            "version": 1,
            "status": "active",
            "admin_code": "HN-CH-0601",
            "size": 2,
            "location": {"lat": 13.3, "lon": -87.2, "accuracy_m": 5.0, "source": "gps"},
        }
        with alerts.runtime.session_factory.begin() as session:
            apply_household_event(
                session, CloudEvent(type=HOUSEHOLD_REGISTERED, source="/t", subject=household_id, data=data)
            )

    early, late = household_on({3, 4, 5}), household_on({0, 1, 2})
    register(early)  # its partition is the east instance's, not matched yet
    _, published = exposure_parts(alerts, incident["id"])
    assert early not in published
    assert match_unfinished(lambda **kw: uow(east, **kw)) == 3
    register(late)  # its partition was matched by the west instance: a supplement
    parts, published = exposure_parts(alerts, incident["id"])
    assert published.count(early) == 1 and published.count(late) == 1
    assert [p.get("supplement") is not None for p in parts] == [False, False, True]
