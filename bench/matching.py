"""Households matched against a real CAP polygon and against 50 admin areas, beside what a user
would otherwise run: geopandas ``sjoin``, shapely 2 ``contains_xy`` on a prepared polygon, and
PostGIS ``ST_Covers`` with a GiST index. Results must be identical; the index's memory is measured.

    python -m bench.matching [--quick] [--sizes 1000000,10000000] [--repeat 7] [--no-postgis]
"""

from __future__ import annotations

import argparse
import gc
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import shapely

from bench.common import ROOT, current_rss_mib, goal, header, households, timed
from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.domain.admin_layer import layer_from_geojson
from services.alerts.domain.geometry import AreaShape, message_shapes
from services.alerts.domain.matching import LocationIndex
from services.alerts.service_layer.exposures import compute_exposure

CAP = ROOT / "tests" / "data" / "cap" / "mexico.xml"  # SMN, Tropical Storm Vicente 2018 (Chiapas, Oaxaca)


def cap_polygon() -> shapely.Geometry:
    message = parse_cap_xml(CAP.read_bytes())
    return message_shapes(message, [])[0].geometry


def points_around(shape: shapely.Geometry, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Households over the polygon's surroundings (its bounds plus one degree each side)."""
    lon, lat = households(count)
    west, south, east, north = shape.bounds
    # Map the generated Honduras-shaped population onto the polygon's neighbourhood.
    lon = west - 1 + (lon - lon.min()) / np.ptp(lon) * (east - west + 2)
    lat = south - 1 + (lat - lat.min()) / np.ptp(lat) * (north - south + 2)
    return lon, lat


def polygon(sizes: list[int], repeat: int, postgis: bool) -> None:
    shape = cap_polygon()
    print(f"   polygon: {CAP.name}, {shapely.get_num_coordinates(shape)} vertices")
    for size in sizes:
        lon, lat = points_around(shape, size)
        gc.collect()
        before = current_rss_mib()
        build, index = timed(
            "Amparo LocationIndex (build, once)", lambda lon=lon, lat=lat: LocationIndex(lon, lat), 1
        )
        index_mib = current_rss_mib() - before
        ours, exposure = timed("Amparo LocationIndex.match", lambda index=index: index.match(shape), repeat)
        expected = np.sort(exposure.positions)
        prepared = shapely.from_wkb(shape.wkb)
        shapely.prepare(prepared)
        plain, hits = timed(
            "shapely 2 contains_xy (prepared)",
            lambda p=prepared, lon=lon, lat=lat: np.flatnonzero(shapely.contains_xy(p, lon, lat)),
            max(1, repeat // 2),
        )
        rows = [build, ours, plain]
        same = {"contains_xy": np.array_equal(expected, hits)}
        if size <= 10_000_000:
            join, joined = sjoin(lon, lat, shape, 1 if size > 1_000_000 else max(1, repeat // 3))
            rows.append(join)
            same["sjoin"] = np.array_equal(expected, joined)
        if postgis:
            query, fetched = postgis_covers(lon, lat, shape, max(1, repeat // 3))
            if query is not None:
                rows.append(query)
                same["PostGIS"] = np.array_equal(expected, fetched)
        print(f"\n   {size:,} households, {len(expected):,} inside")
        for row in rows:
            print("   " + row.row())
        print(f"   identical results: {same}")
        print(f"   index resident memory: {index_mib:.0f} MiB")
        target = 0.025 * size / 1_000_000
        print(goal(f"match {size:,} in ≤ {target * 1000:.0f} ms", ours.median, target))
        print(goal("≥ 5× contains_xy", plain.median / ours.median, 5, "higher"))
        if len(rows) > 3:
            print(goal("≥ 40× sjoin", rows[3].median / ours.median, 40, "higher"))
        if size >= 10_000_000:
            print(goal("index for 10 M ≤ 1.5 GB resident", index_mib, 1536))
        del index, exposure, lon, lat
        gc.collect()


def sjoin(lon: np.ndarray, lat: np.ndarray, shape: shapely.Geometry, repeat: int):  # type: ignore[no-untyped-def]
    import geopandas

    points = geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(lon, lat), crs="EPSG:4326")
    area = geopandas.GeoDataFrame(geometry=[shape], crs="EPSG:4326")

    def run() -> np.ndarray:
        joined = geopandas.sjoin(points, area, predicate="within", how="inner")
        return np.sort(joined.index.to_numpy())

    return timed("geopandas sjoin (predicate=within)", run, repeat)


def postgis_covers(lon: np.ndarray, lat: np.ndarray, shape: shapely.Geometry, repeat: int):  # type: ignore[no-untyped-def]
    """Load the points into PostGIS with a GiST index (not timed), then time ST_Covers."""
    from tests.postgres_cluster import PG_BIN, PostgresCluster

    if (
        not (PG_BIN / "initdb").exists()
        or not Path("/usr/share/postgresql/15/extension/postgis.control").exists()
    ):
        print("   PostGIS: not installed (Debian package postgresql-15-postgis-3); skipped")
        return None, None
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="amparo-bench-pg-"))
    root.chmod(0o755)
    cluster = PostgresCluster(root).start()
    try:
        with psycopg.connect(f"host=127.0.0.1 port={cluster.port} user=amparo dbname=postgres") as conn:
            conn.execute("CREATE EXTENSION postgis")
            conn.execute("CREATE TABLE households (id bigint, geom geometry(Point, 4326))")
            with conn.cursor() as cursor, cursor.copy("COPY households (id, geom) FROM STDIN") as copy:
                buffer = io.StringIO()
                for n, (x, y) in enumerate(zip(lon.tolist(), lat.tolist(), strict=True)):
                    buffer.write(f"{n}\tSRID=4326;POINT({x!r} {y!r})\n")
                    if n % 200_000 == 199_999:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
            conn.execute("CREATE INDEX ON households USING gist (geom)")
            conn.execute("ANALYZE households")
            conn.commit()
            wkt = shape.wkt

            def run() -> np.ndarray:
                rows = conn.execute(
                    "SELECT id FROM households WHERE ST_Covers(ST_GeomFromText(%s, 4326), geom)", (wkt,)
                ).fetchall()
                return np.sort(np.array([r[0] for r in rows], dtype=np.int64))

            return timed("PostGIS ST_Covers + GiST (ids fetched)", run, repeat)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def many_areas(size: int, repeat: int) -> None:
    """An alert naming 50 admin areas by geocode, against ``size`` households."""
    from importlib import resources

    raw = (resources.files("services.alerts") / "data" / "iso3166-2-bz-do-gt-hn.geojson").read_bytes()
    import json

    layer, _ = layer_from_geojson(json.loads(raw), "ISO3166-2", "ISO3166-2")
    codes = sorted(layer.areas)[:50]
    shapes = [AreaShape(0, n, code, layer.areas[code], (code,)) for n, code in enumerate(codes)]
    union = shapely.union_all([s.geometry for s in shapes])
    west, south, east, north = union.bounds
    lon, lat = households(size)
    lon = west + (lon - lon.min()) / np.ptp(lon) * (east - west)
    lat = south + (lat - lat.min()) / np.ptp(lat) * (north - south)
    # Each household registered in the country whose areas hold it (a geocode reaches only its
    # own country's families; the reference layer's areas overlap at borders).
    country = np.full(size, "XX", dtype=object)
    for code in sorted({c.split("-")[0] for c in codes}):
        mine = shapely.union_all([s.geometry for s in shapes if s.codes[0].startswith(code + "-")])
        country[(country == "XX") & shapely.contains_xy(mine, lon, lat)] = code
    columns = {
        "lon": lon,
        "lat": lat,
        "accuracy_m": np.full(size, np.nan),
        "admin_code": country,
        "size": np.full(size, 4),
        **{g: np.zeros(size, dtype=np.int64) for g in ("children_under_5", "elderly_65_plus")},
        **{g: np.zeros(size, dtype=np.int64) for g in ("persons_with_disabilities", "female_headed")},
    }
    build, index = timed(
        "Amparo LocationIndex (built once, kept between alerts)",
        lambda: LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"]),
        1,
    )
    cold, _ = timed(
        "Amparo compute_exposure (50 areas, first time)", lambda: compute_exposure(columns, shapes, index), 1
    )
    ours, exposure = timed(
        "Amparo compute_exposure (50 areas kept, again)",
        lambda: compute_exposure(columns, shapes, index),
        repeat,
    )
    prepared = [shapely.from_wkb(s.geometry.wkb) for s in shapes]
    for p in prepared:
        shapely.prepare(p)

    def baseline() -> np.ndarray:
        hit = np.zeros(size, dtype=bool)
        for p, code in zip(prepared, codes, strict=True):
            hit |= shapely.contains_xy(p, lon, lat) & (country == code.split("-")[0])
        return np.flatnonzero(hit)

    plain, hits = timed("shapely 2 contains_xy, 50 prepared areas", baseline, max(1, repeat // 2))
    print(f"\n   50 admin areas ({codes[0]} … {codes[-1]}), {size:,} households, {len(hits):,} inside")
    print("   " + build.row())
    print("   " + cold.row())
    print("   " + ours.row())
    print("   " + plain.row())
    print(f"   identical results: {np.array_equal(np.sort(exposure['positions']), hits)}")
    print(goal(f"50 areas against {size:,} in ≤ 100 ms, first time", cold.median, 0.1 * size / 1_000_000))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="50 000 households, fewer repeats")
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-postgis", action="store_true")
    args = parser.parse_args(argv)
    sizes = [25_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    repeat = 2 if args.quick else args.repeat
    header("Polygon matching (goals 1 and 7)")
    polygon(sizes, repeat, not args.no_postgis)
    header("Many areas (goal 2)")
    many_areas(sizes[0], repeat)


if __name__ == "__main__":
    main()
