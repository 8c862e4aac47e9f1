"""The alerts service's HTTP API (for now: its household location index)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.alerts.entrypoints.schemas import (
    HouseholdLocationSchema,
    LocationIndexSchema,
    LocationSummarySchema,
)
from services.alerts.service_layer import handlers
from shared.auth import AUDITOR, CIVIL_PROTECTION
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "household_locations",
    __name__,
    url_prefix="/v1/household-locations",
    description="The location index fed by registry.households",
)


def _sessions() -> Any:
    return current_app.extensions["amparo.runtime"].session_factory


@blp.route("/summary")
class LocationSummary(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, LocationSummarySchema)
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self) -> Any:
        """Count indexed households per admin area (no individual homes)"""
        counts = handlers.households_per_area(_sessions(), current_principal().covers)
        return {
            "total": sum(counts.values()),
            "areas": [{"admin_code": code, "households": n} for code, n in counts.items()],
        }


@blp.route("/index")
class LocationIndex(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, LocationIndexSchema)
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self) -> Any:
        """What this instance indexes: which partitions of registry.households, how many households"""
        runtime = current_app.extensions["amparo.runtime"]
        return handlers.index_held(runtime.session_factory, runtime.extensions["indexing"])


@blp.route("/<household_id>")
class HouseholdLocation(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdLocationSchema)
    @authenticated([AUDITOR])
    def get(self, household_id: str) -> Any:
        """Read one household's entry in the location index"""
        return handlers.get_location(household_id, _sessions(), current_principal().covers)
