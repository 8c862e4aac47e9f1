"""Response schemas of the alerts API."""

from __future__ import annotations

from marshmallow import Schema, fields


class HouseholdLocationSchema(Schema):
    household_id = fields.String()
    version = fields.Integer()
    status = fields.String()
    admin_code = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)


class AreaCountSchema(Schema):
    admin_code = fields.String()
    households = fields.Integer()


class LocationSummarySchema(Schema):
    total = fields.Integer()
    areas = fields.List(fields.Nested(AreaCountSchema))
