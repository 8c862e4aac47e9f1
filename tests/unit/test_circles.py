"""A CAP circle covers exactly the households within its radius of its centre on the WGS 84
ellipsoid, the rim included — checked against Vincenty's inverse formula, written out here and run
one household at a time (an oracle independent of the matching and of pyproj)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.domain import matching
from services.alerts.domain.geometry import GEOD, circle_shape, message_shapes
from services.alerts.service_layer.exposures import compute_exposure
from shared.contracts.household_groups import EXPOSURE_GROUPS

# The centre of USGS's real circle (tests/data/cap/earthquake-iso8859-1.cap, radius 0 there).
CENTRE_LAT, CENTRE_LON = 12.747, -88.783
A, F = 6_378_137.0, 1 / 298.257223563
B = A * (1 - F)

CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>circle-{radius}</identifier><sender>snet.gob.sv</sender><sent>2026-11-20T10:00:00-06:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Geo</category><event>Sismo</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <area><areaDesc>Alrededor del epicentro</areaDesc><circle>{lat},{lon} {radius}</circle></area>
  </info>
</alert>"""


def vincenty(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance in metres on WGS 84 (Vincenty 1975, inverse), one pair at a time."""
    u1, u2 = (
        math.atan((1 - F) * math.tan(math.radians(lat1))),
        math.atan((1 - F) * math.tan(math.radians(lat2))),
    )
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    sin_u1, cos_u1, sin_u2, cos_u2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    for _ in range(200):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1 - sin_alpha**2
        cos_2sm = cos_sigma - 2 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = F / 16 * cos2_alpha * (4 + F * (4 - 3 * cos2_alpha))
        previous = lam
        lam = big_l + (1 - c) * F * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1 + 2 * cos_2sm**2))
        )
        if abs(lam - previous) < 1e-13:
            break
    u_sq = cos2_alpha * (A**2 - B**2) / B**2
    big_a = 1 + u_sq / 16384 * (4096 + u_sq * (-768 + u_sq * (320 - 175 * u_sq)))
    big_b = u_sq / 1024 * (256 + u_sq * (-128 + u_sq * (74 - 47 * u_sq)))
    delta = (
        big_b
        * sin_sigma
        * (
            cos_2sm
            + big_b
            / 4
            * (
                cos_sigma * (-1 + 2 * cos_2sm**2)
                - big_b / 6 * cos_2sm * (-3 + 4 * sin_sigma**2) * (-3 + 4 * cos_2sm**2)
            )
        )
    )
    return B * big_a * (sigma - delta)


def households_around_the_rim(radius_m: float, count: int = 4_000, seed: int = 11):
    """Households at random bearings, most within 0.3 % of the rim, some exactly on it."""
    rng = np.random.default_rng(seed)
    bearings = rng.uniform(0, 360, count)
    distances = radius_m * (1 + rng.uniform(-0.003, 0.003, count))
    distances[:100] = radius_m  # exactly on the rim
    distances[100:600] = radius_m * rng.uniform(0, 1.2, 500)  # anywhere around
    lon, lat, _ = GEOD.fwd(np.full(count, CENTRE_LON), np.full(count, CENTRE_LAT), bearings, distances)
    return np.asarray(lon), np.asarray(lat)


def columns_of(lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
    count = len(lon)
    return {
        "lon": lon,
        "lat": lat,
        "accuracy_m": np.full(count, 5.0),
        "admin_code": np.full(count, "SV-US", dtype=object),
        "size": np.full(count, 3),
        **{group: np.zeros(count, dtype=np.int64) for group in EXPOSURE_GROUPS},
    }


@pytest.mark.parametrize("leaf", [1, matching.LEAF_HOUSEHOLDS])
@pytest.mark.parametrize("radius_km", [25, 400, 2500])
def test_a_circle_covers_exactly_the_households_within_its_radius_rim_included(radius_km, leaf, monkeypatch):
    # Nodes near the rim split until they hold one household, or as the index would split them.
    monkeypatch.setattr(matching, "LEAF_HOUSEHOLDS", leaf)
    [shape] = message_shapes(
        parse_cap_xml(CAP.format(lat=CENTRE_LAT, lon=CENTRE_LON, radius=radius_km).encode()), []
    )
    lon, lat = households_around_the_rim(radius_km * 1000)
    found = set(compute_exposure(columns_of(lon, lat), [shape])["positions"].tolist())

    metres = np.array([vincenty(CENTRE_LAT, CENTRE_LON, y, x) for x, y in zip(lon, lat, strict=True)])
    on_rim = set(range(100))
    clear = np.abs(metres - radius_km * 1000) > 0.01  # beyond a centimetre of the rim, the oracle decides
    oracle = set(np.flatnonzero(clear & (metres <= radius_km * 1000)).tolist())
    assert on_rim <= found
    assert found - on_rim == oracle - on_rim
    # The polygon the rim used to be drawn as leaves households inside the circle out.
    inscribed = circle_shape(shape.circles[0])
    missed = oracle - set(np.flatnonzero(shapely.intersects_xy(inscribed, lon, lat)).tolist())
    assert missed


def test_a_household_near_the_rim_is_flagged_by_its_distance_to_the_true_rim():
    [shape] = message_shapes(
        parse_cap_xml(CAP.format(lat=CENTRE_LAT, lon=CENTRE_LON, radius=25).encode()), []
    )
    lon, lat, _ = GEOD.fwd([CENTRE_LON] * 3, [CENTRE_LAT] * 3, [0, 90, 180], [24_997.0, 24_990.0, 10_000.0])
    exposure = compute_exposure(columns_of(np.asarray(lon), np.asarray(lat)), [shape])
    # 3 m and 10 m inside the rim, and well inside: located within 5 m, only the first is near it.
    assert exposure["positions"].tolist() == [0, 1, 2]
    assert exposure["near"].tolist() == [True, False, False]


def test_a_circle_beyond_a_hemisphere_is_matched_by_distance_and_said_so():
    warnings: list[str] = []
    [shape] = message_shapes(parse_cap_xml(CAP.format(lat=0, lon=0, radius=15000).encode()), warnings)
    assert "more than a hemisphere" in warnings[0]
    lon = np.array([0.0, 100.0, 179.0, -150.0])
    lat = np.array([0.0, 10.0, 0.0, -60.0])
    found = compute_exposure(columns_of(lon, lat), [shape])["positions"].tolist()
    assert found == [i for i in range(4) if vincenty(0, 0, lat[i], lon[i]) <= 15_000_000]
    assert 0 in found and 2 not in found


def test_a_circle_across_the_antimeridian_covers_both_sides():
    [shape] = message_shapes(parse_cap_xml(CAP.format(lat=-17.0, lon=179.9, radius=50).encode()), [])
    lon, lat = np.array([-179.8, 179.7, 179.0]), np.array([-17.0, -17.0, -17.0])
    found = compute_exposure(columns_of(lon, lat), [shape])["positions"].tolist()
    assert found == [i for i in range(3) if vincenty(-17.0, 179.9, lat[i], lon[i]) <= 50_000]
    assert found == [0, 1]
