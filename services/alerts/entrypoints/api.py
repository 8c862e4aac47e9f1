"""The alerts service's HTTP API (for now: its household location index)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from services.alerts.entrypoints import presenter
from services.alerts.entrypoints.schemas import (
    HouseholdLocationSchema,
    LocationIndexSchema,
    LocationSummarySchema,
)
from services.alerts.service_layer import handlers
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.auth import AUDITOR, CIVIL_PROTECTION
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "household_locations",
    __name__,
    url_prefix="/v1/household-locations",
    description="The location index fed by registry.households",
)


def _reader() -> AlertsUnitOfWork:
    """For reads: on SQLite it never waits for a writer."""
    runtime = current_app.extensions["amparo.runtime"]
    return AlertsUnitOfWork(
        runtime.session_factory, runtime.outbox, read_only=True, indexing=runtime.extensions.get("indexing")
    )


@blp.route("/summary")
class LocationSummary(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, LocationSummarySchema)
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self) -> Any:
        """Count indexed households per admin area (no individual homes)"""
        return presenter.location_summary(handlers.households_per_area(_reader(), current_principal().covers))


@blp.route("/index")
class LocationIndex(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, LocationIndexSchema)
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self) -> Any:
        """What this instance indexes: which partitions of registry.households, how many households"""
        return presenter.index_view(handlers.index_held(_reader()))


@blp.route("/<household_id>")
class HouseholdLocation(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdLocationSchema)
    @authenticated([AUDITOR])
    def get(self, household_id: str) -> Any:
        """Read one household's entry in the location index"""
        return handlers.get_location(household_id, _reader(), current_principal().covers)
