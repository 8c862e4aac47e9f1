"""The duplicate review queue over HTTP: list candidates, merge or dismiss them."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.registry.service_layer import duplicates
from services.registry.service_layer.common import Actor
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, REGISTRY_OFFICER
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "duplicates", __name__, url_prefix="/v1/duplicates", description="Probable duplicates to review"
)


class CandidateSchema(Schema):
    id = fields.String()
    household_a = fields.String()
    member_a = fields.String()
    admin_code_a = fields.String()
    household_b = fields.String()
    member_b = fields.String()
    admin_code_b = fields.String()
    score = fields.Float(
        metadata={"description": "1.0 for the same document; otherwise name, birth and place"}
    )
    reasons = fields.List(fields.String())
    status = fields.String(metadata={"description": "open, merged or dismissed"})
    created_at = fields.DateTime(format="iso")
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(format="iso", allow_none=True)
    comment = fields.String(allow_none=True)


class CandidateQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "merged", "dismissed")))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("merge", "dismiss")))
    keep = fields.String(load_default=None, metadata={"description": "For a merge: the household that stays"})
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


def _uow() -> RegistryUnitOfWork:
    runtime = current_app.extensions["amparo.runtime"]
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox)


@blp.route("")
class Candidates(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(CandidateQuerySchema, location="query")
    @blp.response(200, CandidateSchema(many=True))
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, params: dict[str, Any]) -> Any:
        """List probable duplicates, best score first"""
        return duplicates.list_duplicates(
            params["status"], params["limit"], _uow(), current_principal().covers
        )


@blp.route("/<candidate_id>/decision")
class Decision(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(DecisionSchema)
    @blp.response(200, CandidateSchema)
    @authenticated([REGISTRY_OFFICER])
    def post(self, body: dict[str, Any], candidate_id: str) -> Any:
        """Merge a probable duplicate into the household kept, or dismiss it"""
        principal = current_principal()
        command = duplicates.DecideDuplicate(
            candidate_id,
            body["decision"],
            Actor(principal.subject, principal.covers),
            body["keep"],
            body["comment"],
        )
        return duplicates.decide_duplicate(command, _uow(), current_app.extensions["amparo.registry"])
