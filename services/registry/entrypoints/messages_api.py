"""A household's personal data over HTTP: its messages for the officers who may read them, the SMS
provider's delivery reports and replies (Infobip's webhook shapes, which carry the webhook token
instead of a person's bearer token), and erasure on request."""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.registry.adapters.sms import report_outcome
from services.registry.entrypoints.api import _deps, _uow
from services.registry.service_layer import messages as service
from services.registry.service_layer import replies
from services.registry.service_layer.common import Actor
from services.registry.service_layer.erasure import EraseHousehold, erase_household
from shared.auth import AUDITOR, REGISTRY_OFFICER
from shared.errors import InvalidInput, NotAuthenticated
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint("messages", __name__, url_prefix="/v1", description="Messages to households")


class MessageSchema(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "entitled, approved, sent, settled, failed"})
    status = fields.String(metadata={"description": "queued, sent, delivered, undelivered, failed, not_sent"})
    reason = fields.String(allow_none=True, metadata={"description": "Why it was not sent or not delivered"})
    language = fields.String()
    text = fields.String()
    to = fields.String(allow_none=True, metadata={"description": "The number's last four digits"})
    attempts = fields.Integer()
    payment_id = fields.String()
    programme_id = fields.String()
    requested_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class HouseholdMessagesSchema(Schema):
    household_id = fields.String()
    opted_out = fields.Boolean(metadata={"description": "It replied asking for no more messages"})
    messages = fields.List(fields.Nested(MessageSchema))


class WebhookSchema(Schema):
    results = fields.List(fields.Dict(), required=True)


class WebhookAnswerSchema(Schema):
    applied = fields.Integer()


@blp.route("/households/<household_id>/messages")
class HouseholdMessages(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdMessagesSchema)
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, household_id: str) -> Any:
        """A household's messages: what each said, to which number (its last digits), where it stands"""
        found, opted_out = service.household_messages(household_id, current_principal().covers, _uow())
        return {
            "household_id": household_id,
            "opted_out": opted_out,
            "messages": [{**m.__dict__, "to": m.to_masked} for m in found],
        }


class MessageCountsSchema(Schema):
    by_kind = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "kind → status → messages, inside your jurisdiction"},
    )


@blp.route("/messages/counts")
class MessageCounts(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, MessageCountsSchema)
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self) -> Any:
        """Messages to households inside your jurisdiction, by kind and status"""
        return {"by_kind": service.message_counts(current_principal().covers, _uow())}


class ErasureRequestSchema(Schema):
    reference = fields.String(
        required=True,
        validate=validate.Length(min=3, max=255),
        metadata={"description": "The household's request it answers (a letter's or a case's reference)"},
    )
    location = fields.Boolean(load_default=False, metadata={"description": "Erase the exact location too"})


class ErasureSchema(Schema):
    household_id = fields.String()
    at = fields.DateTime()
    by = fields.String()
    reference = fields.String()
    location_erased = fields.Boolean()


@blp.route("/households/<household_id>/erasure")
class HouseholdErasure(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ErasureRequestSchema)
    @blp.response(200, ErasureSchema)
    @authenticated([REGISTRY_OFFICER])
    def post(self, body: dict[str, Any], household_id: str) -> Any:
        """Erase a household's personal data on its request (names, documents, phones, accounts,
        address; its exact location if asked); ids, decisions and payments stay"""
        principal = current_principal()
        command = EraseHousehold(
            household_id, body["reference"], body["location"], Actor(principal.subject, principal.covers)
        )
        return erase_household(command, _uow(), _deps()).__dict__


def _check_token() -> None:
    """:raise NotAuthenticated: the webhook's token is missing or not the one configured."""
    expected = str(current_app.extensions["amparo.runtime"].settings.own.get("sms_webhook_token") or "")
    given = request.args.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise NotAuthenticated("the provider's webhook token is missing or wrong")


def _results(body: dict[str, Any]) -> list[dict[str, Any]]:
    results = body.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise InvalidInput("results must be a list of objects")
    return results


@blp.route("/messages/delivery-reports")
class DeliveryReports(MethodView):
    @blp.arguments(WebhookSchema)
    @blp.response(200, WebhookAnswerSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """The SMS provider's delivery reports (Infobip's shape; ?token= the webhook token)"""
        _check_token()
        reports = [report_outcome(r) for r in _results(body)]
        return {"applied": service.apply_reports(reports, _uow(), _deps())}


@blp.route("/messages/replies")
class Replies(MethodView):
    @blp.arguments(WebhookSchema)
    @blp.response(200, WebhookAnswerSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Households' replies forwarded by the SMS provider: STOP or BAJA opts out; RECLAMO or QUEJA
        files a grievance in transfers (?token=)"""
        _check_token()
        return {"applied": replies.apply_replies(_results(body), _uow(), _deps())}
