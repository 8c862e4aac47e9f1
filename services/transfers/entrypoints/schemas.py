"""Response schemas of the transfers API."""

from __future__ import annotations

from marshmallow import Schema, fields


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
