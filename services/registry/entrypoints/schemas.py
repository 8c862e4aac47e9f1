"""Request and response schemas of the registry API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.registry.domain import assessments, model
from services.registry.domain.members import WG_DOMAINS, DocumentType, Relationship, Sex
from shared.contracts.household_groups import SEARCH_GROUPS

#: A phone number, or the masked one the registry showed (kept as stored when sent back).
PHONE = validate.Regexp(
    r"^(\+?[0-9][0-9 ()\-]{5,24}|•{1,24}[0-9 ()\-]{1,4})$",
    error="not a phone number (digits, spaces, + ( ) -)",
)


def _one_of(values) -> validate.OneOf:  # type: ignore[no-untyped-def]
    return validate.OneOf([v.value if hasattr(v, "value") else v for v in values])


class LocationSchema(Schema):
    lat = fields.Float(required=True, metadata={"description": "WGS 84 latitude", "example": 13.30})
    lon = fields.Float(required=True, metadata={"description": "WGS 84 longitude", "example": -87.19})
    accuracy_m = fields.Float(
        load_default=None, allow_none=True, metadata={"description": "Accuracy in metres"}
    )
    source = fields.Enum(model.LocationSource, by_value=True, load_default=model.LocationSource.GPS)


class DocumentSchema(Schema):
    type = fields.String(required=True, validate=_one_of(DocumentType))
    number = fields.String(required=True, validate=validate.Length(min=3, max=40), load_only=True)


class MemberSchema(Schema):
    id = fields.UUID(
        load_default=None, metadata={"description": "Keep the id to update a member; omit for a new one"}
    )
    given_names = fields.String(required=True, validate=validate.Length(min=1, max=200))
    family_names = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sex = fields.String(required=True, validate=_one_of(Sex))
    relationship = fields.String(
        required=True,
        validate=_one_of(Relationship),
        metadata={"description": "Relationship to the head of household"},
    )
    birth_date = fields.Date(load_default=None, allow_none=True)
    age_estimate = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Years, when the birth date is unknown"},
    )
    document = fields.Nested(DocumentSchema, load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True, validate=PHONE)
    disability = fields.Dict(
        keys=fields.String(validate=validate.OneOf(WG_DOMAINS)),
        values=fields.Integer(strict=True, validate=validate.Range(1, 4)),
        load_default=dict,
        metadata={"description": "Washington Group short set: domain → 1 no difficulty … 4 cannot do at all"},
    )
    pregnant = fields.Boolean(load_default=False)
    chronic_illness = fields.Boolean(load_default=False)
    attends_school = fields.Boolean(load_default=None, allow_none=True)


class DwellingSchema(Schema):
    wall = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(model.WALLS))
    roof = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(model.ROOFS))
    floor = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(model.FLOORS))
    tenure = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(model.TENURES))
    rooms = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(1, 50))


class ServicesSchema(Schema):
    water_source = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(model.WATER_SOURCES)
    )
    sanitation = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(model.SANITATION))


class LivelihoodSchema(Schema):
    main = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(model.LIVELIHOODS))
    income_source = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(model.INCOME_SOURCES)
    )


class ConsentSchema(Schema):
    given_at = fields.AwareDateTime(required=True)
    given_by = fields.String(required=True, validate=validate.Length(min=1, max=200))
    purposes = fields.List(
        fields.String(validate=validate.OneOf(model.CONSENT_PURPOSES)),
        required=True,
        validate=validate.Length(min=1),
    )


class PaymentSchema(Schema):
    type = fields.String(required=True, validate=_one_of(model.PaymentChannelType))
    provider = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    identifiers = fields.Dict(
        keys=fields.String(
            validate=validate.OneOf(["account_number", "iban", "bank_code", "wallet_number", "pickup_point"])
        ),
        values=fields.String(validate=validate.Length(min=1, max=64)),
        load_default=None,
        load_only=True,
        metadata={
            "description": "Account or wallet identifiers; stored encrypted. Left out of a change of the "
            "same channel and provider, the stored ones are kept; {} removes them"
        },
    )


class HouseholdInputSchema(Schema):
    admin_code = fields.String(
        required=True,
        validate=validate.Length(min=2, max=64),
        metadata={"description": "Admin area code (ISO 3166-2 and deeper)", "example": "HN-CH"},
    )
    location = fields.Nested(LocationSchema, required=True)
    members = fields.List(
        fields.Nested(MemberSchema),
        required=True,
        validate=validate.Length(min=1, max=model.MAX_HOUSEHOLD_SIZE),
    )
    status = fields.String(load_default="active", validate=_one_of(model.HouseholdStatus))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    language = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(("es", "en")),
        metadata={"description": "The language messages are written in (default: the country's)"},
    )
    dwelling = fields.Nested(DwellingSchema, load_default=dict)
    services = fields.Nested(ServicesSchema, load_default=dict)
    livelihood = fields.Nested(LivelihoodSchema, load_default=dict)
    consent = fields.Nested(ConsentSchema, load_default=None, allow_none=True)
    payment = fields.Nested(PaymentSchema, load_default=None, allow_none=True)


class HouseholdRegistrationSchema(HouseholdInputSchema):
    id = fields.UUID(
        load_default=None, metadata={"description": "Client-generated id; sending it again is safe"}
    )


# -- responses ------------------------------------------------------------------------------


class MemberOutSchema(Schema):
    id = fields.String()
    given_names = fields.String()
    family_names = fields.String()
    sex = fields.String()
    relationship = fields.String()
    birth_date = fields.Date(allow_none=True)
    age_estimate = fields.Integer(allow_none=True)
    document_type = fields.String(allow_none=True)
    document_number = fields.String(
        allow_none=True, metadata={"description": "Masked unless your role may see it"}
    )
    phone = fields.String(allow_none=True)
    disability = fields.Dict(keys=fields.String(), values=fields.Integer())
    has_disability = fields.Boolean()
    pregnant = fields.Boolean()
    chronic_illness = fields.Boolean()
    attends_school = fields.Boolean(allow_none=True)


class VulnerabilityOutSchema(Schema):
    score = fields.Float()
    index_version = fields.String()
    components = fields.Dict(keys=fields.String(), values=fields.Float())


class PaymentOutSchema(Schema):
    type = fields.String()
    provider = fields.String(allow_none=True)
    identifiers = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)


class HouseholdSchema(Schema):
    id = fields.String()
    registration_number = fields.String()
    status = fields.String()
    admin_code = fields.String()
    admin_levels = fields.List(fields.String())
    size = fields.Integer()
    location = fields.Nested(LocationSchema)
    address = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    dwelling = fields.Dict()
    services = fields.Dict()
    livelihood = fields.Dict()
    consent = fields.Dict(allow_none=True)
    payment = fields.Nested(PaymentOutSchema, allow_none=True)
    members = fields.List(fields.Nested(MemberOutSchema))
    vulnerability = fields.Nested(VulnerabilityOutSchema)
    version = fields.Integer()
    registered_at = fields.DateTime(format="iso")
    registered_by = fields.String()
    registration_source = fields.String()
    registration_device = fields.String(allow_none=True)
    updated_at = fields.DateTime(format="iso")
    updated_by = fields.String()
    assessments = fields.List(
        fields.Nested(lambda: AssessmentOutSchema()), metadata={"description": "Newest first"}
    )
    enrolments = fields.List(fields.Nested(lambda: EnrolmentOutSchema()))


class AssessmentInputSchema(Schema):
    """A visit's findings after a hazard."""

    event_id = fields.String(
        required=True, validate=validate.Length(min=1, max=36), metadata={"description": "The exercise"}
    )
    dwelling_damage = fields.String(required=True, validate=validate.OneOf(assessments.DWELLING_DAMAGE))
    displacement = fields.String(required=True, validate=validate.OneOf(assessments.DISPLACEMENT))
    shelter = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Which shelter, when displaced to one"},
    )
    livelihood_losses = fields.List(
        fields.String(validate=validate.OneOf(assessments.LIVELIHOOD_LOSSES)), load_default=list
    )
    needs = fields.List(fields.String(validate=validate.OneOf(assessments.NEEDS)), load_default=list)
    assessed_at = fields.AwareDateTime(required=True, metadata={"description": "When the visit was made"})


class AssessmentOutSchema(Schema):
    id = fields.String()
    event_id = fields.String()
    incidents = fields.List(fields.String())
    dwelling_damage = fields.String()
    displacement = fields.String()
    shelter = fields.String(allow_none=True)
    livelihood_losses = fields.List(fields.String())
    needs = fields.List(fields.String())
    assessed_at = fields.String()
    assessed_by = fields.String()


class EnrolmentOutSchema(Schema):
    programme = fields.String()
    since = fields.String()
    until = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "The roster it came from"})


class ChangeSchema(Schema):
    path = fields.String()
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class HistoryEntrySchema(Schema):
    version = fields.Integer()
    changed_at = fields.DateTime(format="iso")
    changed_by = fields.String()
    changes = fields.List(fields.Nested(ChangeSchema))


class SyncRecordSchema(Schema):
    client_id = fields.UUID(required=True, metadata={"description": "The device's id for this record"})
    household_id = fields.UUID(required=True, metadata={"description": "Client-generated for new households"})
    base_version = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "The version the change was made on; omit for new"},
    )
    household = fields.Dict(
        required=True,
        allow_none=True,
        metadata={"description": "As in POST /v1/households; null when only assessing a registered one"},
    )
    assessment = fields.Dict(
        load_default=None,
        allow_none=True,
        metadata={"description": "A visit's findings, as in POST /v1/households/{id}/assessments"},
    )


class SyncBatchSchema(Schema):
    device = fields.String(required=True, validate=validate.Length(min=1, max=128))
    records = fields.List(
        fields.Nested(SyncRecordSchema), required=True, validate=validate.Length(min=1, max=5000)
    )

    @validates_schema
    def _not_empty(self, data, **_):  # type: ignore[no-untyped-def]
        if not data.get("records"):
            raise ValidationError("at least one record", "records")


class SyncResultSchema(Schema):
    client_id = fields.String()
    status = fields.String(
        metadata={"description": "created, updated, unchanged, already_synced, conflict or rejected"}
    )
    household_id = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    detail = fields.String(allow_none=True, metadata={"description": "In the language of Accept-Language"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "By JSON pointer into the record; in the language of Accept-Language"},
    )


class SyncReportSchema(Schema):
    device = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    results = fields.List(fields.Nested(SyncResultSchema))


class HouseholdQuerySchema(Schema):
    admin_code = fields.String(
        load_default=None,
        validate=validate.Regexp(model.ADMIN_CODE.pattern),
        metadata={"description": "Only this area and the areas inside it"},
    )
    status = fields.String(load_default=None, validate=_one_of(model.HouseholdStatus))
    score_min = fields.Float(load_default=None, validate=validate.Range(0, 100))
    score_max = fields.Float(load_default=None, validate=validate.Range(0, 100))
    group = fields.List(
        fields.String(validate=validate.OneOf(tuple(SEARCH_GROUPS))),
        load_default=list,
        metadata={"description": "Households with members of every group given"},
    )
    text = fields.String(
        load_default=None,
        validate=validate.Length(min=2, max=100),
        metadata={
            "description": "A registration number or household id, or words of the head's names "
            "(each word part of a given or family name, case ignored; SQLite folds A–Z only)"
        },
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    cursor = fields.String(load_default=None, metadata={"description": "next_cursor of the previous page"})


class HouseholdSummarySchema(Schema):
    id = fields.String()
    registration_number = fields.String()
    admin_code = fields.String()
    status = fields.String()
    size = fields.Integer()
    vulnerability_score = fields.Float(allow_none=True)
    children_under_5 = fields.Integer()
    elderly_65_plus = fields.Integer()
    persons_with_disabilities = fields.Integer()
    pregnant_members = fields.Integer()
    female_headed = fields.Boolean()
    head_name = fields.String(allow_none=True)
    version = fields.Integer()
    updated_at = fields.DateTime(format="iso", allow_none=True)


class HouseholdPageSchema(Schema):
    items = fields.List(fields.Nested(HouseholdSummarySchema))
    next_cursor = fields.String(allow_none=True)


class PaymentDetailsSchema(Schema):
    type = fields.String(
        metadata={"description": "The payment channel: bank_account, mobile_money or cash_pickup"}
    )
    provider = fields.String(allow_none=True)
    identifiers = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={
            "description": "Account number, bank code, phone… in clear (never stored outside the registry)"
        },
    )
    beneficiary = fields.String(allow_none=True, metadata={"description": "The household head's name"})


class PaymentDetailsPageSchema(Schema):
    households = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(PaymentDetailsSchema),
        metadata={
            "description": "By household id; those unknown, outside the caller's areas or without a "
            "channel are left out"
        },
    )
