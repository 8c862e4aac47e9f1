"""The CloudEvents 1.0 envelope every Amparo event travels in, and its marshmallow schema.

Events are sent in structured mode: the Kafka record value is the whole envelope as JSON
(content type ``application/cloudevents+json``), the record key is the entity id (household,
alert, batch), and the correlation id is repeated in a record header so tools can follow it
without parsing the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from shared.errors import FieldProblem, InvalidInput, field_problems
from shared.ids import random_uuid

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
#: ``amparo.<service>.<entity>.<happening>.v<N>``, e.g. ``amparo.registry.household.registered.v1``.
TYPE_PATTERN = r"^amparo(\.[a-z][a-z0-9_]*){3,}\.v[0-9]+$"


class EnvelopeError(InvalidInput):
    """A message is not a valid Amparo CloudEvent; ``errors`` names each faulty attribute."""

    slug = "invalid-event"
    title = "Invalid event"


@dataclass(frozen=True)
class CloudEvent:
    """One event: who says (``source``) what happened (``type``) to what (``subject``), and when.

    ``data`` is the event's JSON body; ``correlationid`` is Amparo's extension attribute that
    follows one piece of work through every service.
    """

    type: str
    source: str
    subject: str
    data: dict[str, Any]
    id: str = field(default_factory=random_uuid)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlationid: str | None = None
    datacontenttype: str = "application/json"
    specversion: str = SPEC_VERSION

    def to_json(self) -> bytes:
        """Serialise the envelope (structured mode) to UTF-8 JSON bytes.

        Written directly rather than through the schema (whose ``dump`` gives the same bytes, as
        the tests check): bulk writers serialise hundreds of thousands of events.
        """
        envelope = {
            "specversion": _text(self.specversion),
            "id": _text(self.id),
            "source": _text(self.source),
            "type": _text(self.type),
            "subject": _text(self.subject),
            "time": self.time.isoformat() if self.time is not None else None,
            "datacontenttype": _text(self.datacontenttype),
            "correlationid": _text(self.correlationid),
            "data": None if self.data is None else {str(k): v for k, v in self.data.items()},
        }
        return json.dumps(envelope, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> CloudEvent:
        """Parse and validate an envelope.

        :raise EnvelopeError: if ``raw`` is not JSON or an attribute is missing or malformed.
        """
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise EnvelopeError(f"event is not JSON: {exc}", errors=[FieldProblem("/", str(exc))]) from exc
        if not isinstance(document, dict):
            raise EnvelopeError("event is not a JSON object", errors=[FieldProblem("/", "not an object")])
        try:
            return _SCHEMA.load(document)
        except ValidationError as exc:
            problems = field_problems(exc.normalized_messages())
            names = ", ".join(p.pointer for p in problems)
            raise EnvelopeError(f"invalid event attributes: {names}", errors=problems) from exc


def _text(value: Any) -> str | None:
    """A string attribute as the schema's ``fields.String`` dumps it."""
    return None if value is None else str(value)


class CloudEventSchema(Schema):
    """Marshmallow schema of the CloudEvents 1.0 JSON format with Amparo's rules.

    Unknown top-level attributes are rejected: CloudEvents extensions are declared here, not
    added on the fly.
    """

    specversion = fields.String(required=True, validate=validate.Equal(SPEC_VERSION))
    id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    source = fields.String(required=True, validate=validate.Length(min=1, max=512))
    type = fields.String(required=True, validate=validate.Regexp(TYPE_PATTERN))
    subject = fields.String(required=True, validate=validate.Length(min=1, max=256))
    time = fields.AwareDateTime(required=True, format="iso")
    datacontenttype = fields.String(
        load_default="application/json", validate=validate.Equal("application/json")
    )
    correlationid = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=128))
    data = fields.Dict(required=True, keys=fields.String())

    @post_load
    def make_event(self, values: dict[str, Any], **_: Any) -> CloudEvent:
        return CloudEvent(**values)


#: Built once: a schema keeps no state between loads and dumps, and building one costs more than
#: either.
_SCHEMA = CloudEventSchema()
