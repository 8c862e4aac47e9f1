"""The audit chain's hashing and its walk, on plain rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from shared.audit import GENESIS, AuditEntry, entry_hash, walk


def chained(count: int) -> list[dict]:
    rows, previous = [], GENESIS
    for position in range(1, count + 1):
        row = {
            "position": position,
            "by": "rosa",
            "role": "approver",
            "action": "approved",
            "subject_type": "batch",
            "subject_id": f"b{position}",
            "outcome": "done",
            "comment": "revisado",
            "at": datetime(2026, 11, 26, 10, position, tzinfo=UTC),
            "prev_hash": previous,
        }
        row["hash"] = previous = entry_hash(row, previous)
        rows.append(row)
    return rows


def head_of(rows: list[dict]) -> SimpleNamespace:
    return SimpleNamespace(position=rows[-1]["position"], hash=rows[-1]["hash"])


def test_the_hash_covers_content_position_and_the_previous_hash():
    row = chained(1)[0]
    assert entry_hash(row, GENESIS) == row["hash"]
    assert entry_hash({**row, "comment": "x"}, GENESIS) != row["hash"]
    assert entry_hash({**row, "position": 2}, GENESIS) != row["hash"]
    assert entry_hash(row, "f" * 64) != row["hash"]


def test_a_time_hashes_the_same_in_any_zone_and_as_sqlite_gives_it_back():
    row = chained(1)[0]
    elsewhere = row["at"].astimezone(timezone(timedelta(hours=-6)))
    naive_utc = row["at"].replace(tzinfo=None)
    assert entry_hash({**row, "at": elsewhere}, GENESIS) == row["hash"]
    assert entry_hash({**row, "at": naive_utc}, GENESIS) == row["hash"]


def test_an_intact_chain_and_an_empty_one_verify():
    rows = chained(5)
    assert walk(iter(rows), head_of(rows)).intact
    assert walk(iter(rows), head_of(rows)).entries == 5
    assert walk(iter([]), SimpleNamespace(position=0, hash=GENESIS)).intact


@pytest.mark.parametrize(
    ("tamper", "position", "words"),
    [
        (lambda rows: rows[2].update(comment="x"), 3, "content changed"),
        (lambda rows: rows.pop(2), 3, "entry 3 missing"),
        (lambda rows: rows[0].update(prev_hash="1" * 64), 1, "chain's origin"),
        (lambda rows: rows.insert(0, {**rows[0], "position": 0}), 0, "before the chain's start"),
    ],
)
def test_the_first_break_is_named(tamper, position, words):
    rows = chained(5)
    head = head_of(rows)
    tamper(rows)
    found = walk(iter(rows), head)
    assert found.broken is not None and found.broken.position == position and words in found.broken.reason


def test_a_head_that_disagrees_with_the_entries_is_a_break():
    rows = chained(5)
    assert "head is missing" in str(walk(iter(rows), None).broken)
    behind = SimpleNamespace(position=4, hash=rows[3]["hash"])
    assert str(walk(iter(rows), behind).broken).startswith("position 5: entries after the head")
    ahead = SimpleNamespace(position=6, hash="2" * 64)
    assert str(walk(iter(rows), ahead).broken).startswith("position 6: entry missing")
    forged = SimpleNamespace(position=5, hash="2" * 64)
    assert "hash differs" in str(walk(iter(rows), forged).broken)


def test_an_entry_names_a_known_outcome():
    with pytest.raises(ValueError, match="outcome must be one of done, denied"):
        AuditEntry(by="a", action="b", subject_type="c", subject_id="d", outcome="maybe")
