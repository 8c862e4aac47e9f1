"""The alerts service keeps its household index between alerts, and never uses a stale one."""

from __future__ import annotations

import uuid

import pytest
import shapely

from services.alerts.adapters.locations import LocationCache
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
