"""Grievances over HTTP: file a household's case, read cases, hand one on, resolve it with an
outcome that acts, and ask its explanation again."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.transfers.adapters.alert_distances import AlertDistances
from services.transfers.adapters.grievances import Filter
from services.transfers.domain import grievances as rules
from services.transfers.entrypoints.idempotency import DOC, idempotent
from services.transfers.entrypoints.settings import alerts_url
from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer import grievance_outcomes as outcomes
from services.transfers.service_layer import grievances as service
from services.transfers.service_layer.batches import now
from services.transfers.service_layer.instructing import FORMATS
from shared.auth import (
    APPROVER,
    AUDITOR,
    FIELD_STAFF,
    HOTLINE_OPERATOR,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)
from shared.web import BEARER, authenticated, caller_token, current_principal

blp = Blueprint(
    "grievances",
    __name__,
    url_prefix="/v1/grievances",
    description="Grievances: a household's case, explained, routed, and resolved with an outcome that acts",
)
FILERS = [FIELD_STAFF, HOTLINE_OPERATOR]
RESOLVERS = [PROGRAMME_OFFICER, PAYMENTS_OFFICER, REGISTRY_OFFICER]
READERS = [*FILERS, *RESOLVERS, APPROVER, AUDITOR]


def _distances() -> AlertDistances:
    """The alerts service, asked with the caller's own token."""
    settings = current_app.extensions["amparo.runtime"].settings
    return AlertDistances(alerts_url(settings), caller_token())


class NewGrievanceSchema(Schema):
    household_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    kind = fields.String(required=True, validate=validate.OneOf(rules.KINDS))
    channel = fields.String(
        load_default=None,
        validate=validate.OneOf((rules.IN_PERSON, rules.BY_PHONE)),
        metadata={"description": "field or hotline (default: the filer's own)"},
    )
    incident_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    programme_id = fields.String(load_default=None, validate=validate.Length(min=1, max=36))
    note = fields.String(load_default=None, validate=validate.Length(max=4000))


class ResolutionSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(tuple(rules.OUTCOMES)))
    note = fields.String(load_default=None, validate=validate.Length(max=4000))
    channel_type = fields.String(
        load_default=None,
        validate=validate.OneOf(FORMATS),
        metadata={"description": "re-issue on this channel"},
    )


class AssignmentSchema(Schema):
    role = fields.String(
        required=True, validate=validate.OneOf(sorted({r for r, _ in rules.ROUTES.values()}))
    )
    note = fields.String(required=True, validate=validate.Length(min=3, max=4000))


class GrievanceQuerySchema(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf((rules.OPEN, rules.RESOLVED)))
    assigned_role = fields.String(
        load_default=None, validate=validate.OneOf(sorted({r for r, _ in rules.ROUTES.values()}))
    )
    kind = fields.String(load_default=None, validate=validate.OneOf(rules.KINDS))
    household_id = fields.String(load_default=None)
    incident_id = fields.String(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class Moment(fields.DateTime):
    """An ISO 8601 time; one already written as text passes as it is (a view is dumped once, so an
    idempotent retry replays exactly the first answer)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value if isinstance(value, str) else super()._serialize(value, attr, obj, **kwargs)


class StepSchema(Schema):
    at = Moment(format="iso")
    by = fields.String()
    role = fields.String(allow_none=True)
    action = fields.String()
    note = fields.String(allow_none=True)


class GrievanceSchema(Schema):
    id = fields.String()
    household_id = fields.String()
    admin_code = fields.String()
    kind = fields.String()
    channel = fields.String()
    filed_by = fields.String()
    filed_at = Moment(format="iso")
    assigned_role = fields.String()
    due_at = Moment(format="iso")
    overdue = fields.Boolean()
    household_version = fields.Integer(allow_none=True)
    incident_id = fields.String(allow_none=True)
    programme_id = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    explanation = fields.Dict(
        metadata={"description": "exposure, distance, holds, decisions, payments, summary"}
    )
    state = fields.String()
    outcome = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    outcome_detail = fields.Dict(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = Moment(format="iso", allow_none=True)
    steps = fields.List(fields.Nested(StepSchema))


def _view(case: rules.Grievance) -> dict[str, Any]:
    """The case as the API says it (the same bytes when an idempotent request is replayed)."""
    shown: dict[str, Any] = GrievanceSchema().dump({**asdict(case), "overdue": case.overdue(now())})
    return shown


@blp.route("")
class Grievances(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(NewGrievanceSchema)
    @blp.response(201, GrievanceSchema)
    @authenticated(FILERS)
    def post(self, body: dict[str, Any]) -> Any:
        """File a household's grievance (field staff, hotline operators); its explanation is attached"""
        by = current_principal()
        channel = body["channel"] or (rules.BY_PHONE if HOTLINE_OPERATOR in by.roles else rules.IN_PERSON)
        command = service.FileGrievance(
            household_id=body["household_id"],
            kind=body["kind"],
            channel=channel,
            by=by,
            incident_id=body["incident_id"],
            programme_id=body["programme_id"],
            note=body["note"],
        )
        return _view(service.file_grievance(command, unit_of_work(), _distances()))

    @blp.doc(security=BEARER)
    @blp.arguments(GrievanceQuerySchema, location="query")
    @blp.response(200, GrievanceSchema(many=True))
    @authenticated(READERS)
    def get(self, query: dict[str, Any]) -> Any:
        """Cases in the caller's jurisdiction, open first, earliest deadline first"""
        incident = query["incident_id"]
        which = Filter(
            state=query["state"],
            assigned_role=query["assigned_role"],
            kind=query["kind"],
            household_id=query["household_id"],
            incident_ids=None if incident is None else [incident],
            limit=query["limit"],
        )
        return [_view(c) for c in service.list_grievances(which, current_principal().covers, unit_of_work())]


@blp.route("/<grievance_id>")
class Grievance(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, GrievanceSchema)
    @authenticated(READERS)
    def get(self, grievance_id: str) -> Any:
        """One case with its explanation and every step it took"""
        return _view(service.get_grievance(grievance_id, current_principal().covers, unit_of_work()))


@blp.route("/<grievance_id>/resolution")
class Resolution(MethodView):
    @blp.doc(security=BEARER, **DOC)
    @blp.arguments(ResolutionSchema)
    @blp.response(200, GrievanceSchema)
    @authenticated(RESOLVERS)
    @idempotent
    def post(self, body: dict[str, Any], grievance_id: str) -> Any:
        """Resolve a case: decide again, re-issue, take the registry's correction or release, or the
        decision stands (never by who filed it)"""
        command = outcomes.ResolveGrievance(
            grievance_id, body["outcome"], current_principal(), body["note"], body["channel_type"]
        )
        return _view(outcomes.resolve(command, unit_of_work()))


@blp.route("/<grievance_id>/assignment")
class Assignment(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AssignmentSchema)
    @blp.response(200, GrievanceSchema)
    @authenticated(RESOLVERS)
    def post(self, body: dict[str, Any], grievance_id: str) -> Any:
        """Hand a case to another role (its assignee or a programme officer)"""
        found = outcomes.reassign(
            grievance_id, body["role"], current_principal(), body["note"], unit_of_work()
        )
        return _view(found)


@blp.route("/<grievance_id>/explanation")
class Explanation(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, GrievanceSchema)
    @authenticated([*FILERS, *RESOLVERS])
    def post(self, grievance_id: str) -> Any:
        """Ask the case's explanation again (a reply's case has no distance until someone asks)"""
        found = service.refresh_explanation(grievance_id, current_principal(), unit_of_work(), _distances())
        return _view(found)
