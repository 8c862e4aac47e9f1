"""``registry.households``: a household's public snapshot, carried by every change."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from shared.errors import InvalidInput, field_problems

SOURCE = "/amparo/registry"
HOUSEHOLD_REGISTERED = "amparo.registry.household.registered.v1"
HOUSEHOLD_UPDATED = "amparo.registry.household.updated.v1"
HOUSEHOLD_DEACTIVATED = "amparo.registry.household.deactivated.v1"
HOUSEHOLD_EVENT_TYPES = (HOUSEHOLD_REGISTERED, HOUSEHOLD_UPDATED, HOUSEHOLD_DEACTIVATED)
STATUSES = ("active", "inactive", "moved", "dissolved")


class SnapshotLocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    source = fields.String(required=True, validate=validate.OneOf(("gps", "address", "admin_centroid")))


class HouseholdSnapshotSchema(Schema):
    """The public snapshot: no names, document, phone or account numbers, ever."""

    household_id = fields.UUID(required=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    admin_code = fields.String(required=True, validate=validate.Length(min=2, max=64))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    location = fields.Nested(SnapshotLocationSchema, allow_none=True, load_default=None)


def load_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """Validate an event's data as a household snapshot.

    :raise InvalidInput: naming each faulty field (the consumer then dead-letters the event).
    """
    try:
        snapshot: dict[str, Any] = HouseholdSnapshotSchema().load(data)
    except ValidationError as exc:
        problems = field_problems(exc.normalized_messages())
        raise InvalidInput(
            "household snapshot invalid: " + ", ".join(p.pointer for p in problems), errors=problems
        ) from exc
    snapshot["household_id"] = str(snapshot["household_id"])
    return snapshot
