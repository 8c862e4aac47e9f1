"""Every real CAP message in tests/data/cap parses, validates and gives shapes, or fails precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.domain.cap import CapError, Circle, MsgType
from services.alerts.domain.geometry import circle_shape, geodesic_circle, message_shapes, polygon_shape

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"
VALID = [
    "canada.cap",
    "earthquake-iso8859-1.cap",
    "gdacs_tc_antimeridian.xml",
    "iceland_met_office.cap",
    "mexico.xml",
    "noaa_hurricane_laura_2020.xml",
    "ph.cap",
    "taiwan.cap",
]


def read(name: str):
    return parse_cap_xml((DATA / name).read_bytes())


@pytest.mark.parametrize("name", VALID)
def test_every_real_message_parses_and_its_areas_become_valid_shapes(name):
    message = read(name)
    assert message.identifier and message.sender and message.sent.tzinfo is not None
    assert message.infos and all(i.event for i in message.infos)
    warnings: list[str] = []
    for shape in message_shapes(message, warnings):
        assert shape.geometry.is_valid and shape.geometry.area > 0
        minx, miny, maxx, maxy = shape.geometry.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90


def test_the_elements_that_matter_are_read():
    mexico = read("mexico.xml")
    assert mexico.msg_type == MsgType.UPDATE and mexico.status == "Actual" and mexico.may_trigger_transfers
    assert mexico.references[0].identifier == "avisossmn-ciclontropical-4061"
    info = mexico.infos[0]
    assert info.language == "es-419" and info.categories == ("Met",) and info.response_types == ("Execute",)
    assert info.expires is not None and mexico.expires() == info.expires
    laura = read("noaa_hurricane_laura_2020.xml")
    assert len(laura.references) == 8
    assert sum(len(a.polygons) for i in laura.infos for a in i.areas) == 2
    assert any(name == "UGC" for i in laura.infos for a in i.areas for name, _ in a.geocodes)
    canada = read("canada.cap")
    assert {i.language for i in canada.infos} == {"en-CA", "fr-CA"}
    quake = read("earthquake-iso8859-1.cap")
    assert quake.infos[0].areas[0].circles[0].radius_km == 0  # the epicentre, as a point
    warnings: list[str] = []
    assert message_shapes(quake, warnings) == [] and "radius 0 is a point" in warnings[0]
    taiwan = read("taiwan.cap")
    assert all(not a.polygons and a.geocodes for i in taiwan.infos for a in i.areas)


def test_the_antimeridian_polygon_stays_on_the_map_and_keeps_its_size():
    shapes = message_shapes(read("gdacs_tc_antimeridian.xml"), [])
    assert shapes
    for shape in shapes:
        minx, _, maxx, _ = shape.geometry.bounds
        assert maxx - minx < 360 and shape.geometry.area < 5000


def test_hostile_and_broken_messages_fail_with_a_precise_reason():
    with pytest.raises(CapError, match="DTD or entities"):
        read("nws_xee.cap")
    with pytest.raises(CapError, match="not valid CAP 1.2") as invalid:
        read("invalid.cap")
    assert invalid.value.errors[0].pointer.startswith("/alert")
    with pytest.raises(CapError, match="must name the messages it replaces"):
        read("canada_errors.cap")
    billion_laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b"<alert>&lol2;</alert>"
    )
    with pytest.raises(CapError, match="DTD or entities"):
        parse_cap_xml(billion_laughs)
    with pytest.raises(CapError, match="not well-formed"):
        parse_cap_xml(b"<alert><unclosed></alert>")
    with pytest.raises(CapError, match="not a CAP 1.2 alert"):
        parse_cap_xml(b"<alert/>")
    with pytest.raises(CapError, match="over"):
        parse_cap_xml(b" " * (6 * 1024 * 1024))


def test_z_times_are_read_as_utc_with_a_warning():
    raw = (
        (DATA / "mexico.xml")
        .read_bytes()
        .replace(b"2018-10-20T07:15:00-05:00</sent>", b"2018-10-20T12:15:00Z</sent>")
    )
    message = parse_cap_xml(raw)
    assert message.sent.utcoffset().total_seconds() == 0
    assert any("'Z'" in w for w in message.warnings)


def test_polygons_are_repaired_or_refused_with_the_area_named():
    warnings: list[str] = []
    open_ring = polygon_shape(
        ((13.0, -87.5), (13.0, -87.0), (13.5, -87.0), (13.5, -87.5)), "/info/0/area/0/polygon/0", warnings
    )
    assert open_ring.is_valid and "was not closed" in warnings[0]
    bowtie = polygon_shape(
        ((13.0, -87.5), (13.5, -87.0), (13.0, -87.0), (13.5, -87.5), (13.0, -87.5)), "/p", warnings
    )
    assert bowtie.is_valid and bowtie.area > 0 and "repaired" in warnings[1]
    with pytest.raises(CapError, match="look like lon,lat") as swapped:
        polygon_shape(
            ((-117.5, 32.0), (-117.0, 32.0), (-117.0, 32.5), (-117.5, 32.0)), "/info/0/area/2/polygon/0", []
        )
    assert swapped.value.errors[0].pointer == "/info/0/area/2/polygon/0"
    with pytest.raises(CapError, match="at least 3"):
        polygon_shape(((13.0, -87.5), (13.0, -87.0)), "/p", [])


def test_circles_are_geodesic_and_a_bad_radius_is_refused():
    warnings: list[str] = []
    circle = circle_shape(geodesic_circle(Circle(13.3, -87.19, 10.0), "/c", warnings))
    centre = shapely.Point(-87.19, 13.3)
    assert circle.contains(centre) and not circle.contains(shapely.Point(-87.19, 13.3 + 11 / 111))
    assert circle.contains(shapely.Point(-87.19, 13.3 + 9 / 111))
    with pytest.raises(CapError, match="positive"):
        geodesic_circle(Circle(13.3, -87.19, -5), "/c", [])
    assert geodesic_circle(Circle(13.3, -87.19, 0), "/c", warnings) is None
    geodesic_circle(Circle(13.3, -87.19, 2500), "/c", warnings)
    assert "unusually large" in warnings[-1]
