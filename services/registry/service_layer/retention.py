"""The daily retention pass: each kind of record past its period blanked, emptied, deleted or
erased (see :mod:`services.registry.domain.retention`), each step audited with its count."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.registry.domain.errors import AlreadyErased
from services.registry.domain.retention import PASS, RetentionPeriods
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.erasure import EraseHousehold, erase_household
from services.registry.service_layer.snapshots import DailyPass, DailyTime
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry

log = logging.getLogger(__name__)


@dataclass
class RetentionReport:
    messages_blanked: int = 0
    imports_emptied: list[str] = field(default_factory=list)
    syncs_deleted: int = 0
    households_erased: list[str] = field(default_factory=list)


def _audit(uow: RegistryUnitOfWork, action: str, subject_type: str, subject_id: str, comment: str) -> None:
    uow.record(
        AuditEntry(by=PASS, action=action, subject_type=subject_type, subject_id=subject_id, comment=comment)
    )


def apply_retention(
    new_uow: Callable[[], RegistryUnitOfWork],
    deps: Dependencies,
    periods: RetentionPeriods,
    remove_import_files: Callable[[str], None],
) -> RetentionReport:
    """One pass at ``deps.now()``; each kind in its own transactions, so one failing leaves the
    others done."""
    now, report = deps.now(), RetentionReport()
    with new_uow() as uow:
        report.messages_blanked = uow.retention.blank_messages_before(periods.cutoff("messages", now))
        report.syncs_deleted = uow.retention.delete_syncs_before(periods.cutoff("sync", now))
        if report.messages_blanked or report.syncs_deleted:
            _audit(uow, "retention_applied", "registry", "messages", _said(report, periods))
    with new_uow().reading() as reader:
        expired = reader.retention.imports_before(periods.cutoff("imports", now))
    for import_id in expired:
        remove_import_files(import_id)
        with new_uow() as uow:
            uow.retention.empty_import(import_id)
            _audit(
                uow,
                "retention_applied",
                "import",
                import_id,
                f"older than {periods.imports} days: file and rows gone",
            )
        report.imports_emptied.append(import_id)
    report.households_erased = _erase_inactive(new_uow, deps, periods, now)
    return report


def _said(report: RetentionReport, periods: RetentionPeriods) -> str:
    return (
        f"{report.messages_blanked} messages older than {periods.messages} days blanked; "
        f"{report.syncs_deleted} device batch records older than {periods.sync} days deleted"
    )


def _erase_inactive(
    new_uow: Callable[[], RegistryUnitOfWork], deps: Dependencies, periods: RetentionPeriods, now: datetime
) -> list[str]:
    """Households inactive for longer than their period, erased as on request, location too."""
    everywhere = Actor(PASS, lambda _code: True)
    erased: list[str] = []
    with new_uow().reading() as reader:
        due = reader.retention.inactive_before(periods.cutoff("inactive", now), limit=100_000)
    for household_id in due:
        reference = f"retention: inactive for more than {periods.inactive} days"
        try:
            erase_household(EraseHousehold(household_id, reference, True, everywhere, None), new_uow(), deps)
        except AlreadyErased:
            continue
        except Exception:  # noqa: BLE001 - one household failing must not keep the others
            log.warning("erasing household %s past its retention failed", household_id, exc_info=True)
            continue
        erased.append(household_id)
    return erased


class RetentionWorker(DailyPass):
    """The daily retention pass (see :func:`apply_retention`)."""

    what = "applying retention"

    def __init__(
        self,
        units_of_work: Callable[[], RegistryUnitOfWork],
        deps: Dependencies,
        periods: RetentionPeriods,
        remove_import_files: Callable[[str], None],
        at: DailyTime,
        lease: Any,
        tick: float = 60.0,
    ):
        super().__init__(deps.now, at, lease, tick)
        self.units_of_work, self.deps, self.periods = units_of_work, deps, periods
        self.remove_import_files = remove_import_files

    def work(self, day: date) -> RetentionReport:
        return apply_retention(self.units_of_work, self.deps, self.periods, self.remove_import_files)

    def said(self, day: date, report: RetentionReport) -> str:
        return (
            f"retention applied for {day}: {report.messages_blanked} messages blanked, "
            f"{len(report.imports_emptied)} imports emptied, {report.syncs_deleted} device batch records "
            f"deleted, {len(report.households_erased)} inactive households erased"
        )
