"""Household points sampled from a large GeoTIFF in another CRS (UTM 16N over Honduras), beside
rasterio's own ``sample()``. Amparo moves the points into the raster's CRS once and reads every
value with one affine lookup; the figures are taken after the raster is read.

    python -m bench.rasters [--quick] [--pixels 10000] [--households 1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_bounds

from bench.common import goal, header, households, timed
from services.alerts.adapters.footprint_files import read_raster

UTM_16N = "EPSG:32616"
#: Honduras in UTM 16N metres (west, south, east, north).
EXTENT = (150_000.0, 1_420_000.0, 1_000_000.0, 1_840_000.0)


def write_raster(path: Path, pixels: int) -> None:
    """A flood-depth-like field (metres) on a ``pixels`` × ``pixels`` grid, nodata at sea."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:pixels, 0:pixels].astype(np.float32) / pixels
    depth = (np.sin(x * 17) * np.cos(y * 11) + 1.0) * 1.5 + rng.random(
        (pixels, pixels), dtype=np.float32
    ) * 0.1
    depth[: pixels // 50, :] = -9999.0  # a strip of nodata
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=pixels,
        height=pixels,
        count=1,
        dtype="float32",
        crs=UTM_16N,
        transform=from_bounds(*EXTENT, pixels, pixels),
        nodata=-9999.0,
        tiled=True,
        compress="deflate",
    ) as out:
        out.write(depth, 1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 000 px, 50 000 households")
    parser.add_argument("--pixels", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    pixels, count = (2_000, 25_000) if args.quick else (args.pixels, args.households)
    repeat = 2 if args.quick else args.repeat
    header(f"Raster footprints (goal 3): {pixels:,} × {pixels:,} GeoTIFF in {UTM_16N}, {count:,} households")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "footprint.tif"
        write_raster(path, pixels)
        raw = path.read_bytes()
        read, raster = timed("read the raster (once, not part of the goal)", lambda: read_raster(raw), 1)
        lon, lat = households(count)
        cold, values = timed(
            "Amparo cold: reproject points + sample", lambda: raster.sample(*raster.project(lon, lat)), repeat
        )
        x, y = raster.project(lon, lat)
        warm, _ = timed("Amparo warm: points already in the CRS", lambda: raster.sample(x, y), repeat)
        with rasterio.open(path) as dataset:
            # rasterio's sample() reads window by window; on the whole population it runs for minutes,
            # so it is timed on an evenly spread subset and scaled to the population.
            subset = np.linspace(0, count - 1, min(count, 20_000)).astype(np.int64)

            def baseline() -> np.ndarray:
                return np.array(
                    [v[0] for v in dataset.sample(zip(x[subset], y[subset], strict=True), masked=True)],
                    dtype=object,
                )

            base, sampled = timed(f"rasterio sample() on {len(subset):,} points", baseline, 1)
        scaled = base.median * count / len(subset)
        theirs = np.array([np.nan if v is np.ma.masked else float(v) for v in sampled])
        same = np.allclose(theirs, values[subset], equal_nan=True)
        print("   " + read.row())
        print("   " + cold.row())
        print("   " + warm.row())
        print("   " + base.row() + f"  → {scaled:.1f} s for {count:,}")
        print(f"   identical values on the subset: {same}")
        scale = count / 1_000_000
        print(goal(f"cold ≤ {300 * scale:.0f} ms", cold.median, 0.3 * scale))
        print(goal(f"warm ≤ {50 * scale:.0f} ms", warm.median, 0.05 * scale))
        print(goal("≥ 100× rasterio sample()", scaled / cold.median, 100, "higher"))


if __name__ == "__main__":
    main()
