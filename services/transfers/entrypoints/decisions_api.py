"""What transfers decided over HTTP: an alert's exposures and evaluations, deciding an alert again,
and why one household was or was not paid."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.transfers.domain.eligibility import LANGUAGES
from services.transfers.entrypoints import presenter
from services.transfers.entrypoints.idempotency import DOC, idempotent
from services.transfers.entrypoints.schemas import (
    DecidedAgainSchema,
    HouseholdDecisionsSchema,
    IncidentDecisionsSchema,
)
from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer import explaining
from shared.auth import APPROVER, AUDITOR, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint("decisions", __name__, url_prefix="/v1", description="Decisions on alerts and households")
READERS = [PROGRAMME_OFFICER, APPROVER, PAYMENTS_OFFICER, AUDITOR]


class LanguageSchema(Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(LANGUAGES))


@blp.route("/alerts/<incident_id>/decisions")
class AlertDecisions(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, IncidentDecisionsSchema)
    @authenticated(READERS)
    def get(self, incident_id: str) -> Any:
        """What transfers did with an alert: its exposures, programme evaluations and batches"""
        return presenter.incident_decisions_view(explaining.incident_decisions(incident_id, unit_of_work()))

    @blp.doc(security=BEARER, **DOC)
    @blp.response(200, DecidedAgainSchema)
    @authenticated([PROGRAMME_OFFICER])
    @idempotent
    def post(self, incident_id: str) -> Any:
        """Decide the alert's current exposure again (new households only are ever proposed)"""
        decided = explaining.decide_again(incident_id, current_principal().subject, unit_of_work())
        return {"incident_id": incident_id, "decided": decided}


@blp.route("/households/<household_id>/decisions")
class HouseholdDecisions(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(LanguageSchema, location="query")
    @blp.response(200, HouseholdDecisionsSchema)
    @authenticated(READERS)
    def get(self, query: dict[str, Any], household_id: str) -> Any:
        """Why a household was or was not paid, in plain words (lang=en or es)"""
        found = explaining.household_decisions(
            household_id, query["lang"], current_principal().covers, unit_of_work()
        )
        return presenter.household_decisions_view(found)
