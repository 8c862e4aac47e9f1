"""The benchmarks' quick mode runs and its comparisons hold (the goals themselves are measured by
`make bench` on the full sizes and reported in docs/benchmarks.md)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_every_benchmark_runs_in_quick_mode_and_agrees_with_its_baseline():
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"], capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    # Amparo and each baseline found the same households and the same raster values.
    assert "identical results: {'contains_xy': True, 'sjoin': True" in out
    assert "identical results: True" in out  # 50 admin areas
    # A dense city beside contains_xy and DuckDB; a 2 500 km circle beside Geod.inv on every point.
    assert "identical results: {'contains_xy': True, 'DuckDB': True}" in out
    assert out.count("identical results: True") >= 2
    assert "identical values on the subset: True" in out
    assert (
        "store 15,000 decisions" in out and "the same decisions and payments on every database: True" in out
    )
    # Alert to batch: every household inside the alert's box, before and after the registry
    # changed, and the kept households caught up hold the same as a fresh reading.
    assert "batch for 3,000 households (the box holds 3,000)" in out
    assert "batch proposed for 3,300 households (the box holds 3,300)" in out
    assert "the same households: True" in out
    assert "sync batches of 500:" in out and "one POST per household:" in out
    assert "same feeds read: True; messages taken again: 0" in out
    # One partition's instance holds exactly what the whole one holds of that partition.
    assert "identical results: True (" in out and "of partition 0 in the area)" in out
