"""``registry.households``: a household's public snapshot, carried by every change."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.errors import InvalidInput, field_problems

SOURCE = "/amparo/registry"
HOUSEHOLD_REGISTERED = "amparo.registry.household.registered.v1"
HOUSEHOLD_UPDATED = "amparo.registry.household.updated.v1"
HOUSEHOLD_DEACTIVATED = "amparo.registry.household.deactivated.v1"
#: A household's personal data was erased on request: its snapshot says only that it is inactive,
#: where (its admin area) and how many; projections keep no location or attribute of it. A Kafka
#: tombstone (no value) follows under the same key, so compaction drops its earlier snapshots.
HOUSEHOLD_ERASED = "amparo.registry.household.erased.v1"
HOUSEHOLD_EVENT_TYPES = (HOUSEHOLD_REGISTERED, HOUSEHOLD_UPDATED, HOUSEHOLD_DEACTIVATED, HOUSEHOLD_ERASED)
#: A household's review state changed: held while a probable duplicate of it awaits an officer's
#: decision (``under_review``), released once decided. Not a new version of the household.
HOUSEHOLD_REVIEW = "amparo.registry.household.review.v1"
#: A household replied to a message asking for help (a grievance): its household id, the reply's
#: id, what it seems to be about and the alert and programme of the message it answered. The
#: reply's words and the phone number stay in the registry. Not a new version of the household.
HOUSEHOLD_COMPLAINT = "amparo.registry.household.complaint.v1"
STATUSES = ("active", "inactive", "moved", "dissolved")


class SnapshotLocationSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    accuracy_m = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0))
    source = fields.String(required=True, validate=validate.OneOf(("gps", "address", "admin_centroid")))


class VulnerabilitySchema(Schema):
    score = fields.Float(required=True, validate=validate.Range(0, 100))
    index_version = fields.String(required=True)
    components = fields.Dict(keys=fields.String(), values=fields.Float(), load_default=dict)


class AssessmentCategoriesSchema(Schema):
    """A post-event assessment's categories: what happened to the household, never who said so."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.String(required=True)
    incidents = fields.List(fields.String(validate=validate.Length(max=255)), load_default=list)
    dwelling_damage = fields.String(required=True, validate=validate.OneOf(("none", "partial", "destroyed")))
    displacement = fields.String(load_default=None, allow_none=True)
    livelihood_losses = fields.List(fields.String(), load_default=list)
    needs = fields.List(fields.String(), load_default=list)
    assessed_on = fields.Date(load_default=None, allow_none=True)


class HouseholdSnapshotSchema(Schema):
    """The public snapshot: no names, document, phone or account numbers, ever.

    Consumers ignore attributes they do not know, so the registry can add attributes to a
    version without breaking them; removing or changing one needs a new event version.
    """

    class Meta:
        unknown = EXCLUDE

    household_id = fields.UUID(required=True)
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    admin_code = fields.String(required=True, validate=validate.Length(min=2, max=64))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))
    location = fields.Nested(SnapshotLocationSchema, allow_none=True, load_default=None)
    admin_levels = fields.List(fields.String(), load_default=list)
    members_by_sex = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    members_by_age_band = fields.Dict(keys=fields.String(), values=fields.Integer(), load_default=dict)
    persons_with_disabilities = fields.Integer(load_default=0)
    #: Members by sex and reporting band (0_5, 6_11, 12_17, 18_59, 60_plus), each cell
    #: ``[people, with a disability]``: the cross-table monitoring reports.
    people = fields.Dict(
        keys=fields.String(validate=validate.Length(max=16)),
        values=fields.Dict(
            keys=fields.String(validate=validate.Length(max=16)),
            values=fields.List(
                fields.Integer(validate=validate.Range(min=0, max=1000)), validate=validate.Length(equal=2)
            ),
        ),
        load_default=dict,
    )
    pregnant_members = fields.Integer(load_default=0)
    female_headed = fields.Boolean(load_default=False)
    vulnerability = fields.Nested(VulnerabilitySchema, load_default=None, allow_none=True)
    payment_channel_type = fields.String(load_default=None, allow_none=True)
    consent_purposes = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list)
    #: Post-event assessments, newest first (one per assessment exercise), and the regular programmes
    #: the household is enrolled in on the snapshot's day.
    assessments = fields.List(fields.Nested(AssessmentCategoriesSchema), load_default=list)
    enrolments = fields.List(fields.String(validate=validate.Length(max=32)), load_default=list)
    #: The day the ages, age bands and score are counted on.
    snapshot_on = fields.Date(load_default=None, allow_none=True)
    #: How many times this version's snapshot was published again because time changed it (a
    #: birthday, new weights): 0 for the version's own snapshot. A consumer keeps a snapshot when
    #: its (version, snapshot_revision) is above the one it holds.
    snapshot_revision = fields.Integer(
        load_default=0, strict=True, validate=validate.Range(min=0, max=2**31 - 1)
    )


def erased_snapshot(household_id: str, version: int, admin_code: str, size: int) -> dict[str, Any]:
    """What an erased household's event says of it: nothing but that it is there no more."""
    return {
        "household_id": household_id,
        "version": version,
        "status": "inactive",
        "admin_code": admin_code,
        "size": size,
        "location": None,
    }


#: Built once: a schema is stateless between loads, and building one per event costs more than loading.
_SNAPSHOT = HouseholdSnapshotSchema()


def load_snapshot(data: dict[str, Any]) -> dict[str, Any]:
    """Validate an event's data as a household snapshot.

    :raise InvalidInput: naming each faulty field (the consumer then dead-letters the event).
    """
    try:
        snapshot: dict[str, Any] = _SNAPSHOT.load(data)
    except ValidationError as exc:
        problems = field_problems(exc.normalized_messages())
        raise InvalidInput(
            "household snapshot invalid: " + ", ".join(p.pointer for p in problems), errors=problems
        ) from exc
    snapshot["household_id"] = str(snapshot["household_id"])
    return snapshot
