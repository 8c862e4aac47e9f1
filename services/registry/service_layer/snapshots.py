"""The daily pass that keeps households' published snapshots true, and the worker that runs it.

On a day, the pass first makes due every household of the places whose weight sets take effect
(once per set), then looks at the households due, a page at a time in id order, each page in its
own transaction under one lock: scored on the day, a household whose snapshot says something new
is published again (same version, next revision); the others only get their next due day. Run
twice for a day, the second run finds nothing due; run on two instances at once, the second waits
for the lock and finds the first's work done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.registry.domain.snapshots import refresh
from services.registry.domain.vulnerability import Weighting
from services.registry.service_layer.common import Clock, Dependencies
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.contracts import households as contract
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS

log = logging.getLogger(__name__)
LOCK = "registry snapshot refresh"
PASS = "registry-snapshot-pass"
PAGE = 500


class DayNotCome(ValueError):
    """Snapshots are counted for a day that has come, never ahead of it."""


@dataclass
class PassReport:
    """What one pass did."""

    day: date
    looked_at: int = 0
    published: int = 0
    weight_sets_applied: list[str] = field(default_factory=list)


def refresh_snapshots(
    day: date,
    units_of_work: Callable[[], RegistryUnitOfWork],
    index: Weighting,
    now: Clock,
    page: int = PAGE,
) -> PassReport:
    """Bring the snapshots of the households due on or before ``day`` up to ``day``, scoring them
    with the weights ``index`` chooses for their place.

    :raise DayNotCome: ``day`` is after today (ages would be counted ahead of time).
    """
    today = now().date()
    if day > today:
        raise DayNotCome(f"{day.isoformat()} has not come yet (today is {today.isoformat()})")
    report = PassReport(day)
    _apply_weight_sets(day, units_of_work(), report)
    after = ""
    while True:
        with units_of_work() as uow:
            uow.lock(LOCK)
            ids = uow.snapshots.due(day, after, page)
            if not ids:
                return report
            for household, state in uow.snapshots.states(ids):
                report.looked_at += 1
                refreshed = refresh(household, state, day, index)
                if not uow.snapshots.keep(refreshed, state, household.version):
                    continue
                if refreshed.published is not None:
                    uow.publish(HOUSEHOLDS.name, _refreshed_event(refreshed.published, household.id, now()))
                    report.published += 1
            after = ids[-1]


def _refreshed_event(snapshot: dict[str, Any], household_id: str, at: datetime) -> CloudEvent:
    return CloudEvent(
        type=contract.HOUSEHOLD_UPDATED, source=contract.SOURCE, subject=household_id, data=snapshot, time=at
    )


def _apply_weight_sets(day: date, uow: RegistryUnitOfWork, report: PassReport) -> None:
    """Make due, once, the households of every place whose approved weights take effect by ``day``."""
    with uow:
        uow.lock(LOCK)
        for weight_set in uow.weights.to_apply(day):
            made_due = uow.snapshots.make_due(weight_set.area, day)
            uow.weights.applied(weight_set.version, day)
            uow.record(
                AuditEntry(
                    by=PASS,
                    action="weights_took_effect",
                    subject_type="vulnerability_weights",
                    subject_id=weight_set.version,
                    comment=f"{weight_set.area} from {weight_set.effective_from}: {made_due} households due",
                )
            )
            report.weight_sets_applied.append(weight_set.version)


@dataclass(frozen=True)
class DailyTime:
    """When the daily pass runs: a time of day in UTC (the day ages are counted on is UTC's)."""

    at: time

    @classmethod
    def parse(cls, text: str) -> DailyTime:
        """``HH:MM`` (24-hour, UTC).

        :raise ValueError: naming what is wrong.
        """
        try:
            hours, minutes = (int(part) for part in text.strip().split(":"))
            return cls(time(hours, minutes))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a time of day HH:MM (UTC)") from exc

    def due(self, now: datetime, last_day: date | None) -> date | None:
        """The day to run for at ``now``, if its time has come and it was not run for yet."""
        now = now.astimezone(UTC)
        day = now.date() if now.time() >= self.at else now.date() - timedelta(days=1)
        return day if last_day is None or day > last_day else None


class DailyPass:
    """Runs a pass once a day at its time (and, after a start, for the day whose time has passed),
    while this instance holds the pass's lease; checks every ``tick`` seconds. Subclasses say what
    the pass does (:meth:`work`) and what it did (:meth:`said`)."""

    what = "the daily pass"

    def __init__(self, clock: Callable[[], datetime], at: DailyTime, lease: Any, tick: float = 30.0):
        self.clock, self.at, self.lease, self.tick = clock, at, lease, tick
        self.last_day: date | None = None

    def work(self, day: date) -> Any:
        raise NotImplementedError

    def said(self, day: date, report: Any) -> str:
        return f"{self.what} ran for {day}"

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(self.tick):
                self.run_once()
        finally:
            self.lease.release()

    def run_once(self) -> Any:
        """Run the pass if its time has come and this instance holds the lease."""
        try:
            day = self.at.due(self.clock(), self.last_day)
            if day is None or not self.lease.held():
                return None
            report = self.work(day)
            self.last_day = day
            log.info("%s", self.said(day, report))
            return report
        except Exception:  # noqa: BLE001 - a database down, say: the next round tries again
            log.warning("%s failed; trying again", self.what, exc_info=True)
            return None


class SnapshotWorker(DailyPass):
    """The daily snapshot pass (see :func:`refresh_snapshots`)."""

    what = "refreshing snapshots"

    def __init__(
        self,
        units_of_work: Callable[[], RegistryUnitOfWork],
        deps: Dependencies,
        at: DailyTime,
        lease: Any,
        tick: float = 30.0,
    ):
        super().__init__(deps.now, at, lease, tick)
        self.units_of_work, self.deps = units_of_work, deps

    def work(self, day: date) -> PassReport:
        return refresh_snapshots(day, self.units_of_work, self.deps.index, self.deps.now)

    def said(self, day: date, report: PassReport) -> str:
        return (
            f"snapshots of {day} refreshed: {report.looked_at} households looked at, {report.published} "
            f"published, weight sets {report.weight_sets_applied or 'none'}"
        )
