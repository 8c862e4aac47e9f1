"""The located households as columns, and their matching index, kept between alerts and caught up
with the projection's changes instead of read again whole.

Reading a national projection takes seconds; an alert should only pay for matching. The index is
used again as it is while the projection is exactly as it was (same database, same number of
active households, same sum of their versions — every change raises a version — and of their
snapshot revisions, same latest change). When it changed, only the rows changed since the latest
change kept are read, with an overlap (a write stamps its rows before it commits), and merged into
the kept columns; the merge must then add up to the projection's totals, read before the changed
rows (so what is kept is never older than the totals it is kept under), or the whole projection is
read again. A change the overlap missed (a write committed more than a minute after it stamped its
rows) shows in those totals, as versions only rise — unless missed changes cancel exactly: one
household leaving the active ones and another joining, with equal versions and revisions, both
missed. A per-row checksum of the household id, kept by the writer, would close that.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from services.alerts.adapters.orm import household_locations
from services.alerts.domain.matching import LocationIndex
from shared.columns import columns_from_pages, columns_from_rows
from shared.contracts.household_groups import EXPOSURE_GROUPS
from shared.db import pages
from shared.kafka import HOUSEHOLDS, partition_of

log = logging.getLogger(__name__)

#: The columns kept of each active household, and their kinds.
LOCATION_COLUMNS = {
    "household_id": object,
    "lon": float,
    "lat": float,
    "accuracy_m": float,
    "admin_code": object,
    "size": int,
    **{group: int for group in EXPOSURE_GROUPS},
    "partition": object,
    "version": int,
    "snapshot_revision": int,
}

#: How far before the latest change kept a catch-up reads again.
OVERLAP = timedelta(seconds=60)
#: Catch-ups tried before reading everything again (writes arriving meanwhile can make one miss).
CATCH_UP_ATTEMPTS = 3

Columns = dict[str, np.ndarray]


def load_locations(
    session: Session, partitions: frozenset[int] | None = None, changed_since: datetime | None = None
) -> Columns:
    """Every active household (of ``partitions`` only, if given) as columns, the matching index's
    input; with ``changed_since``, every household changed since then, active or not, with its
    ``status``."""
    c = household_locations.c
    kinds: dict[str, Any] = (
        dict(LOCATION_COLUMNS) if changed_since is None else {**LOCATION_COLUMNS, "status": object}
    )
    query = select(*(c[name] for name in kinds))
    query = query.where(c.status == "active" if changed_since is None else c.updated_at >= changed_since)
    if partitions is not None:
        query = query.where(_in_partitions(partitions))
    if changed_since is None:  # a whole projection, read a page at a time from the driver
        arrays = columns_from_pages(pages(session, query), kinds)
    else:
        arrays = columns_from_rows(session.execute(query).all(), kinds)
    # A row written without its partition (before the column existed, or by hand) is where the
    # registry's producer puts its key.
    arrays["partition"] = np.array(
        [
            partition_of(household_id, HOUSEHOLDS.partitions) if p is None else p
            for household_id, p in zip(
                arrays["household_id"].tolist(), arrays["partition"].tolist(), strict=True
            )
        ],
        dtype=np.int64,
    )
    if partitions is not None:
        mine = np.isin(arrays["partition"], sorted(partitions))
        if not mine.all():
            arrays = {name: values[mine] for name, values in arrays.items()}
    return arrays


def _in_partitions(partitions: frozenset[int]) -> Any:
    """Rows of ``partitions``, and rows whose partition is not stored (sorted out after reading)."""
    c = household_locations.c
    return or_(c.partition.in_(sorted(partitions)), c.partition.is_(None))


@dataclass
class _Kept:
    where: tuple[Any, ...]  # the database and the partitions
    state: tuple[Any, ...]  # active households, Σ version, Σ snapshot revision, latest change
    columns: Columns
    index: LocationIndex
    at: dict[str, int] | None = field(default=None, repr=False)  # household id → position

    def __post_init__(self) -> None:
        self.value = (self.columns, self.index)

    def positions(self) -> dict[str, int]:
        if self.at is None:
            self.at = {h: n for n, h in enumerate(self.columns["household_id"].tolist())}
        return self.at


class LocationCache:
    """The located households and their matching index, kept between alerts (see the module)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._kept: _Kept | None = None
        #: How the kept households were brought up to date: read whole, or caught up.
        self.reads = {"whole": 0, "caught_up": 0}

    def get(
        self, session: Session, partitions: frozenset[int] | None = None
    ) -> tuple[Columns, LocationIndex]:
        bind = session.get_bind()
        where = (id(bind), str(bind.url), partitions)
        state = _state(session, partitions)
        if (kept := self._current(where, state)) is not None:
            return kept.value
        with self._refreshing:  # one refresh at a time; the others use its result
            if (kept := self._current(where, state)) is not None:
                return kept.value
            with self._lock:
                before = self._kept if self._kept is not None and self._kept.where == where else None
            kept = None
            if before is not None:
                for attempt in range(CATCH_UP_ATTEMPTS):
                    if attempt:  # a write landed between the totals and the changes: once more
                        state = _state(session, partitions)
                    if (kept := self._caught_up(session, before, partitions, state)) is not None:
                        break
            if kept is None:
                kept = self._read_whole(session, where, state, partitions)
            with self._lock:
                self._kept = kept
        return kept.value

    def _current(self, where: tuple[Any, ...], state: tuple[Any, ...]) -> _Kept | None:
        with self._lock:
            kept = self._kept
        return kept if kept is not None and kept.where == where and kept.state == state else None

    def _read_whole(
        self,
        session: Session,
        where: tuple[Any, ...],
        state: tuple[Any, ...],
        partitions: frozenset[int] | None,
    ) -> _Kept:
        columns = load_locations(session, partitions)
        self.reads["whole"] += 1
        return _Kept(where, state, columns, index_of(columns))

    def _caught_up(
        self, session: Session, kept: _Kept, partitions: frozenset[int] | None, state: tuple[Any, ...]
    ) -> _Kept | None:
        """``kept`` with the rows changed since its latest change merged in, or ``None`` when the
        merge does not add up to ``state``, the projection's totals read before the changes were
        (so the merge may only be newer than the state it is kept under, never older)."""
        latest = kept.state[3]
        if latest is None:
            return None
        changed = load_locations(session, partitions, changed_since=latest - OVERLAP)
        columns, at = _merged(kept, changed)
        totals = (
            len(columns["household_id"]),
            int(columns["version"].sum()),
            int(columns["snapshot_revision"].sum()),
        )
        if totals != tuple(int(v) for v in state[:3]):
            log.info(
                "the kept households (%s) disagree with the projection's totals (%s): read again whole",
                totals,
                state[:3],
            )
            return None
        self.reads["caught_up"] += 1
        return _Kept(kept.where, state, columns, index_of(columns), at)


def _merged(kept: _Kept, changed: Columns) -> tuple[Columns, dict[str, int]]:
    """The kept columns with ``changed`` applied: changed households replaced where they are, those
    no longer active removed, new active ones added at the end."""
    at = kept.positions()  # never changed in place: the kept one stays whole if this merge is refused
    ids = changed["household_id"].tolist()
    where = np.fromiter((at.get(h, -1) for h in ids), dtype=np.int64, count=len(ids))
    active = changed["status"] == "active"
    known = where >= 0
    columns = {name: values.copy() for name, values in kept.columns.items()}
    replaced = known & active
    for name, values in columns.items():
        values[where[replaced]] = changed[name][replaced]
    gone = where[known & ~active]
    if gone.size:
        remaining = np.ones(len(columns["household_id"]), dtype=bool)
        remaining[gone] = False
        columns = {name: values[remaining] for name, values in columns.items()}
        at = {h: n for n, h in enumerate(columns["household_id"].tolist())}
    new = np.flatnonzero(~known & active)
    if new.size:
        start = len(columns["household_id"])
        columns = {name: np.concatenate([values, changed[name][new]]) for name, values in columns.items()}
        if not gone.size:
            at = dict(at)  # still the kept positions: copied, not changed
        at.update((ids[n], start + k) for k, n in enumerate(new.tolist()))
    return columns, at


def index_of(columns: Columns) -> LocationIndex:
    """The matching index over households held as columns."""
    return LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"])


def _state(session: Session, partitions: frozenset[int] | None) -> tuple[Any, ...]:
    c = household_locations.c
    query = select(
        func.count(),
        func.coalesce(func.sum(c.version), 0),
        func.coalesce(func.sum(c.snapshot_revision), 0),
        func.max(c.updated_at),
    ).where(c.status == "active")
    if partitions is not None:
        query = query.where(_in_partitions(partitions))
    return tuple(session.execute(query).one())


#: One per process: every request and worker of the alerts service shares it.
LOCATIONS = LocationCache()
