"""The answers of the batches and payments API, as ``/openapi.json`` documents them."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.transfers.domain.batches import BATCH_STATES
from services.transfers.domain.payments import CHANNELS


class AuditLineSchema(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    by = fields.String()
    role = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    at = fields.String(metadata={"description": "ISO 8601, UTC"})


class BatchSchema(Schema):
    id = fields.String()
    programme_id = fields.String()
    programme_version = fields.Integer()
    incident_id = fields.String()
    evaluation_id = fields.String(allow_none=True)
    kind = fields.String(metadata={"description": "initial, supplementary or reissue"})
    state = fields.String(metadata={"description": " | ".join(BATCH_STATES)})
    admin_scope = fields.String(metadata={"description": "The smallest admin area holding its households"})
    currency = fields.String()
    households = fields.Integer()
    total = fields.String(metadata={"description": "An amount to the cent"})
    requested = fields.String(allow_none=True)
    budget = fields.String(allow_none=True)
    coverage = fields.Float(allow_none=True, metadata={"description": "Share of the requested amount paid"})
    cut_off_score = fields.Float(
        allow_none=True, metadata={"description": "Vulnerability of the last one paid"}
    )
    below_cut_off = fields.Integer(allow_none=True)
    proposed_by = fields.String()
    proposed_at = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    review_reason = fields.String(allow_none=True, metadata={"description": "Why it waits for a person"})
    first_approved_by = fields.String(
        allow_none=True, metadata={"description": "The first of two approvers, when its total needs two"}
    )
    updated_at = fields.String(allow_none=True)
    payments_by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    payments_by_channel = fields.Dict(keys=fields.String(), values=fields.Integer())
    audit = fields.List(fields.Nested(AuditLineSchema))


class BatchListSchema(Schema):
    batches = fields.List(fields.Nested(BatchSchema))


class PaymentSchema(Schema):
    id = fields.String()
    end_to_end_id = fields.String()
    batch_id = fields.String()
    programme_id = fields.String()
    incident_id = fields.String()
    household_id = fields.String()
    amount = fields.String(metadata={"description": "An amount to the cent"})
    currency = fields.String()
    channel_type = fields.String(metadata={"description": " | ".join(CHANNELS)})
    state = fields.String()
    reason = fields.String(allow_none=True)
    replaces = fields.String(allow_none=True, metadata={"description": "The failed payment it pays again"})
    instruction_file_id = fields.String(allow_none=True)


class PaymentPageSchema(Schema):
    payments = fields.List(fields.Nested(PaymentSchema))
    offset = fields.Integer()
    limit = fields.Integer()


class FileSchema(Schema):
    """A payment file as written."""

    id = fields.String()
    message_id = fields.String()
    batch_id = fields.String()
    channel_type = fields.String()
    format = fields.String()
    transactions = fields.Integer()
    control_sum = fields.String()
    created_by = fields.String()
    created_at = fields.String()


class PaymentFileSchema(FileSchema):
    not_included = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "Payments left approved, by id, and the account they lack"},
    )


class PaymentFileListSchema(Schema):
    files = fields.List(
        fields.Nested(FileSchema),
        metadata={"description": "Oldest first; each downloaded with GET /v1/payment-files/{id}"},
    )


class ResultsSchema(Schema):
    results = fields.Integer()
    settled = fields.Integer()
    failed = fields.Integer()
    unknown = fields.Integer()
    unchanged = fields.Integer()
    settled_after_reissue = fields.Integer()
    batches = fields.List(fields.String(), metadata={"description": "The batches whose payments moved"})


#: A payment file's answer: its bytes, in the format it was made in.
PAYMENT_FILE_RESPONSE = {
    "200": {
        "description": "The payment file",
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}
