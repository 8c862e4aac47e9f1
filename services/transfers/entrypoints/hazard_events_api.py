"""Hazard events over HTTP: which alerts concern one hazard (one payment per household per
programme per hazard event), suggestions, and a person's links and splits."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer import hazard_events as service
from services.transfers.service_layer.batches import role_of
from shared.auth import APPROVER, AUDITOR, CIVIL_PROTECTION, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "hazard_events",
    __name__,
    url_prefix="/v1/hazard-events",
    description="Hazard events: the alerts of every sender that concern one hazard",
)
READERS = [CIVIL_PROTECTION, PROGRAMME_OFFICER, APPROVER, PAYMENTS_OFFICER, AUDITOR]
LINKERS = [CIVIL_PROTECTION, PROGRAMME_OFFICER]


class LinkViewSchema(Schema):
    incident_id = fields.String()
    how = fields.String(metadata={"description": "first_heard, cap_incidents or person"})
    linked_by = fields.String()
    linked_at = fields.DateTime(format="iso")
    note = fields.String(allow_none=True)
    sender = fields.String(allow_none=True)
    event = fields.String(allow_none=True)
    headline = fields.String(allow_none=True)


class SuggestionSchema(Schema):
    incident_id = fields.String()
    hazard_event_id = fields.String()
    sender = fields.String(allow_none=True)
    event = fields.String(allow_none=True)
    why = fields.List(fields.String())


class HazardEventSchema(Schema):
    id = fields.String()
    name = fields.String()
    created_at = fields.DateTime(format="iso")
    alerts = fields.List(fields.Nested(LinkViewSchema))
    suggestions = fields.List(
        fields.Nested(SuggestionSchema),
        metadata={
            "description": "Alerts of other hazard events of the same kind, areas and times overlapping"
        },
    )


class LinkSchema(Schema):
    incident_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    with_incident_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class SplitSchema(Schema):
    incident_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    reason = fields.String(required=True, validate=validate.Length(min=3, max=1000))


def view(found: service.HazardEventView) -> dict[str, Any]:
    alerts = []
    for link in found.event.links:
        summary = found.summaries.get(link.incident_id, {})
        alerts.append(
            {
                **link.__dict__,
                "sender": summary.get("sender"),
                "event": summary.get("event"),
                "headline": summary.get("headline"),
            }
        )
    return {
        "id": found.event.id,
        "name": found.event.name,
        "created_at": found.event.created_at,
        "alerts": alerts,
        "suggestions": found.suggestions,
    }


@blp.route("")
class HazardEvents(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HazardEventSchema(many=True))
    @authenticated(READERS)
    def get(self) -> Any:
        """The newest hazard events reaching your jurisdiction, each with its alerts and suggestions"""
        return [view(v) for v in service.list_hazard_events(unit_of_work(), current_principal().covers)]


@blp.route("/<hazard_event_id>")
class HazardEvent(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HazardEventSchema)
    @authenticated(READERS)
    def get(self, hazard_event_id: str) -> Any:
        """One hazard event"""
        return view(service.get_hazard_event(hazard_event_id, unit_of_work()))


@blp.route("/links")
class Links(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(LinkSchema)
    @blp.response(200, HazardEventSchema)
    @authenticated(LINKERS)
    def post(self, body: dict[str, Any]) -> Any:
        """Link an alert into another alert's hazard event (both within your jurisdiction; audited):
        households already paid under both are flagged for review"""
        person = current_principal()
        command = service.LinkIncidents(
            body["incident_id"],
            body["with_incident_id"],
            body["reason"],
            person,
            role_of(person, PROGRAMME_OFFICER),
        )
        return view(service.link_incidents(command, unit_of_work()))


@blp.route("/splits")
class Splits(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(SplitSchema)
    @blp.response(200, HazardEventSchema)
    @authenticated(LINKERS)
    def post(self, body: dict[str, Any]) -> Any:
        """Take an alert out of its hazard event into one of its own (audited): its households may
        then be entitled again under it"""
        person = current_principal()
        command = service.SplitIncident(
            body["incident_id"], body["reason"], person, role_of(person, PROGRAMME_OFFICER)
        )
        return view(service.split_incident(command, unit_of_work()))
