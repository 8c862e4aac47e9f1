"""CAP as agencies really send it: what bends the schema with a clear meaning is read, with a
warning naming the place and the repair; an unusable area is left out, not the whole alert."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
import shapely

from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.domain.cap import CapError
from services.alerts.domain.geometry import message_shapes

DATA = Path(__file__).resolve().parents[1] / "data" / "cap"

MESSAGE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>repairs-1</identifier><sender>copeco.gob.hn</sender><sent>2026-11-20T10:00:00-06:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    {areas}
  </info>
</alert>"""
CHOLUTECA = "13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30"
#: A "polygon" of two distinct points, as some feeds send.
LINE = "<area><areaDesc>Linea</areaDesc><polygon>13.0,-87.0 13.1,-87.1 13.1,-87.1 13.0,-87.0</polygon></area>"


def message(*areas: str) -> bytes:
    return MESSAGE.format(areas="".join(areas)).encode()


def test_a_polygon_written_after_its_geocodes_is_read_with_a_warning():
    read = parse_cap_xml(
        message(
            "<area><areaDesc>Costa</areaDesc>"
            "<geocode><valueName>ISO3166-2</valueName><value>HN-CH</value></geocode>"
            f"<polygon>{CHOLUTECA}</polygon></area>"
        )
    )
    assert read.infos[0].areas[0].geocodes == (("ISO3166-2", "HN-CH"),)
    assert len(read.infos[0].areas[0].polygons) == 1
    assert read.warnings == (
        "/alert/info/0/area/0: <polygon> came after <geocode>; the elements were read in the schema's order",
    )


def test_other_schema_violations_are_still_refused_naming_the_element():
    with pytest.raises(CapError) as refused:
        parse_cap_xml(message("<area><polygon>1,2 3,4 5,6 1,2</polygon></area>"))
    assert refused.value.errors[0].pointer.startswith("/alert/info")


def test_a_real_cap_1_1_message_from_a_feed_is_read_as_cap_1_2():
    feed = ElementTree.parse(DATA / "feeds" / "weather.atom").getroot()
    content = feed.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}content")
    alert = ElementTree.tostring(content[0], encoding="utf-8")
    read = parse_cap_xml(alert)
    assert read.identifier.startswith("NOAA-NWS-ALERTS-MT20120830100700")
    assert read.infos[0].event == "Flash Flood Watch" and read.infos[0].severity == "Severe"
    assert "/alert: a CAP 1.1 message; it was read as CAP 1.2" in read.warnings


def test_longitudes_carried_past_the_antimeridian_are_read_the_other_way():
    fiji = "-16.0,179.5 -16.0,-179.6 -17.0,-179.6 -17.0,179.5 -16.0,179.5".replace("-179.6", "180.4")
    warnings: list[str] = []
    [shape] = message_shapes(
        parse_cap_xml(message(f"<area><areaDesc>Fiji</areaDesc><polygon>{fiji}</polygon></area>")), warnings
    )
    assert "2 longitude(s) beyond ±180 (such as 180.4) were read 360° the other way" in warnings[0]
    assert shape.geometry.covers(shapely.Point(-179.8, -16.5)) and shape.geometry.covers(
        shapely.Point(179.8, -16.5)
    )


def test_an_unusable_area_is_left_out_and_the_others_kept():
    warnings: list[str] = []
    read = parse_cap_xml(
        message(
            LINE,
            f"<area><areaDesc>Costa</areaDesc><polygon>{CHOLUTECA}</polygon></area>",
        )
    )
    shapes = message_shapes(read, warnings)
    assert [s.description for s in shapes] == ["Costa"]
    assert warnings == [
        "/info/0/area/0/polygon/0: a polygon needs at least 3 distinct points; "
        "this area was left out, the others are kept"
    ]


def test_a_message_with_no_usable_area_is_refused_naming_each():
    read = parse_cap_xml(message(LINE))
    with pytest.raises(CapError, match="no area of the message can be used") as refused:
        message_shapes(read, [])
    assert [p.pointer for p in refused.value.errors] == ["/info/0/area/0/polygon/0"]


def test_odd_numbers_and_times_are_refused_naming_them_never_a_crash():
    nan_centre = message("<area><areaDesc>Centro</areaDesc><circle>nan,-87 5</circle></area>")
    with pytest.raises(CapError, match="no area of the message can be used"):
        message_shapes(parse_cap_xml(nan_centre), [])
    midnight = MESSAGE.replace("2026-11-20T10:00:00-06:00", "2026-11-20T24:00:00-06:00")
    with pytest.raises(CapError, match="is not a time"):
        parse_cap_xml(
            midnight.format(
                areas=f"<area><areaDesc>x</areaDesc><polygon>{CHOLUTECA}</polygon></area>"
            ).encode()
        )


def test_an_area_whose_drawing_is_unusable_keeps_its_geocodes():
    geocode = "<geocode><valueName>ISO3166-2</valueName><value>HN-CH</value></geocode>"
    line = "<polygon>13.0,-87.0 13.1,-87.1 13.1,-87.1 13.0,-87.0</polygon>"
    warnings: list[str] = []
    read = parse_cap_xml(message(f"<area><areaDesc>Choluteca</areaDesc>{line}{geocode}</area>"))
    assert message_shapes(read, warnings) == []  # not refused: the geocode remains
    assert warnings[-1].endswith("its geocodes are used instead")
