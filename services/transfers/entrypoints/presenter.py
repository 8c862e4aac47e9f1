"""Batches, payments, payment files and results as the API shows them.

Amounts are strings to the cent (never floats), times ISO 8601 in UTC. A payment never shows an
account number: transfers holds none.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.transfers.domain.batches import Batch
from services.transfers.domain.payments import Payment, PaymentFile, money
from services.transfers.domain.programme_drafts import DraftReading
from services.transfers.service_layer.explaining import (
    HouseholdDecision,
    HouseholdDecisions,
    IncidentDecisions,
)
from services.transfers.service_layer.instructing import FileWritten
from services.transfers.service_layer.programmes import Described
from services.transfers.service_layer.reading import BatchReport, PaymentPage
from services.transfers.service_layer.results import ResultsImported
from shared.db import as_read
from shared.web import in_request_language

_BATCH_FIELDS = tuple(f.name for f in fields(Batch) if f.name != "changes")
TRAIL = ("action", "from_state", "to_state", "by", "role", "comment", "at")


def _amount(value: Decimal | float | None) -> str | None:
    return None if value is None else str(money(value))


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def batch_view(report: BatchReport) -> dict[str, Any]:
    """A batch: amounts, budget coverage and cut-off, payments by state and channel, its audit trail."""
    batch = report.batch
    view: dict[str, Any] = {name: getattr(batch, name) for name in _BATCH_FIELDS}
    for name in ("total", "requested", "budget"):
        view[name] = _amount(view[name])
    for name in ("proposed_at", "decided_at", "updated_at"):
        view[name] = _when(view[name])
    view["payments_by_state"] = report.payments_by_state
    view["payments_by_channel"] = report.payments_by_channel
    view["audit"] = [{**{k: line[k] for k in TRAIL}, "at": _when(line["at"])} for line in report.trail]
    return view


def payment_view(p: Payment) -> dict[str, Any]:
    """A payment as the API shows it."""
    return {
        "id": p.id,
        "end_to_end_id": p.end_to_end_id,
        "batch_id": p.batch_id,
        "programme_id": p.programme_id,
        "incident_id": p.incident_id,
        "household_id": p.household_id,
        "amount": _amount(p.amount),
        "currency": p.currency,
        "channel_type": p.channel_type,
        "state": p.state,
        "reason": p.reason,
        "replaces": p.replaces,
        "instruction_file_id": p.instruction_file_id,
    }


def payment_page_view(page: PaymentPage) -> dict[str, Any]:
    return {"payments": [payment_view(p) for p in page.payments], "offset": page.offset, "limit": page.limit}


def file_view(file: PaymentFile) -> dict[str, Any]:
    return {
        "id": file.id,
        "message_id": file.message_id,
        "batch_id": file.batch_id,
        "channel_type": file.channel_type,
        "format": file.format,
        "transactions": file.transactions,
        "control_sum": _amount(file.control_sum),
        "created_by": file.created_by,
        "created_at": _when(file.created_at),
    }


def file_written_view(written: FileWritten) -> dict[str, Any]:
    return {**file_view(written.file), "not_included": written.not_included}


def results_view(imported: ResultsImported) -> dict[str, Any]:
    return {"results": imported.results, **imported.counts, "batches": imported.batches}


def programme_view(described: Described) -> dict[str, Any]:
    """A programme version: its document as defined, its rules in plain words."""
    version = described.version
    return {
        "id": version.id,
        "version": version.version,
        "name": version.name,
        "programme": version.document,
        "rules": described.rules,
        "created_by": version.created_by,
        "created_at": as_read(version.created_at),
        "state": version.state,
        "decided_by": version.decided_by,
        "decided_at": version.decided_at,
        "decision_comment": version.decision_comment,
    }


def draft_reading_view(reading: DraftReading) -> dict[str, Any]:
    """A draft read in words, and its mistakes (each in the caller's language where it is known)."""
    return {
        "rules": dict(reading.rules),
        "problems": [
            {"pointer": p.pointer, "detail": in_request_language(p.detail)} for p in reading.problems
        ],
        "valid": not reading.problems,
    }


def incident_decisions_view(found: IncidentDecisions) -> dict[str, Any]:
    """What transfers did with an alert: its exposures and evaluations."""
    incident = found.incident
    return {
        "incident_id": found.incident_id,
        "version": incident.version if incident else None,
        "state": incident.state if incident else "not yet received",
        "headline": incident.summary.get("headline") if incident else None,
        "exposures": [
            {
                **{name: e._mapping[name] for name in EXPOSURE_FIELDS},
                "received_at": _stored_when(e.received_at),
                "decided_at": _stored_when(e.decided_at),
            }
            for e in found.exposures
        ],
        "evaluations": [
            {
                **{name: v._mapping[name] for name in EVALUATION_FIELDS},
                "programme": v.name,
                "created_at": _stored_when(v.created_at),
            }
            for v in found.evaluations
        ],
        "stages": [
            {**s, "reached_at": s["reached_at"].isoformat() if s["reached_at"] else None}
            for s in found.stages
        ],
    }


def household_decisions_view(found: HouseholdDecisions) -> dict[str, Any]:
    """Why a household was or was not paid, and its payments."""
    return {
        "household_id": found.household_id,
        "decisions": [
            {
                **{f.name: getattr(d, f.name) for f in fields(HouseholdDecision)},
                "decided_at": _stored_when(d.decided_at),
                "amount": _amount(d.amount),
            }
            for d in found.decisions
        ],
        "payments": [payment_view(p) for p in found.payments],
    }


EXPOSURE_FIELDS = ("exposure_key", "version", "footprint_id", "kind", "households", "status", "note")
EVALUATION_FIELDS = (
    "id",
    "exposure_key",
    "programme_id",
    "programme_version",
    "batch_id",
    "conditions",
    "summary",
)


def _stored_when(value: datetime | None) -> str | None:
    """A time as stored (SQLite gives it back without its zone, in UTC)."""
    return as_read(value).isoformat() if value else None
