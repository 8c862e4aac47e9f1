"""Batches, payments, payment files, results and decisions over HTTP.

Views parse, call the service layer and serialise. Every request that moves money needs an
``Idempotency-Key``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.transfers.adapters.registry_details import RegistryPaymentDetails
from services.transfers.domain.batches import BATCH_STATES
from services.transfers.domain.payments import CHANNELS
from services.transfers.entrypoints import presenter
from services.transfers.entrypoints.batch_schemas import (
    PAYMENT_FILE_RESPONSE,
    BatchListSchema,
    BatchSchema,
    PaymentFileListSchema,
    PaymentFileSchema,
    PaymentPageSchema,
    ResultsSchema,
)
from services.transfers.entrypoints.idempotency import DOC, idempotent
from services.transfers.entrypoints.settings import registry_url
from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer import approving, instructing, reading, reissuing, results
from services.transfers.service_layer.commands import (
    ChangeChannel,
    ImportResults,
    ReissuePayments,
    ReviewBatch,
    SettleReview,
    WritePaymentFile,
)
from shared.auth import APPROVER, AUDITOR, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from shared.web import BEARER, authenticated, caller_token, current_principal

blp = Blueprint("batches", __name__, url_prefix="/v1", description="Batches, payments and decisions")
READERS = [PROGRAMME_OFFICER, APPROVER, PAYMENTS_OFFICER, AUDITOR]


_uow = unit_of_work


def _details() -> RegistryPaymentDetails:
    """The registry, asked with the caller's own token."""
    return RegistryPaymentDetails(
        registry_url(current_app.extensions["amparo.runtime"].settings), caller_token()
    )


class BatchQuerySchema(Schema):
    incident_id = fields.String(load_default=None)
    hazard_event_id = fields.String(
        load_default=None, metadata={"description": "every alert joined to this hazard event"}
    )
    state = fields.String(load_default=None, validate=validate.OneOf(BATCH_STATES))


class PaymentQuerySchema(Schema):
    state = fields.String(load_default=None)
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class ReviewSchema(Schema):
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class RejectSchema(Schema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class FlagReviewSchema(Schema):
    keep = fields.Boolean(
        required=True, metadata={"description": "true: pay on; false: withdraw what is not sent"}
    )
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class InstructSchema(Schema):
    channel_type = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    format = fields.String(load_default=None, validate=validate.OneOf(("pain.001", "csv")))


class ReissueSchema(Schema):
    payment_ids = fields.List(fields.String(), load_default=None)
    channel_type = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


@blp.route("/batches")
class Batches(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(BatchQuerySchema, location="query")
    @blp.response(200, BatchListSchema)
    @authenticated(READERS)
    def get(self, query: dict[str, Any]) -> Any:
        """Batches, newest first (by alert, by hazard event, by state)"""
        found = reading.list_batches(
            _uow(), current_principal().covers, query["incident_id"], query["state"], query["hazard_event_id"]
        )
        return {"batches": [presenter.batch_view(r) for r in found]}


@blp.route("/batches/<batch_id>")
class Batch(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, BatchSchema)
    @authenticated(READERS)
    def get(self, batch_id: str) -> Any:
        """A batch: amounts, budget coverage and cut-off, payments by state, the audit trail"""
        return presenter.batch_view(reading.get_batch(batch_id, current_principal().covers, _uow()))


@blp.route("/batches/<batch_id>/payments")
class BatchPayments(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(PaymentQuerySchema, location="query")
    @blp.response(200, PaymentPageSchema)
    @authenticated(READERS)
    def get(self, query: dict[str, Any], batch_id: str) -> Any:
        """A batch's payments, a page at a time"""
        page = reading.list_payments(
            batch_id, current_principal().covers, _uow(), query["state"], query["offset"], query["limit"]
        )
        return presenter.payment_page_view(page)


@blp.route("/batches/<batch_id>/payment-files")
class BatchPaymentFiles(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, PaymentFileListSchema)
    @authenticated(READERS)
    def get(self, batch_id: str) -> Any:
        """A batch's payment files: channel, format, transactions, control sum, who wrote them and when"""
        found = reading.list_files(batch_id, current_principal().covers, _uow())
        return {"files": [presenter.file_view(f) for f in found]}


@blp.route("/batches/<batch_id>/approve")
class Approve(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(ReviewSchema)
    @blp.response(200, BatchSchema)
    @authenticated([APPROVER])
    @idempotent
    def post(self, body: dict[str, Any], batch_id: str) -> Any:
        """Approve a proposed batch (never one you proposed)"""
        command = ReviewBatch(batch_id, True, current_principal(), body["comment"])
        return presenter.batch_view(approving.review_batch(command, _uow()))


@blp.route("/batches/<batch_id>/reject")
class Reject(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(RejectSchema)
    @blp.response(200, BatchSchema)
    @authenticated([APPROVER])
    @idempotent
    def post(self, body: dict[str, Any], batch_id: str) -> Any:
        """Reject a proposed batch, saying why (never one you proposed)"""
        command = ReviewBatch(batch_id, False, current_principal(), body["comment"])
        return presenter.batch_view(approving.review_batch(command, _uow()))


@blp.route("/batches/<batch_id>/review")
class FlagReview(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(FlagReviewSchema)
    @blp.response(200, BatchSchema)
    @authenticated([APPROVER])
    @idempotent
    def post(self, body: dict[str, Any], batch_id: str) -> Any:
        """Settle a batch flagged after its alert was cancelled: keep it, or withdraw what is not sent"""
        command = SettleReview(batch_id, body["keep"], current_principal(), body["comment"])
        return presenter.batch_view(approving.settle_review(command, _uow()))


@blp.route("/batches/<batch_id>/instructions")
class Instructions(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(InstructSchema)
    @blp.response(200, PaymentFileSchema)
    @authenticated([PAYMENTS_OFFICER])
    @idempotent
    def post(self, body: dict[str, Any], batch_id: str) -> Any:
        """Send a batch's approved payments on one channel to a payment file (pain.001 or provider CSV)"""
        command = WritePaymentFile(batch_id, body["channel_type"], body["format"], current_principal())
        return presenter.file_written_view(instructing.write_payment_file(command, _details(), _uow()))


class ChannelSchema(Schema):
    payment_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=5000))
    channel_type = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@blp.route("/batches/<batch_id>/channel")
class Channel(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(ChannelSchema)
    @blp.response(200, BatchSchema)
    @authenticated([PAYMENTS_OFFICER])
    @idempotent
    def post(self, body: dict[str, Any], batch_id: str) -> Any:
        """Move approved payments not yet in a file to another channel (same end-to-end ids)"""
        command = ChangeChannel(
            batch_id, body["payment_ids"], body["channel_type"], current_principal(), body["comment"]
        )
        return presenter.batch_view(instructing.change_channel(command, _uow()))


@blp.route("/batches/<batch_id>/reissue")
class Reissue(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(ReissueSchema)
    @blp.response(200, BatchSchema)
    @authenticated([PAYMENTS_OFFICER])
    @idempotent
    def post(self, body: dict[str, Any], batch_id: str) -> Any:
        """Pay failed payments again, in a new batch that needs approval (never an unknown one)"""
        command = ReissuePayments(
            batch_id, body["payment_ids"], body["channel_type"], current_principal(), body["comment"]
        )
        return presenter.batch_view(reissuing.reissue(command, _uow()))


@blp.route("/payment-files/<file_id>")
class PaymentFile(MethodView):
    @blp.doc(security=BEARER, responses=PAYMENT_FILE_RESPONSE)
    @authenticated([PAYMENTS_OFFICER])
    def get(self, file_id: str) -> Response:
        """Download a payment file (account details read from the registry now, never stored)"""
        file = instructing.render_file(file_id, current_principal(), _details(), _uow())
        return Response(
            file.body,
            mimetype=file.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{file.name}"',
                "Cache-Control": "no-store",
            },
        )


@blp.route("/payment-results")
class PaymentResults(MethodView):
    @blp.doc(
        security=BEARER,
        requestBody={
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/xml": {"schema": {"type": "string"}},
            },
            "description": "A provider's CSV (end_to_end_id,status,reason) or an ISO 20022 pain.002",
        },
        **DOC,
    )
    @blp.response(200, ResultsSchema)
    @authenticated([PAYMENTS_OFFICER])
    @idempotent
    def post(self) -> Any:
        """Import a result file: each payment settled, failed (with reason) or unknown; all or nothing"""
        command = ImportResults(request.get_data(cache=True), request.content_type or "", current_principal())
        return presenter.results_view(results.import_results(command, _uow()))
