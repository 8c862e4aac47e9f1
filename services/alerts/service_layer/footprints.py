"""Hazard footprints: intensity at every home, bands from thresholds, exposure by band."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from services.alerts.domain.errors import FootprintNotFound, IncidentNotFound
from services.alerts.domain.footprints import KINDS, Bands, FootprintError
from services.alerts.domain.geometry import AreaShape
from services.alerts.domain.jurisdiction import (
    EVERYWHERE,
    check_all_within,
    check_visible,
    check_within,
)
from services.alerts.service_layer.exposures import footprint_exposure_key
from services.alerts.service_layer.intensities import FootprintSource, intensities, raster_extent
from services.alerts.service_layer.parts import match_mine, request_exposure
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.audit import AuditEntry
from shared.errors import FieldProblem

#: No household at all: a footprint read against it is only checked.
NO_HOUSEHOLDS = {"lon": np.empty(0), "lat": np.empty(0)}


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
    #: Where the uploader may act: the footprint's alert, and a vector footprint's features, must
    #: lie inside it.
    jurisdiction: tuple[str, ...] = (EVERYWHERE,)


def footprints_of(
    incident_id: str, uow: AlertsUnitOfWork, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> list[dict[str, Any]]:
    """An incident's footprints, oldest first, with their exposure by band (``summary``) and
    without their geometry (see below).

    :raise IncidentNotFound: unknown incident; :raise OutsideJurisdiction: it lies outside
        ``jurisdiction``.
    """
    with uow:
        incident = uow.alerts.incident(incident_id)
        if incident is None:
            raise IncidentNotFound(f"no alert {incident_id}")
        check_visible(_codes_of(uow, incident), jurisdiction, f"alert {incident_id}")
        return uow.alerts.footprints_of(incident_id)


def _codes_of(uow: AlertsUnitOfWork, incident: Mapping[str, Any] | None) -> list[str] | None:
    """The areas an incident's current message reaches (``None``: kept before they were)."""
    if incident is None:
        return None
    current = uow.alerts.message(incident["current_message_id"]) or {"summary": {}}
    codes = current["summary"].get("admin_codes")
    return None if codes is None else list(codes)


def footprint_geometry(
    footprint_id: str, uow: AlertsUnitOfWork, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> dict[str, Any]:
    """A vector footprint's features as GeoJSON; a raster's is an empty collection.

    :raise FootprintNotFound: unknown footprint; :raise OutsideJurisdiction: its alert lies outside
        ``jurisdiction`` (a footprint of no alert is seen by those whose jurisdiction is everywhere).
    """
    with uow:
        found, geometry = uow.alerts.footprint_geometry(footprint_id)
        if not found:
            raise FootprintNotFound(f"no footprint {footprint_id}")
        stored = uow.alerts.footprint(footprint_id) or {}
        incident = uow.alerts.incident(stored["incident_id"]) if stored.get("incident_id") else None
        codes = _codes_of(uow, incident) if incident is not None else []
        check_visible(codes, jurisdiction, f"footprint {footprint_id}")
    return geometry or {"type": "FeatureCollection", "features": []}


def apply_footprint(footprint: NewFootprint, uow: AlertsUnitOfWork) -> dict[str, Any]:
    """Store a footprint and the exposure to match by band; this instance's partitions of it are
    matched now, and published when linked to an incident.

    :return: what was stored, with the exposure matched so far (``exposure``).
    :raise FootprintError: unknown kind, bad thresholds, unreadable file or a raster without CRS.
    :raise IncidentNotFound: it names an alert that does not exist.
    """
    source_format, crs, document = _checked(footprint)
    with uow:
        incident = uow.alerts.incident(footprint.incident_id) if footprint.incident_id else None
        if footprint.incident_id and incident is None:
            raise IncidentNotFound(f"no alert {footprint.incident_id}")
        _check_within(footprint, incident, document, uow)
        footprint_id = str(uuid.uuid4())
        uow.alerts.add_footprint(_stored(footprint_id, footprint, source_format, crs, document))
        key = footprint_exposure_key(footprint_id)
        request_exposure(
            uow,
            key,
            incident_id=footprint.incident_id,
            version=incident["version"] if incident else None,
            footprint_id=footprint_id,
        )
        match_mine(uow, key)
        summary = uow.alerts.footprint_summary(footprint_id)
        uow.record(
            AuditEntry(
                by=footprint.created_by,
                action="footprint_uploaded",
                subject_type="footprint",
                subject_id=footprint_id,
                comment=f"{footprint.kind} ({source_format}) for alert {footprint.incident_id or '(none)'}: "
                f"{summary.get('households', 0)} households exposed in "
                f"{summary.get('partitions_matched', 0)} of {summary.get('partition_count', '?')} partitions "
                "matched at upload",
            )
        )
    return {
        "id": footprint_id,
        "incident_id": footprint.incident_id,
        "kind": footprint.kind,
        "units": KINDS[footprint.kind],
        "source_format": source_format,
        "crs": crs,
        "exposure": summary,
    }


def _check_within(
    footprint: NewFootprint,
    incident: Mapping[str, Any] | None,
    document: dict[str, Any] | None,
    uow: AlertsUnitOfWork,
) -> None:
    """An officer uploads a footprint only for an alert wholly inside their jurisdiction; a vector
    footprint's features must lie inside it too, and so must the extent of a raster tied to no
    alert (a raster of an alert may reach past its areas: a swath seldom stops at a border).

    :raise OutsideJurisdiction: naming what lies outside.
    """
    if EVERYWHERE in footprint.jurisdiction:
        return
    if incident is not None:
        check_all_within(_codes_of(uow, incident), footprint.jurisdiction, f"alert {incident['id']}")
    if document is not None:
        shapes = [
            AreaShape(0, n, f"feature {n}", shapely.geometry.shape(feature["geometry"]))
            for n, feature in enumerate(document.get("features") or [])
            if feature.get("geometry")
        ]
        check_within(shapes, uow.admin.layers(), footprint.jurisdiction, "this footprint")
    elif incident is None:
        extent = raster_extent(
            FootprintSource(
                footprint.raw, footprint.content_type, footprint.intensity_property, footprint.crs
            )
        )
        if extent is not None:
            area = AreaShape(0, 0, "the raster's extent", shapely.box(*extent))
            check_within([area], uow.admin.layers(), footprint.jurisdiction, "this footprint")


def _checked(footprint: NewFootprint) -> tuple[str, str | None, dict[str, Any] | None]:
    """The footprint's kind of source, CRS and (for vector features) its WGS 84 GeoJSON, once its
    kind, thresholds and file are checked.

    :raise FootprintError: naming what is wrong.
    """
    if footprint.kind not in KINDS:
        raise FootprintError(
            f"unknown kind {footprint.kind!r}; one of {', '.join(KINDS)}",
            errors=[FieldProblem("/query/kind", "unknown")],
        )
    Bands.from_thresholds(footprint.thresholds)
    source = FootprintSource(
        footprint.raw, footprint.content_type, footprint.intensity_property, footprint.crs
    )
    # Read at no household first: the file is checked here whoever indexes the households.
    _, crs, source_format, document = intensities(source, NO_HOUSEHOLDS)
    return source_format, crs, document


def _stored(
    footprint_id: str, footprint: NewFootprint, source_format: str, crs: str | None, document: Any
) -> dict[str, Any]:
    """The footprint as stored: a raster as uploaded (read again for each part), vector
    features as WGS 84 GeoJSON."""
    raster = source_format == "raster"
    return {
        "id": footprint_id,
        "incident_id": footprint.incident_id,
        "kind": footprint.kind,
        "units": KINDS[footprint.kind],
        "thresholds": [dict(t) for t in footprint.thresholds],
        "source_format": source_format,
        "crs": crs,
        "summary": {},
        "created_at": datetime.now(UTC),
        "created_by": footprint.created_by,
        "geometry": None if raster else document,
        "raster": footprint.raw if raster else None,
        "raster_type": footprint.content_type if raster else None,
        "raster_crs": footprint.crs if raster else None,
    }
