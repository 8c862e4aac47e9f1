"""Run Amparo's benchmarks one after the other, each printing its figures beside its baseline.

python -m bench [--quick] [matching rasters eligibility end_to_end registration ...]
"""

from __future__ import annotations

import argparse
import importlib
import sys

QUICK_ONLY = (
    "matching",
    "cities",
    "rasters",
    "eligibility",
    "end_to_end",
    "registration",
    "feeds",
    "partitions",
)
ALL = (*QUICK_ONLY, "outbox_relay", "dedup_quality")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, for CI: checks they run, not the goals"
    )
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(ALL)} (default: all)")
    args = parser.parse_args()
    names = args.names or (QUICK_ONLY if args.quick else ALL)
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        if name in QUICK_ONLY:
            module.main(["--quick"] if args.quick else [])
        else:  # older benchmarks read their own command line
            sys.argv = [f"bench.{name}"]
            module.main()


if __name__ == "__main__":
    main()
