"""Request and response schemas of the alerts API."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate


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


class MessageSchema(Schema):
    id = fields.String()
    message_key = fields.String()
    sent = fields.String()
    msg_type = fields.String()
    status = fields.String()
    warnings = fields.List(fields.String())


class InfoTextsSchema(Schema):
    language = fields.String()
    headline = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    instruction = fields.String(allow_none=True)
    sender_name = fields.String(allow_none=True, metadata={"description": "CAP's senderName"})


class StatementTextsSchema(Schema):
    statement = fields.Integer(metadata={"description": "The statement's number, as in the alert's summary"})
    texts = fields.List(fields.Nested(InfoTextsSchema), metadata={"description": "One per language"})


class IncidentSchema(Schema):
    id = fields.String()
    state = fields.String(metadata={"description": "active, cancelled or expired"})
    version = fields.Integer()
    current = fields.Dict(metadata={"description": "The current message: event, severity, areas (GeoJSON) …"})
    warnings = fields.List(fields.String())
    exposure = fields.Dict(allow_none=True, metadata={"description": "Aggregates only: never a household"})
    messages = fields.List(fields.Nested(MessageSchema))


class ListedAlertSchema(Schema):
    id = fields.String()
    state = fields.String()
    version = fields.Integer()
    updated_at = fields.String()
    event = fields.String(allow_none=True)
    headline = fields.String(allow_none=True)
    sender = fields.String(allow_none=True)
    sent = fields.String(allow_none=True)
    expires = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    urgency = fields.String(allow_none=True)
    severity = fields.String(allow_none=True)
    certainty = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True)
    people = fields.Integer(allow_none=True)


class ListQuerySchema(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class WhatIfSchema(Schema):
    exposure = fields.Dict()
    warnings = fields.List(fields.String())


class GridQuerySchema(Schema):
    cell_deg = fields.Float(
        load_default=0.05,
        validate=validate.Range(0.005, 1.0),
        metadata={"description": "Cell size in degrees"},
    )


class LayerQuerySchema(Schema):
    scheme = fields.String(
        required=True,
        validate=validate.Length(min=2, max=64),
        metadata={"description": "The geocode valueName it serves, e.g. ISO3166-2"},
    )
    code_property = fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The feature property holding each area's code"},
    )


class LayerSchema(Schema):
    scheme = fields.String()
    areas = fields.Integer()
    problems = fields.List(fields.String())


class FootprintQuerySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("flood_depth", "wind_speed", "rainfall")))
    thresholds = fields.String(
        required=True,
        metadata={"description": 'JSON list of {"band": name, "min": intensity}, e.g. moderate from 0.5'},
    )
    incident_id = fields.String(
        load_default=None, metadata={"description": "The alert it belongs to, if any"}
    )
    intensity_property = fields.String(
        load_default="intensity", metadata={"description": "For vector footprints: the intensity property"}
    )
    crs = fields.String(load_default=None, metadata={"description": "For a raster that declares no CRS"})


class FootprintListQuerySchema(Schema):
    incident_id = fields.String(required=True, metadata={"description": "The alert whose footprints to list"})


class FootprintSchema(Schema):
    id = fields.String()
    thresholds = fields.List(fields.Dict(), metadata={"description": "The bands: name and lowest intensity"})
    incident_id = fields.String(allow_none=True)
    kind = fields.String()
    units = fields.String()
    source_format = fields.String()
    crs = fields.String(allow_none=True)
    exposure = fields.Dict()


class FeatureSchema(Schema):
    """A GeoJSON Feature; members beyond these (``id``, ``bbox``…) are kept as they are."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "Feature"})
    properties = fields.Dict(allow_none=True)
    geometry = fields.Dict(allow_none=True, metadata={"description": "A GeoJSON geometry (lon, lat)"})


class FeatureCollectionSchema(Schema):
    """A GeoJSON FeatureCollection (RFC 7946), for maps."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(metadata={"description": "FeatureCollection"})
    features = fields.List(fields.Nested(FeatureSchema))


class EnvelopeResultSchema(Schema):
    position = fields.Integer(metadata={"description": "The alert's place in the envelope, from 0"})
    status = fields.Integer(metadata={"description": "201 taken, 200 sent before, or the refusal's status"})
    incident = fields.Dict(
        allow_none=True, metadata={"description": "The incident, as a single alert's answer"}
    )
    problem = fields.Dict(
        allow_none=True, metadata={"description": "Why it was refused (a problem document)"}
    )


class EnvelopeResultsSchema(Schema):
    results = fields.List(fields.Nested(EnvelopeResultSchema))


class NearestAreaSchema(Schema):
    statement = fields.Integer(
        allow_none=True, metadata={"description": "The area's statement, numbered as in the alert's summary"}
    )
    area = fields.String(metadata={"description": "The area's CAP areaDesc"})
    distance_km = fields.Float(
        metadata={"description": "Geodesic distance (WGS 84) to the area's nearest point, 3 decimals"}
    )
    bearing_deg = fields.Float(
        allow_none=True, metadata={"description": "Towards that point, degrees clockwise from north"}
    )


class HouseholdDistanceSchema(Schema):
    incident_id = fields.String()
    alert_version = fields.Integer(metadata={"description": "The alert's current version"})
    household_id = fields.String()
    located = fields.Boolean(metadata={"description": "Whether the household has coordinates"})
    active = fields.Boolean(metadata={"description": "Whether it is active (only active ones are exposed)"})
    inside = fields.Boolean(
        metadata={
            "description": "Whether the alert's matching takes it into a current area (without "
            "coordinates: by its admin code, in an area given by geocodes)"
        }
    )
    nearest = fields.Nested(
        NearestAreaSchema,
        allow_none=True,
        metadata={"description": "The nearest area (null when inside, not located or no area)"},
    )
    areas_considered = fields.Integer(metadata={"description": "How many of the current areas may cover it"})
