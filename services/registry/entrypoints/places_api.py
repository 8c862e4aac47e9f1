"""Vulnerability weight sets and municipal boundary layers over HTTP."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from services.registry.domain.weights import WeightSet
from services.registry.service_layer import places
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import APPROVER, AUDITOR, REGISTRY_OFFICER
from shared.errors import FieldProblem, InvalidInput
from shared.web import BEARER, accepts_bodies_up_to, authenticated, current_principal

weights = Blueprint(
    "vulnerability_weights",
    __name__,
    url_prefix="/v1/vulnerability-weights",
    description="Vulnerability weights of countries and areas: proposed by one person, approved by another",
)
boundaries = Blueprint(
    "admin_boundaries",
    __name__,
    url_prefix="/v1/admin-boundaries",
    description="Municipal boundary layers that second-level admin codes and homes are checked against",
)


def _uow() -> RegistryUnitOfWork:
    runtime = current_app.extensions["amparo.runtime"]
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox)


def _deps() -> Dependencies:
    return current_app.extensions["amparo.registry"]


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.subject, principal.covers)


class WeightSetInputSchema(Schema):
    class Meta:
        unknown = RAISE

    version = fields.String(required=True, metadata={"description": "A new name, e.g. do-2027"})
    area = fields.String(required=True, metadata={"description": "Country or admin code, e.g. DO or DO-32"})
    effective_from = fields.String(required=True, metadata={"description": "YYYY-MM-DD, after today"})
    weights = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class WeightSetSchema(Schema):
    version = fields.String()
    area = fields.String()
    effective_from = fields.Date()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    description = fields.String()
    status = fields.String(metadata={"description": "proposed, approved or rejected"})
    proposed_by = fields.String()
    proposed_at = fields.DateTime(format="iso")
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(format="iso", allow_none=True)
    comment = fields.String(allow_none=True)
    applied_on = fields.Date(
        allow_none=True, metadata={"description": "The day its households were made due for rescoring"}
    )


class WeightDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


def _shown(weight_set: WeightSet) -> dict[str, Any]:
    return {
        "version": weight_set.version,
        "area": weight_set.area,
        "effective_from": weight_set.effective_from,
        "weights": dict(weight_set.index.weights),
        "description": weight_set.index.description,
        "status": weight_set.status.value,
        "proposed_by": weight_set.proposed_by,
        "proposed_at": weight_set.proposed_at,
        "decided_by": weight_set.decided_by,
        "decided_at": weight_set.decided_at,
        "comment": weight_set.comment,
        "applied_on": weight_set.applied_on,
    }


@weights.route("")
class WeightSets(MethodView):
    @weights.doc(security=BEARER)
    @weights.arguments(WeightSetInputSchema)
    @weights.response(201, WeightSetSchema)
    @authenticated([REGISTRY_OFFICER])
    def post(self, body: dict[str, Any]) -> Any:
        """Propose a weight set for a country or area (in force only once another person approves it)"""
        return _shown(places.propose_weights(body, _actor(), _uow(), _deps()))

    @weights.doc(security=BEARER)
    @weights.response(200, WeightSetSchema(many=True))
    @authenticated([REGISTRY_OFFICER, APPROVER, AUDITOR])
    def get(self) -> Any:
        """The weight sets of places in your jurisdiction, the latest to take effect first"""
        return [_shown(s) for s in places.list_weights(_actor(), _uow())]


@weights.route("/<version>/decision")
class WeightDecision(MethodView):
    @weights.doc(security=BEARER)
    @weights.arguments(WeightDecisionSchema)
    @weights.response(200, WeightSetSchema)
    @authenticated([REGISTRY_OFFICER, APPROVER])
    def post(self, body: dict[str, Any], version: str) -> Any:
        """Approve or reject a proposed weight set (never your own proposal)"""
        approve = body["decision"] == "approve"
        return _shown(places.decide_weights(version, approve, body["comment"], _actor(), _uow(), _deps()))


class BoundaryQuerySchema(Schema):
    country = fields.String(
        required=True, validate=validate.Length(equal=2), metadata={"description": "e.g. DO"}
    )
    code_property = fields.String(
        load_default="code",
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The property holding each municipality's code, e.g. DO-32-3201"},
    )
    name_property = fields.String(load_default="name", validate=validate.Length(min=1, max=64))
    tolerance_m = fields.Float(
        load_default=250.0,
        metadata={
            "description": "How far (metres) outside its municipality a home may be placed (GPS error)"
        },
    )
    source = fields.String(
        required=True,
        validate=validate.Length(min=3, max=500),
        metadata={"description": "Where the layer comes from and under which licence"},
    )


class BoundaryLayerSchema(Schema):
    country = fields.String()
    municipalities = fields.Integer()
    tolerance_m = fields.Float()
    source = fields.String()
    loaded_by = fields.String()
    loaded_at = fields.DateTime(format="iso")
    replaced = fields.Integer(metadata={"description": "Municipalities of the layer it replaced"})


@boundaries.route("")
class BoundaryLayers(MethodView):
    @boundaries.doc(
        security=BEARER, requestBody={"content": {"application/geo+json": {"schema": {"type": "object"}}}}
    )
    @boundaries.arguments(BoundaryQuerySchema, location="query")
    @boundaries.response(200, BoundaryLayerSchema)
    @authenticated([REGISTRY_OFFICER])
    @accepts_bodies_up_to(64 * 1024 * 1024)
    def post(self, params: dict[str, Any]) -> Any:
        """Load (replace) a country's municipal layer: a GeoJSON FeatureCollection in WGS 84"""
        try:
            document = json.loads(request.get_data(cache=False))
        except (ValueError, RecursionError) as exc:
            raise InvalidInput(f"not JSON: {exc}", errors=[FieldProblem("/", "not JSON")]) from exc
        if not isinstance(document, dict):
            raise InvalidInput(
                "expected a GeoJSON FeatureCollection", errors=[FieldProblem("/", "not an object")]
            )
        command = places.LoadBoundaries(
            document,
            params["country"],
            params["code_property"],
            params["name_property"],
            params["tolerance_m"],
            params["source"],
            _actor(),
        )
        loaded = places.load_boundaries(command, _uow(), _deps())
        return {
            "country": loaded.country,
            "municipalities": loaded.municipalities,
            "tolerance_m": loaded.tolerance_m,
            "source": params["source"],
            "loaded_by": current_principal().subject,
            "replaced": loaded.replaced,
        }

    @boundaries.doc(security=BEARER)
    @boundaries.response(200, BoundaryLayerSchema(many=True))
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self) -> Any:
        """The municipal layers loaded, by country"""
        return places.boundary_layers(_uow())
