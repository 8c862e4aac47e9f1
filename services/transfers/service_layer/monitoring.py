"""Monitoring reports: a hazard event's, an alert's or a programme's figures, inside the reader's
jurisdiction (see :mod:`services.transfers.domain.monitoring` for what each figure counts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.transfers.adapters.grievances import Filter
from services.transfers.domain import grievances, monitoring
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.errors import FieldProblem, InvalidInput, NotFound

Covers = Callable[[str], bool]
SCOPES = ("hazard_event", "incident", "programme")
#: Admin levels an area breakdown may use: the country's first-level areas, the second, the third.
LEVELS = (1, 2, 3)


class NothingToReport(NotFound):
    slug = "nothing-to-report"
    title = "Nothing to report"


@dataclass(frozen=True)
class ReportRequest:
    """A report over one scope (``hazard_event``, ``incident``, ``programme``), optionally narrowed
    to one programme's part of it, with areas at ``level``."""

    scope: str
    scope_id: str
    programme_id: str | None = None
    level: int = 1


def monitoring_report(request: ReportRequest, covers: Covers, uow: TransfersUnitOfWork) -> dict[str, Any]:
    """The report, counted from stored exposures, decisions and payments.

    :raise NothingToReport: transfers knows nothing under that scope.
    :raise InvalidInput: the scope or level is not one there is.
    """
    if request.scope not in SCOPES:
        scopes = ", ".join(SCOPES)
        raise InvalidInput(f"scope must be one of {scopes}", errors=[FieldProblem("/scope", scopes)])
    if request.level not in LEVELS:
        levels = ", ".join(map(str, LEVELS))
        raise InvalidInput(f"level must be one of {levels}", errors=[FieldProblem("/level", levels)])
    programme_id = request.scope_id if request.scope == "programme" else request.programme_id
    with uow.reading() as reader:
        if request.scope == "hazard_event":
            alerts = reader.monitoring.incidents_of_hazard_event(request.scope_id)
        elif request.scope == "programme":
            alerts = reader.monitoring.incidents_of_programme(request.scope_id)
        else:
            alerts = [request.scope_id] if reader.exposures.keys_of(request.scope_id) else []
        if not alerts:
            raise NothingToReport(
                f"transfers has no exposure or decision under {request.scope} {request.scope_id}"
            )
        rows = reader.monitoring.rows(alerts, programme_id)
        cases = reader.grievances.listed(Filter(incident_ids=alerts, limit=None), covers)
    found = monitoring.report(monitoring.within(rows, covers), request.level)
    if programme_id is not None:
        cases = [c for c in cases if c.programme_id in (None, programme_id)]
    found["grievances"] = grievances.figures(cases, datetime.now(UTC))
    scope = {"kind": request.scope, "id": request.scope_id, "programme_id": programme_id, "alerts": alerts}
    return {"scope": scope, **found}
