"""``transfers.batches``: every batch state, and every payment state in chunks (key: batch id)."""

from __future__ import annotations

SOURCE = "/amparo/transfers"
BATCH_PROPOSED = "amparo.transfers.batch.proposed.v1"
BATCH_APPROVED = "amparo.transfers.batch.approved.v1"
BATCH_REJECTED = "amparo.transfers.batch.rejected.v1"
BATCH_WITHDRAWN = "amparo.transfers.batch.withdrawn.v1"
BATCH_FLAGGED = "amparo.transfers.batch.flagged.v1"
BATCH_INSTRUCTED = "amparo.transfers.batch.instructed.v1"
BATCH_SETTLED = "amparo.transfers.batch.settled.v1"
BATCH_PARTLY_FAILED = "amparo.transfers.batch.partly_failed.v1"
BATCH_FAILED = "amparo.transfers.batch.failed.v1"
#: Payments whose state changed, at most ``PAYMENT_CHUNK`` per event.
PAYMENTS_CHANGED = "amparo.transfers.payments.changed.v1"
PAYMENT_CHUNK = 1000

BATCH_EVENT_TYPES = {
    "proposed": BATCH_PROPOSED,
    "approved": BATCH_APPROVED,
    "rejected": BATCH_REJECTED,
    "withdrawn": BATCH_WITHDRAWN,
    "flagged": BATCH_FLAGGED,
    "instructed": BATCH_INSTRUCTED,
    "settled": BATCH_SETTLED,
    "partly_failed": BATCH_PARTLY_FAILED,
    "failed": BATCH_FAILED,
}
