"""A 100 000-row registry import (CSV), validated then committed, with time and peak memory.

    python -m bench.import_large [--rows 100000] [--database sqlite|URL]

The baseline is what a quick script would do: read the whole file into a list of rows first.
Memory is the growth of peak resident memory (ru_maxrss) over the process's start, measured in
separate child processes so each figure stands alone.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import platform
import random
import resource
import tempfile
import time
from pathlib import Path

HEADER = [
    "codigo_hogar",
    "departamento",
    "latitud",
    "longitud",
    "nombres",
    "apellidos",
    "sexo",
    "parentesco",
    "fecha_nacimiento",
    "numero_documento",
    "techo",
    "cuartos",
]


def write_file(path: Path, rows: int) -> int:
    from bench.population import AREAS, FAMILY, GIVEN

    rng = random.Random(3)
    written = households = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=";")
        out.writerow(HEADER)
        while written < rows:
            households += 1
            area = rng.choice(list(AREAS))
            lat, lon = AREAS[area]
            lat, lon = round(lat + rng.uniform(-0.1, 0.1), 5), round(lon + rng.uniform(-0.1, 0.1), 5)
            family = f"{rng.choice(FAMILY)} {rng.choice(FAMILY)}"
            for i in range(min(rng.randint(1, 7), rows - written)):
                relationship = "jefe" if i == 0 else rng.choice(("hijo", "esposa", "nieto", "madre"))
                year = rng.randint(1950, 1995) if i == 0 else rng.randint(1940, 2024)
                out.writerow(
                    [
                        f"H{households:07d}",
                        area,
                        str(lat).replace(".", ","),
                        str(lon).replace(".", ","),
                        rng.choice(GIVEN),
                        family,
                        rng.choice("FM"),
                        relationship,
                        f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year}",
                        f"{rng.randint(1, 1800):04d}-{year}-{rng.randint(0, 99999):05d}" if i == 0 else "",
                        rng.choice(("lamina", "teja", "paja", "concreto")),
                        rng.randint(1, 5),
                    ]
                )
                written += 1
    return households


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_amparo(path: str, url: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from services.registry.adapters.config_files import load_admin_reference, load_index
    from services.registry.adapters.orm import outbox
    from services.registry.adapters.protection import AesGcmProtector
    from services.registry.entrypoints.app import MIGRATIONS
    from services.registry.service_layer import imports
    from services.registry.service_layer.common import Actor, Dependencies
    from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
    from shared import db

    engine = db.make_engine(url)
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    deps = Dependencies(AesGcmProtector(os.urandom(32), os.urandom(32)), load_index(), load_admin_reference())
    actor = Actor("bench", lambda code: True)
    base = _peak_mb()
    factory = lambda: RegistryUnitOfWork(sessions, outbox)  # noqa: E731
    import_id = imports.create_import(imports.NewImport("bench.csv", "csv", {}, actor, ["*"]), factory())
    started = time.perf_counter()
    imports.validate_import(import_id, Path(path), factory, deps, actor)
    validated = time.perf_counter()
    imports.start_commit(import_id, factory())
    imports.commit_import(import_id, Path(path), factory, deps, actor)
    committed = time.perf_counter()
    with factory() as uow:
        job = uow.imports.get(import_id)
    queue.put(
        {
            "validate_s": validated - started,
            "commit_s": committed - validated,
            "peak_growth_mb": _peak_mb() - base,
            "rows": job["rows_read"],
            "written": job["households_written"],
            "invalid": job["households_invalid"],
        }
    )


def run_baseline(path: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    base = _peak_mb()
    started = time.perf_counter()
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    queue.put(
        {"read_s": time.perf_counter() - started, "peak_growth_mb": _peak_mb() - base, "rows": len(rows)}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default="sqlite")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hogares.csv"
        households = write_file(path, args.rows)
        print(f"file: {args.rows:,} rows, {households:,} households, {path.stat().st_size / 1e6:.1f} MB")
        url = f"sqlite:///{Path(folder) / 'registry.db'}" if args.database == "sqlite" else args.database
        context = multiprocessing.get_context("spawn")
        results = {}
        for name, target, extra in (("amparo", run_amparo, (url,)), ("baseline", run_baseline, ())):
            queue = context.Queue()
            process = context.Process(target=target, args=(str(path), *extra, queue))
            process.start()
            results[name] = queue.get()
            process.join()
        amparo, baseline = results["amparo"], results["baseline"]
        print(
            f"amparo   validate {amparo['validate_s']:.1f} s, commit {amparo['commit_s']:.1f} s "
            f"({amparo['written']:,} households written, {amparo['invalid']:,} invalid), "
            f"peak memory growth {amparo['peak_growth_mb']:.0f} MB"
        )
        print(
            f"baseline read whole file into memory {baseline['read_s']:.1f} s, "
            f"peak memory growth {baseline['peak_growth_mb']:.0f} MB (and nothing validated or written yet)"
        )


if __name__ == "__main__":
    main()
