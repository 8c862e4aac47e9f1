"""Hazard footprints: intensity at every home, bands from thresholds, exposure by band."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from services.alerts.adapters.footprint_files import sample_raster
from services.alerts.adapters.repository import LOCATIONS
from services.alerts.adapters.vector_files import VECTOR_FILE_TYPES, read_feature_collection
from services.alerts.domain import incidents as rules
from services.alerts.domain.footprints import KINDS, Bands, FootprintError, band_summary
from services.alerts.domain.geometry import geojson_shapes
from services.alerts.domain.matching import LocationIndex
from services.alerts.service_layer.alerts import GROUPS, AlertsUnitOfWork, IncidentNotFound, exposure_events
from shared.audit import AuditEntry
from shared.errors import FieldProblem, NotFound
from shared.kafka import EXPOSURES


class FootprintNotFound(NotFound):
    pass


RASTER_TYPES = ("image/tiff", "image/geotiff", "application/octet-stream", "application/gzip")


@dataclass(frozen=True)
class NewFootprint:
    raw: bytes
    content_type: str
    kind: str
    thresholds: Sequence[Mapping[str, Any]]
    created_by: str
    incident_id: str | None = None
    intensity_property: str = "intensity"
    crs: str | None = None


def intensities(
    footprint: NewFootprint, columns: dict[str, np.ndarray], index: LocationIndex | None = None
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


def footprints_of(incident_id: str, uow: AlertsUnitOfWork) -> list[dict[str, Any]]:
    """An incident's footprints with their exposure by band (geometry apart, see below).

    :raise IncidentNotFound: unknown incident.
    """
    with uow:
        if uow.alerts.incident(incident_id) is None:
            raise IncidentNotFound(f"no alert {incident_id}")
        rows = uow.alerts.footprints_of(incident_id)
    return [
        {
            "id": r["id"],
            "incident_id": r["incident_id"],
            "kind": r["kind"],
            "units": r["units"],
            "source_format": r["source_format"],
            "crs": r["crs"],
            "thresholds": r["thresholds"],
            "exposure": r["summary"],
        }
        for r in rows
    ]


def footprint_geometry(footprint_id: str, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """A vector footprint's features as GeoJSON; a raster's is an empty collection.

    :raise FootprintNotFound: unknown footprint.
    """
    with uow:
        found, geometry = uow.alerts.footprint_geometry(footprint_id)
    if not found:
        raise FootprintNotFound(f"no footprint {footprint_id}")
    return geometry or {"type": "FeatureCollection", "features": []}


def apply_footprint(footprint: NewFootprint, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """Compute and store a footprint's exposure by band; publish it when linked to an incident.

    :raise FootprintError: unknown kind, bad thresholds, unreadable file or a raster without CRS.
    """
    if footprint.kind not in KINDS:
        raise FootprintError(
            f"unknown kind {footprint.kind!r}; one of {', '.join(KINDS)}",
            errors=[FieldProblem("/query/kind", "unknown")],
        )
    bands = Bands.from_thresholds(footprint.thresholds)
    with uow:
        incident = uow.alerts.incident(footprint.incident_id) if footprint.incident_id else None
        if footprint.incident_id and incident is None:
            raise IncidentNotFound(f"no alert {footprint.incident_id}")
        columns, index = LOCATIONS.get(uow.session)
        values, crs, source, document = intensities(footprint, columns, index)
        band_index = bands.classify(values)
        exposed = np.flatnonzero(band_index >= 0)
        summary = rules.exposure_summary(
            columns["admin_code"][exposed],
            columns["size"][exposed],
            {g: columns[g][exposed] for g in GROUPS},
            np.zeros(len(exposed), bool),
        )
        summary["by_band"] = band_summary(bands, band_index[exposed], columns["size"][exposed])
        footprint_id = str(uuid.uuid4())
        uow.alerts.add_footprint(
            {
                "id": footprint_id,
                "incident_id": footprint.incident_id,
                "kind": footprint.kind,
                "units": KINDS[footprint.kind],
                "thresholds": [dict(t) for t in footprint.thresholds],
                "source_format": source,
                "crs": crs,
                "summary": summary,
                "created_at": datetime.now(UTC),
                "created_by": footprint.created_by,
                "geometry": document if source == "vector" else None,
            }
        )
        subject = footprint.incident_id or footprint_id
        households = [
            {"household_id": h, "intensity": round(float(v), 3), "band": bands.names[b]}
            for h, v, b in zip(
                columns["household_id"][exposed].tolist(),
                values[exposed].tolist(),
                band_index[exposed].tolist(),
                strict=True,
            )
        ]
        header = {"incident_id": footprint.incident_id, "footprint_id": footprint_id, "kind": footprint.kind}
        if incident is not None:
            # The alert as it stood when the footprint was matched: decided against no older one.
            header["alert_version"] = incident["version"]
        totals = {"households": summary["households"], "people": summary["people"]}
        for event in exposure_events(subject, header, households, totals):
            uow.publish(EXPOSURES.name, event)
        uow.record(
            AuditEntry(
                by=footprint.created_by,
                action="footprint_uploaded",
                subject_type="footprint",
                subject_id=footprint_id,
                comment=f"{footprint.kind} ({source}) for alert {footprint.incident_id or '(none)'}: "
                f"{summary['households']} households exposed",
            )
        )
    return {
        "id": footprint_id,
        "incident_id": footprint.incident_id,
        "kind": footprint.kind,
        "units": KINDS[footprint.kind],
        "source_format": source,
        "crs": crs,
        "exposure": summary,
    }
