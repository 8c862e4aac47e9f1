"""How far a household lies from an alert's areas, measured on the WGS 84 ellipsoid.

An area is read here exactly as the matching reads it (:mod:`services.alerts.domain.matching`):
its polygons are planar in (lon, lat), so an edge runs straight in longitude and latitude between
its two vertices, and a circle holds every point within its radius of its centre on the ellipsoid.

A polygon's nearest point is found in an azimuthal equidistant projection centred on the
household, where the distance from the centre to any point is its geodesic distance. The edges
are first cut into pieces of at most :data:`EDGE_STEP_DEG` in (lon, lat), so that each piece,
straight in the projection, stays within centimetres of the edge it stands for; the household's
geodesic distance to the nearest point found is then measured with :data:`GEOD`. A circle's
nearest point lies on the geodesic to its centre: the distance is that to the centre less the
radius.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from pyproj import Transformer
from pyproj.enums import TransformDirection
from shapely.geometry.base import BaseGeometry

from services.alerts.domain.geometry import GEOD, AreaShape, GeodesicCircle
from shared.admin_codes import lies_within

#: The longest piece an edge is cut into before it is projected (about 1.1 km of latitude): a piece
#: straight in the projection strays from its edge by centimetres at most.
EDGE_STEP_DEG = 0.01


@dataclass(frozen=True)
class Nearest:
    """The area nearest a household outside them all, and how far its nearest point is."""

    #: Its position among the areas given.
    position: int
    area: AreaShape
    #: Geodesic distance (WGS 84) from the household to the area's nearest point, in metres.
    distance_m: float
    #: The azimuth from the household towards that point, in degrees clockwise from north
    #: (``None`` when the household lies on the area).
    bearing_deg: float | None


def may_cover(area: AreaShape, admin_code: str) -> bool:
    """Whether ``area`` may cover a household registered in ``admin_code``: an area given by
    geocodes covers only households of its geocodes' countries, as the matching decides (reference
    layers may overlap at borders).

    >>> from shapely import box
    >>> coded = AreaShape(0, 0, "Valle", box(0, 0, 1, 1), codes=("HN-VA",))
    >>> may_cover(coded, "HN-CH-0601"), may_cover(coded, "GT-PE")
    (True, False)
    """
    return not area.codes or any(lies_within(admin_code, code.split("-", 1)[0]) for code in area.codes)


def nearest_area(lon: float, lat: float, areas: Sequence[AreaShape]) -> Nearest | None:
    """The area of ``areas`` nearest the point (lon, lat), WGS 84; ``None`` when none has a shape.

    A point inside an area is at distance 0 from it; of areas equally near, the first is taken.

    Examples
    --------
    >>> from shapely import box
    >>> far = AreaShape(0, 0, "far", box(1.0, 0.0, 2.0, 1.0))
    >>> near = AreaShape(0, 1, "near", box(0.1, 0.0, 0.2, 1.0))
    >>> found = nearest_area(0.0, 0.5, [far, near])
    >>> found.area.description, round(found.distance_m), round(found.bearing_deg)
    ('near', 11132, 90)
    """
    best: Nearest | None = None
    for position, area in enumerate(areas):
        distance_m, bearing = distance_to_area(lon, lat, area)
        if np.isfinite(distance_m) and (best is None or distance_m < best.distance_m):
            best = Nearest(position, area, distance_m, bearing)
    return best


def distance_to_area(lon: float, lat: float, area: AreaShape) -> tuple[float, float | None]:
    """Geodesic distance in metres from (lon, lat) to ``area`` (its polygons and circles), and the
    azimuth towards its nearest point (``None`` at distance 0); infinite for an area with no shape.

    :raise ValueError: the point's coordinates are out of range.
    """
    if not (np.isfinite(lon) and np.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise ValueError(
            f"a point needs a longitude within ±180 and a latitude within ±90, not ({lon}, {lat})"
        )
    # With circles, ``geometry`` is drawn past their rims only to pre-select: the polygons are apart.
    polygons = area.polygons if area.circles else area.geometry
    found = [_to_circle(lon, lat, circle) for circle in area.circles]
    if polygons is not None and not polygons.is_empty:
        found.append(_to_polygons(lon, lat, polygons))
    if not found:
        return float("inf"), None
    return min(found, key=lambda distance_and_bearing: distance_and_bearing[0])


def _to_circle(lon: float, lat: float, circle: GeodesicCircle) -> tuple[float, float | None]:
    azimuth, _, metres = GEOD.inv(lon, lat, circle.lon, circle.lat)
    if metres <= circle.reach_m:
        return 0.0, None
    return float(metres - circle.radius_m), _bearing(azimuth)


def _to_polygons(lon: float, lat: float, polygons: BaseGeometry) -> tuple[float, float | None]:
    if shapely.intersects_xy(polygons, lon, lat):  # as the matching tests a point: edges included
        return 0.0, None
    local = _centred_on(lon, lat)

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(local.transform(coords[:, 0], coords[:, 1]))

    projected = shapely.transform(shapely.segmentize(polygons, EDGE_STEP_DEG), project)
    nearest, _ = shapely.ops.nearest_points(projected, shapely.Point(0.0, 0.0))
    to_lon, to_lat = local.transform(nearest.x, nearest.y, direction=TransformDirection.INVERSE)
    azimuth, _, metres = GEOD.inv(lon, lat, to_lon, to_lat)
    return float(metres), _bearing(azimuth)


def _centred_on(lon: float, lat: float) -> Transformer:
    """(lon, lat) in degrees to metres in the azimuthal equidistant projection centred on the point,
    on the WGS 84 ellipsoid (a pipeline: building it costs microseconds, a CRS milliseconds)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={lat!r} +lon_0={lon!r} +ellps=WGS84"
    )


def _bearing(azimuth: float) -> float:
    """An azimuth (−180..180) as a bearing clockwise from north (0..360)."""
    return float(azimuth) % 360.0
