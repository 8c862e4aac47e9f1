"""Damage and needs after a hazard over HTTP: assessment exercises and households' assessments."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.registry.domain import model
from services.registry.entrypoints.schemas import AssessmentInputSchema, AssessmentOutSchema
from services.registry.service_layer import assessments
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "assessments", __name__, url_prefix="/v1", description="Damage and needs assessed after a hazard"
)


class AssessmentEventInputSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    incidents = fields.List(
        fields.String(validate=validate.Length(min=1, max=255)),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "The CAP <incidents> identifiers (or alert identifiers) it follows"},
    )
    hazard_event = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={"description": "Optional"},
    )
    admin_codes = fields.List(
        fields.String(validate=validate.Regexp(model.ADMIN_CODE.pattern)),
        required=True,
        validate=validate.Length(min=1, max=200),
    )
    opens_at = fields.AwareDateTime(
        load_default=None, allow_none=True, metadata={"description": "Default now"}
    )
    closes_at = fields.AwareDateTime(load_default=None, allow_none=True)


class AssessmentEventSchema(Schema):
    id = fields.String()
    name = fields.String()
    incidents = fields.List(fields.String())
    hazard_event = fields.String(allow_none=True)
    admin_codes = fields.List(fields.String())
    opened_at = fields.DateTime(format="iso")
    opened_by = fields.String()
    closes_at = fields.DateTime(format="iso", allow_none=True)


class AssessmentEventPageSchema(Schema):
    items = fields.List(fields.Nested(AssessmentEventSchema))


class RecordedAssessmentSchema(Schema):
    assessment = fields.Nested(AssessmentOutSchema)
    household_version = fields.Integer()


def _uow() -> RegistryUnitOfWork:
    runtime = current_app.extensions["amparo.runtime"]
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox)


def _deps() -> Dependencies:
    deps: Dependencies = current_app.extensions["amparo.registry"]
    return deps


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.subject, principal.covers)


@blp.route("/assessment-events")
class AssessmentEvents(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, AssessmentEventPageSchema)
    @authenticated([FIELD_STAFF, REGISTRY_OFFICER, AUDITOR])
    def get(self) -> Any:
        """Assessment exercises open now in your areas"""
        return {"items": assessments.open_events(current_principal().jurisdiction, _uow(), _deps())}

    @blp.doc(security=BEARER)
    @blp.arguments(AssessmentEventInputSchema)
    @blp.response(201, AssessmentEventSchema)
    @authenticated([REGISTRY_OFFICER])
    def post(self, body: dict[str, Any]) -> Any:
        """Open an assessment exercise after a hazard (registry officers, in their areas)"""
        command = assessments.OpenAssessmentEvent(
            name=body["name"],
            incidents=tuple(body["incidents"]),
            admin_codes=tuple(body["admin_codes"]),
            actor=_actor(),
            closes_at=body["closes_at"],
            hazard_event=body["hazard_event"],
            opens_at=body["opens_at"],
        )
        return assessments.open_assessment_event(command, _uow(), _deps())


@blp.route("/households/<household_id>/assessments")
class HouseholdAssessments(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AssessmentInputSchema)
    @blp.response(201, RecordedAssessmentSchema)
    @authenticated([FIELD_STAFF, REGISTRY_OFFICER])
    def post(self, body: dict[str, Any], household_id: str) -> Any:
        """Add a visit's findings (damage, displacement, losses, needs) to a household"""
        values = dict(body)
        command = assessments.AssessHousehold(household_id, values.pop("event_id"), values, _actor())
        assessment, household = assessments.assess_household(command, _uow(), _deps())
        return {"assessment": assessment.as_record(), "household_version": household.version}
