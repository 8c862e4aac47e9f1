"""An exposure's parts as plain data: which partitions a part covers, what is missing, what overlaps."""

from __future__ import annotations

import pytest

from services.transfers.domain.exposure_parts import (
    Part,
    missing_partitions,
    overlap,
    parse_listed,
    parse_part,
    part_id,
    partitions_note,
)
from shared.errors import InvalidInput


def test_a_part_names_its_partitions_and_events_without_them_are_one_whole_part():
    part = parse_part({"partitions": [0, 3], "partition_count": 6}, "e1")
    assert part == Part((0, 3), 6) and part.listed == "0,3"
    assert parse_listed(part.listed) == (0, 3)
    assert parse_part({"incident_id": "i"}, "e1") == Part((0,), 1)
    assert part.part_id == part_id([0, 3]) != part_id([0, 3, 4])
    assert len(part_id(range(5000))) == 32


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"partitions": [0]}, "/partition_count"),
        ({"partitions": [0], "partition_count": "6"}, "/partition_count"),
        ({"partitions": [0], "partition_count": True}, "/partition_count"),
        ({"partition_count": 6}, "/partitions"),
        ({"partitions": [0, 6], "partition_count": 6}, "/partitions"),
        ({"partitions": [-1], "partition_count": 6}, "/partitions"),
        ({"partitions": [2, 1], "partition_count": 6}, "/partitions"),
        ({"partitions": [1, 1], "partition_count": 6}, "/partitions"),
        ({"partitions": [1.0], "partition_count": 6}, "/partitions"),
    ],
)
def test_a_part_named_wrongly_is_refused_naming_the_field(data, field):
    with pytest.raises(InvalidInput) as refused:
        parse_part(data, "e1")
    assert [e.pointer for e in refused.value.errors] == [field]
    assert "e1" in refused.value.detail


def test_what_is_missing_and_what_overlaps():
    accepted = [(0, 1), (3, 4)]
    assert missing_partitions(accepted, 6) == [2, 5]
    assert missing_partitions([*accepted, (2, 5)], 6) == []
    assert overlap((1, 2), accepted) == [1]
    assert overlap((2, 5), accepted) == []
    assert partitions_note([2, 5], 6) == "4 of 6 partitions received (missing 2, 5)"
