"""Incidents: a CAP alert and every update or cancellation that follows it.

An update names the messages it replaces in ``references``; the incident is keyed by the first
message of the chain, so an update that arrives before the alert it updates still lands in the
same incident. The incident's current state is its latest valid message, by ``sent`` time; an
older message arriving late is kept for the record and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import shapely
import shapely.geometry

from services.alerts.domain.cap import CapMessage, MsgType
from services.alerts.domain.geometry import AreaShape
from services.alerts.domain.statements import statement_of_info, statements
from shared.admin_codes import first_level

ACTIVE, CANCELLED, EXPIRED = "active", "cancelled", "expired"


def root_key(message: CapMessage) -> str:
    """The ``sender,identifier`` of the first message of the message's chain."""
    if not message.references:
        return message.key
    first = min(message.references, key=lambda r: r.sent)
    return f"{first.sender},{first.identifier}"


def supersedes(message: CapMessage, current_sent: datetime | None) -> bool:
    """Whether ``message`` becomes the incident's current state."""
    return current_sent is None or message.sent > current_sent


def state_of(message: CapMessage, now: datetime) -> str:
    if message.msg_type == MsgType.CANCEL:
        return CANCELLED
    expires = message.expires()
    return EXPIRED if expires is not None and expires <= now else ACTIVE


def summary(message: CapMessage, shapes: list[AreaShape]) -> dict[str, Any]:
    """What other services need of a CAP message, areas as GeoJSON (lon, lat).

    ``statements`` holds what each ``<info>`` block says (blocks saying it in several languages
    are one statement), and each area names its statement. The top-level event, categories,
    urgency, severity, certainty, onset and response types are the first block's.
    """
    info = message.infos[0] if message.infos else None
    said = statements(message)
    of_info = statement_of_info(said)

    def when(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "identifier": message.identifier,
        "sender": message.sender,
        "sent": message.sent.isoformat(),
        "status": message.status,
        "msg_type": message.msg_type.value,
        "scope": message.scope,
        "may_trigger_transfers": message.may_trigger_transfers,
        "event": info.event if info else None,
        "categories": list(info.categories) if info else [],
        "urgency": info.urgency if info else None,
        "severity": info.severity if info else None,
        "certainty": info.certainty if info else None,
        "response_types": list(info.response_types) if info else [],
        "onset": when(info.onset) if info else None,
        "effective": when(info.effective) if info else None,
        "expires": when(message.expires()),
        "headline": info.headline if info else None,
        "languages": [i.language for i in message.infos],
        "incidents": list(message.incidents),
        "references": [f"{r.sender},{r.identifier},{r.sent}" for r in message.references],
        "geocodes": sorted({f"{n}:{v}" for i in message.infos for a in i.areas for n, v in a.geocodes}),
        "statements": [statement.as_record() for statement in said],
        "areas": {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": shapely.geometry.mapping(s.drawn),
                    "properties": {
                        "info": s.info,
                        "area": s.area,
                        "description": s.description,
                        "statement": of_info[s.info].number if s.info in of_info else None,
                    },
                }
                for s in shapes
            ],
        },
    }


def exposure_summary(
    admin_codes: np.ndarray, sizes: np.ndarray, groups: dict[str, np.ndarray], near_edge: np.ndarray
) -> dict[str, Any]:
    """Households and people exposed, in total and by first-level area, with vulnerable groups.

    Aggregates only: no household id leaves this function.
    """
    # Factorise the codes by hashing (a sort of Python strings is far slower), then map each
    # distinct code to its first-level area.
    seen: dict[str, int] = {}
    code_index = np.fromiter(
        (seen.setdefault(c, len(seen)) for c in np.asarray(admin_codes, dtype=object).tolist()),
        dtype=np.int64,
        count=len(admin_codes),
    )
    firsts = [first_level(c) for c in seen]
    areas = sorted(set(firsts))
    position = {area: n for n, area in enumerate(areas)}
    inverse = np.array([position[f] for f in firsts], dtype=np.int64)[code_index] if seen else code_index

    def by_area(values: np.ndarray) -> list[int]:
        return (
            np.bincount(inverse, weights=values, minlength=len(areas)).astype(int).tolist()
            if len(areas)
            else []
        )

    households = np.ones(len(admin_codes))
    columns = {"households": households, "people": sizes, **groups}
    per_area = {name: by_area(np.asarray(values, dtype=float)) for name, values in columns.items()}
    return {
        "households": int(len(admin_codes)),
        "people": int(np.asarray(sizes).sum()),
        **{name: int(np.asarray(values).sum()) for name, values in groups.items()},
        "near_an_edge": int(np.asarray(near_edge).sum()),
        "by_area": [
            {"admin_code": str(code), **{name: per_area[name][i] for name in columns}}
            for i, code in enumerate(areas)
        ],
    }


def combined_summary(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One exposure summary from the summaries of its parts (disjoint sets of households): every
    count added up, areas by code and bands by name, in their order."""
    combined: dict[str, Any] = {}
    areas: dict[str, dict[str, Any]] = {}
    bands: dict[str, dict[str, Any]] = {}
    for part in parts:
        for key, value in part.items():
            if key == "by_area":
                for area in value:
                    _add_into(areas.setdefault(area["admin_code"], {}), area)
            elif key == "by_band":
                for band in value:
                    _add_into(bands.setdefault(band["band"], {}), band)
            elif isinstance(value, int) and not isinstance(value, bool):
                combined[key] = combined.get(key, 0) + value
            else:
                combined.setdefault(key, value)
    combined["by_area"] = [areas[code] for code in sorted(areas)]
    if bands:
        combined["by_band"] = list(bands.values())
    return combined


def _add_into(total: dict[str, Any], counts: dict[str, Any]) -> None:
    for key, value in counts.items():
        if isinstance(value, int) and not isinstance(value, bool):
            total[key] = total.get(key, 0) + value
        else:
            total.setdefault(key, value)


#: Grid cells with fewer households than this are shown without their counts, so a map never
#: points at one family's home.
SMALLEST_SHOWN = 3


def without_small_counts(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary for an area anyone may draw: the total and each admin area with 1 or 2 households
    lose their counts (``None``, and ``fewer_than``), so a drawn square around one house tells
    nothing about who lives there."""

    def hide(part: dict[str, Any]) -> dict[str, Any]:
        if not 0 < (part.get("households") or 0) < SMALLEST_SHOWN:
            return part
        return {
            **{
                k: (None if isinstance(v, int | float) and not isinstance(v, bool) else v)
                for k, v in part.items()
            },
            "fewer_than": SMALLEST_SHOWN,
        }

    shown = hide({k: v for k, v in summary.items() if k not in ("by_area", "by_band")})
    shown["by_area"] = [hide(a) for a in summary.get("by_area", [])]
    if "by_band" in summary:
        shown["by_band"] = [hide(b) for b in summary["by_band"]]
    return shown


def exposure_grid(lon: np.ndarray, lat: np.ndarray, people: np.ndarray, cell_deg: float) -> dict[str, Any]:
    """Exposed households and people aggregated to square cells, as a GeoJSON FeatureCollection."""
    if len(lon) == 0:
        return {"type": "FeatureCollection", "features": []}
    col = np.floor((lon + 180.0) / cell_deg).astype(np.int64)
    row = np.floor((lat + 90.0) / cell_deg).astype(np.int64)
    cells, inverse = np.unique(row * 100_000 + col, return_inverse=True)
    households = np.bincount(inverse)
    persons = np.bincount(inverse, weights=people).astype(int)
    features = []
    for cell, count, total in zip(cells.tolist(), households.tolist(), persons.tolist(), strict=True):
        r, c = divmod(cell, 100_000)
        west, south = c * cell_deg - 180.0, r * cell_deg - 90.0
        shown = count >= SMALLEST_SHOWN
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(
                    shapely.box(west, south, west + cell_deg, south + cell_deg)
                ),
                "properties": {
                    "households": count if shown else None,
                    "people": total if shown else None,
                    "fewer_than": None if shown else SMALLEST_SHOWN,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
