"""The location index gives exactly the households a plain covers test on every point gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.domain import matching
from services.alerts.domain.cap import Circle
from services.alerts.domain.geometry import circle_shape, geodesic_circle, message_shapes
from services.alerts.domain.matching import LocationIndex

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
REAL = [
    "mexico.xml",
    "noaa_hurricane_laura_2020.xml",
    "ph.cap",
    "iceland_met_office.cap",
    "canada.cap",
    "gdacs_tc_antimeridian.xml",
]


def real_shapes():
    for name in REAL:
        for shape in message_shapes(parse_cap_xml((DATA / name).read_bytes()), []):
            yield pytest.param(shape.geometry, id=f"{name}:{shape.info}:{shape.area}")


def population(shape, count=200_000, seed=5):
    """Households around the shape's bounding box, many on a few exact vertices and edges."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shape.bounds
    pad_x, pad_y = (maxx - minx) * 0.2 + 0.01, (maxy - miny) * 0.2 + 0.01
    lon = rng.uniform(max(minx - pad_x, -180), min(maxx + pad_x, 180), count)
    lat = rng.uniform(max(miny - pad_y, -90), min(maxy + pad_y, 90), count)
    vertices = shapely.get_coordinates(shape.boundary)
    pick = rng.integers(0, len(vertices), 200)
    lon[:200], lat[:200] = vertices[pick, 0], vertices[pick, 1]  # exactly on the edge
    lon[200:210] = np.nan  # households without coordinates never match
    return lon, lat


@pytest.mark.parametrize("leaf", [1, matching.LEAF_HOUSEHOLDS])
@pytest.mark.parametrize("shape", list(real_shapes()))
def test_matches_equal_a_plain_covers_test_on_every_point(shape, leaf, monkeypatch):
    # With leaves of one household, nodes on the edge are split down to the deepest level.
    monkeypatch.setattr(matching, "LEAF_HOUSEHOLDS", leaf)
    lon, lat = population(shape)
    index = LocationIndex(lon, lat)
    found = np.sort(index.match(shape).positions)
    located = np.isfinite(lon)
    oracle = np.flatnonzero(located & shapely.covers(shape, shapely.points(np.nan_to_num(lon), lat)))
    assert np.array_equal(found, oracle)
    assert len(found) > 0


def test_edge_flags_use_each_locations_accuracy():
    area = shapely.box(-87.5, 13.0, -87.0, 13.5)
    lon = np.array([-87.25, -87.0001, -87.0001, -86.9])
    lat = np.array([13.25, 13.25, 13.25, 13.25])
    accuracy = np.array([5.0, 50.0, 1.0, 50.0])
    exposure = LocationIndex(lon, lat, accuracy).match(area)
    flagged = dict(zip(exposure.positions.tolist(), exposure.near_edge.tolist(), strict=True))
    assert flagged == {0: False, 1: True, 2: False}


def test_a_geodesic_circle_matches_by_distance():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(-87.6, -86.8, 50_000), rng.uniform(12.9, 13.7, 50_000)
    circle = circle_shape(geodesic_circle(Circle(13.3, -87.19, 20.0), "/c", []))
    found = set(LocationIndex(lon, lat).match(circle).positions.tolist())
    from pyproj import Geod

    _, _, metres = Geod(ellps="WGS84").inv(np.full(len(lon), -87.19), np.full(len(lon), 13.3), lon, lat)
    clearly_in = set(np.flatnonzero(metres < 19_950).tolist())
    clearly_out = set(np.flatnonzero(metres > 20_050).tolist())
    assert clearly_in <= found and not (clearly_out & found)


def test_an_empty_index_or_shape_matches_nothing():
    assert len(LocationIndex(np.array([]), np.array([])).match(shapely.box(0, 0, 1, 1)).positions) == 0
    assert len(LocationIndex(np.array([0.5]), np.array([0.5])).match(shapely.Polygon()).positions) == 0


def test_a_polygons_match_is_kept_with_the_index_and_the_least_used_dropped(monkeypatch):
    rng = np.random.default_rng(4)
    lon, lat = rng.uniform(-88, -86, 20_000), rng.uniform(13, 15, 20_000)
    index = LocationIndex(lon, lat)
    west, east = shapely.box(-88, 13, -87, 15), shapely.box(-87, 13, -86, 15)
    first = index.match(west)
    again = index.match(shapely.from_wkb(west.wkb))  # the same polygon, another object
    assert again is first and not first.positions.flags.writeable
    assert np.array_equal(np.sort(first.positions), np.flatnonzero(lon <= -87))
    # Room for one match only: the other polygon's pushes the first out; it is matched again.
    monkeypatch.setattr(matching, "KEPT_HOUSEHOLDS", len(first.positions) + 100)
    other = index.match(east)
    assert index.match(east) is other
    anew = index.match(west)
    assert anew is not first and np.array_equal(anew.positions, first.positions)
    # Another index keeps its own.
    assert LocationIndex(lon[:100], lat[:100]).match(west) is not first


def test_a_small_area_still_flags_a_household_within_its_accuracy_of_the_edge():
    # 540 m from the edge of a 1 km box, located to within 1 km: near the edge.
    exposure = LocationIndex(np.array([-87.195]), np.array([14.005]), np.array([1000.0])).match(
        shapely.box(-87.2, 14.0, -87.19, 14.01)
    )
    assert exposure.positions.tolist() == [0] and exposure.near_edge.tolist() == [True]


def test_an_area_reaching_the_antimeridian_or_a_pole_counts_each_household_once():
    lon, lat = np.array([179.9, 179.5, 179.9]), np.array([-17.0, -17.2, 89.9])
    index = LocationIndex(lon, lat)
    assert sorted(index.match(shapely.box(170, -20, 180, -10)).positions.tolist()) == [0, 1]
    assert sorted(index.match(shapely.box(-180, -90, 180, 90)).positions.tolist()) == [0, 1, 2]
