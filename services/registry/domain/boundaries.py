"""Second-level areas (municipalities): the codes an operator's boundary layer knows, and whether a
household's place lies in the municipality its code names.

A layer is one country's municipalities, each a polygon in WGS 84 longitude/latitude under a code
of the registry's form (``DO-32-3201``: the ISO 3166-2 first-level area, then the national code).
A point counts as inside a municipality when it lies within ``tolerance_m`` metres of its boundary:
GPS fixes near a border are often a few tens of metres off, and boundary layers are generalised.
Distances are measured on a local equirectangular projection centred on the point (within 0.5 %
over the few kilometres that matter here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
import shapely.errors
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from services.registry.domain.areas import AdminReference
from services.registry.domain.errors import InvalidBoundaries
from shared.errors import FieldProblem

#: Metres per degree of latitude, and of longitude at the equator (WGS 84, rounded).
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LON = 111_320.0
MUNICIPALITY_CODE_LEVELS = 3
MAX_TOLERANCE_M = 5_000.0
NEARBY = 3


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    shape: BaseGeometry


def metres_outside(shape: BaseGeometry, lat: float, lon: float) -> float:
    """How far (metres) the point lies outside ``shape`` (0 inside or on its boundary)."""
    scale = math.cos(math.radians(lat))

    def local(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            (
                (coords[:, 0] - lon) * scale * METRES_PER_DEGREE_LON,
                (coords[:, 1] - lat) * METRES_PER_DEGREE_LAT,
            )
        )

    return float(shapely.distance(shapely.transform(shape, local), shapely.Point(0.0, 0.0)))


@dataclass(frozen=True)
class BoundaryLayer:
    """One country's municipalities, by code."""

    country: str
    municipalities: Mapping[str, Municipality]
    tolerance_m: float
    source: str = ""

    def __post_init__(self) -> None:
        for municipality in self.municipalities.values():
            shapely.prepare(municipality.shape)

    def named(self, code: str) -> str:
        municipality = self.municipalities.get(code)
        return f"{code} ({municipality.name})" if municipality else code

    def containing(self, lat: float, lon: float) -> list[str]:
        """The codes of the municipalities the point lies in (usually one)."""
        return [code for code, m in self.municipalities.items() if shapely.intersects_xy(m.shape, lon, lat)]

    def nearest(self, lat: float, lon: float, count: int = NEARBY) -> list[str]:
        """The codes of the ``count`` municipalities nearest the point, nearest first."""
        distances = sorted(
            (metres_outside(m.shape, lat, lon), code) for code, m in self.municipalities.items()
        )
        return [code for _, code in distances[:count]]

    def problems(self, admin_code: str, lat: float, lon: float) -> dict[str, str]:
        """What is wrong with a code of the second level or below and the point together (empty
        when nothing; codes of the first level are not this layer's to judge)."""
        parts = admin_code.split("-")
        if len(parts) < MUNICIPALITY_CODE_LEVELS:
            return {}
        code = "-".join(parts[:MUNICIPALITY_CODE_LEVELS])
        municipality = self.municipalities.get(code)
        if municipality is None:
            nearby = ", ".join(self.named(c) for c in self.nearest(lat, lon))
            return {
                "admin_code": f"unknown municipality {code}; the known ones nearest ({lat}, {lon}): {nearby}"
            }
        if shapely.intersects_xy(municipality.shape, lon, lat):
            return {}  # inside (the common case, and cheap on a prepared shape)
        outside = metres_outside(municipality.shape, lat, lon)
        if outside <= self.tolerance_m:
            return {}
        inside = self.containing(lat, lon)
        where = (
            f"it lies in {', '.join(self.named(c) for c in inside)}"
            if inside
            else "it lies in no municipality of the layer"
        )
        return {
            "location": f"({lat}, {lon}) lies {outside:,.0f} m outside {self.named(code)} "
            f"(more than the {self.tolerance_m:,.0f} m allowed); {where}"
        }


@dataclass(frozen=True)
class Places:
    """First-level areas with their boxes, and the municipal layers loaded (by country)."""

    reference: AdminReference
    layers: Mapping[str, BoundaryLayer]

    def problems(self, admin_code: str, lat: float, lon: float) -> dict[str, str]:
        """What is wrong with the code and the point: the first level first, then the country's
        municipal layer, if one is loaded (without one, codes below the first level pass as before)."""
        found = self.reference.problems(admin_code, lat, lon)
        layer = self.layers.get(admin_code[:2])
        if found or layer is None:
            return found
        return layer.problems(admin_code, lat, lon)


def layer_from_geojson(
    document: Mapping[str, Any],
    *,
    country: str,
    code_property: str,
    name_property: str,
    tolerance_m: float,
    source: str,
    reference: AdminReference,
) -> BoundaryLayer:
    """One country's municipal layer from a GeoJSON FeatureCollection (WGS 84).

    Every feature must carry a code of the registry's form in ``country`` whose first-level area
    the registry serves, a name, and a polygon lying in that first-level area (which catches
    coordinates written lat,lon); nothing is loaded while any feature is faulty.

    :raise InvalidBoundaries: naming each faulty feature by its JSON pointer.
    """
    problems: list[FieldProblem] = []
    if not 0 <= tolerance_m <= MAX_TOLERANCE_M:
        problems.append(FieldProblem("/tolerance_m", f"give 0 to {MAX_TOLERANCE_M:,.0f} metres"))
    if country not in reference.countries:
        problems.append(FieldProblem("/country", f"country {country} is not served by this registry"))
    if document.get("type") != "FeatureCollection":
        problems.append(FieldProblem("/type", "expected a GeoJSON FeatureCollection"))
    crs = str(((document.get("crs") or {}).get("properties") or {}).get("name") or "")
    if crs and not crs.upper().endswith(("CRS84", "4326")):
        problems.append(FieldProblem("/crs", f"{crs} is not WGS 84 longitude/latitude"))
    if problems:
        listed = "; ".join(f"{p.pointer} {p.detail}" for p in problems)
        raise InvalidBoundaries(f"the boundary layer cannot be loaded: {listed}", errors=problems)
    found: dict[str, Municipality] = {}
    for n, feature in enumerate(document.get("features") or []):
        municipality = _municipality(n, feature, country, code_property, name_property, reference, problems)
        if municipality is not None:
            if municipality.code in found:
                problems.append(FieldProblem(f"/features/{n}", f"{municipality.code} comes twice"))
            found[municipality.code] = municipality
    if not found and not problems:
        problems.append(FieldProblem("/features", "no municipality in the layer"))
    if problems:
        shown = problems[:50]
        raise InvalidBoundaries(
            f"the boundary layer of {country} cannot be loaded: {len(problems)} faulty feature(s)",
            errors=shown,
        )
    return BoundaryLayer(country, found, tolerance_m, source)


def _municipality(
    n: int,
    feature: Any,
    country: str,
    code_property: str,
    name_property: str,
    reference: AdminReference,
    problems: list[FieldProblem],
) -> Municipality | None:
    pointer = f"/features/{n}"
    properties = (feature.get("properties") if isinstance(feature, Mapping) else None) or {}
    code = str(properties.get(code_property) or "").strip().upper()
    name = str(properties.get(name_property) or "").strip()[:200]
    parts = code.split("-")
    if len(parts) != MUNICIPALITY_CODE_LEVELS or parts[0] != country or not all(parts):
        problems.append(
            FieldProblem(
                f"{pointer}/properties/{code_property}",
                f"{code!r} is not a municipality code of {country} such as {country}-01-0101",
            )
        )
        return None
    if not name:
        problems.append(FieldProblem(f"{pointer}/properties/{name_property}", f"{code} has no name"))
    try:
        shape = shapely.geometry.shape(feature.get("geometry"))
    except (AttributeError, TypeError, ValueError, KeyError, IndexError, shapely.errors.GEOSException):
        problems.append(FieldProblem(f"{pointer}/geometry", f"{code}: not a geometry"))
        return None
    if shape.geom_type not in ("Polygon", "MultiPolygon") or shape.is_empty:
        problems.append(FieldProblem(f"{pointer}/geometry", f"{code}: a {shape.geom_type}, not an area"))
        return None
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        problems.append(FieldProblem(f"{pointer}/geometry", f"{code}: coordinates beyond WGS 84's range"))
        return None
    if not shape.is_valid:
        shape = shapely.make_valid(shape)
    inside = shape.representative_point()
    wrong = reference.problems("-".join(parts[:2]), inside.y, inside.x)
    if wrong:
        problems.append(FieldProblem(f"{pointer}/geometry", f"{code}: {' '.join(wrong.values())}"))
        return None
    return Municipality(code, name or code, shape)
