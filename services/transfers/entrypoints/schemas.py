"""Response schemas of the transfers API."""

from __future__ import annotations

from marshmallow import Schema, fields


class HouseholdAttributesSchema(Schema):
    household_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    admin_code = fields.String()
    size = fields.Integer()
