from datetime import UTC, datetime

import pytest

from services.registry.domain.errors import InvalidHousehold, OutsideJurisdiction
from services.registry.domain.model import Location, public_snapshot, register_household

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def register(**overrides):
    values = dict(
        admin_code="HN-CH",
        size=4,
        location=Location(13.3, -87.19, 5.0),
        registered_by="ana",
        registered_at=NOW,
        jurisdiction_covers=lambda code: code.startswith("HN"),
    )
    values.update(overrides)
    return register_household(**values)


def test_new_household_is_active_at_version_1():
    household = register()
    assert household.version == 1 and household.status == "active"
    assert len(household.id) == 36


def test_snapshot_carries_no_personal_data():
    snapshot = public_snapshot(register())
    assert set(snapshot) == {"household_id", "version", "status", "admin_code", "size", "location"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"size": 0}, "size"),
        ({"size": True}, "size"),
        ({"admin_code": "Choluteca"}, "admin_code"),
        ({"household_id": "not-a-uuid"}, "id"),
    ],
)
def test_bad_fields_are_named(overrides, field):
    with pytest.raises(InvalidHousehold) as caught:
        register(**overrides)
    assert field in caught.value.problems


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(91, 0, "location.lat"), (0, -181, "location.lon"), (float("nan"), 0, "location.lat")],
)
def test_impossible_coordinates_are_named(lat, lon, field):
    with pytest.raises(InvalidHousehold) as caught:
        Location(lat, lon)
    assert field in caught.value.problems
    assert caught.value.errors[0].pointer == "/" + field.replace(".", "/")


def test_outside_jurisdiction_refused():
    with pytest.raises(OutsideJurisdiction, match="HN-CH"):
        register(jurisdiction_covers=lambda code: code == "HN-CR")
