"""Who is inside an area: a location index built for it.

Household coordinates live in contiguous numpy arrays, sorted by a grid cell key. For an area,
only the cells under its bounding box are looked at; a cell lying wholly inside the area is taken
whole, a cell on its edge gets exact point tests (shapely's vectorised predicates on the prepared
shape), and a cell outside is skipped. There is no Python loop over households, and the answer is
exactly the households a plain ``covers`` test on every point would give (points on the edge
count as inside).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

#: Metres per degree of latitude (and of longitude at the equator), for edge distances.
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Exposure:
    """The households an area covers: positions in the index, and which lie near its edge."""

    positions: np.ndarray  # int64 positions into the index arrays
    near_edge: np.ndarray  # bool, same length: within the location's accuracy of the edge


class LocationIndex:
    """Households' coordinates, sorted by grid cell, ready to be matched against shapes.

    Parameters
    ----------
    lon, lat
        WGS 84 coordinates, one per household (NaN for a household without coordinates; those
        never match a shape).
    accuracy_m
        Each location's accuracy in metres (NaN when unknown).
    cell_deg
        Grid cell size in degrees.

    Examples
    --------
    >>> index = LocationIndex(np.array([-87.2, -86.0]), np.array([13.3, 14.0]), np.array([5.0, np.nan]))
    >>> index.match(shapely.box(-87.5, 13.0, -87.0, 13.5)).positions.tolist()
    [0]
    """

    def __init__(
        self, lon: np.ndarray, lat: np.ndarray, accuracy_m: np.ndarray | None = None, cell_deg: float = 0.05
    ):
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        if lon.shape != lat.shape or lon.ndim != 1:
            raise ValueError("lon and lat must be one-dimensional arrays of the same length")
        accuracy = (
            np.full(lon.shape, np.nan) if accuracy_m is None else np.asarray(accuracy_m, dtype=np.float64)
        )
        self.cell_deg = cell_deg
        located = np.isfinite(lon) & np.isfinite(lat)
        self.size = len(lon)
        cells = np.full(lon.shape, np.iinfo(np.int64).max, dtype=np.int64)
        cells[located] = self._cell(lon[located], lat[located])
        self._order = np.argsort(cells, kind="stable")
        self._cells = cells[self._order]
        self._lon = np.ascontiguousarray(lon[self._order])
        self._lat = np.ascontiguousarray(lat[self._order])
        self._accuracy = np.ascontiguousarray(accuracy[self._order])
        occupied, starts, counts = np.unique(self._cells, return_index=True, return_counts=True)
        keep = occupied != np.iinfo(np.int64).max
        self._occupied, self._starts, self._counts = occupied[keep], starts[keep], counts[keep]
        self._rows, self._cols = self._occupied // 100_000, self._occupied % 100_000

    def _cell(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        col = np.floor((lon + 180.0) / self.cell_deg).astype(np.int64)
        row = np.floor((lat + 90.0) / self.cell_deg).astype(np.int64)
        return row * 100_000 + col

    def match(self, shape: BaseGeometry) -> Exposure:
        """The households ``shape`` covers (boundary included), with a flag for those within their
        location's accuracy of its edge.

        Cells the boundary crosses are found by walking the boundary's edges in steps shorter than
        a cell and taking those cells with their neighbours; every other cell lies wholly inside or
        wholly outside, which its centre tells. Only the points of boundary cells are tested one
        by one, so the cost follows the boundary's length, not the number of households inside.
        """
        if shape.is_empty or len(self._occupied) == 0:
            return Exposure(np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))
        minx, miny, maxx, maxy = shape.bounds
        row_lo, row_hi = np.floor((np.array([miny, maxy]) + 90.0) / self.cell_deg).astype(np.int64)
        col_lo, col_hi = np.floor((np.array([minx, maxx]) + 180.0) / self.cell_deg).astype(np.int64)
        rows, cols = self._rows, self._cols
        candidate = np.flatnonzero((rows >= row_lo) & (rows <= row_hi) & (cols >= col_lo) & (cols <= col_hi))
        if len(candidate) == 0:
            return Exposure(np.empty(0, dtype=np.int64), np.empty(0, dtype=bool))
        edge = np.isin(self._occupied[candidate], self._boundary_cells(shape))
        inner = candidate[~edge]
        centres_inside = shapely.contains_xy(
            shape, (cols[inner] + 0.5) * self.cell_deg - 180.0, (rows[inner] + 0.5) * self.cell_deg - 90.0
        )
        whole_cells, edge_cells = inner[centres_inside], candidate[edge]
        whole = _ranges(self._starts[whole_cells], self._counts[whole_cells])
        edge_candidates = _ranges(self._starts[edge_cells], self._counts[edge_cells])
        shapely.prepare(shape)
        on_edge = edge_candidates[
            shapely.intersects_xy(shape, self._lon[edge_candidates], self._lat[edge_candidates])
        ]
        positions = np.concatenate([whole, on_edge])
        near = np.zeros(len(positions), dtype=bool)
        if len(on_edge):
            accuracy = self._accuracy[on_edge]
            known = np.isfinite(accuracy) & (accuracy > 0)
            if known.any():
                points = shapely.points(self._lon[on_edge[known]], self._lat[on_edge[known]])
                metres = (
                    shapely.distance(shape.boundary, points)
                    * METRES_PER_DEGREE
                    * np.cos(np.radians(self._lat[on_edge[known]]))
                )
                flags = np.zeros(len(on_edge), dtype=bool)
                flags[known] = metres <= accuracy[known]
                near[len(whole) :] = flags
        return Exposure(self._order[positions], near)

    def _boundary_cells(self, shape: BaseGeometry) -> np.ndarray:
        """Every cell the boundary passes through, and their neighbours (a superset, never less)."""
        xs, ys = [], []
        for ring in _rings(shape):
            coords = shapely.get_coordinates(ring)
            start, end = coords[:-1], coords[1:]
            lengths = np.hypot(*(end - start).T)
            steps = np.maximum(1, np.ceil(lengths / (self.cell_deg * 0.5)).astype(np.int64))
            segment = np.repeat(np.arange(len(steps)), steps)
            fraction = (np.arange(steps.sum()) - np.repeat(np.cumsum(steps) - steps, steps)) / steps[segment]
            xs.append(start[segment, 0] + (end[segment, 0] - start[segment, 0]) * fraction)
            ys.append(start[segment, 1] + (end[segment, 1] - start[segment, 1]) * fraction)
            xs.append(coords[-1:, 0])
            ys.append(coords[-1:, 1])
        x, y = np.concatenate(xs), np.concatenate(ys)
        row = np.floor((y + 90.0) / self.cell_deg).astype(np.int64)
        col = np.floor((x + 180.0) / self.cell_deg).astype(np.int64)
        around = np.array([-1, 0, 1])
        rows = (row[:, None, None] + around[None, :, None]).repeat(3, axis=2)
        cols = (col[:, None, None] + around[None, None, :]).repeat(3, axis=1)
        return np.unique(rows * 100_000 + cols)


def _rings(shape: BaseGeometry) -> list[BaseGeometry]:
    """The exterior and interior rings of every polygon in ``shape``."""
    boundary = shape.boundary
    return list(getattr(boundary, "geoms", [boundary]))


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenate ``range(s, s + c)`` for each pair, without a Python loop."""
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64)
    total = int(counts.sum())
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return np.arange(total, dtype=np.int64) + offsets
