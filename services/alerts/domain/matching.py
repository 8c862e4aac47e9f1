"""Who is inside an area: a location index built for it.

Household coordinates live in contiguous numpy arrays, sorted along a Z-order (Morton) curve over
a world grid of 2^24 × 2^24 cells (about 2 m by 1 m). Every square of a coarser grid (a "node":
one of 4, 16, 64 … over the world) is then one contiguous range of the sorted arrays, found with
two binary searches. For an area, matching starts from the few nodes over its bounding box and
splits only where it must:

- a node its boundary cannot reach lies wholly inside or wholly outside, which one test of its
  centre tells; inside, its households are taken as one range;
- a node the boundary may cross is split in four, until it holds few households (or its cells
  reach the finest size that still flags households near the edge); those are tested one by one.

Cells adapt to density: in a city, nodes split down to a few hundred metres where the edge runs
and interior ranges stay whole; in the countryside a node of a few households is tested at once.
The cost follows the boundary's length and the density along it, not the number of households
inside. There is no Python loop over households, and the answer is exactly the households a plain
``covers`` test on every point would give (points on the edge count as inside).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: Metres per degree of latitude (and of longitude at the equator), for edge distances.
METRES_PER_DEGREE = 111_320.0
#: The finest grid: 2^LEVELS cells each way over the world (longitude 360°, latitude 180°).
LEVELS = 24
#: A node the boundary may cross is split while it holds more households than this.
LEAF_HOUSEHOLDS = 48
#: ... and while it is larger than about 80 by 150 m (households of one building share a point).
DEEPEST_LEVEL = 18
#: Matching starts this many levels below the level whose nodes hold the area's whole box.
START_BELOW_BOX = 5
#: Households within their location's accuracy of an area's edge are flagged up to this distance:
#: nodes are not split finer than the band it needs (a location known only to 20 km is rare).
NEAR_EDGE_MOST_M = 5_000.0
#: Polygon matches kept with the index, at most this many households in all (the same admin
#: areas are named alert after alert; the least recently used are dropped first).
KEPT_HOUSEHOLDS = 4_000_000
#: ... and at most this many matches (areas matching few households would pile up otherwise).
KEPT_MATCHES = 512
#: The key of a household without coordinates: after every node's range.
UNLOCATED = np.iinfo(np.int64).max
#: Metres per degree along a meridian or a parallel (at its latitude's cosine), never less: an
#: upper bound for how far a node's corners lie from its centre (WGS 84's is 111 694 at the poles).
METRES_PER_DEGREE_MOST = 111_700.0


class Circle(Protocol):
    """A circle measured on the ellipsoid: the points within ``reach_m`` of its centre."""

    @property
    def reach_m(self) -> float: ...

    @property
    def radius_m(self) -> float: ...

    def distances(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class Exposure:
    """The households an area covers: positions in the index, and which lie near its edge."""

    positions: np.ndarray  # int64 positions into the index arrays
    near_edge: np.ndarray  # bool, same length: within the location's accuracy of the edge


def _spread(values: np.ndarray) -> np.ndarray:
    """The bits of each value (below 2^24) moved to the even bit positions."""
    v = values.astype(np.int64)
    for shift, mask in ((16, 0x0000FFFF0000FFFF), (8, 0x00FF00FF00FF00FF), (4, 0x0F0F0F0F0F0F0F0F)):
        v = (v | (v << shift)) & mask
    v = (v | (v << 2)) & 0x3333333333333333
    return (v | (v << 1)) & 0x5555555555555555


def morton(col: np.ndarray, row: np.ndarray) -> np.ndarray:
    """The Z-order key of grid cells (column, row), each below 2^24.

    >>> morton(np.array([0, 1, 0, 1, 2]), np.array([0, 0, 1, 1, 0])).tolist()
    [0, 1, 2, 3, 4]
    """
    return _spread(col) | (_spread(row) << 1)


class LocationIndex:
    """Households' coordinates, sorted along a Z-order curve, ready to be matched against shapes.

    Parameters
    ----------
    lon, lat
        WGS 84 coordinates, one per household (NaN for a household without coordinates; those
        never match a shape).
    accuracy_m
        Each location's accuracy in metres (NaN when unknown).

    Examples
    --------
    >>> index = LocationIndex(np.array([-87.2, -86.0]), np.array([13.3, 14.0]), np.array([5.0, np.nan]))
    >>> index.match(shapely.box(-87.5, 13.0, -87.0, 13.5)).positions.tolist()
    [0]
    """

    def __init__(self, lon: np.ndarray, lat: np.ndarray, accuracy_m: np.ndarray | None = None):
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        if lon.shape != lat.shape or lon.ndim != 1:
            raise ValueError("lon and lat must be one-dimensional arrays of the same length")
        accuracy = (
            np.full(lon.shape, np.nan, dtype=np.float32)
            if accuracy_m is None
            else np.asarray(accuracy_m, dtype=np.float32)
        )
        self.size = len(lon)
        located = np.isfinite(lon) & np.isfinite(lat)
        keys = np.full(lon.shape, UNLOCATED, dtype=np.int64)
        cells = 1 << LEVELS
        col = np.clip(np.floor((lon[located] + 180.0) / 360.0 * cells), 0, cells - 1)
        row = np.clip(np.floor((lat[located] + 90.0) / 180.0 * cells), 0, cells - 1)
        keys[located] = morton(col, row)
        order = np.argsort(keys, kind="stable")
        self._order = order
        self._keys = keys[order]
        self._lon = np.ascontiguousarray(lon[order])
        self._lat = np.ascontiguousarray(lat[order])
        self._accuracy = np.ascontiguousarray(accuracy[order])
        self._located = int(located.sum())
        known = accuracy[np.isfinite(accuracy) & (accuracy > 0)]
        self._margin_m = float(min(known.max(), NEAR_EDGE_MOST_M)) if len(known) else 0.0
        self._kept: OrderedDict[bytes, Exposure] = OrderedDict()
        self._kept_households = 0
        self._keeping = threading.Lock()

    @property
    def nbytes(self) -> int:
        """The memory the index's arrays take."""
        arrays = (self._order, self._keys, self._lon, self._lat, self._accuracy)
        return sum(a.nbytes for a in arrays)

    def match(
        self, shape: BaseGeometry | None, circles: Sequence[Circle] = (), within: BaseGeometry | None = None
    ) -> Exposure:
        """The households ``shape`` or one of ``circles`` covers (boundary included), with a flag
        for those within their location's accuracy of the edge. ``within`` holds everything they
        may cover (by default ``shape``): matching starts from its bounds.

        A polygon's match is kept with the index (read-only arrays) and given again for the same
        polygon, until :data:`KEPT_HOUSEHOLDS` pushes it out.
        """
        area = within if within is not None else shape
        if area is None or area.is_empty or self._located == 0:
            return Exposure(np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))
        if circles or within is not None or shape is None:
            return self._matched(shape, circles, area)
        key = hashlib.blake2b(shapely.to_wkb(shape), digest_size=16).digest()
        with self._keeping:
            if (kept := self._kept.get(key)) is not None:
                self._kept.move_to_end(key)
                return kept
        found = self._matched(shape, circles, area)
        found.positions.setflags(write=False)
        found.near_edge.setflags(write=False)
        self._keep(key, found)
        return found

    def _keep(self, key: bytes, found: Exposure) -> None:
        with self._keeping:
            if key in self._kept or len(found.positions) > KEPT_HOUSEHOLDS:
                return
            self._kept[key] = found
            self._kept_households += len(found.positions)
            while self._kept_households > KEPT_HOUSEHOLDS or len(self._kept) > KEPT_MATCHES:
                _, dropped = self._kept.popitem(last=False)
                self._kept_households -= len(dropped.positions)

    def _matched(self, shape: BaseGeometry | None, circles: Sequence[Circle], area: BaseGeometry) -> Exposure:
        region = _Region(None if shape is None or shape.is_empty else shape, tuple(circles), self._margin_m)
        whole, tested = self._walk(region, area.bounds)
        candidates = _ranges(tested[0], tested[1] - tested[0])
        covered, near_edge = region.test(
            self._lon[candidates], self._lat[candidates], self._accuracy[candidates]
        )
        positions = np.concatenate([_ranges(whole[0], whole[1] - whole[0]), candidates[covered]])
        near = np.concatenate([np.zeros(len(positions) - int(covered.sum()), dtype=bool), near_edge[covered]])
        return Exposure(self._order[positions], near)

    def _walk(
        self, region: _Region, bounds: tuple[float, float, float, float]
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The ranges of the sorted arrays lying wholly inside ``region``, and those to test point
        by point: each as (starts, ends)."""
        minx, miny, maxx, maxy = bounds
        # Five levels below the one whose nodes hold the whole box (at most 33 × 33 nodes, most of
        # them empty and dropped at once): fewer rounds of splitting for a small or sparse area.
        finest = self._finest_level(max(abs(miny), abs(maxy)))
        # Never finer than the finest level: a node of it lies far enough from the edge to be whole.
        level = min(_start_level(maxx - minx, maxy - miny) + START_BELOW_BOX, finest)
        width, height = 360.0 / (1 << level), 180.0 / (1 << level)
        last = (1 << level) - 1
        # A box reaching 180° or 90° ends in the last column or row, not one past it (once each).
        cols = np.unique(
            np.clip(np.arange(int((minx + 180.0) // width), int((maxx + 180.0) // width) + 1), 0, last)
        )
        rows = np.unique(
            np.clip(np.arange(int((miny + 90.0) // height), int((maxy + 90.0) // height) + 1), 0, last)
        )
        cols, rows = (a.ravel() for a in np.meshgrid(cols, rows))
        whole: list[tuple[np.ndarray, np.ndarray]] = []
        tested: list[tuple[np.ndarray, np.ndarray]] = []
        code = morton(cols, rows)
        shift = 2 * (LEVELS - level)
        starts = np.searchsorted(self._keys, code << shift)
        ends = np.searchsorted(self._keys, (code + 1) << shift)
        while len(cols):
            held = ends > starts
            cols, rows, code, starts, ends = cols[held], rows[held], code[held], starts[held], ends[held]
            inside, crossing = region.classify(cols, rows, level)
            whole.append((starts[inside], ends[inside]))
            leaf = crossing & ((ends - starts <= LEAF_HOUSEHOLDS) | (level >= finest))
            tested.append((starts[leaf], ends[leaf]))
            split = crossing & ~leaf
            region.follow(cols[split], rows[split], level)
            # The four children in Z-order split the parent's range: three searches each.
            level += 1
            shift = 2 * (LEVELS - level)
            code = ((code[split] * 4)[:, None] + np.arange(4)).ravel()
            inner_bounds = np.searchsorted(self._keys, code.reshape(-1, 4)[:, 1:] << shift)
            edges = np.column_stack([starts[split], inner_bounds, ends[split]])
            starts, ends = edges[:, :4].ravel(), edges[:, 1:].ravel()
            cols = ((cols[split] * 2)[:, None] + np.array([0, 1, 0, 1])).ravel()
            rows = ((rows[split] * 2)[:, None] + np.array([0, 0, 1, 1])).ravel()
        return _joined(whole), _joined(tested)

    def _finest_level(self, most_abs_lat: float) -> int:
        """The finest level whose cells still flag every household within its accuracy of an edge:
        a node no boundary sample reaches lies three quarters of a cell from the edge, at least."""
        if self._margin_m <= 0:
            return DEEPEST_LEVEL
        shrink = max(np.cos(np.radians(min(most_abs_lat, 89.0))), 1e-3)
        for level in range(DEEPEST_LEVEL, -1, -1):
            height_m = 180.0 / (1 << level) * METRES_PER_DEGREE
            width_m = 360.0 / (1 << level) * METRES_PER_DEGREE * shrink
            if 0.75 * min(height_m, width_m) >= self._margin_m:
                return level
        return 0


class _Region:
    """What an area covers: its polygons and its circles together, told node by node (wholly
    inside, or perhaps crossing the edge) and point by point."""

    def __init__(self, polygons: BaseGeometry | None, circles: tuple[Circle, ...], margin_m: float):
        self.polygons, self.circles, self.margin_m = polygons, circles, margin_m
        self._edge = _Edge(polygons) if polygons is not None else None
        if polygons is not None:
            shapely.prepare(polygons)

    def classify(self, cols: np.ndarray, rows: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
        """Of the nodes at ``level``, which lie wholly inside (and further than the margin from
        the edge), and which the edge may cross; the others lie outside."""
        width, height = 360.0 / (1 << level), 180.0 / (1 << level)
        lon, lat = (cols + 0.5) * width - 180.0, (rows + 0.5) * height - 90.0
        inside = np.zeros(len(cols), dtype=bool)
        crossing = np.zeros(len(cols), dtype=bool)
        if self.polygons is not None and self._edge is not None:
            crossing = _among(rows * (1 << level) + cols, self._edge.cells(level))
            inside = ~crossing & shapely.intersects_xy(self.polygons, lon, lat)
        if self.circles:
            # No point of a node lies further from its centre than half its height along the
            # meridian plus half its width along the parallel nearest the equator.
            nearest = np.maximum(0.0, np.abs(lat) - height / 2)
            extent = (height / 2 + width / 2 * np.cos(np.radians(nearest))) * METRES_PER_DEGREE_MOST
            for circle in self.circles:
                metres = circle.distances(lon, lat)
                inside |= metres + extent + self.margin_m <= circle.radius_m
                crossing |= metres - extent <= circle.reach_m
        return inside, crossing & ~inside

    def follow(self, cols: np.ndarray, rows: np.ndarray, level: int) -> None:
        """Only the nodes at ``level`` given here are split further: the edge is followed there."""
        if self._edge is not None:
            self._edge.keep_near(cols, rows, level)

    def test(self, lon: np.ndarray, lat: np.ndarray, accuracy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which points the area covers, and which of those lie within their accuracy of its edge
        (of the polygons' edge for a point in a polygon, of a circle's rim otherwise)."""
        # An accuracy beyond the margin counts as the margin: whether a household is tested one by
        # one or taken with its node, it is flagged the same.
        accuracy = np.where(np.isfinite(accuracy) & (accuracy > 0), accuracy, 0.0).astype(np.float64)
        accuracy = np.minimum(accuracy, self.margin_m)
        in_polygon = np.zeros(len(lon), dtype=bool)
        near_polygon = np.zeros(len(lon), dtype=bool)
        if self.polygons is not None and len(lon):
            in_polygon = shapely.intersects_xy(self.polygons, lon, lat)
            near_polygon = self._near_polygon_edge(lon, lat, accuracy, in_polygon)
        in_circle = np.zeros(len(lon), dtype=bool)
        near_rim = np.zeros(len(lon), dtype=bool)
        for circle in self.circles:
            metres = circle.distances(lon, lat)
            in_circle |= metres <= circle.reach_m
            near_rim |= (accuracy > 0) & (np.abs(metres - circle.radius_m) <= accuracy)
        return in_polygon | in_circle, np.where(in_polygon, near_polygon, near_rim)

    def _near_polygon_edge(
        self, lon: np.ndarray, lat: np.ndarray, accuracy: np.ndarray, inside: np.ndarray
    ) -> np.ndarray:
        flags = np.zeros(len(lon), dtype=bool)
        asked = inside & (accuracy > 0)
        if asked.any():
            points = shapely.points(lon[asked], lat[asked])
            degrees = shapely.distance(self.polygons.boundary, points)  # type: ignore[union-attr]
            flags[asked] = degrees * METRES_PER_DEGREE * np.cos(np.radians(lat[asked])) <= accuracy[asked]
        return flags


def _start_level(width: float, height: float) -> int:
    """The finest level whose nodes are at least as large as a box of this width and height (so
    that at most two by two of them cover it)."""
    level = 0
    while level < LEVELS and 360.0 / (2 << level) >= width and 180.0 / (2 << level) >= height:
        level += 1
    return level


class _Edge:
    """An area's edge as short straight pieces, followed level by level only where nodes are
    still being split: at each level the pieces are cut to a quarter of a cell's height, so every
    cell the edge enters lies next to the cell of a piece's end."""

    def __init__(self, shape: BaseGeometry):
        starts, ends = [], []
        for ring in _rings(shape):
            coords = shapely.get_coordinates(ring)
            starts.append(coords[:-1])
            ends.append(coords[1:])
        start, end = np.concatenate(starts or [np.empty((0, 2))]), np.concatenate(ends or [np.empty((0, 2))])
        self._start, self._end = start, end
        self._ids = np.empty((0, 2), dtype=np.int64)  # the cells of each piece's ends, at the last level

    def cells(self, level: int) -> np.ndarray:
        """The ids (row × 2^level + column) of the cells at ``level`` the edge passes through, and
        their neighbours (a superset, never less)."""
        cells = 1 << level
        self._cut(180.0 / cells / 4)
        ends = np.stack([self._start, self._end])  # (2, pieces, 2)
        col = np.clip(np.floor((ends[..., 0] + 180.0) / 360.0 * cells).astype(np.int64), 0, cells - 1)
        row = np.clip(np.floor((ends[..., 1] + 90.0) / 180.0 * cells).astype(np.int64), 0, cells - 1)
        self._ids = (row * cells + col).T
        return _around(np.unique(self._ids), cells)

    def keep_near(self, cols: np.ndarray, rows: np.ndarray, level: int) -> None:
        """Keep only the pieces near the nodes given (those being split): the children of a node
        can be reached only by pieces ending in it or next to it."""
        cells = 1 << level
        near = _around(rows * cells + cols, cells)
        kept = _among(self._ids, near).any(axis=1)
        self._start, self._end, self._ids = self._start[kept], self._end[kept], self._ids[kept]

    def _cut(self, step: float) -> None:
        lengths = np.hypot(*(self._end - self._start).T)
        steps = np.maximum(1, np.ceil(lengths / step).astype(np.int64))
        if (steps == 1).all():
            return
        piece = np.repeat(np.arange(len(steps)), steps)
        at = np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)
        span = (self._end - self._start)[piece]
        self._start, self._end = (
            self._start[piece] + span * (at / steps[piece])[:, None],
            self._start[piece] + span * ((at + 1) / steps[piece])[:, None],
        )


def _around(ids: np.ndarray, cells: int) -> np.ndarray:
    """The cells of ``ids`` and their eight neighbours, sorted (with repeats)."""
    around = (np.array([-1, 0, 1])[:, None] * cells + np.array([-1, 0, 1])[None, :]).ravel()
    return np.sort((np.asarray(ids)[:, None] + around[None, :]).ravel())


def _among(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_ids`` (sorted, repeats allowed): a binary search each."""
    if len(sorted_ids) == 0:
        return np.zeros(np.shape(values), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids[at] == values


def _rings(shape: BaseGeometry) -> list[BaseGeometry]:
    """The exterior and interior rings of every polygon in ``shape``."""
    boundary = shape.boundary
    return list(getattr(boundary, "geoms", [boundary]))


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    if not parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``range(s, s + c)`` for each pair, without a Python loop."""
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64)
    total = int(counts.sum())
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.arange(total, dtype=np.int64) + offsets
