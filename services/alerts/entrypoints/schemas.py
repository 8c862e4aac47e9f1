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


class LocationIndexSchema(Schema):
    instance = fields.String(metadata={"description": "This instance's name in its consumer group"})
    whole = fields.Boolean(metadata={"description": "Whether it indexes every household"})
    partitions = fields.List(
        fields.Integer(),
        allow_none=True,
        metadata={"description": "The registry.households partitions it indexes (null: not assigned yet)"},
    )
    partition_count = fields.Integer()
    households = fields.Integer(metadata={"description": "Households in its index now"})
    households_by_partition = fields.Dict(keys=fields.String(), values=fields.Integer())
