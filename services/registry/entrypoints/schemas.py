"""Request and response schemas of the registry API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.registry.domain.model import HouseholdStatus, LocationSource


class LocationSchema(Schema):
    lat = fields.Float(required=True, metadata={"description": "WGS 84 latitude", "example": 15.5})
    lon = fields.Float(required=True, metadata={"description": "WGS 84 longitude", "example": -87.9})
    accuracy_m = fields.Float(
        load_default=None, allow_none=True, metadata={"description": "Accuracy in metres"}
    )
    source = fields.Enum(LocationSource, by_value=True, load_default=LocationSource.GPS)


class HouseholdRegistrationSchema(Schema):
    id = fields.String(
        load_default=None,
        metadata={"description": "Client-generated UUID; sending the same registration again is safe"},
    )
    admin_code = fields.String(
        required=True,
        validate=validate.Length(min=2, max=64),
        metadata={"description": "Admin area code (ISO 3166-2 and deeper)", "example": "HN-CR"},
    )
    size = fields.Integer(required=True, strict=True, metadata={"description": "Number of members"})
    location = fields.Nested(LocationSchema, required=True)


class HouseholdSchema(Schema):
    id = fields.String()
    admin_code = fields.String()
    size = fields.Integer()
    location = fields.Nested(LocationSchema)
    status = fields.Enum(HouseholdStatus, by_value=True)
    version = fields.Integer()
    registered_at = fields.DateTime(format="iso")
    registered_by = fields.String()
