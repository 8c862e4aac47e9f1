"""The registry's HTTP API: views parse, call a handler, serialise."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from services.registry.domain.model import Location
from services.registry.entrypoints.schemas import HouseholdRegistrationSchema, HouseholdSchema
from services.registry.service_layer import handlers
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint("households", __name__, url_prefix="/v1/households", description="Registered households")


def _uow() -> RegistryUnitOfWork:
    runtime = current_app.extensions["amparo.runtime"]
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox)


@blp.route("")
class Households(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(HouseholdRegistrationSchema)
    @blp.response(201, HouseholdSchema)
    @authenticated([FIELD_STAFF, REGISTRY_OFFICER])
    def post(self, body: dict[str, Any]) -> Any:
        """Register a household"""
        principal = current_principal()
        command = handlers.RegisterHousehold(
            admin_code=body["admin_code"],
            size=body["size"],
            location=Location(**body["location"]),
            registered_by=principal.subject,
            jurisdiction_covers=principal.covers,
            household_id=body["id"],
        )
        household, created = handlers.register_household(command, _uow())
        headers = {
            "Location": url_for("households.Household", household_id=household.id),
            "ETag": f'"{household.version}"',
        }
        return household, 201 if created else 200, headers


@blp.route("/<household_id>")
class Household(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdSchema)
    @authenticated([FIELD_STAFF, REGISTRY_OFFICER, AUDITOR])
    def get(self, household_id: str) -> Any:
        """Read one household"""
        household = handlers.get_household(household_id, _uow(), current_principal().covers)
        return household, 200, {"ETag": f'"{household.version}"'}
