"""The transfers service's HTTP API (for now: its household attribute projection)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.transfers.entrypoints.schemas import HouseholdAttributesSchema
from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer import handlers
from shared.auth import AUDITOR, PROGRAMME_OFFICER
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "household_attributes",
    __name__,
    url_prefix="/v1/household-attributes",
    description="Household attributes fed by registry.households, read by eligibility rules",
)


@blp.route("/<household_id>")
class HouseholdAttributes(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdAttributesSchema)
    @authenticated([PROGRAMME_OFFICER, AUDITOR])
    def get(self, household_id: str) -> Any:
        """Read one household's attributes"""
        return handlers.get_attributes(household_id, unit_of_work(), current_principal().covers)
