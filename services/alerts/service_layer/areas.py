"""What a CAP message covers: its areas as shapes, checked against the reference layers."""

from __future__ import annotations

from typing import Any

import shapely

from services.alerts.adapters.cap_json import cap_json_to_xml
from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.domain.admin_layer import AdminLayer
from services.alerts.domain.cap import CapMessage
from services.alerts.domain.geometry import AreaShape, message_shapes

CAP_JSON_TYPES = ("application/json", "application/cap+json")


def parse_cap(raw: bytes, content_type: str) -> CapMessage:
    """A CAP message from XML or from its JSON equivalent (validated the same way)."""
    if content_type in CAP_JSON_TYPES:
        return parse_cap_xml(cap_json_to_xml(raw))
    return parse_cap_xml(raw)


def area_shapes(message: CapMessage, layers: dict[str, AdminLayer], warnings: list[str]) -> list[AreaShape]:
    """Polygons and circles, checked against the reference layers; areas given by geocodes (or
    whose drawing covers nothing) resolved through the layer of the same scheme (the geocode's
    valueName)."""
    shapes = message_shapes(message, warnings)
    for shape in shapes:
        for layer in layers.values():
            layer.check_placement(shape.geometry, f"/info/{shape.info}/area/{shape.area}", warnings)
    by_scheme = {scheme.upper(): layer for scheme, layer in layers.items()}
    drawn = {(shape.info, shape.area) for shape in shapes}
    for i, info in enumerate(message.infos):
        for k, area in enumerate(info.areas):
            # An area given by geocodes, or whose drawing covers nothing (a circle of radius 0, a
            # polygon left out), is the places its geocodes name.
            if (i, k) in drawn or not area.geocodes:
                continue
            resolved: list[tuple[str, Any]] = []
            for name, value in area.geocodes:
                layer = by_scheme.get(name.upper())
                if layer is None:
                    warnings.append(f"/info/{i}/area/{k}: no reference layer for geocode scheme {name!r}")
                    continue
                found, missing = layer.resolve([value])
                resolved += found
                warnings += [
                    f"/info/{i}/area/{k}: geocode {name} {code!r} matches nothing" for code in missing
                ]
            if resolved:
                geometry = shapely.union_all([shape for _, shape in resolved])
                shapes.append(
                    AreaShape(i, k, area.description, geometry, tuple(code for code, _ in resolved))
                )
    return shapes
