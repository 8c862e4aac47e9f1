"""Where most people live, and the largest areas: households crowded in a city-sized box against a
200-vertex polygon covering about half of it, and households over a country against a 2 500 km
geodesic circle whose rim crosses it. Beside what a user would otherwise run on the same points:
shapely 2 ``contains_xy`` on a prepared polygon, DuckDB's spatial extension (``ST_Covers``, loaded
from the ``duckdb-ext-spatial`` package's file) and PostGIS ``ST_Covers`` with a GiST index; for
the circle, pyproj's ``Geod.inv`` on every point. Results must be identical.

    python -m bench.cities [--quick] [--size 1000000] [--repeat 7] [--no-postgis]
"""

from __future__ import annotations

import argparse
import gc
import glob
import sys
from pathlib import Path

import numpy as np
import shapely

from bench.common import goal, header, households, timed
from bench.matching import postgis_covers
from services.alerts.domain.geometry import GEOD, GeodesicCircle, circle_shape
from services.alerts.domain.matching import LocationIndex

#: A capital-sized box (about 27 × 22 km), south-west corner at Santo Domingo's.
CITY = (-70.05, 18.40, 0.25, 0.20)


def city(size: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray, shapely.Polygon]:
    """``size`` households in the box (dense quarters over an even spread) and a wobbly
    200-vertex polygon over about half of it."""
    rng = np.random.default_rng(seed)
    west, south, width, height = CITY
    quarters = rng.uniform((west, south), (west + width, south + height), size=(60, 2))
    crowded = int(size * 0.6)
    which = rng.integers(0, len(quarters), crowded)
    points = np.vstack(
        [
            quarters[which] + rng.normal(0, 0.006, size=(crowded, 2)),
            rng.uniform((west, south), (west + width, south + height), size=(size - crowded, 2)),
        ]
    )
    points[:, 0] = np.clip(points[:, 0], west, west + width)
    points[:, 1] = np.clip(points[:, 1], south, south + height)
    turn = np.linspace(0, 2 * np.pi, 200, endpoint=False)
    radius = 0.08 * (1 + 0.15 * np.sin(7 * turn))
    ring = np.column_stack(
        [west + width / 2 + radius * np.cos(turn) * 1.25, south + height / 2 + radius * np.sin(turn)]
    )
    return np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1]), shapely.Polygon(ring)


def spatial_extension() -> str | None:
    """The spatial extension file the ``duckdb-ext-spatial`` package installed for this DuckDB."""
    try:
        import duckdb
    except ImportError:
        return None
    for folder in sys.path:
        found = glob.glob(f"{folder}/duckdb_ext/extensions/v{duckdb.__version__}/*/spatial.duckdb_extension")
        if found:
            return found[0]
    return None


def duckdb_covers(lon: np.ndarray, lat: np.ndarray, shape: shapely.Geometry, repeat: int):  # type: ignore[no-untyped-def]
    """Load the points into DuckDB as geometries (not timed), then time ``ST_Covers`` over them."""
    extension = spatial_extension()
    if extension is None:
        print("   DuckDB spatial: not installed (duckdb, duckdb-ext-spatial); skipped")
        return None, None
    import duckdb
    import pandas

    connection = duckdb.connect()
    connection.execute(f"LOAD '{Path(extension)}'")
    frame = pandas.DataFrame({"id": np.arange(len(lon), dtype=np.int64), "lon": lon, "lat": lat})
    connection.register("frame", frame)
    connection.execute("CREATE TABLE households AS SELECT id, ST_Point(lon, lat) AS geom FROM frame")
    wkt = shape.wkt

    def run() -> np.ndarray:
        found = connection.execute(
            "SELECT id FROM households WHERE ST_Covers(ST_GeomFromText(?), geom)", [wkt]
        ).fetchnumpy()["id"]
        return np.sort(np.asarray(found, dtype=np.int64))

    try:
        return timed("DuckDB spatial ST_Covers (ids fetched)", run, repeat)
    finally:
        connection.close()


def dense_city(size: int, repeat: int, postgis: bool) -> None:
    lon, lat, shape = city(size)
    build, index = timed("Amparo LocationIndex (build, once)", lambda: LocationIndex(lon, lat), 1)
    ours, exposure = timed("Amparo LocationIndex.match", lambda: index.match(shape), repeat)
    expected = np.sort(exposure.positions)
    prepared = shapely.from_wkb(shape.wkb)
    shapely.prepare(prepared)
    plain, hits = timed(
        "shapely 2 contains_xy (prepared)",
        lambda: np.flatnonzero(shapely.contains_xy(prepared, lon, lat)),
        max(1, repeat // 2),
    )
    rows, same = [build, ours, plain], {"contains_xy": np.array_equal(expected, hits)}
    for name, baseline in (("DuckDB", duckdb_covers), ("PostGIS", postgis_covers if postgis else None)):
        if baseline is None:
            continue
        timing, found = baseline(lon, lat, shape, max(1, repeat // 3))
        if timing is not None:
            rows.append(timing)
            same[name] = np.array_equal(expected, found)
    box = f"{CITY[2]}° × {CITY[3]}°"
    print(f"\n   {size:,} households in {box}, 200-vertex polygon, {len(expected):,} inside")
    for row in rows:
        print("   " + row.row())
    print(f"   identical results: {same}")
    target = 0.010 * size / 1_000_000
    print(goal(f"dense city, {size:,} in ≤ {target * 1000:.0f} ms", ours.median, target))


def large_circle(size: int, repeat: int) -> None:
    """A 2 500 km circle whose rim passes through the middle of the households."""
    lon, lat = households(size)
    middle_lon, middle_lat = float(np.median(lon)), float(np.median(lat))
    centre_lon, centre_lat, _ = GEOD.fwd(middle_lon, middle_lat, 80.0, 2_500_000.0)
    circle = GeodesicCircle(float(centre_lon), float(centre_lat), 2_500_000.0)
    within = circle_shape(circle, scale=1.02)
    build, index = timed("Amparo LocationIndex (build, once)", lambda: LocationIndex(lon, lat), 1)
    ours, exposure = timed(
        "Amparo LocationIndex.match (exact, on WGS 84)",
        lambda: index.match(None, [circle], within=within),
        repeat,
    )

    def every_point() -> np.ndarray:
        _, _, metres = GEOD.inv(np.full(size, circle.lon), np.full(size, circle.lat), lon, lat)
        return np.flatnonzero(np.asarray(metres) <= circle.reach_m)

    plain, hits = timed("pyproj Geod.inv on every point", every_point, max(1, repeat // 3))
    print(f"\n   {size:,} households, 2 500 km circle centred at {circle.lat:.2f}, {circle.lon:.2f}")
    print(f"   {len(hits):,} inside")
    for row in (build, ours, plain):
        print("   " + row.row())
    print(f"   identical results: {np.array_equal(np.sort(exposure.positions), hits)}")
    target = 0.020 * size / 1_000_000
    print(goal(f"2 500 km circle, {size:,} in ≤ {target * 1000:.0f} ms", ours.median, target))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50 000 households, fewer repeats")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-postgis", action="store_true")
    args = parser.parse_args(argv)
    size = 25_000 if args.quick else args.size
    repeat = 2 if args.quick else args.repeat
    header("A dense city (goal: 1 M households in ≤ 10 ms)")
    dense_city(size, repeat, not args.no_postgis and not args.quick)
    gc.collect()
    header("A 2 500 km geodesic circle (goal: 1 M households in ≤ 20 ms, exact)")
    large_circle(size, repeat)


if __name__ == "__main__":
    main()
