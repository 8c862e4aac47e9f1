"""Programmes over HTTP: define, version, read in plain words."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.transfers.domain.programme_drafts import PARTS
from services.transfers.entrypoints import presenter
from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer import programmes as service
from shared.auth import APPROVER, AUDITOR, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from shared.contracts.messages import DEFAULT_TEMPLATES, template_problems
from shared.errors import field_problems
from shared.web import BEARER, FieldProblemSchema, authenticated, current_principal, request_language

blp = Blueprint(
    "programmes", __name__, url_prefix="/v1/programmes", description="Emergency programmes as data"
)
LEVELS = {
    "urgency": ("Past", "Unknown", "Future", "Expected", "Immediate"),
    "severity": ("Unknown", "Minor", "Moderate", "Severe", "Extreme"),
    "certainty": ("Unknown", "Unlikely", "Possible", "Likely", "Observed"),
}


STATE_WORDS = "draft until an approver other than its author approves it; only approved versions trigger"


WHEN_WORDS = (
    "The action stage's rule over each CAP statement: all/any of {field, op, value, unit}; fields "
    "category, event, response_type, urgency, severity, certainty, lead_time_hours, parameter:<name> "
    "(e.g. parameter:windSpeed >= 64 kt)"
)


class TriggerSchema(Schema):
    categories = fields.List(fields.String(), load_default=list)
    events = fields.List(fields.String(), load_default=list)
    min_urgency = fields.String(load_default="Unknown", validate=validate.OneOf(LEVELS["urgency"]))
    min_severity = fields.String(load_default="Unknown", validate=validate.OneOf(LEVELS["severity"]))
    min_certainty = fields.String(load_default="Unknown", validate=validate.OneOf(LEVELS["certainty"]))
    areas = fields.List(fields.String(), load_default=list)
    mode = fields.String(load_default="response", validate=validate.OneOf(("anticipatory", "response")))
    when = fields.Dict(load_default=None, allow_none=True, metadata={"description": WHEN_WORDS})
    readiness = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={"description": "The readiness stage's rule (prepare and notify, no money), same form"},
    )


class BenefitSchema(Schema):
    base = fields.Float(required=True, validate=validate.Range(min=0))
    per_member = fields.Float(load_default=0, validate=validate.Range(min=0))
    per_vulnerable_member = fields.Float(load_default=0, validate=validate.Range(min=0))
    cap = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    band_multipliers = fields.Dict(
        keys=fields.String(), values=fields.Float(validate=validate.Range(min=0)), load_default=dict
    )
    rounding = fields.Float(load_default=1, validate=validate.Range(min=0, min_inclusive=False))
    per_enrolment = fields.Dict(
        keys=fields.String(),
        values=fields.Float(validate=validate.Range(min=0)),
        load_default=dict,
        metadata={"description": "Top-up for households enrolled in a regular programme: code → amount"},
    )


class BudgetSchema(Schema):
    per_incident = fields.Float(load_default=None, allow_none=True)
    overall = fields.Float(load_default=None, allow_none=True)
    policy = fields.String(
        load_default="rank_by_vulnerability", validate=validate.OneOf(("rank_by_vulnerability", "pro_rata"))
    )


class ApprovalSchema(Schema):
    four_eyes = fields.Boolean(load_default=True)
    pre_approved_ceiling = fields.Float(load_default=0, validate=validate.Range(min=0))
    second_approval_above = fields.Float(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=0, min_inclusive=False),
        metadata={
            "description": "A batch whose total is above this needs two approvers, neither its proposer"
        },
    )


class EntitlementSchema(Schema):
    once_in_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=3660),
        metadata={"description": "At most one payment per household in this many days, whatever the hazard"},
    )


class PayerSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=140))
    iban = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$"))
    account_number = fields.String(load_default=None, validate=validate.Length(min=1, max=34))
    bic = fields.String(
        load_default=None, validate=validate.Regexp(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")
    )


def _template(text: str) -> None:
    problems = template_problems(text)
    if problems:
        raise ValidationError("; ".join(problems))


class MessageWordingSchema(Schema):
    es = fields.String(validate=[validate.Length(min=1, max=480), _template])
    en = fields.String(validate=[validate.Length(min=1, max=480), _template])


#: Each kind's wording (a field each, so a mistake is named by its path: /messages/templates/settled/es).
MessageTemplatesSchema = Schema.from_dict(
    {kind: fields.Nested(MessageWordingSchema) for kind in DEFAULT_TEMPLATES}, name="MessageTemplatesSchema"
)


class MessagesSchema(Schema):
    templates = fields.Nested(
        MessageTemplatesSchema,
        load_default=dict,
        metadata={
            "description": "The programme's own wording per kind (readiness, entitled, approved, sent, "
            "sent_cash_pickup, settled, failed), in Spanish and English, with {programme}, {amount}, "
            "{currency}, {place}, {code}"
        },
    )
    pickup_place = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Where households collect cash pickup payments (said in the message)"},
    )


class ProgrammeSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    institute = fields.String(required=True, validate=validate.Length(min=1, max=200))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code"))
    trigger = fields.Nested(TriggerSchema, required=True)
    eligibility = fields.Dict(required=True, metadata={"description": "all/any tree of {field, op, value}"})
    benefit = fields.Nested(BenefitSchema, required=True)
    budget = fields.Nested(BudgetSchema, load_default=dict)
    approval = fields.Nested(ApprovalSchema, load_default=dict)
    entitlement = fields.Nested(
        EntitlementSchema,
        load_default=dict,
        metadata={"description": "Always at most one payment per household per hazard event"},
    )
    payer = fields.Nested(
        PayerSchema,
        load_default=dict,
        metadata={"description": "The institute's account debited by bank transfers (pain.001)"},
    )
    messages = fields.Nested(
        MessagesSchema,
        load_default=dict,
        metadata={
            "description": "What households are told as their payment moves (else the default wording)"
        },
    )


class ProgrammeViewSchema(Schema):
    id = fields.String()
    version = fields.Integer()
    name = fields.String()
    programme = fields.Dict()
    rules = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "Every rule in plain words"}
    )
    created_by = fields.String()
    created_at = fields.DateTime(format="iso")
    state = fields.String(metadata={"description": STATE_WORDS})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(format="iso", allow_none=True)
    decision_comment = fields.String(allow_none=True)


class ProgrammeReviewSchema(Schema):
    approve = fields.Boolean(required=True)
    comment = fields.String(required=True, validate=validate.Length(min=3, max=1000))


class LanguageQuerySchema(Schema):
    lang = fields.String(load_default="en", validate=validate.OneOf(("en", "es")))


class VersionQuerySchema(LanguageQuerySchema):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2**31 - 1))


@blp.route("")
class Programmes(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ProgrammeSchema)
    @blp.response(201, ProgrammeViewSchema)
    @authenticated([PROGRAMME_OFFICER])
    def post(self, body: dict[str, Any]) -> Any:
        """Define a programme (refused with the path of any mistake)"""
        defined = service.define_programme(body, current_principal().subject, unit_of_work())
        return presenter.programme_view(defined)

    @blp.doc(security=BEARER)
    @blp.arguments(LanguageQuerySchema, location="query")
    @blp.response(200, ProgrammeViewSchema(many=True))
    @authenticated([PROGRAMME_OFFICER, APPROVER, PAYMENTS_OFFICER, AUDITOR])
    def get(self, params: dict[str, Any]) -> Any:
        """Every programme at its latest version, its rules in plain words (lang=en or es)"""
        return [presenter.programme_view(p) for p in service.list_programmes(unit_of_work(), params["lang"])]


class WhatIfSchema(Schema):
    programme = fields.Nested(ProgrammeSchema, required=True)
    area = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Z]{2}(-[A-Z0-9]{1,6})*$"),
        metadata={"description": "Treat every active household of this area as exposed"},
    )
    band = fields.String(load_default="Severe", metadata={"description": "The band they would be exposed in"})
    incident_id = fields.String(
        load_default=None,
        metadata={"description": "Or: the households an alert's current exposure names, in their own bands"},
    )

    @validates_schema
    def one_population(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("area") is None) == (data.get("incident_id") is None):
            raise ValidationError("give either an area or an incident_id", field_name="area")


class WhatIfResultSchema(Schema):
    households = fields.Integer()
    eligible = fields.Integer()
    people_eligible = fields.Integer()
    requested = fields.Float()
    budget = fields.Float(allow_none=True)
    paid = fields.Float()
    funded = fields.Integer()
    coverage = fields.Float(metadata={"description": "Share of the requested amount the budget covers"})
    cut_off_score = fields.Float(
        allow_none=True, metadata={"description": "Vulnerability of the last one paid"}
    )
    currency = fields.String()
    conditions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "How many households each condition holds for"},
    )
    rules = fields.Dict(keys=fields.String(), values=fields.String())
    by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "For an alert: why (not)"}
    )
    triggered = fields.Boolean(
        metadata={"description": "For an alert: whether a statement reaches the draft's action stage"}
    )
    stages = fields.Dict(
        metadata={
            "description": "For an alert: per stage, the statements reaching it and each condition as seen"
        }
    )


@blp.route("/what-if")
class WhatIf(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(WhatIfSchema)
    @blp.response(200, WhatIfResultSchema)
    @authenticated([PROGRAMME_OFFICER, APPROVER])
    def post(self, body: dict[str, Any]) -> Any:
        """A draft programme over an area: counts, cost and budget coverage, nothing stored"""
        if body["incident_id"]:
            return service.what_if_for_alert(body["programme"], body["incident_id"], unit_of_work())
        return service.what_if(body["programme"], body["area"], body["band"], unit_of_work())


class DraftSchema(Schema):
    programme = fields.Dict(required=True, metadata={"description": "The programme as written so far"})


class ReadingQuerySchema(Schema):
    lang = fields.String(
        load_default=None,
        validate=validate.OneOf(("en", "es")),
        metadata={"description": "The words' language (default: Accept-Language)"},
    )


class DraftReadingSchema(Schema):
    rules = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": f"Each part without a mistake in plain words: {', '.join(PARTS)}"},
    )
    problems = fields.List(
        fields.Nested(FieldProblemSchema), metadata={"description": "Every mistake found, with its path"}
    )
    valid = fields.Boolean(metadata={"description": "Whether it would be stored as it is"})


@blp.route("/render")
class Render(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(DraftSchema)
    @blp.arguments(ReadingQuerySchema, location="query")
    @blp.response(200, DraftReadingSchema)
    @authenticated([PROGRAMME_OFFICER, APPROVER])
    def post(self, body: dict[str, Any], query: dict[str, Any]) -> Any:
        """A programme being written, in plain words part by part, with the path of every mistake;
        nothing stored"""
        try:
            document, problems = ProgrammeSchema().load(body["programme"]), []
        except ValidationError as error:
            document = error.valid_data if isinstance(error.valid_data, dict) else {}
            problems = field_problems(error.messages if isinstance(error.messages, dict) else {})
        reading = service.read_draft(document, query["lang"] or request_language(), problems)
        return presenter.draft_reading_view(reading)


@blp.route("/<programme_id>")
class Programme(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(VersionQuerySchema, location="query")
    @blp.response(200, ProgrammeViewSchema)
    @authenticated([PROGRAMME_OFFICER, APPROVER, PAYMENTS_OFFICER, AUDITOR])
    def get(self, params: dict[str, Any], programme_id: str) -> Any:
        """Read a programme (its latest version, or ?version=)"""
        found = service.get_programme(programme_id, unit_of_work(), params["version"], params["lang"])
        return presenter.programme_view(found)

    @blp.doc(security=BEARER)
    @blp.arguments(ProgrammeSchema)
    @blp.response(200, ProgrammeViewSchema)
    @authenticated([PROGRAMME_OFFICER])
    def put(self, body: dict[str, Any], programme_id: str) -> Any:
        """Change a programme: a new version; decisions keep the version they used"""
        defined = service.define_programme(body, current_principal().subject, unit_of_work(), programme_id)
        return presenter.programme_view(defined)


@blp.route("/<programme_id>/versions/<version>/review")
class ProgrammeReview(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ProgrammeReviewSchema)
    @blp.response(200, ProgrammeViewSchema)
    @authenticated([APPROVER])
    def post(self, body: dict[str, Any], programme_id: str, version: str) -> Any:
        """Approve or reject a draft programme version (never its author's own): only approved
        versions trigger"""
        if not (version.isdigit() and len(version) <= 9):
            raise service.ProgrammeNotFound(f"no programme {programme_id} at version {version!r}")
        number = int(version)
        reviewed = service.review_programme(
            programme_id, number, body["approve"], body["comment"], current_principal(), unit_of_work()
        )
        return presenter.programme_view(reviewed)
