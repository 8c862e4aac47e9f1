"""An exposure matched in parts adds up to the one matched whole."""

from __future__ import annotations

import numpy as np
import pytest

from services.alerts.domain import incidents as rules
from services.alerts.domain.footprints import Bands, band_summary
from services.alerts.service_layer.exposures import summarise
from services.alerts.service_layer.indexing import Indexing
from shared.contracts.household_groups import EXPOSURE_GROUPS as GROUPS
from shared.kafka import HOUSEHOLDS
from shared.partitions import PartitionAssignment

CODES = np.array(["DO-01", "DO-01-0101", "DO-02", "DO-25-2501", "HN-CH", "HN-CH-0601"], dtype=object)


def households(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "admin_code": CODES[rng.integers(0, len(CODES), n)],
        "size": rng.integers(1, 9, n),
        **{group: rng.integers(0, 3, n) for group in GROUPS},
        "partition": rng.integers(0, 6, n),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_parts_add_up_to_the_whole(seed):
    rng = np.random.default_rng(seed)
    columns = households(2_000, rng)
    positions = np.sort(rng.choice(2_000, 700, replace=False))
    near = rng.random(700) < 0.1
    by_code = rng.random(700) < 0.05
    bands = Bands.from_thresholds([{"band": "Moderate", "min": 34}, {"band": "Severe", "min": 50}])
    band_index = rng.integers(0, 2, 700)

    def summary(at: np.ndarray) -> dict:
        found = summarise(columns, positions[at], near[at], by_code[at])
        found["by_band"] = band_summary(bands, band_index[at], columns["size"][positions[at]])
        return found

    whole = summary(np.arange(700))
    of = columns["partition"][positions]
    parts = [summary(np.flatnonzero(of == p)) for p in rng.permutation(6)]
    assert rules.combined_summary(parts) == whole
    assert rules.combined_summary([]) == {"by_area": []}


def test_an_instance_indexes_what_its_group_gave_it_and_nothing_before():
    assignment = PartitionAssignment()
    indexing = Indexing(instance="alerts-1", assignment=assignment, whole=False)
    assert indexing.partitions() is None
    with pytest.raises(RuntimeError, match="waiting for the consumer group"):
        indexing.check()
    assignment.update({HOUSEHOLDS.name: frozenset({1, 4})}, {HOUSEHOLDS.name: HOUSEHOLDS.partitions})
    assert indexing.partitions() == {1, 4}
    indexing.check()
    assert indexing.disagreement() is None
    # A topic with more partitions than declared: nothing can be matched until they agree, but the
    # instance stays ready to receive and store messages.
    assignment.update({HOUSEHOLDS.name: frozenset({1, 4})}, {HOUSEHOLDS.name: HOUSEHOLDS.partitions + 6})
    assert indexing.partitions() is None
    assert "partitions on the broker" in (indexing.disagreement() or "")
    indexing.check()
    # One instance indexing every household matches every partition, but not while the broker has
    # more than declared: the households of the others would be left out.
    every = frozenset(range(HOUSEHOLDS.partitions))
    assert Indexing(instance="alerts").partitions() == every
    whole = Indexing(instance="alerts", assignment=PartitionAssignment())
    assert whole.partitions() == every
    whole.check()
    whole.assignment.update({HOUSEHOLDS.name: frozenset({0})}, {HOUSEHOLDS.name: 12})
    assert whole.partitions() is None
    assert "12 partitions on the broker" in (whole.disagreement() or "")
    whole.check()
