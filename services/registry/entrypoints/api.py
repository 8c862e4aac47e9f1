"""The registry's HTTP API: views parse, call a handler, serialise."""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections import Counter
from typing import Any

from flask import Response, current_app, request, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from services.registry.domain.errors import VersionMismatch
from services.registry.domain.model import Location
from services.registry.entrypoints.presenter import present
from services.registry.entrypoints.schemas import (
    AssessmentInputSchema,
    HistoryEntrySchema,
    HouseholdInputSchema,
    HouseholdPageSchema,
    HouseholdQuerySchema,
    HouseholdRegistrationSchema,
    HouseholdSchema,
    PaymentDetailsPageSchema,
    SyncBatchSchema,
    SyncReportSchema,
)
from services.registry.service_layer import payments, reading, registration, sync
from services.registry.service_layer.common import Actor, Dependencies, HouseholdInput
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, FIELD_STAFF, PAYMENTS_OFFICER, REGISTRY_OFFICER
from shared.contracts.household_groups import VULNERABLE_GROUPS
from shared.errors import FieldProblem, InvalidInput, PreconditionRequired, field_problems
from shared.spreadsheet import csv_lines
from shared.web import (
    BEARER,
    authenticated,
    current_principal,
    in_request_language,
    problem_of,
    problem_response,
    request_language,
)

blp = Blueprint("households", __name__, url_prefix="/v1/households", description="Registered households")

log = logging.getLogger(__name__)
READERS = [FIELD_STAFF, REGISTRY_OFFICER, AUDITOR]
WRITERS = [FIELD_STAFF, REGISTRY_OFFICER]


def _uow(read_only: bool = False) -> RegistryUnitOfWork:
    runtime = current_app.extensions["amparo.runtime"]
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox, read_only=read_only)


def _reader() -> RegistryUnitOfWork:
    return _uow(read_only=True)


def _deps() -> Dependencies:
    return current_app.extensions["amparo.registry"]


def _actor() -> Actor:
    principal = current_principal()
    return Actor(principal.subject, principal.covers)


def household_input(body: dict[str, Any]) -> HouseholdInput:
    """Build the handler's input from a body already loaded by :class:`HouseholdInputSchema`."""
    members = [{**m, "id": str(m["id"]) if m.get("id") else None} for m in body["members"]]
    return HouseholdInput(
        admin_code=body["admin_code"],
        location=Location(**body["location"]),
        members=members,
        status=body["status"],
        address=body["address"],
        language=body.get("language"),
        dwelling=body["dwelling"],
        services=body["services"],
        livelihood=body["livelihood"],
        consent=body["consent"],
        payment=body["payment"],
    )


def _shown(household: Any) -> dict[str, Any]:
    return present(household, current_principal(), _deps().protector)


def _etag(version: int) -> str:
    return f'"{version}"'


@blp.errorhandler(VersionMismatch)  # type: ignore[misc]
def _version_mismatch(error: VersionMismatch) -> Response:
    """412 with both versions: the stored household and the version the caller had."""
    extra = dict(error.extra)
    current = extra.pop("current")
    extra["current"] = HouseholdSchema().dump(_shown(current))
    error.extra = extra
    return problem_response(problem_of(error, request.path), {"ETag": _etag(current.version)})


@blp.route("")
class Households(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(HouseholdQuerySchema, location="query")
    @blp.response(200, HouseholdPageSchema)
    @authenticated(READERS)
    def get(self, params: dict[str, Any]) -> Any:
        """List households with filters, a page at a time (cursor pagination)"""
        query = _query(params)
        items = reading.find_households(query, _reader(), current_principal().jurisdiction)
        next_cursor = encode_cursor(items[-1]["id"]) if len(items) == query.limit else None
        return {"items": [_summary(row) for row in items], "next_cursor": next_cursor}

    @blp.doc(security=BEARER)
    @blp.arguments(HouseholdRegistrationSchema)
    @blp.response(201, HouseholdSchema)
    @authenticated(WRITERS)
    def post(self, body: dict[str, Any]) -> Any:
        """Register a household with its members"""
        command = registration.RegisterHousehold(
            household=household_input(body),
            actor=_actor(),
            household_id=str(body["id"]) if body.get("id") else None,
            device=request.headers.get("X-Device-ID"),
        )
        household, created = registration.register_household(command, _uow(), _deps())
        headers = {
            "Location": url_for("households.Household", household_id=household.id),
            "ETag": _etag(household.version),
        }
        return _shown(household), 201 if created else 200, headers


@blp.route("/<household_id>")
class Household(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HouseholdSchema)
    @authenticated(READERS)
    def get(self, household_id: str) -> Any:
        """Read one household"""
        household = reading.get_household(household_id, _reader(), current_principal().covers)
        return _shown(household), 200, {"ETag": _etag(household.version)}

    @blp.doc(
        security=BEARER,
        parameters=[
            {
                "in": "header",
                "name": "If-Match",
                "required": True,
                "schema": {"type": "string"},
                "description": "The ETag you read",
            }
        ],
    )
    @blp.arguments(HouseholdInputSchema)
    @blp.response(200, HouseholdSchema)
    @authenticated(WRITERS)
    def put(self, body: dict[str, Any], household_id: str) -> Any:
        """Change a household (If-Match required; 412 with both versions on conflict)"""
        expected = _if_match_version()
        command = registration.ChangeHousehold(household_id, household_input(body), expected, _actor())
        household = registration.change_household(command, _uow(), _deps())
        return _shown(household), 200, {"ETag": _etag(household.version)}


def _if_match_version() -> int:
    raw = request.headers.get("If-Match", "").strip()
    if not raw:
        raise PreconditionRequired("send If-Match with the ETag of the version you changed")
    value = raw.removeprefix("W/").strip('"')
    if not value.isdigit():
        raise PreconditionRequired(f'If-Match {raw!r} is not an ETag of this service ("<version>")')
    return int(value)


class PaymentDetailsQuerySchema(Schema):
    household_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=36)),
        required=True,
        validate=validate.Length(min=1, max=payments.PAYMENT_DETAILS_PAGE),
    )


@blp.route("/payment-details")
class PaymentDetails(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(PaymentDetailsQuerySchema)
    @blp.response(200, PaymentDetailsPageSchema)
    @authenticated([PAYMENTS_OFFICER])
    def post(self, body: dict[str, Any]) -> Any:
        """Payment identifiers in clear, for writing a payment file (payments officers only; logged)"""
        principal = current_principal()
        found = payments.payment_details(body["household_ids"], _uow(), _deps().protector, _actor())
        log.info(
            "payment details read for %d of %d households by %s",
            len(found),
            len(body["household_ids"]),
            principal.subject,
        )
        return {"households": found}


@blp.route("/<household_id>/history")
class HouseholdHistory(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, HistoryEntrySchema(many=True))
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, household_id: str) -> Any:
        """Read who changed what in a household, version by version"""
        return reading.household_history(household_id, _reader(), current_principal().covers)


@blp.route("/sync")
class Sync(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(SyncBatchSchema)
    @blp.response(200, SyncReportSchema)
    @authenticated(WRITERS)
    def post(self, body: dict[str, Any]) -> Any:
        """Sync a device's offline records; each record succeeds or fails on its own (its detail and
        errors in the language of Accept-Language)"""
        records = [_sync_record(raw) for raw in body["records"]]
        results = sync.sync_batch(records, body["device"], _actor(), _uow, _deps())
        report = {
            "device": body["device"],
            "counts": dict(Counter(r.status for r in results)),
            "results": [_in_request_language(r) for r in results],
        }
        return report, 200, {"Content-Language": request_language()}


def _in_request_language(result: sync.SyncResult) -> sync.SyncResult:
    """A record's outcome with its detail and errors in the caller's language (pointers unchanged)."""
    if not result.detail and not result.errors:
        return result
    return dataclasses.replace(
        result,
        detail=in_request_language(result.detail) if result.detail else result.detail,
        errors={pointer: in_request_language(text) for pointer, text in result.errors.items()},
    )


def _sync_record(raw: dict[str, Any]) -> sync.SyncRecord:
    """A device's record as the sync handler takes it; what cannot be read is kept as its problems."""
    client_id, household_id, base = str(raw["client_id"]), str(raw["household_id"]), raw["base_version"]
    household, assessment, problems = None, None, {}
    try:
        if raw["household"] is not None:
            household = household_input(_REGISTRATION.load(raw["household"]))
    except ValidationError as exc:
        problems.update(
            {p.pointer: p.detail for p in field_problems(exc.normalized_messages(), "/household")}
        )
    except ValueError as exc:  # a domain value (e.g. the location) refused while building input
        problems.update(getattr(exc, "problems", {"household": str(exc)}))
    try:
        if raw.get("assessment") is not None:
            assessment = _ASSESSMENT.load(raw["assessment"])
    except ValidationError as exc:
        problems.update(
            {p.pointer: p.detail for p in field_problems(exc.normalized_messages(), "/assessment")}
        )
    return sync.SyncRecord(client_id, household_id, household, base, problems, assessment)


_REGISTRATION = HouseholdRegistrationSchema()
_ASSESSMENT = AssessmentInputSchema()


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "cursor is not one this service gave out",
            errors=[FieldProblem("/query/cursor", "unknown cursor")],
        ) from exc
    if len(value) > 64:
        raise InvalidInput(
            "cursor is not one this service gave out",
            errors=[FieldProblem("/query/cursor", "unknown cursor")],
        )
    return value


def _query(params: dict[str, Any]) -> reading.HouseholdQuery:
    return reading.HouseholdQuery(
        admin_code=params["admin_code"],
        status=params["status"],
        score_min=params["score_min"],
        score_max=params["score_max"],
        groups=tuple(params["group"]),
        text=params["text"],
        after_id=decode_cursor(params["cursor"]) if params["cursor"] else None,
        limit=params["limit"],
    )


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    head = " ".join(n for n in (row["head_given_names"], row["head_family_names"]) if n) or None
    return {**row, "head_name": head}


EXPORT_COLUMNS = [
    "id",
    "registration_number",
    "admin_code",
    "status",
    "size",
    "lat",
    "lon",
    "vulnerability_score",
    *VULNERABLE_GROUPS,
    "version",
    "updated_at",
]
NAME_COLUMNS = ["head_given_names", "head_family_names"]
IDENTITY_COLUMNS = ["head_document_type", "head_document_number", "head_phone"]


@blp.route("/export.csv")
class HouseholdExport(MethodView):
    @blp.doc(
        security=BEARER,
        responses={"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    @blp.arguments(HouseholdQuerySchema, location="query")
    @authenticated(READERS)
    def get(self, params: dict[str, Any]) -> Response:
        """Export households as CSV (formula-safe); personal columns only for roles allowed"""
        principal = current_principal()
        names = principal.has_any_role([FIELD_STAFF, REGISTRY_OFFICER])
        identity = REGISTRY_OFFICER in principal.roles
        protector = _deps().protector
        header = EXPORT_COLUMNS + (NAME_COLUMNS if names else []) + (IDENTITY_COLUMNS if identity else [])
        rows = reading.all_households(_query(params), _reader, principal.jurisdiction)

        def lines() -> Any:
            for row in rows:
                values = [row[c] for c in EXPORT_COLUMNS]
                if names:
                    values += [row["head_given_names"], row["head_family_names"]]
                if identity:
                    document = row["head_document_encrypted"]
                    phone = row["head_phone_encrypted"]
                    values += [
                        row["head_document_type"],
                        protector.decrypt(document) if document else None,
                        protector.decrypt(phone) if phone else None,
                    ]
                yield values

        return Response(
            stream_with_context(csv_lines(header, lines())),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="households.csv"'},
        )
