"""What every benchmark shares: repeated timings (median, min, max), the machine, resident memory,
households scattered over Honduras, and a table printed with Amparo beside the baseline."""

from __future__ import annotations

import os
import platform
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
#: Honduras' bounding box (lon, lat), where the generated households live.
HONDURAS = (-89.4, 12.9, -83.1, 16.5)


@dataclass
class Timing:
    label: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def row(self, unit: str = "ms") -> str:
        scale = 1000.0 if unit == "ms" else 1.0
        low, mid, high = (scale * v for v in (min(self.seconds), self.median, max(self.seconds)))
        return f"{self.label:<46} {mid:>10.1f} {unit}  (min {low:.1f}, max {high:.1f}, n={len(self.seconds)})"


def timed(label: str, work: Callable[[], Any], repeat: int) -> tuple[Timing, Any]:
    """Run ``work`` ``repeat`` times; the last result is returned with the timings."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return Timing(label, seconds), result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def households(count: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """``count`` household locations: towns (dense clusters) and countryside, inside Honduras."""
    rng = np.random.default_rng(seed)
    west, south, east, north = HONDURAS
    towns = rng.uniform((west, south), (east, north), size=(400, 2))
    in_towns = int(count * 0.7)
    which = rng.integers(0, len(towns), in_towns)
    spread = rng.normal(0, 0.04, size=(in_towns, 2))
    town_points = towns[which] + spread
    rural = rng.uniform((west, south), (east, north), size=(count - in_towns, 2))
    points = np.vstack([town_points, rural])
    rng.shuffle(points)
    return np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1])


def goal(label: str, measured: float, target: float, better: str = "lower") -> str:
    met = measured <= target if better == "lower" else measured >= target
    return f"  goal {label}: {'met' if met else 'MISSED'} ({measured:.3g} vs {target:.3g})"


def header(title: str) -> None:
    print(f"\n== {title}")
    print(f"   {machine()}")
