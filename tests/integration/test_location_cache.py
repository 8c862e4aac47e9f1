"""The alerts service keeps its household index between alerts, and never uses a stale one."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import shapely
from sqlalchemy import select, update

from services.alerts.adapters.location_cache import LocationCache
from services.alerts.adapters.orm import household_locations
from services.alerts.entrypoints import app as alerts_app
from services.alerts.entrypoints.consumer import apply_household_event
from shared.contracts.households import HOUSEHOLD_DEACTIVATED, HOUSEHOLD_REGISTERED, HOUSEHOLD_UPDATED
from shared.events import CloudEvent
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration

CHOLUTECA = shapely.box(-87.5, 13.0, -87.0, 13.5)


def snapshot(household_id, version, lat, status="active"):
    return {
        "household_id": household_id,
        "version": version,
        "status": status,
        "admin_code": "HN-CH",
        "size": 3,
        "location": {"lat": lat, "lon": -87.2, "accuracy_m": 5.0, "source": "gps"},
    }


def test_the_index_is_kept_until_the_projection_changes_in_any_way(tmp_path, broker, database_url):
    _, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    cache = LocationCache()

    def apply(kind, data):
        with runtime.session_factory.begin() as session:
            assert apply_household_event(session, CloudEvent(type=kind, source="/t", subject="x", data=data))

    def inside():
        with runtime.session_factory() as session:
            columns, index = cache.get(session)
        return set(columns["household_id"][index.match(CHOLUTECA).positions].tolist())

    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    apply(HOUSEHOLD_REGISTERED, snapshot(first, 1, 13.3))
    assert inside() == {first}
    with runtime.session_factory() as session:
        kept = cache.get(session)
        assert cache.get(session) is kept  # nothing changed: the same index
    apply(HOUSEHOLD_REGISTERED, snapshot(second, 1, 13.4))
    assert inside() == {first, second}
    apply(HOUSEHOLD_UPDATED, snapshot(first, 2, 14.9))  # moved north, out of the area
    assert inside() == {second}
    apply(HOUSEHOLD_DEACTIVATED, snapshot(second, 2, 13.4, status="inactive"))
    assert inside() == set()


def test_the_kept_index_catches_up_with_changes_and_agrees_with_a_fresh_reading(
    tmp_path, broker, database_url
):
    """Households registered, moved in and out, deactivated, reactivated and refreshed, in random
    rounds: after each round the kept households are caught up (not read again whole) and the
    area holds exactly the households a plain reading of the table puts in it."""
    _, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    cache = LocationCache()
    rng = random.Random(7)
    held: dict[str, dict] = {}

    def apply_all(changes):
        with runtime.session_factory.begin() as session:
            for kind, data in changes:
                assert apply_household_event(
                    session, CloudEvent(type=kind, source="/t", subject="x", data=data)
                )

    def oracle() -> set[str]:
        with runtime.session_factory() as session:
            rows = session.execute(
                select(
                    household_locations.c.household_id, household_locations.c.lon, household_locations.c.lat
                ).where(household_locations.c.status == "active")
            ).all()
        return {h for h, lon, lat in rows if CHOLUTECA.covers(shapely.Point(lon, lat))}

    def inside() -> set[str]:
        with runtime.session_factory() as session:
            columns, index = cache.get(session)
        return set(columns["household_id"][index.match(CHOLUTECA).positions].tolist())

    def registered(lat: float) -> tuple[str, dict]:
        household_id = str(uuid.uuid4())
        return change(
            household_id,
            **{
                k: v
                for k, v in snapshot(household_id, 0, lat).items()
                if k not in ("version", "household_id")
            },
        )

    def change(household_id: str, **what) -> tuple[str, dict]:
        before = held.get(household_id)
        data = {
            **(before or {}),
            **what,
            "household_id": household_id,
            "version": (before or {"version": 0})["version"] + 1,
        }
        held[household_id] = data
        kind = HOUSEHOLD_REGISTERED if before is None else HOUSEHOLD_UPDATED
        return (HOUSEHOLD_DEACTIVATED if data["status"] == "inactive" else kind), data

    apply_all([registered(rng.uniform(12.8, 13.7)) for _ in range(40)])
    assert inside() == oracle() and cache.reads == {"whole": 1, "caught_up": 0}
    for _ in range(6):
        changes = []
        for household_id in rng.sample(sorted(held), 8):
            if rng.random() < 0.3:
                status = "inactive" if held[household_id]["status"] == "active" else "active"
                changes.append(change(household_id, status=status))
            else:
                location = {"lat": rng.uniform(12.8, 13.7), "lon": -87.2, "accuracy_m": 5.0, "source": "gps"}
                changes.append(change(household_id, location=location))
        changes += [registered(rng.uniform(12.8, 13.7)) for _ in range(3)]
        apply_all(changes)
        assert inside() == oracle()
    assert cache.reads == {"whole": 1, "caught_up": 6}

    # A write that committed long after it stamped its rows is outside the overlap read again:
    # the projection's totals show it, and the households are read again whole.
    late = next(h for h, data in held.items() if data["status"] == "active")
    for lat in (13.25, 14.9):  # moved inside, then out of the area, each committed "late"
        apply_all([change(late, location={"lat": lat, "lon": -87.2, "accuracy_m": 5.0, "source": "gps"})])
        with runtime.session_factory.begin() as session:
            session.execute(
                update(household_locations)
                .where(household_locations.c.household_id == late)
                .values(updated_at=datetime.now(UTC) - timedelta(hours=2))
            )
        assert (late in inside()) == (lat < 13.5) and inside() == oracle()
    assert cache.reads == {"whole": 3, "caught_up": 6}
