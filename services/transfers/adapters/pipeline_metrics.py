"""The pipeline's waits as Prometheus histograms: how long a step took after the one before it
(alert → proposal → approval → instruction → settlement), observed once the transaction that took
the step has committed, so a step rolled back is never counted."""

from __future__ import annotations

from typing import Any

from prometheus_client import Histogram
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from shared.metrics import Metrics

#: Where a transaction keeps the waits it measured until it commits.
KEPT = "amparo.pipeline_waits"
#: From a second to a week: an anticipatory batch is approved in minutes, a bank settles in days.
BUCKETS = (1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800)


def keep_wait(session: Session, step: str, seconds: float) -> None:
    """Note that ``step`` came ``seconds`` after the step before it, in this transaction."""
    session.info.setdefault(KEPT, []).append((step, max(0.0, seconds)))


def observe_committed_waits(sessions: sessionmaker[Session], metrics: Metrics) -> Histogram:
    """Observe, in ``metrics``, the waits of every transaction of ``sessions`` that commits."""
    waits = Histogram(
        "amparo_pipeline_wait_seconds",
        "Seconds a step of the pipeline came after the step before it",
        ["step"],
        buckets=BUCKETS,
        registry=metrics.registry,
    )

    def committed(session: Session) -> None:
        for step, seconds in session.info.pop(KEPT, []):
            waits.labels(step).observe(seconds)

    def rolled_back(session: Session, *_: Any) -> None:
        session.info.pop(KEPT, None)

    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_rollback", rolled_back)
    return waits
