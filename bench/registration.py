"""Field registration: households synced in batches of 500 (the field app's path) into a running
registry that already holds a country's households, on SQLite and on PostgreSQL, beside one POST
per household (what a simple client does).

    python -m bench.registration [--quick] [--households 5000] [--registry 200000]
                                 [--databases sqlite,postgresql]
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
from bench.population import FAMILY, GIVEN
from services.stack import Stack
from shared.auth import FIELD_STAFF
from tests.samples import distinct_household

#: Honduras' departments: the registry's households are spread over them, as a country's are.
DEPARTMENTS = [
    "AT",
    "CH",
    "CL",
    "CM",
    "CP",
    "CR",
    "EP",
    "FM",
    "GD",
    "IB",
    "IN",
    "LE",
    "LP",
    "OC",
    "OL",
    "SB",
    "VA",
    "YO",
]


def seed(stack: Stack, url: str, count: int, headers: dict[str, str]) -> float:
    """Put ``count`` households into the registry's tables directly (the registry measured starts
    from them; going through its API would take longer than the measurement): copies of one
    registered through the API, each with its own ids, department, people's names and birth
    years and documents, so that duplicate blocks fill as a country's do. Returns the seconds."""
    import random

    from sqlalchemy import create_engine, insert, select

    from services.registry.adapters.orm import households, members
    from services.registry.domain.duplicates import name_key

    started = time.perf_counter()
    household_id = str(uuid.uuid4())
    requests.post(
        f"{url}/v1/households", json=distinct_household(household_id), headers=headers, timeout=60
    ).raise_for_status()
    engine = create_engine(
        stack.database_urls.get("registry") or f"sqlite:///{stack.data_dir / 'registry.db'}"
    )
    with engine.connect() as connection:
        home = dict(
            connection.execute(select(households).where(households.c.id == household_id)).one()._mapping
        )
        people = [
            dict(row._mapping)
            for row in connection.execute(select(members).where(members.c.household_id == household_id))
        ]
    rng = random.Random(11)
    for start in range(0, count, 20_000):
        homes, rows = [], []
        for n in range(start, min(count, start + 20_000)):
            new_id, area = str(uuid.uuid4()), f"HN-{DEPARTMENTS[n % len(DEPARTMENTS)]}"
            homes.append({**home, "id": new_id, "admin_code": area, "registration_number": f"B-{n:09d}"})
            for person in people:
                given, family = rng.choice(GIVEN), f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
                key = name_key(given, family)
                rows.append(
                    {
                        **person,
                        "id": str(uuid.uuid4()),
                        "household_id": new_id,
                        "given_names": given,
                        "family_names": family,
                        "name_key": key,
                        "block_initial": key[:1],
                        "block_area": area,
                        "birth_year": rng.randint(1940, 2024),
                        "document_hash": f"{rng.getrandbits(128):032x}" if person["document_hash"] else None,
                    }
                )
        with engine.begin() as connection:
            connection.execute(insert(households), homes)
            connection.execute(insert(members), rows)
    engine.dispose()
    return time.perf_counter() - started


def run(database: str, count: int, singles: int, registry: int) -> tuple[float, float]:
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
        if registry:
            took = seed(stack, url, registry, headers)
            print(f"   {database:<10} {registry:,} households put in the registry first ({took:.0f} s)")
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
    parser.add_argument("--quick", action="store_true", help="600 households, SQLite only")
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--registry", type=int, default=200_000, help="households registered first")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    count = 600 if args.quick else args.households
    databases = ["sqlite"] if args.quick else args.databases.split(",")
    registry = 0 if args.quick else args.registry
    header(
        f"Registration (goal 6): {count:,} households synced in batches of 500 to a running registry "
        f"of {registry:,}"
    )
    for database in databases:
        batched, single = run(database, count, max(200, count // 20), registry)
        print(f"   {database:<10} sync batches of 500: {batched:8.0f} households/s")
        print(f"   {database:<10} one POST per household: {single:6.0f} households/s (baseline)")
        print(goal(f"≥ 1 000 households/s into {database}", batched, 1000, "higher"))


if __name__ == "__main__":
    main()
