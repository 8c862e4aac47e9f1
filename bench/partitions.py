"""Memory of one alerts instance holding one partition of the households, beside one holding all.

With ``AMPARO_ALERTS_INDEX=partitions`` each alerts instance keeps only the households of the
registry.households partitions its consumer group gave it. Here a projection of households spread
over Honduras, each on the partition its key gives (the producers' murmur2 rule), is stored in
SQLite; then a fresh process (the alerts service's modules imported, as a running instance has
them) reads and indexes every household, and another those of one partition, and each matches the
same alert. Peak resident memory of each is compared; the one-partition match must be exactly the
every-household match restricted to that partition.

    python -m bench.partitions [--quick] [--households 10000000]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.common import ROOT, goal, header, households
from shared.kafka import HOUSEHOLDS, partition_of

#: A real alert's area: Choluteca and Valle, Hurricane Eta's landfall coast.
AREA = "POLYGON ((-87.9 13.0, -86.7 13.0, -86.7 14.1, -87.9 14.1, -87.9 13.0))"
CHUNK = 1_000_000

READER = """
import json, resource, sys, time
import shapely
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
import services.alerts.entrypoints.app  # noqa: F401  (a running instance's modules)
from services.alerts.adapters.location_cache import LocationCache

url, partitions = sys.argv[1], json.loads(sys.argv[2])
sessions = sessionmaker(create_engine(url))
started = time.perf_counter()
with sessions() as session:
    columns, index = LocationCache().get(session, None if partitions is None else frozenset(partitions))
read = time.perf_counter() - started
matched = columns["household_id"][index.match(shapely.from_wkt(sys.argv[3])).positions]
print(json.dumps({
    "households": len(columns["household_id"]),
    "matched": sorted(matched.tolist()),
    "seconds": read,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def partitions_of(ids: list[str], count: int) -> np.ndarray:
    """The partition of each 36-character id, murmur2 over numpy (one pure-Python murmur2 per id
    takes minutes at 10 M); checked against the producers' own function on a sample."""
    data = np.frombuffer("".join(ids).encode(), dtype=np.uint8).reshape(len(ids), 36).astype(np.uint64)
    m, mask = np.uint64(0x5BD1E995), np.uint64(0xFFFFFFFF)
    h = np.full(len(ids), 0x9747B28C ^ 36, dtype=np.uint64)
    for i in range(0, 36, 4):
        k = data[:, i] | (data[:, i + 1] << np.uint64(8)) | (data[:, i + 2] << np.uint64(16))
        k = k | (data[:, i + 3] << np.uint64(24))
        k = (k * m) & mask
        k ^= k >> np.uint64(24)
        k = (k * m) & mask
        h = ((h * m) & mask) ^ k
    h ^= h >> np.uint64(13)
    h = (h * m) & mask
    h ^= h >> np.uint64(15)
    found = ((h & np.uint64(0x7FFFFFFF)) % np.uint64(count)).astype(np.int64)
    for n in range(0, len(ids), max(1, len(ids) // 1000)):
        assert found[n] == partition_of(ids[n], count), ids[n]
    return found


def fill(url: str, count: int) -> np.ndarray:
    """``count`` active households in an alerts database at ``url``; their partitions."""
    from services.alerts.adapters.orm import household_locations
    from services.alerts.entrypoints.app import MIGRATIONS
    from shared import db

    engine = db.make_engine(url)
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    lon, lat = households(count)
    now = datetime.now(UTC)
    every = []
    for start in range(0, count, CHUNK):
        stop = min(count, start + CHUNK)
        ids = [str(uuid.UUID(int=n + 1)) for n in range(start, stop)]
        partitions = partitions_of(ids, HOUSEHOLDS.partitions)
        every.append(partitions)
        size = stop - start
        with sessions.begin() as session:
            db.bulk_insert_columns(
                session,
                household_locations,
                {
                    "household_id": ids,
                    "version": [1] * size,
                    "status": ["active"] * size,
                    "admin_code": ["HN-CH"] * size,
                    "lon": lon[start:stop].tolist(),
                    "lat": lat[start:stop].tolist(),
                    "accuracy_m": [8.0] * size,
                    "updated_at": [now] * size,
                    "size": [3] * size,
                    "partition": partitions.tolist(),
                },
            )
    engine.dispose()
    return np.concatenate(every)


def held(url: str, partitions: list[int] | None) -> dict:
    """What a fresh process holding ``partitions`` (``None``: every household) reads and matches."""
    result = subprocess.run(
        [sys.executable, "-c", READER, url, json.dumps(partitions), AREA],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return dict(json.loads(result.stdout.splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="60 000 households")
    parser.add_argument("--households", type=int, default=10_000_000)
    args = parser.parse_args(argv)
    count = 30_000 if args.quick else args.households
    header(
        f"Partitions (goal 10): one alerts instance holding 1 of {HOUSEHOLDS.partitions} partitions "
        f"of {count:,} households, beside one holding all"
    )
    folder = Path(tempfile.mkdtemp(prefix="amparo-bench-partitions-"))
    url = f"sqlite:///{folder / 'alerts.db'}"
    try:
        started = time.perf_counter()
        partitions = fill(url, count)
        print(f"   projection filled (not timed): {time.perf_counter() - started:.0f} s")
        whole = held(url, None)
        one = held(url, [0])
        print(
            f"   every household: {whole['households']:,} held, read in {whole['seconds']:.1f} s, "
            f"peak {whole['peak_mib']:,.0f} MiB"
        )
        print(
            f"   partition 0:     {one['households']:,} held, read in {one['seconds']:.1f} s, "
            f"peak {one['peak_mib']:,.0f} MiB ({one['peak_mib'] / whole['peak_mib']:.2f} of every "
            "household's)"
        )
        # Household n's id is the UUID of n + 1.
        restricted = [h for h in whole["matched"] if partitions[uuid.UUID(h).int - 1] == 0]
        same = one["matched"] == restricted and one["households"] == int((partitions == 0).sum())
        print(f"   identical results: {same} ({len(one['matched']):,} of partition 0 in the area)")
        print(
            goal(
                "one partition's instance ≤ 1/5 of every household's",
                one["peak_mib"] / whole["peak_mib"],
                0.2,
            )
        )
        if not same:
            raise SystemExit("the one-partition instance does not hold what the whole one holds of it")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
