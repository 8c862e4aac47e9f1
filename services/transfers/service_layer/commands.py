"""What people ask transfers to do with batches and payments: one command each, as the API received it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.auth import Principal


@dataclass(frozen=True)
class ReviewBatch:
    """Approve (or reject) a proposed batch."""

    batch_id: str
    approve: bool
    by: Principal
    comment: str | None = None


@dataclass(frozen=True)
class SettleReview:
    """Keep a batch flagged for review (pay on), or withdraw what of it is not yet sent."""

    batch_id: str
    keep: bool
    by: Principal
    comment: str


@dataclass(frozen=True)
class WritePaymentFile:
    """Put a batch's approved payments on one channel into a payment file."""

    batch_id: str
    channel_type: str
    format: str | None
    by: Principal


@dataclass(frozen=True)
class ChangeChannel:
    """Move approved payments not yet in a file to another channel."""

    batch_id: str
    payment_ids: Sequence[str]
    channel_type: str
    by: Principal
    comment: str


@dataclass(frozen=True)
class ImportResults:
    """Apply a provider's result file (CSV or pain.002)."""

    raw: bytes
    content_type: str
    by: Principal


@dataclass(frozen=True)
class ReissuePayments:
    """Pay a batch's failed payments (all, or those named) again, on their channel or another."""

    batch_id: str
    payment_ids: Sequence[str] | None
    channel_type: str | None
    by: Principal
    comment: str | None = None
