"""How alerts, footprints, reference layers and the location index are shown over the API.

The service layer hands back what it stored and read; these turn it into the documents the API
answers with (times as ISO 8601 text, stored names into the API's names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.alerts.service_layer.alerts import LayerLoaded, WhatIf
from services.alerts.service_layer.distances import Distance
from services.alerts.service_layer.handlers import IndexHeld
from shared.db import as_read

#: What an alert list shows of each incident's current message.
LISTED_FIELDS = (
    "event",
    "headline",
    "sender",
    "sent",
    "expires",
    "status",
    "urgency",
    "severity",
    "certainty",
)
#: What a footprint list shows of each footprint.
FOOTPRINT_FIELDS = ("id", "incident_id", "kind", "units", "source_format", "crs", "thresholds")


def incident_view(incident: Mapping[str, Any]) -> dict[str, Any]:
    """An incident: state, version, current message summary, exposure summary, message history."""
    return {
        **incident,
        "messages": [{**m, "sent": m["sent"].isoformat()} for m in incident["messages"]],
    }


def listed_alert(incident: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """One line of the alert list: what, how bad, until when, how many exposed."""
    exposure = incident["exposure_summary"] or {}
    updated_at = as_read(incident["updated_at"])
    assert updated_at is not None
    return {
        "id": incident["id"],
        "state": incident["state"],
        "version": incident["version"],
        "updated_at": updated_at.isoformat(),
        **{key: current.get(key) for key in LISTED_FIELDS},
        "households": exposure.get("households"),
        "people": exposure.get("people"),
    }


def footprint_view(footprint: Mapping[str, Any]) -> dict[str, Any]:
    """A stored footprint with its exposure by band (its geometry apart)."""
    return {**{key: footprint[key] for key in FOOTPRINT_FIELDS}, "exposure": footprint["summary"]}


def feature_collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    """Features as a GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": features}


def what_if_view(what_if: WhatIf) -> dict[str, Any]:
    """Who a draft would expose (aggregates, small counts left out), with its warnings."""
    return {"exposure": what_if.exposure, "warnings": what_if.warnings}


def layer_view(layer: LayerLoaded) -> dict[str, Any]:
    """A reference layer as loaded."""
    return {"scheme": layer.scheme, "areas": layer.areas, "problems": layer.problems}


def layers_view(schemes: Mapping[str, int]) -> list[dict[str, Any]]:
    """The reference layers loaded, with their number of areas."""
    return [{"scheme": scheme, "areas": n, "problems": []} for scheme, n in schemes.items()]


def location_summary(counts: Mapping[str, int]) -> dict[str, Any]:
    """Households per admin area and in all (no individual homes)."""
    return {
        "total": sum(counts.values()),
        "areas": [{"admin_code": code, "households": n} for code, n in counts.items()],
    }


def index_view(held: IndexHeld) -> dict[str, Any]:
    """What an instance's location index holds."""
    return {
        "instance": held.instance,
        "whole": held.whole,
        "partitions": held.partitions,
        "partition_count": held.partition_count,
        "households": held.households,
        "households_by_partition": {str(p): int(n) for p, n in held.households_by_partition.items()},
    }


def distance_view(distance: Distance) -> dict[str, Any]:
    """Where a household lies against an alert's areas: inside or not, the nearest area and how
    far (kilometres to the metre, a bearing to the tenth of a degree); never its coordinates."""
    nearest = distance.nearest
    return {
        "incident_id": distance.incident_id,
        "alert_version": distance.alert_version,
        "household_id": distance.household_id,
        "located": distance.located,
        "active": distance.active,
        "inside": distance.inside,
        "nearest": None
        if nearest is None
        else {
            "statement": nearest.statement,
            "area": nearest.area,
            "distance_km": round(nearest.distance_m / 1000.0, 3),
            "bearing_deg": None if nearest.bearing_deg is None else round(nearest.bearing_deg, 1),
        },
        "areas_considered": distance.areas_considered,
    }
