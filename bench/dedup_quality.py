"""Duplicate detection quality on a generated population, beside exact document matching.

    python -m bench.dedup_quality [--people 20000] [--planted 1000]

Prints precision, recall and time for Amparo's detector and for the baseline a registry would
otherwise use (flagging only identical document numbers).
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from bench.population import generate
from services.registry.domain.duplicates import find_all


def score(found: set[frozenset[str]], truth: set[frozenset[str]]) -> tuple[float, float]:
    hits = len(found & truth)
    return (hits / len(found) if found else 1.0), hits / len(truth)


def exact_documents(people) -> set[frozenset[str]]:  # type: ignore[no-untyped-def]
    by_document = defaultdict(list)
    for person in people:
        if person.document_hash:
            by_document[person.document_hash].append(person.member_id)
    return {
        frozenset((ids[i], ids[j]))
        for ids in by_document.values()
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--planted", type=int, default=1_000)
    args = parser.parse_args()
    people, truth = generate(args.people, args.planted)
    started = time.perf_counter()
    found = {frozenset((m.a.member_id, m.b.member_id)) for m in find_all(people)}
    elapsed = time.perf_counter() - started
    baseline = exact_documents(people)
    print(f"population {len(people):,} people, {len(truth):,} planted duplicates")
    for name, pairs, seconds in (
        ("amparo (document, name, birth, place)", found, elapsed),
        ("baseline (identical document only)", baseline, None),
    ):
        precision, recall = score(pairs, truth)
        timing = f"   {seconds:.2f} s" if seconds is not None else ""
        print(
            f"{name:<40} precision {precision:6.1%}   recall {recall:6.1%}   flagged {len(pairs):>6,}{timing}"
        )


if __name__ == "__main__":
    main()
