"""One programme over every exposed household, decisions and explanations stored, beside a
row-at-a-time rule evaluation (what a rules engine over records would do).

Each database (SQLite, then PostgreSQL in a throwaway cluster) is filled first; the decision then
runs in a fresh process so that its peak resident memory is the decision's own.

    python -m bench.eligibility [--quick] [--households 1000000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from bench.common import goal, header, peak_rss_mib, timed

PROGRAMME = {
    "name": "Tormenta — early cash",
    "institute": "IHSS",
    "currency": "HNL",
    "trigger": {"categories": ["Met"], "min_severity": "Severe", "mode": "anticipatory"},
    "eligibility": {
        "all": [
            {"field": "vulnerability_score", "op": ">=", "value": 40},
            {
                "any": [
                    {"field": "children_under_5", "op": ">", "value": 0},
                    {"field": "elderly_65_plus", "op": ">", "value": 0},
                    {"field": "persons_with_disabilities", "op": ">", "value": 0},
                ]
            },
            {"field": "admin_code", "op": "within", "value": "HN"},
        ]
    },
    "benefit": {
        "base": 1500,
        "per_member": 250,
        "cap": 4000,
        "band_multipliers": {"Extreme": 1.5},
        "rounding": 50,
    },
    "budget": {"per_incident": 400_000_000, "policy": "rank_by_vulnerability"},
}
SUMMARY = {
    "status": "Actual",
    "categories": ["Met"],
    "event": "Tormenta tropical",
    "urgency": "Expected",
    "severity": "Extreme",
    "certainty": "Likely",
}


def fill(url: str, count: int) -> None:
    """``count`` households in the attribute projection, all exposed by one alert."""
    from services.transfers.adapters.orm import (
        exposed_households,
        exposure_parts,
        exposures,
        household_attributes,
        incidents,
    )
    from services.transfers.adapters.orm import programmes as programme_table
    from services.transfers.domain.exposure_parts import WHOLE, part_id
    from services.transfers.entrypoints.app import MIGRATIONS
    from shared import db

    engine = db.make_engine(url)
    db.upgrade(MIGRATIONS, engine)
    rng = np.random.default_rng(5)
    now = __import__("datetime").datetime.now(__import__("datetime").UTC)
    ids = [str(uuid.UUID(int=int(n) + 1)) for n in range(count)]
    scores = rng.uniform(0, 100, count).round(1)
    sizes = rng.integers(1, 9, count)
    children = rng.binomial(2, 0.2, count)
    elderly = rng.binomial(1, 0.15, count)
    disabled = rng.binomial(1, 0.08, count)
    codes = np.array(["HN-CH-0601", "HN-VA-1701", "HN-AT-0101", "HN-CR-0501"])[rng.integers(0, 4, count)]
    with engine.begin() as connection:
        connection.execute(
            insert(programme_table).values(
                id=str(uuid.uuid4()),
                version=1,
                name=PROGRAMME["name"],
                document=PROGRAMME,
                created_by="bench",
                created_at=now,
            )
        )
        connection.execute(
            insert(incidents).values(
                incident_id="bench-incident",
                version=1,
                exposed_version=1,
                state="active",
                summary=SUMMARY,
                updated_at=now,
            )
        )
        connection.execute(
            insert(exposures).values(
                exposure_key="alert:bench-incident:1",
                incident_id="bench-incident",
                version=1,
                kind="alert_area",
                chunks=1,
                households=count,
                status="collecting",
                partition_count=1,
                received_at=now,
            )
        )
        connection.execute(
            insert(exposure_parts).values(
                exposure_key="alert:bench-incident:1",
                part=part_id(WHOLE),
                partitions="0",
                partition_count=1,
                chunks=1,
                households=count,
                status="accepted",
                received_at=now,
            )
        )
        for start in range(0, count, 50_000):
            part = range(start, min(count, start + 50_000))
            connection.execute(
                insert(household_attributes),
                [
                    {
                        "household_id": ids[n],
                        "version": 1,
                        "status": "active",
                        "admin_code": str(codes[n]),
                        "size": int(sizes[n]),
                        "updated_at": now,
                        "vulnerability_score": float(scores[n]),
                        "children_under_5": int(children[n]),
                        "elderly_65_plus": int(elderly[n]),
                        "persons_with_disabilities": int(disabled[n]),
                        "pregnant_members": 0,
                        "female_headed": bool(n % 3 == 0),
                        "payment_channel_type": "mobile_money",
                    }
                    for n in part
                ],
            )
            connection.execute(
                insert(exposed_households),
                [
                    {
                        "exposure_key": "alert:bench-incident:1",
                        "household_id": ids[n],
                        "band": "Extreme",
                        "area": "a",
                    }
                    for n in part
                ],
            )


def decide(url: str) -> dict[str, float]:
    """Run in a fresh process: decide the exposure, report time and peak memory."""
    from sqlalchemy import func, select

    from services.transfers.adapters.orm import decisions, outbox, payments
    from services.transfers.service_layer.deciding import decide_when_ready
    from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
    from shared import db

    engine = db.make_engine(url)
    sessions = db.make_session_factory(engine)
    started = time.perf_counter()
    with TransfersUnitOfWork(sessions, outbox) as uow:
        decide_when_ready(uow, "alert:bench-incident:1")
    seconds = time.perf_counter() - started
    with sessions() as session:
        stored = session.scalar(select(func.count()).select_from(decisions))
        paid = session.scalar(select(func.count()).select_from(payments))
        # What was decided, to compare databases: each household's outcome, status and amount,
        # and each payment's household and amount.
        digest = hashlib.sha256()
        for row in session.execute(
            select(
                decisions.c.household_id, decisions.c.eligible, decisions.c.status, decisions.c.amount
            ).order_by(decisions.c.household_id)
        ):
            digest.update(f"{row.household_id} {bool(row.eligible)} {row.status} {row.amount:.2f}\n".encode())
        for row in session.execute(
            select(payments.c.household_id, payments.c.amount).order_by(payments.c.household_id)
        ):
            digest.update(f"{row.household_id} {row.amount:.2f}\n".encode())
    return {
        "seconds": seconds,
        "peak_mib": peak_rss_mib(),
        "decisions": stored,
        "payments": paid,
        "digest": digest.hexdigest(),
    }


def baseline(count: int) -> tuple[float, int]:
    """The same rule and arithmetic, one household (a dict) at a time."""
    rng = np.random.default_rng(5)
    rows = [
        {
            "vulnerability_score": float(s),
            "children_under_5": int(c),
            "elderly_65_plus": int(e),
            "persons_with_disabilities": int(d),
            "admin_code": "HN-CH-0601",
            "size": int(z),
            "band": "Extreme",
        }
        for s, c, e, d, z in zip(
            rng.uniform(0, 100, count),
            rng.binomial(2, 0.2, count),
            rng.binomial(1, 0.15, count),
            rng.binomial(1, 0.08, count),
            rng.integers(1, 9, count),
            strict=True,
        )
    ]
    ops = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "within": lambda a, b: a == b or a.startswith(b + "-"),
    }

    def holds(node: dict, row: dict) -> bool:
        if "all" in node:
            return all(holds(n, row) for n in node["all"])
        if "any" in node:
            return any(holds(n, row) for n in node["any"])
        return ops[node["op"]](row[node["field"]], node["value"])

    def run() -> int:
        eligible = 0
        for row in rows:
            if holds(PROGRAMME["eligibility"], row):
                amount = min((1500 + 250 * row["size"]) * 1.5, 4000) // 50 * 50
                eligible += amount > 0
        return eligible

    timing, eligible = timed("row at a time (evaluation and amount only)", run, 1)
    return timing.median, eligible


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="30 000 households")
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--decide", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.decide:
        print(json.dumps(decide(args.decide)))
        return
    count = 15_000 if args.quick else args.households
    databases = ["sqlite"] if args.quick else args.databases.split(",")
    header(
        f"Eligibility (goal 4): one programme over {count:,} exposed households, on {', '.join(databases)}"
    )
    results = {database: decided_on(database, count) for database in databases}
    row_seconds, _ = baseline(count)
    vectorised = vectorised_only(count)
    scale = count / 1_000_000
    for database, result in results.items():
        print(
            f"   {database:<10} Amparo decide: evaluate, amounts, budget, store {result['decisions']:,} "
            f"decisions and {result['payments']:,} payments, propose the batch: {result['seconds']:.2f} s, "
            f"peak resident memory {result['peak_mib']:.0f} MiB"
        )
    print(f"   Amparo evaluation and amounts only (numpy): {vectorised * 1000:.0f} ms")
    print(
        f"   baseline, row at a time (evaluation and amount only): {row_seconds:.2f} s "
        f"({row_seconds / vectorised:.0f}× slower than Amparo's evaluation)"
    )
    same = len({(r["decisions"], r["payments"], r["digest"]) for r in results.values()}) == 1
    print(f"   the same decisions and payments on every database: {same}")
    for database, result in results.items():
        print(goal(f"{database} ≤ {5 * scale:.1f} s with explanations stored", result["seconds"], 5 * scale))
        print(goal(f"{database} ≤ 1 GB resident", result["peak_mib"], 1024))
    if not same:
        raise SystemExit("the databases disagree")


def decided_on(database: str, count: int) -> dict[str, float]:
    """Fill a fresh database of kind ``database``, then decide in a fresh process."""
    from tests.postgres_cluster import PostgresCluster

    with tempfile.TemporaryDirectory() as folder:
        cluster = None
        if database == "postgresql":
            Path(folder).chmod(0o755)
            (Path(folder) / "pg").mkdir()
            cluster = PostgresCluster(Path(folder) / "pg").start()
            url = cluster.new_database()
        else:
            url = f"sqlite:///{Path(folder) / 'transfers.db'}"
        try:
            started = time.perf_counter()
            fill(url, count)
            print(
                f"   {database}: filling the projection and the exposure (not timed): "
                f"{time.perf_counter() - started:.1f} s"
            )
            child = subprocess.run(
                [sys.executable, "-m", "bench.eligibility", "--decide", url],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            if cluster is not None:
                cluster.stop()
        return dict(json.loads(child.stdout.strip().splitlines()[-1]))


def vectorised_only(count: int) -> float:
    from services.transfers.domain.benefits import amounts
    from services.transfers.domain.eligibility import evaluate
    from services.transfers.domain.programmes import parse_programme

    rng = np.random.default_rng(5)
    programme = parse_programme(PROGRAMME)
    columns = {
        "vulnerability_score": rng.uniform(0, 100, count),
        "children_under_5": rng.binomial(2, 0.2, count),
        "elderly_65_plus": rng.binomial(1, 0.15, count),
        "persons_with_disabilities": rng.binomial(1, 0.08, count),
        "admin_code": np.full(count, "HN-CH-0601", dtype=object),
        "size": rng.integers(1, 9, count),
        "band": np.full(count, "Extreme", dtype=object),
    }
    timing, _ = timed(
        "numpy",
        lambda: amounts(programme.benefit, columns)[evaluate(programme.eligibility, columns).eligible],
        3,
    )
    return timing.median


if __name__ == "__main__":
    main()
