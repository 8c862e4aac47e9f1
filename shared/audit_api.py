"""``GET /v1/audit-log``: a service's audit log for auditors, newest first, a page at a time,
filtered by action, person, subject, outcome and time; ``GET /v1/audit-log/verification``: the
whole chain walked and the first break named.

Every service registers this blueprint; :func:`shared.web.build_app` gives it the service's log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.audit import OUTCOMES, AuditFilter, AuditLog
from shared.auth import AUDITOR
from shared.web import BEARER, authenticated, in_request_language

blp = Blueprint(
    "audit", __name__, url_prefix="/v1/audit-log", description="Who did what, and who was refused"
)


#: The times a filter may name (the log's own are within them; beyond, a time has no UTC).
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)
#: The query's fields that choose entries (:class:`shared.audit.AuditFilter`).
FILTERS = ("outcome", "action", "by", "subject_type", "subject_id", "since", "until")


class AuditQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    after = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**63 - 1),
        metadata={"description": "Only entries older than this position (the last one of the page before)"},
    )
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    action = fields.String(
        load_default=None,
        validate=validate.Length(1, 255),
        metadata={"description": "Exactly this action (`approved`, `POST /v1/batches/<batch_id>/approve` …)"},
    )
    by = fields.String(
        load_default=None,
        validate=validate.Length(1, 255),
        metadata={"description": "Who acted (or was refused)"},
    )
    subject_type = fields.String(load_default=None, validate=validate.Length(1, 32))
    subject_id = fields.String(load_default=None, validate=validate.Length(1, 1024))
    since = fields.AwareDateTime(
        load_default=None,
        validate=validate.Range(EARLIEST, LATEST),
        metadata={"description": "Entries at or after this time (ISO 8601 with its offset)"},
    )
    until = fields.AwareDateTime(
        load_default=None,
        validate=validate.Range(EARLIEST, LATEST),
        metadata={"description": "Entries before this time"},
    )


class AuditEntrySchema(Schema):
    position = fields.Integer()
    at = fields.DateTime()
    by = fields.String(metadata={"description": "The subject of the caller's token, or the service"})
    role = fields.String(allow_none=True, metadata={"description": "Role(s) acted in, space separated"})
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "done, or denied for a refusal"})
    comment = fields.String(allow_none=True, metadata={"description": "Why, or the refusal's reason"})
    prev_hash = fields.String()
    hash = fields.String()


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_after = fields.Integer(allow_none=True, metadata={"description": "`after` for the next page"})


@blp.route("")
class AuditEntries(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AuditQuerySchema, location="query")
    @blp.response(200, AuditPageSchema)
    @authenticated([AUDITOR])
    def get(self, params: dict[str, Any]) -> Any:
        """Read the audit log, newest first (auditors only)"""
        audit: AuditLog = current_app.extensions["amparo.audit"]
        where = AuditFilter(**{name: params[name] for name in FILTERS})
        items = audit.page(limit=params["limit"], after=params["after"], where=where)
        next_after = items[-1]["position"] if len(items) == params["limit"] else None
        return {"items": items, "next_after": next_after}


class AuditActionSchema(Schema):
    action = fields.String()
    entries = fields.Integer(metadata={"description": "How many entries record it"})


@blp.route("/actions")
class AuditActions(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, AuditActionSchema(many=True))
    @authenticated([AUDITOR])
    def get(self) -> Any:
        """Every action this service's log holds, the most frequent first (auditors only)"""
        audit: AuditLog = current_app.extensions["amparo.audit"]
        return [{"action": action, "entries": entries} for action, entries in audit.actions()]


class ChainBreakSchema(Schema):
    position = fields.Integer(metadata={"description": "Where the chain first breaks"})
    reason = fields.String(metadata={"description": "How it breaks, in the language asked for"})


class VerificationSchema(Schema):
    intact = fields.Boolean()
    entries = fields.Integer(metadata={"description": "Entries that hold together from position 1"})
    last_hash = fields.String(
        metadata={
            "description": "Hash of the last of them: compare it with a copy of the head kept elsewhere"
        }
    )
    broken = fields.Nested(ChainBreakSchema, allow_none=True)


@blp.route("/verification")
class AuditVerification(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, VerificationSchema)
    @authenticated([AUDITOR])
    def get(self) -> Any:
        """Walk the whole chain and name the first place it breaks (auditors only)"""
        audit: AuditLog = current_app.extensions["amparo.audit"]
        found = audit.verify()
        broken = found.broken
        return {
            "intact": found.intact,
            "entries": found.entries,
            "last_hash": found.last_hash,
            "broken": None
            if broken is None
            else {"position": broken.position, "reason": in_request_language(broken.reason)},
        }
