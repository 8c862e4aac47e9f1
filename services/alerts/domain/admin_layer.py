"""The admin-boundary reference layer: CAP geocodes resolved to places, and a check that an area
lies where alerts are expected (which catches coordinates written lon,lat)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import shapely
import shapely.errors
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from services.alerts.domain.cap import CapError
from shared.errors import FieldProblem


@dataclass(frozen=True)
class AdminLayer:
    """Areas of one code scheme (``ISO3166-2``, a national scheme…), by code."""

    scheme: str
    areas: Mapping[str, BaseGeometry]

    def resolve(self, codes: Iterable[str]) -> tuple[list[tuple[str, BaseGeometry]], list[str]]:
        """The shapes of ``codes``, and the codes that match nothing."""
        found, missing = [], []
        for code in codes:
            shape = self.areas.get(code.strip().upper())
            if shape is None:
                missing.append(code)
            else:
                found.append((code.strip().upper(), shape))
        return found, missing

    def check_placement(self, shape: BaseGeometry, where: str, warnings: list[str]) -> None:
        """Refuse a shape that lies outside every area when its lat/lon-swapped mirror lies inside one.

        :raise CapError: naming the area, when the coordinates look swapped.
        """
        if not self.areas:
            return
        union = shapely.union_all(list(self.areas.values()))
        if shapely.intersects(union, shape):
            return
        mirrored = shapely.transform(shape, lambda coords: coords[:, ::-1])
        if shapely.intersects(union, mirrored):
            raise CapError(
                f"{where}: the area falls outside every served area, but with latitude and longitude "
                "swapped it falls inside one; CAP writes lat,lon",
                errors=[FieldProblem(where, "coordinates look swapped (lon,lat)")],
            )
        warnings.append(f"{where}: the area lies outside every area of the {self.scheme} reference layer")


def layer_from_geojson(document: Mapping, scheme: str, code_property: str) -> tuple[AdminLayer, list[str]]:
    """Build a layer from a GeoJSON FeatureCollection; returns it and the problems per feature.

    :raise ValueError: not a FeatureCollection, or no feature carries ``code_property``.
    """
    if document.get("type") != "FeatureCollection":
        raise ValueError("expected a GeoJSON FeatureCollection")
    areas: dict[str, BaseGeometry] = {}
    problems = []
    for n, feature in enumerate(document.get("features") or []):
        code = str((feature.get("properties") or {}).get(code_property) or "").strip().upper()
        if not code:
            problems.append(f"feature {n}: no {code_property!r} property")
            continue
        try:
            shape = shapely.geometry.shape(feature.get("geometry"))
        except (AttributeError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            problems.append(f"feature {n} ({code}): not a geometry: {exc}")
            continue
        if shape.geom_type not in ("Polygon", "MultiPolygon"):
            problems.append(f"feature {n} ({code}): a {shape.geom_type}, not an area")
            continue
        if not shape.is_valid:
            shape = shapely.make_valid(shape)
        areas[code] = shapely.union(areas[code], shape) if code in areas else shape
    if not areas:
        raise ValueError(f"no feature has a {code_property!r} property with a polygon")
    return AdminLayer(scheme, areas), problems
