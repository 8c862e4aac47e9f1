"""Field registration: households synced in batches of 500 (the field app's path) into a running
registry, on SQLite and on PostgreSQL, beside one POST per household (what a simple client does).

    python -m bench.registration [--quick] [--households 20000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.common import goal, header
from services.stack import Stack
from shared.auth import FIELD_STAFF
from tests.samples import distinct_household


def run(database: str, count: int, singles: int) -> tuple[float, float]:
    from tests.postgres_cluster import PostgresCluster

    folder = Path(tempfile.mkdtemp(prefix="amparo-bench-reg-"))
    folder.chmod(0o755)
    cluster = None
    urls = {}
    if database == "postgresql":
        (folder / "pg").mkdir()
        cluster = PostgresCluster(folder / "pg").start()
        urls = {name: cluster.new_database() for name in ("registry", "alerts", "transfers")}
    stack = Stack(
        folder / "stack",
        ports={"registry": 0, "alerts": 0, "transfers": 0},
        with_console=False,
        database_urls=urls,
    )
    try:
        stack.start()
        url = stack.url("registry")
        token = stack.issuer.mint("bench-field", [FIELD_STAFF], ["HN"])
        headers = {"Authorization": f"Bearer {token}"}
        session = requests.Session()
        started = time.perf_counter()
        for start in range(0, count, 500):
            records = []
            for _ in range(min(500, count - start)):
                household_id = str(uuid.uuid4())
                records.append(
                    {
                        "client_id": str(uuid.uuid4()),
                        "household_id": household_id,
                        "household": distinct_household(household_id),
                    }
                )
            response = session.post(
                f"{url}/v1/households/sync",
                json={"device": "bench", "records": records},
                headers=headers,
                timeout=600,
            )
            response.raise_for_status()
        batched = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(singles):
            household_id = str(uuid.uuid4())
            response = session.post(
                f"{url}/v1/households", json=distinct_household(household_id), headers=headers, timeout=60
            )
            response.raise_for_status()
        single = singles / (time.perf_counter() - started)
        return batched, single
    finally:
        stack.stop()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 000 households, SQLite only")
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    count = 2_000 if args.quick else args.households
    databases = ["sqlite"] if args.quick else args.databases.split(",")
    header(f"Registration (goal 6): {count:,} households synced in batches of 500 to a running registry")
    for database in databases:
        batched, single = run(database, count, max(200, count // 20))
        print(f"   {database:<10} sync batches of 500: {batched:8.0f} households/s")
        print(f"   {database:<10} one POST per household: {single:6.0f} households/s (baseline)")
        print(goal(f"≥ 1 000 households/s into {database}", batched, 1000, "higher"))


if __name__ == "__main__":
    main()
