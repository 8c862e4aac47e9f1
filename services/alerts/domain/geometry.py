"""CAP areas as shapes on the map: polygons and geodesic circles, checked and repaired.

CAP writes ``lat,lon``; shapes here are in (lon, lat) order (x, y), WGS 84. Problems that can be
repaired are repaired and reported as warnings kept with the alert (an open ring closed, a
self-intersection made valid); problems that cannot are refused, naming the area.

A circle covers exactly the points whose geodesic distance (WGS 84) to its centre is at most its
radius, the rim included. Its polygon only pre-selects: it is drawn a little outside the rim
(:data:`PRESELECT_MARGIN`), and every household it takes is then measured to the centre.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
import shapely.errors
import shapely.geometry
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from services.alerts.domain.cap import Area, CapError, CapMessage, Circle
from shared.errors import FieldProblem

GEOD = Geod(ellps="WGS84")
LARGE_CIRCLE_KM = 1500.0
#: Beyond this radius a circle covers more than a hemisphere: no polygon can pre-select it.
HEMISPHERE_KM = 10_000.0
#: How far outside the rim the pre-selecting polygon is drawn (a share of the radius): far more
#: than a 72-sided polygon's chords fall inside the rim (0.1 %), at any latitude.
PRESELECT_MARGIN = 0.02
#: Vertices of a circle as drawn on a map: within a metre of the rim at 25 km.
DRAWN_SEGMENTS = 360
#: A point this close outside the rim is on it (the rounding of a distance computed back).
RIM_TOLERANCE_M = 0.001
WORLD = shapely.box(-180, -90, 180, 90)


@dataclass(frozen=True)
class GeodesicCircle:
    """A CAP circle: every point within ``radius_m`` of its centre on the WGS 84 ellipsoid."""

    lon: float
    lat: float
    radius_m: float

    def distances(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Geodesic distance in metres from the centre to each point (vectorised)."""
        lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        if len(lon) == 0:
            return np.empty(0)
        _, _, metres = GEOD.inv(np.full(len(lon), self.lon), np.full(len(lat), self.lat), lon, lat)
        return np.asarray(metres, dtype=np.float64)

    @property
    def reach_m(self) -> float:
        """The radius with the rim included (a distance computed back may round past it)."""
        return self.radius_m + RIM_TOLERANCE_M

    def covers(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Which points lie inside or on the rim."""
        return self.distances(lon, lat) <= self.reach_m


@dataclass(frozen=True)
class AreaShape:
    """The shape of one CAP area (all its polygons and circles together)."""

    info: int
    area: int
    description: str
    #: Everything the area may cover (with circles, a polygon drawn past their rims).
    geometry: BaseGeometry
    #: Admin codes the area was given by (geocodes); households without coordinates match by them.
    codes: tuple[str, ...] = ()
    #: The area's circles, measured exactly on the ellipsoid when matching.
    circles: tuple[GeodesicCircle, ...] = ()
    #: The area's polygons alone (``None``: it has none).
    polygons: BaseGeometry | None = None
    #: The area as drawn on a map (circles at their true radius); ``None``: ``geometry``.
    outline: BaseGeometry | None = None

    @property
    def label(self) -> str:
        return f"info {self.info}, area {self.area} ({self.description})"

    @property
    def drawn(self) -> BaseGeometry:
        """The area for a map."""
        return self.geometry if self.outline is None else self.outline


def _refuse(where: str, detail: str) -> CapError:
    return CapError(f"{where}: {detail}", errors=[FieldProblem(where, detail)])


def _unwrap(coords: np.ndarray) -> BaseGeometry:
    """A polygon from (lon, lat) points, split at the antimeridian when it crosses it."""
    lons = coords[:, 0]
    if lons.max() - lons.min() > 180:  # crosses ±180: work in 0..360, then cut back
        shifted = coords.copy()
        shifted[:, 0] = np.where(lons < 0, lons + 360, lons)
        polygon = shapely.make_valid(shapely.Polygon(shifted))
        east = shapely.intersection(polygon, shapely.box(0, -90, 180, 90))
        west = shapely.affinity.translate(
            shapely.intersection(polygon, shapely.box(180, -90, 360, 90)), xoff=-360
        )
        return shapely.union(east, west)
    return shapely.Polygon(coords)


def polygon_shape(points: tuple[tuple[float, float], ...], where: str, warnings: list[str]) -> BaseGeometry:
    """A CAP polygon (``lat,lon`` points) as a valid shape.

    :raise CapError: too few points, or coordinates out of range (with a hint when latitude and
        longitude look swapped).
    """
    lat_lon = np.asarray(points, dtype=float)
    if len(lat_lon) < 3:
        raise _refuse(where, f"a polygon needs at least 3 points, not {len(lat_lon)}")
    lats, lons = lat_lon[:, 0], lat_lon[:, 1]
    if not np.isfinite(lat_lon).all():
        raise _refuse(where, "coordinates must be numbers")
    beyond = np.abs(lons) > 180
    if beyond.any() and (np.abs(lats) <= 90).all() and (np.abs(lons) <= 360).all():
        # An area drawn across the antimeridian with longitudes carried on past ±180.
        warnings.append(
            f"{where}: {int(beyond.sum())} longitude(s) beyond ±180 (such as {lons[beyond][0]:g}) "
            "were read 360° the other way"
        )
        lat_lon = lat_lon.copy()
        lat_lon[:, 1] = np.where(lons > 180, lons - 360, np.where(lons < -180, lons + 360, lons))
        lats, lons = lat_lon[:, 0], lat_lon[:, 1]
    if (np.abs(lats) > 90).any() or (np.abs(lons) > 180).any():
        swapped = (np.abs(lons) <= 90).all() and (np.abs(lats) <= 180).all()
        hint = "; they look like lon,lat — CAP writes lat,lon" if swapped else ""
        raise _refuse(where, f"coordinates out of range (latitude within ±90, longitude within ±180){hint}")
    if not np.array_equal(lat_lon[0], lat_lon[-1]):
        warnings.append(f"{where}: the ring was not closed; it was closed")
        lat_lon = np.vstack([lat_lon, lat_lon[:1]])
    if len(np.unique(lat_lon[:-1], axis=0)) < 3:
        raise _refuse(where, "a polygon needs at least 3 distinct points")
    shape = _unwrap(lat_lon[:, ::-1])
    if not shape.is_valid:
        reason = shapely.is_valid_reason(shape)
        shape = shapely.make_valid(shape)
        warnings.append(f"{where}: the polygon was invalid ({reason}); it was repaired")
    shape = _polygonal(shape)
    if shape.is_empty or shape.area == 0:
        raise _refuse(where, "the polygon encloses no area")
    return shape


def geodesic_circle(circle: Circle, where: str, warnings: list[str]) -> GeodesicCircle | None:
    """A CAP circle as the points within its radius of its centre on the WGS 84 ellipsoid.

    A radius of 0 (feeds use it for an epicentre) is a point: it covers no household, and says so.
    A radius beyond a hemisphere is warned about: it is matched by distance alone.

    :raise CapError: a negative radius, or a centre out of range.
    """
    if not circle.radius_km >= 0 or not np.isfinite(circle.radius_km):
        raise _refuse(where, f"the radius must be a positive number of kilometres, not {circle.radius_km}")
    if not (np.isfinite(circle.lat) and np.isfinite(circle.lon)):
        raise _refuse(where, "the centre's coordinates must be numbers")
    if circle.radius_km == 0:
        warnings.append(f"{where}: a circle of radius 0 is a point; it covers no households")
        return None
    if abs(circle.lat) > 90 or abs(circle.lon) > 180:
        raise _refuse(where, "the centre is out of range (CAP writes lat,lon)")
    if circle.radius_km > HEMISPHERE_KM:
        warnings.append(
            f"{where}: a circle of {circle.radius_km:,.0f} km radius covers more than a hemisphere; "
            "every household within that distance of its centre is matched"
        )
    elif circle.radius_km > LARGE_CIRCLE_KM:
        warnings.append(f"{where}: a circle of {circle.radius_km:,.0f} km radius is unusually large")
    return GeodesicCircle(circle.lon, circle.lat, circle.radius_km * 1000)


def circle_shape(circle: GeodesicCircle, segments: int = 72, scale: float = 1.0) -> BaseGeometry:
    """A polygon whose vertices lie ``scale`` × the radius from the centre, on the ellipsoid.

    With ``scale`` above 1 it holds the whole circle (a pre-selection); at 1 it is drawn inside the
    rim, within the chords' sag. A circle beyond a hemisphere is the whole world.
    """
    if circle.radius_m * scale > HEMISPHERE_KM * 1000:
        return WORLD
    azimuths = np.linspace(0, 360, segments, endpoint=False)
    lons, lats, _ = GEOD.fwd(
        np.full(segments, circle.lon),
        np.full(segments, circle.lat),
        azimuths,
        np.full(segments, circle.radius_m * scale),
    )
    ring = np.column_stack([lons, lats])
    if np.ptp(ring[:, 0]) > 180 or abs(circle.lat) + circle.radius_m * scale / 111_000 > 89:
        # Around the antimeridian or a pole: unwrap relative to the centre, cut to the world, and
        # carry what lies past ±180 over to the other side.
        ring[:, 0] = circle.lon + (ring[:, 0] - circle.lon + 180) % 360 - 180
        unwrapped = shapely.make_valid(shapely.Polygon(ring))
        east = shapely.intersection(unwrapped, shapely.box(180, -90, 540, 90))
        west = shapely.intersection(unwrapped, shapely.box(-540, -90, -180, 90))
        parts = [
            shapely.intersection(unwrapped, WORLD),
            shapely.affinity.translate(east, xoff=-360),
            shapely.affinity.translate(west, xoff=360),
        ]
        return _polygonal(shapely.union_all(parts))
    return shapely.Polygon(ring)


def _polygonal(shape: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts of a geometry (``make_valid`` may add stray lines or points)."""
    parts = [g for g in shapely.get_parts(shape) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def area_shape(area: Area, info: int, number: int, warnings: list[str]) -> AreaShape | None:
    """The union of an area's polygons and circles; ``None`` for an area of geocodes only."""
    where = f"/info/{info}/area/{number}"
    polygons = [polygon_shape(p, f"{where}/polygon/{k}", warnings) for k, p in enumerate(area.polygons)]
    found = (geodesic_circle(c, f"{where}/circle/{k}", warnings) for k, c in enumerate(area.circles))
    circles = tuple(c for c in found if c is not None)
    if not polygons and not circles:
        return None
    if not circles:
        return AreaShape(info, number, area.description, shapely.union_all(polygons))
    preselect = [circle_shape(c, scale=1 + PRESELECT_MARGIN) for c in circles]
    drawn = [circle_shape(c, segments=DRAWN_SEGMENTS) for c in circles]
    return AreaShape(
        info,
        number,
        area.description,
        shapely.union_all(polygons + preselect),
        circles=circles,
        polygons=shapely.union_all(polygons) if polygons else None,
        outline=shapely.union_all(polygons + drawn),
    )


def message_shapes(message: CapMessage, warnings: list[str]) -> list[AreaShape]:
    """Every area of every info block that has polygons or circles.

    An area that cannot be read (a polygon of two distinct points, coordinates out of range) is
    left out with a warning naming it and why, and the others are kept: the message is refused
    only when none of its areas remains (areas given by geocodes alone count as remaining).

    :raise CapError: no area of the message is usable, naming each and why.
    """
    shapes, refused, usable = [], [], 0
    for i, info in enumerate(message.infos):
        for k, area in enumerate(info.areas):
            try:
                shape = area_shape(area, i, k, warnings)
            except CapError as exc:
                if "swapped" in str(exc) or "lon,lat" in str(exc):
                    raise  # written the other way round: every area is suspect
                refused.append((exc, bool(area.geocodes)))
                usable += bool(area.geocodes)
                continue
            usable += shape is not None or bool(area.geocodes)
            if shape is not None:
                shapes.append(shape)
    if refused and not usable:
        raise CapError(
            "no area of the message can be used: " + "; ".join(str(e) for e, _ in refused[:3]),
            errors=[problem for e, _ in refused for problem in e.errors],
        )
    warnings += [
        f"{e}; "
        + ("its geocodes are used instead" if coded else "this area was left out, the others are kept")
        for e, coded in refused
    ]
    return shapes


def geojson_shapes(raw: bytes, warnings: list[str]) -> list[AreaShape]:
    """Areas drawn on a map: a GeoJSON geometry, Feature or FeatureCollection of polygons (lon, lat).

    :raise CapError: not GeoJSON, or a feature without a polygon, naming the feature.
    """
    import json

    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _refuse("/", f"not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise _refuse("/", "expected a GeoJSON object")
    features = document.get("features") if document.get("type") == "FeatureCollection" else [document]
    shapes = []
    for n, feature in enumerate(features or []):
        geometry = (
            feature.get("geometry")
            if isinstance(feature, dict) and feature.get("type") == "Feature"
            else feature
        )
        where = f"/features/{n}" if document.get("type") == "FeatureCollection" else "/"
        try:
            shape = shapely.geometry.shape(geometry)
        except (AttributeError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise _refuse(where, f"not a GeoJSON geometry: {exc}") from exc
        if shape.geom_type not in ("Polygon", "MultiPolygon"):
            raise _refuse(where, f"a {shape.geom_type} encloses no area; draw a polygon")
        minx, miny, maxx, maxy = shape.bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            raise _refuse(where, "coordinates out of range (GeoJSON writes lon,lat)")
        if not shape.is_valid:
            warnings.append(
                f"{where}: the polygon was invalid ({shapely.is_valid_reason(shape)}); it was repaired"
            )
            shape = _polygonal(shapely.make_valid(shape))
        properties = feature.get("properties") or {} if isinstance(feature, dict) else {}
        shapes.append(AreaShape(0, n, str(properties.get("name") or f"drawn area {n}"), shape))
    if not shapes:
        raise _refuse("/", "no area given")
    return shapes
