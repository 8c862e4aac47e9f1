"""``GET /v1/audit-log``: a service's audit log for auditors, newest first, a page at a time.

Every service registers this blueprint; :func:`shared.web.build_app` gives it the service's log.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared.audit import OUTCOMES, AuditLog
from shared.auth import AUDITOR
from shared.web import BEARER, authenticated

blp = Blueprint(
    "audit", __name__, url_prefix="/v1/audit-log", description="Who did what, and who was refused"
)


class AuditQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    after = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2**63 - 1),
        metadata={"description": "Only entries older than this position (the last one of the page before)"},
    )
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))


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
        items = audit.page(limit=params["limit"], after=params["after"], outcome=params["outcome"])
        next_after = items[-1]["position"] if len(items) == params["limit"] else None
        return {"items": items, "next_after": next_after}
