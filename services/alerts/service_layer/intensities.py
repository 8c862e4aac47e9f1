"""What a hazard footprint says at each home: its intensity, from a raster or from vector features."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from services.alerts.adapters.footprint_files import read_raster, sample_raster
from services.alerts.adapters.vector_files import VECTOR_FILE_TYPES, read_feature_collection
from services.alerts.domain.footprints import FootprintError
from services.alerts.domain.geometry import geojson_shapes
from services.alerts.domain.matching import LocationIndex
from shared.errors import FieldProblem

RASTER_TYPES = ("image/tiff", "image/geotiff", "application/octet-stream", "application/gzip")


@dataclass(frozen=True)
class FootprintSource:
    """A hazard footprint as uploaded: a raster, or vector features with an intensity each."""

    raw: bytes
    content_type: str
    intensity_property: str = "intensity"
    crs: str | None = None


def intensities(
    footprint: FootprintSource, columns: dict[str, np.ndarray], index: LocationIndex | None = None
) -> tuple[np.ndarray, str | None, str, dict[str, Any] | None]:
    """Intensity at every household (NaN where the footprint says nothing), the CRS, the kind of
    source, and for a vector footprint its features as WGS 84 GeoJSON."""
    if footprint.content_type in RASTER_TYPES:
        values, crs = sample_raster(footprint.raw, columns["lon"], columns["lat"], footprint.crs)
        return values, crs, "raster", None
    if footprint.content_type in VECTOR_FILE_TYPES:
        document: Any = read_feature_collection(footprint.raw, footprint.content_type)
    else:
        try:
            document = json.loads(footprint.raw)
        except (ValueError, RecursionError) as exc:
            raise FootprintError(f"not JSON: {exc}", errors=[FieldProblem("/", "not JSON")]) from exc
    features = document.get("features") if isinstance(document, dict) else None
    if not isinstance(features, list):
        raise FootprintError(
            "a vector footprint is a GeoJSON FeatureCollection",
            errors=[FieldProblem("/", "not a FeatureCollection")],
        )
    values = np.full(len(columns["lon"]), np.nan)
    index = index or LocationIndex(columns["lon"], columns["lat"])
    for n, feature in enumerate(features):
        intensity = (feature.get("properties") or {}).get(footprint.intensity_property)
        if not isinstance(intensity, int | float):
            raise FootprintError(
                f"feature {n} has no numeric {footprint.intensity_property!r}",
                errors=[
                    FieldProblem(
                        f"/features/{n}/properties/{footprint.intensity_property}", "missing or not a number"
                    )
                ],
            )
        for shape in geojson_shapes(json.dumps(feature).encode(), []):
            hit = index.match(shape.geometry).positions
            values[hit] = np.fmax(values[hit], float(intensity))
    # Vector layers are read (and reprojected) to WGS 84. Maps read each feature's intensity
    # under one name, whatever the file called it.
    kept = [
        {
            **f,
            "properties": {
                **(f.get("properties") or {}),
                "intensity": f["properties"][footprint.intensity_property],
            },
        }
        for f in features
    ]
    return values, "EPSG:4326", "vector", {"type": "FeatureCollection", "features": kept}


def raster_extent(footprint: FootprintSource) -> tuple[float, float, float, float] | None:
    """A raster footprint's extent in WGS 84 (west, south, east, north); ``None`` for features."""
    if footprint.content_type not in RASTER_TYPES:
        return None
    return read_raster(footprint.raw, footprint.crs).extent()
