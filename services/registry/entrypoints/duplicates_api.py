"""The duplicate review queue over HTTP: list candidates; merge, dismiss or remove members."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.registry.domain.members import Relationship
from services.registry.domain.resolving import MemberChoice
from services.registry.service_layer import duplicates, resolving
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
    status = fields.String(metadata={"description": "open, merged, dismissed, members_removed or withdrawn"})
    created_at = fields.DateTime(format="iso")
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(format="iso", allow_none=True)
    comment = fields.String(allow_none=True)


STATUSES = ("open", "merged", "dismissed", "members_removed", "withdrawn")


class CandidateQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class MemberChoiceSchema(Schema):
    id = fields.String(required=True, metadata={"description": "A member of the household not kept"})
    same_as = fields.String(
        load_default=None,
        metadata={"description": "The kept household's record of the same person: the person is kept once"},
    )
    survives = fields.String(
        load_default=None,
        metadata={"description": "With same_as: which of the two records survives (its member id)"},
    )
    relationship = fields.Enum(
        Relationship,
        by_value=True,
        load_default=None,
        metadata={
            "description": "Relationship to the kept household's head, if the one they had no longer holds"
        },
    )


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(resolving.DECISIONS))
    keep = fields.String(load_default=None, metadata={"description": "For a merge: the household that stays"})
    members = fields.List(
        fields.Nested(MemberChoiceSchema),
        load_default=None,
        validate=validate.Length(max=60),
        metadata={
            "description": "For a merge: each member of the other household kept (moved in, or the same "
            "person as a member of the kept one); those not named stay with the dissolved household"
        },
    )
    household = fields.String(
        load_default=None, metadata={"description": "For remove_members: the household the members leave"}
    )
    remove = fields.List(
        fields.String(),
        load_default=list,
        validate=validate.Length(max=60),
        metadata={"description": "For remove_members: the members who leave it (they live in the other)"},
    )
    new_head = fields.String(
        load_default=None, metadata={"description": "For remove_members: who becomes head if the head leaves"}
    )
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
        """Decide a probable duplicate: merge it, dismiss it, or remove members from one household"""
        principal = current_principal()
        members = body["members"]
        command = resolving.DecideDuplicate(
            candidate_id,
            body["decision"],
            Actor(principal.subject, principal.covers),
            keep_household_id=body["keep"],
            comment=body["comment"],
            members=None if members is None else [MemberChoice(**m) for m in members],
            household_id=body["household"],
            remove=body["remove"],
            new_head=body["new_head"],
        )
        return resolving.decide_duplicate(command, _uow(), current_app.extensions["amparo.registry"])
