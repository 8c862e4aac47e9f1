"""Response schemas of the transfers API."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.transfers.entrypoints.batch_schemas import PaymentSchema


class HouseholdAttributesSchema(Schema):
    household_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    admin_code = fields.String()
    size = fields.Integer()
    vulnerability_score = fields.Float(allow_none=True)
    children_under_5 = fields.Integer()
    elderly_65_plus = fields.Integer()
    persons_with_disabilities = fields.Integer()
    pregnant_members = fields.Integer()
    female_headed = fields.Boolean()
    payment_channel_type = fields.String(allow_none=True)


class ExposureStatusSchema(Schema):
    exposure_key = fields.String(metadata={"description": "alert:<incident>:<version> or footprint:<id>"})
    version = fields.Integer(allow_none=True)
    footprint_id = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    status = fields.String(
        metadata={"description": "collecting, waiting_for_alert, decided, superseded or not_decided"}
    )
    note = fields.String(allow_none=True, metadata={"description": "What it waits for, or what came of it"})
    received_at = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)


class EvaluationSchema(Schema):
    id = fields.String()
    exposure_key = fields.String()
    programme_id = fields.String()
    programme_version = fields.Integer()
    programme = fields.String()
    batch_id = fields.String(allow_none=True)
    conditions = fields.List(fields.String())
    summary = fields.Dict(
        metadata={"description": "Households by status, eligible, requested, proposed, coverage"}
    )
    created_at = fields.String(allow_none=True)


class StageSchema(Schema):
    exposure_key = fields.String()
    programme_id = fields.String()
    programme_version = fields.Integer()
    stage = fields.String(metadata={"description": "readiness (prepare and notify, no money) or action"})
    statements = fields.List(fields.Integer(), metadata={"description": "The statements that reached it"})
    reasons = fields.List(fields.String(), metadata={"description": "Per statement, each condition as seen"})
    reached_at = fields.String(allow_none=True)


class IncidentDecisionsSchema(Schema):
    incident_id = fields.String()
    version = fields.Integer(allow_none=True)
    state = fields.String()
    headline = fields.String(allow_none=True)
    exposures = fields.List(fields.Nested(ExposureStatusSchema))
    evaluations = fields.List(fields.Nested(EvaluationSchema))
    stages = fields.List(
        fields.Nested(StageSchema),
        metadata={
            "description": "The stages (readiness, action) each programme reached over each exposure, and why"
        },
    )


class DecidedAgainSchema(Schema):
    incident_id = fields.String()
    decided = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "For each exposure decided again, one line per programme"},
    )


class HouseholdDecisionSchema(Schema):
    incident_id = fields.String()
    programme_id = fields.String()
    programme_version = fields.Integer()
    programme = fields.String()
    decided_at = fields.String(allow_none=True)
    eligible = fields.Boolean()
    status = fields.String()
    band = fields.String(allow_none=True)
    amount = fields.String(metadata={"description": "To the cent"})
    explanation = fields.List(fields.String(), metadata={"description": "Why, in plain words"})


class HouseholdDecisionsSchema(Schema):
    household_id = fields.String()
    decisions = fields.List(fields.Nested(HouseholdDecisionSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
