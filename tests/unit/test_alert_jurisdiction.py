"""Where a civil-protection officer may alert, on tiny hand-built boundaries (degrees, WGS 84)."""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import box

from services.alerts.domain.admin_layer import AdminLayer
from services.alerts.domain.geometry import AreaShape
from services.alerts.domain.jurisdiction import OutsideJurisdiction, check_within

# Two neighbouring provinces of one country and a province of the next country, side by side.
LAYERS = {
    "ISO3166-2": AdminLayer(
        "ISO3166-2",
        {"AA-01": box(0, 0, 1, 1), "AA-02": box(1, 0, 2, 1), "BB-01": box(2, 0, 3, 1)},
    )
}


def drawn(geometry, area=0):
    return AreaShape(0, area, f"area {area}", geometry)


def test_an_officer_alerts_anywhere_inside_their_jurisdiction():
    check_within([drawn(box(0.1, 0.1, 1.9, 0.9))], LAYERS, ("AA",), "this alert")
    check_within([drawn(box(0.1, 0.1, 0.9, 0.9))], LAYERS, ("AA-01",), "this alert")
    check_within([AreaShape(0, 0, "by code", box(0, 0, 1, 1), ("AA-01",))], LAYERS, ("AA",), "this alert")


def test_a_drawing_may_stray_a_little_over_a_border_but_not_cover_the_neighbour():
    # 0.005° over the AA-01/AA-02 border on a 1° × 0.8° area: well under 1 % of either.
    check_within([drawn(box(0.1, 0.1, 1.005, 0.9))], LAYERS, ("AA-01",), "this alert")
    with pytest.raises(OutsideJurisdiction) as refused:
        check_within([drawn(box(0.1, 0.1, 1.5, 0.9))], LAYERS, ("AA-01",), "this alert")
    [problem] = refused.value.errors
    assert (problem.pointer, problem.detail) == ("/info/0/area/0", "'area 0' covers AA-02")


def test_every_area_outside_is_named_and_areas_given_by_code_are_judged_by_their_codes():
    shapes = [
        drawn(box(0.2, 0.2, 0.8, 0.8), 0),
        drawn(box(2.2, 0.2, 2.8, 0.8), 1),
        AreaShape(0, 2, "by code", box(2, 0, 3, 1), ("BB-01",)),
    ]
    with pytest.raises(OutsideJurisdiction) as refused:
        check_within(shapes, LAYERS, ("AA",), "this update")
    assert "this update is refused: 2 area(s)" in str(refused.value)
    assert [p.pointer for p in refused.value.errors] == ["/info/0/area/1", "/info/0/area/2"]
    assert refused.value.errors[1].detail == "'by code' names BB-01"


def test_open_sea_holds_nobody_and_everywhere_covers_everything():
    check_within([drawn(box(5, 5, 6, 6))], LAYERS, ("AA",), "this alert")
    check_within([drawn(box(0, 0, 3, 1))], LAYERS, ("*",), "this alert")


# Reference layers drawn with overlapping borders (the bundled one is buffered about 10 km).
BUFFERED = {"ISO3166-2": AdminLayer("ISO3166-2", {"AA-01": box(0, 0, 1.1, 1), "BB-01": box(0.9, 0, 2, 1)})}


def test_an_area_on_ones_own_side_of_an_overlapping_border_is_ones_own():
    # The whole of AA-01 as drawn, reaching into BB-01's buffered border band but not past AA-01.
    check_within([drawn(box(0.05, 0.05, 1.05, 0.95))], BUFFERED, ("AA",), "this alert")
    with pytest.raises(OutsideJurisdiction):
        check_within([drawn(box(0.05, 0.05, 1.5, 0.95))], BUFFERED, ("AA",), "this alert")


def test_many_small_strays_add_up_to_covering_the_neighbour():
    # Each area is all of AA-01 plus a strip of AA-02 under 1 % of itself; together they cover AA-02.
    def area(n):
        return drawn(shapely.union(box(0, 0, 1, 1), box(1, n / 200, 2, (n + 1) / 200)), n)

    check_within([area(0)], LAYERS, ("AA-01",), "this alert")
    with pytest.raises(OutsideJurisdiction) as refused:
        check_within([area(n) for n in range(200)], LAYERS, ("AA-01",), "this alert")
    assert len(refused.value.errors) == 200 and "covers AA-02" in refused.value.errors[0].detail


def test_an_area_given_by_geocode_never_reaches_the_next_countrys_families():
    import numpy as np

    from services.alerts.service_layer.exposures import compute_exposure
    from shared.contracts.household_groups import EXPOSURE_GROUPS

    # AA-01 as a buffered layer draws it reaches into BB-01: a family there is not AA-01's.
    area = AreaShape(0, 0, "AA-01 by code", box(0, 0, 1.1, 1), ("AA-01",))
    columns = {
        "lon": np.array([0.5, 1.05]),
        "lat": np.array([0.5, 0.5]),
        "accuracy_m": np.array([5.0, 5.0]),
        "admin_code": np.array(["AA-01", "BB-01"], dtype=object),
        "size": np.array([3, 4]),
        **{g: np.zeros(2, dtype=np.int64) for g in EXPOSURE_GROUPS},
    }
    assert compute_exposure(columns, [area])["positions"].tolist() == [0]
