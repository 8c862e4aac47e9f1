"""CAP alerts over HTTP: post a message, read the incident with its exposure summary."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from services.alerts.adapters.cap_wrappers import MAX_WRAPPER_BYTES, unwrap
from services.alerts.adapters.vector_files import VECTOR_FILE_TYPES, read_feature_collection
from services.alerts.entrypoints import presenter
from services.alerts.entrypoints.schemas import (
    EnvelopeResultsSchema,
    FeatureCollectionSchema,
    FootprintListQuerySchema,
    FootprintQuerySchema,
    FootprintSchema,
    GridQuerySchema,
    HouseholdDistanceSchema,
    IncidentSchema,
    LayerQuerySchema,
    LayerSchema,
    ListedAlertSchema,
    ListQuerySchema,
    StatementTextsSchema,
    WhatIfSchema,
)
from services.alerts.entrypoints.wiring import unit_of_work
from services.alerts.service_layer import alerts as service
from services.alerts.service_layer.distances import HouseholdDistance, household_distance
from services.alerts.service_layer.footprints import (
    NewFootprint,
    apply_footprint,
    footprint_geometry,
    footprints_of,
)
from services.alerts.service_layer.texts import statement_texts
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.auth import (
    APPROVER,
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    HOTLINE_OPERATOR,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)
from shared.errors import AmparoError, FieldProblem, InvalidInput
from shared.web import BEARER, accepts_bodies_up_to, authenticated, current_principal, error_response

blp = Blueprint("alerts", __name__, url_prefix="/v1/alerts", description="CAP alerts and who they expose")
#: Who may read alerts, their areas and aggregated exposure (never a household): those who
#: issue them, and those who decide and pay the transfers they trigger.
READERS = [CIVIL_PROTECTION, PROGRAMME_OFFICER, APPROVER, PAYMENTS_OFFICER, AUDITOR]
#: Who may ask where one household lies against an alert's areas: those who decide, pay and audit
#: transfers, and those who register families and hear their complaints. Not civil protection,
#: who sees aggregates only.
HOUSEHOLD_READERS = [
    PROGRAMME_OFFICER,
    APPROVER,
    PAYMENTS_OFFICER,
    AUDITOR,
    REGISTRY_OFFICER,
    FIELD_STAFF,
    HOTLINE_OPERATOR,
]
#: The media type of the maps' answers.
GEOJSON = "application/geo+json"
XML_TYPES = ("application/cap+xml", "application/xml", "text/xml")
CAP_TYPES = (*XML_TYPES, "application/json", "application/cap+json")


_uow = unit_of_work


def _reader() -> AlertsUnitOfWork:
    """For reads: on SQLite it never waits for a writer."""
    return unit_of_work(read_only=True)


def _jurisdiction() -> tuple[str, ...]:
    """Where the caller may look and act."""
    return tuple(current_principal().jurisdiction)


def _each_alert(alerts: list[bytes], principal: Any) -> Response:
    """Every alert of an envelope taken like one posted alone; one answer listing each result."""
    results = []
    for position, raw in enumerate(alerts):
        try:
            command = service.ReceiveCap(
                raw, "application/cap+xml", principal.subject, principal.jurisdiction
            )
            incident, created = service.receive_cap(command, _uow())
        except AmparoError as exc:
            refused = error_response(exc)
            results.append(
                {"position": position, "status": refused.status_code, "problem": refused.get_json()}
            )
            continue
        view = presenter.incident_view(incident)
        results.append({"position": position, "status": 201 if created else 200, "incident": view})
    response = jsonify({"results": results})
    response.status_code = 207
    return response


@blp.route("")
class Alerts(MethodView):
    @blp.doc(security=BEARER, requestBody={"content": {t: {"schema": {"type": "string"}} for t in CAP_TYPES}})
    @blp.response(201, IncidentSchema)
    @blp.alt_response(200, schema=IncidentSchema, description="Sent before: recognised, nothing changed")
    @blp.alt_response(
        207,
        schema=EnvelopeResultsSchema,
        description="An envelope of alerts (<alerts>, EDXL-DE): each alert's result, in order",
    )
    @authenticated([CIVIL_PROTECTION])
    @accepts_bodies_up_to(MAX_WRAPPER_BYTES)
    def post(self) -> Any:
        """Post a CAP 1.2 message (XML, or its JSON equivalent); the incident comes back with its exposure"""
        if request.mimetype not in CAP_TYPES:
            raise InvalidInput(
                f"send CAP XML as one of {', '.join(CAP_TYPES)}, not {request.mimetype or 'nothing'}",
                errors=[FieldProblem("/", "content type")],
            )
        principal = current_principal()
        raw = request.get_data(cache=False)
        wrapped = unwrap(raw) if request.mimetype in XML_TYPES else None
        if wrapped is not None:
            return _each_alert(wrapped, principal)
        command = service.ReceiveCap(raw, request.mimetype, principal.subject, principal.jurisdiction)
        incident, created = service.receive_cap(command, _uow())
        return (
            presenter.incident_view(incident),
            201 if created else 200,
            {"Location": url_for("alerts.Alert", incident_id=incident["id"])},
        )

    @blp.doc(security=BEARER)
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, ListedAlertSchema(many=True))
    @authenticated(READERS)
    def get(self, params: dict[str, Any]) -> Any:
        """The latest alerts in any state, the latest change first, with how many they expose"""
        return [
            presenter.listed_alert(*listed)
            for listed in service.list_incidents(_reader(), params["limit"], _jurisdiction())
        ]


@blp.route("/what-if")
class WhatIf(MethodView):
    @blp.doc(
        security=BEARER,
        requestBody={"content": {t: {"schema": {"type": "string"}} for t in (*CAP_TYPES, GEOJSON)}},
    )
    @blp.response(200, WhatIfSchema)
    @authenticated([CIVIL_PROTECTION, PROGRAMME_OFFICER])
    def post(self) -> Any:
        """Who a draft CAP message or a drawn GeoJSON area would expose; nothing is stored or sent"""
        if request.mimetype not in (*CAP_TYPES, GEOJSON):
            raise InvalidInput("send CAP XML or GeoJSON", errors=[FieldProblem("/", "content type")])
        return presenter.what_if_view(
            service.what_if(request.get_data(cache=False), request.mimetype, _reader(), _jurisdiction())
        )


@blp.route("/<incident_id>/areas")
class AlertAreas(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, FeatureCollectionSchema, content_type=GEOJSON)
    @authenticated(READERS)
    def get(self, incident_id: str) -> Response:
        """The alert's current areas as GeoJSON, for maps"""
        areas = service.get_incident(incident_id, _reader(), _jurisdiction())["current"]["areas"]
        return Response(json.dumps(areas), mimetype=GEOJSON)


@blp.route("/<incident_id>/texts")
class AlertTexts(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, StatementTextsSchema(many=True))
    @authenticated(READERS)
    def get(self, incident_id: str) -> Any:
        """What the alert's current message says in words: each statement's headline, description,
        instruction and sender's name in each of its languages (an update starts from them)"""
        return statement_texts(incident_id, _reader(), _jurisdiction())


@blp.route("/<incident_id>/exposure-grid")
class ExposureGrid(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(GridQuerySchema, location="query")
    @blp.response(200, FeatureCollectionSchema, content_type=GEOJSON)
    @authenticated(READERS)
    def get(self, params: dict[str, Any], incident_id: str) -> Response:
        """Exposed households and people on a grid, for maps (cells of very few households without counts)"""
        grid = service.exposure_grid(incident_id, params["cell_deg"], _reader(), _jurisdiction())
        return Response(json.dumps(grid), mimetype=GEOJSON)


@blp.route("/<incident_id>/households/<household_id>/distance")
class HouseholdDistanceFromAreas(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdDistanceSchema)
    @authenticated(HOUSEHOLD_READERS)
    def get(self, incident_id: str, household_id: str) -> Any:
        """Whether a household lies inside the alert's current areas; if not, the nearest and how far"""
        principal = current_principal()
        query = HouseholdDistance(incident_id, household_id, tuple(principal.jurisdiction), principal.covers)
        return presenter.distance_view(household_distance(query, _reader()))


@blp.route("/<incident_id>")
class Alert(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, IncidentSchema)
    @authenticated(READERS)
    def get(self, incident_id: str) -> Any:
        """Read an alert: its current state, areas and exposure summary"""
        return presenter.incident_view(service.get_incident(incident_id, _reader(), _jurisdiction()))


layers = Blueprint(
    "admin_areas",
    __name__,
    url_prefix="/v1/admin-areas",
    description="Admin-boundary reference layers that CAP geocodes resolve against",
)


@layers.route("")
class AdminAreas(MethodView):
    @layers.doc(
        security=BEARER, requestBody={"content": {"application/geo+json": {"schema": {"type": "object"}}}}
    )
    @layers.arguments(LayerQuerySchema, location="query")
    @layers.response(200, LayerSchema)
    @authenticated([CIVIL_PROTECTION])
    @accepts_bodies_up_to(256 * 1024 * 1024)
    def post(self, params: dict[str, Any]) -> Any:
        """Load (replace) a reference layer: GeoJSON, GeoPackage or a zipped Shapefile"""
        if request.mimetype in VECTOR_FILE_TYPES:
            document: Any = read_feature_collection(request.get_data(cache=False), request.mimetype)
        else:
            try:
                document = json.loads(request.get_data(cache=False))
            except (ValueError, RecursionError) as exc:
                raise InvalidInput(f"not JSON: {exc}", errors=[FieldProblem("/", "not JSON")]) from exc
        if not isinstance(document, dict):
            raise InvalidInput(
                "expected a GeoJSON FeatureCollection", errors=[FieldProblem("/", "not an object")]
            )
        loaded = service.load_layer(document, params["scheme"], params["code_property"], _uow())
        return presenter.layer_view(loaded)

    @layers.doc(security=BEARER)
    @layers.response(200, LayerSchema(many=True))
    @authenticated(READERS)
    def get(self) -> Any:
        """The reference layers loaded, with their number of areas"""
        return presenter.layers_view(service.layers_loaded(_reader()))


@layers.route("/<scheme>")
class AdminAreaFeatures(MethodView):
    @layers.doc(security=BEARER)
    @layers.response(200, FeatureCollectionSchema, content_type=GEOJSON)
    @authenticated(READERS)
    def get(self, scheme: str) -> Response:
        """One reference layer's areas as GeoJSON, for maps"""
        features = service.layer_features(scheme, _reader())
        return Response(json.dumps(presenter.feature_collection(features)), mimetype=GEOJSON)


footprints = Blueprint(
    "footprints",
    __name__,
    url_prefix="/v1/footprints",
    description="Hazard footprints: rasters and vector layers with intensities",
)


@footprints.route("")
class Footprints(MethodView):
    @footprints.doc(
        security=BEARER,
        requestBody={
            "content": {
                "image/tiff": {"schema": {"type": "string", "format": "binary"}},
                "application/geo+json": {"schema": {"type": "object"}},
            }
        },
    )
    @footprints.arguments(FootprintQuerySchema, location="query")
    @footprints.response(201, FootprintSchema)
    @authenticated([CIVIL_PROTECTION])
    @accepts_bodies_up_to(512 * 1024 * 1024)
    def post(self, params: dict[str, Any]) -> Any:
        """Upload a footprint (GeoTIFF in any CRS, or GeoJSON with an intensity); exposure by band"""
        try:
            thresholds = json.loads(params["thresholds"])
        except ValueError as exc:
            raise InvalidInput(
                "thresholds is not JSON", errors=[FieldProblem("/query/thresholds", str(exc))]
            ) from exc
        if not isinstance(thresholds, list) or not all(isinstance(t, dict) for t in thresholds):
            raise InvalidInput(
                "thresholds must be a list of {band, min}",
                errors=[FieldProblem("/query/thresholds", "not a list of objects")],
            )
        footprint = NewFootprint(
            request.get_data(cache=False),
            request.mimetype,
            params["kind"],
            thresholds,
            current_principal().subject,
            params["incident_id"],
            params["intensity_property"],
            params["crs"],
            current_principal().jurisdiction,
        )
        return apply_footprint(footprint, _uow()), 201

    @footprints.doc(security=BEARER)
    @footprints.arguments(FootprintListQuerySchema, location="query")
    @footprints.response(200, FootprintSchema(many=True))
    @authenticated(READERS)
    def get(self, params: dict[str, Any]) -> Any:
        """An alert's footprints with their exposure by band"""
        found = footprints_of(params["incident_id"], _reader(), _jurisdiction())
        return [presenter.footprint_view(f) for f in found]


@footprints.route("/<footprint_id>/geometry")
class FootprintGeometry(MethodView):
    @footprints.doc(security=BEARER)
    @footprints.response(200, FeatureCollectionSchema, content_type=GEOJSON)
    @authenticated(READERS)
    def get(self, footprint_id: str) -> Response:
        """A vector footprint's features with their intensities, for maps (empty for a raster)"""
        geometry = footprint_geometry(footprint_id, _reader(), _jurisdiction())
        return Response(json.dumps(geometry), mimetype=GEOJSON)
