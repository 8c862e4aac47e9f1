"""``transfers.messages``: transfers asks the registry to tell households what became of their
payment (key: batch id). The registry holds the phone numbers and sends; transfers never sees one.

Each request names the household, the moment the payment was decided (a number changed since is
never written to without saying so), what happened, the money, and the programme's own wording
when it has one. Its ``message_id`` is the same however often the request is made again (the
payment and its state), so a message is sent once.
"""

from __future__ import annotations

import string
import uuid
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.errors import InvalidInput, field_problems
from shared.events import CloudEvent

SOURCE = "/amparo/transfers"
MESSAGES_REQUESTED = "amparo.transfers.messages.requested.v1"
#: Requests per event: a batch of 100 000 households is 200 events, not 100 000.
MESSAGE_CHUNK = 500
#: What a household is told, and the payment state each follows.
KINDS = {
    "proposed": "entitled",
    "approved": "approved",
    "instructed": "sent",
    "settled": "settled",
    "failed": "failed",
}
LANGUAGES = ("es", "en")
#: What a template may say: anything else in braces is refused when the programme is saved.
PLACEHOLDERS = ("programme", "amount", "currency", "place", "code")
#: The wording used when a programme has none of its own.
#: A programme's readiness stage reached: households likely to be entitled are told to prepare.
READINESS = "readiness"
DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    READINESS: {
        "es": "{programme}: hay un aviso para su zona. Si se confirma, su hogar podría recibir {amount} "
        "{currency}. Prepárese y siga las indicaciones de protección civil.",
        "en": "{programme}: there is a warning for your area. If it is confirmed, your household may "
        "receive {amount} {currency}. Get ready and follow civil protection's advice.",
    },
    "entitled": {
        "es": "{programme}: su hogar califica para un apoyo de {amount} {currency}. "
        "Le avisaremos cuando se apruebe.",
        "en": "{programme}: your household qualifies for support of {amount} {currency}. "
        "We will tell you when it is approved.",
    },
    "approved": {
        "es": "{programme}: su apoyo de {amount} {currency} fue aprobado.",
        "en": "{programme}: your support of {amount} {currency} was approved.",
    },
    "sent": {
        "es": "{programme}: su apoyo de {amount} {currency} fue enviado.",
        "en": "{programme}: your support of {amount} {currency} was sent.",
    },
    "sent_cash_pickup": {
        "es": "{programme}: retire {amount} {currency} en {place} con su documento y el código {code}.",
        "en": "{programme}: collect {amount} {currency} at {place} with your ID and the code {code}.",
    },
    "settled": {
        "es": "{programme}: su apoyo de {amount} {currency} fue pagado.",
        "en": "{programme}: your support of {amount} {currency} was paid.",
    },
    "failed": {
        "es": "{programme}: no pudimos pagar su apoyo de {amount} {currency}. Lo intentaremos de nuevo.",
        "en": "{programme}: we could not pay your support of {amount} {currency}. We will try again.",
    },
}
#: Said at the end of every message: how to complain (a grievance) and how to stop them.
OPT_OUT = {
    "es": " Responda RECLAMO si algo está mal, o BAJA para no recibir más mensajes.",
    "en": " Reply COMPLAINT if something is wrong, or STOP to receive no more messages.",
}
_NAMESPACE = uuid.UUID("6f1d3c1e-0b7a-4c57-9a55-2f2f8e0c5a11")


def message_id(payment_id: str, kind: str) -> str:
    """The request's id: the same for one payment and one kind, whoever asks and how often."""
    return str(uuid.uuid5(_NAMESPACE, f"{payment_id}:{kind}"))


def notice_id(programme_id: str, incident_id: str, household_id: str) -> str:
    """A readiness notice's id, in place of a payment's (none exists yet): one per household,
    programme and alert, however often the alert's exposure is decided."""
    return str(uuid.uuid5(_NAMESPACE, f"readiness:{programme_id}:{incident_id}:{household_id}"))


def requested_events(subject: str, scope: dict[str, Any], requests: list[dict[str, Any]]) -> list[CloudEvent]:
    """The events asking for ``requests``, :data:`MESSAGE_CHUNK` to an event, each naming ``scope``
    (the batch whose payments moved, or the alert whose readiness stage was reached)."""
    return [
        CloudEvent(
            type=MESSAGES_REQUESTED,
            source=SOURCE,
            subject=subject,
            data={**scope, "requests": requests[start : start + MESSAGE_CHUNK]},
        )
        for start in range(0, len(requests), MESSAGE_CHUNK)
    ]


def template_problems(text: str) -> list[str]:
    """What is wrong with a template: unknown placeholders, formatted ones, unbalanced braces."""
    try:
        places = [(n, spec, conv) for _, n, spec, conv in string.Formatter().parse(text) if n is not None]
    except ValueError as exc:
        return [f"unbalanced braces: {exc}"]
    known = ", ".join(PLACEHOLDERS)
    problems = [f"{{{n}}} is not one of {known}" for n, _, _ in places if n not in PLACEHOLDERS]
    problems += [f"{{{n}}} may not be formatted: write it alone" for n, spec, conv in places if spec or conv]
    return problems


class MessageRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    message_id = fields.UUID(required=True)
    household_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf((READINESS, *sorted(set(KINDS.values())))))
    payment_id = fields.String(required=True, validate=validate.Length(max=36))
    #: The alert the payment (or the readiness notice) answers: a reply to the message is filed under it.
    incident_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=36))
    programme_id = fields.String(required=True, validate=validate.Length(max=36))
    programme = fields.String(required=True, validate=validate.Length(max=200))
    amount = fields.Decimal(required=True, as_string=True)
    currency = fields.String(required=True, validate=validate.Length(equal=3))
    channel_type = fields.String(required=True, validate=validate.Length(max=16))
    decided_at = fields.AwareDateTime(required=True)
    place = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=16))
    templates = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LANGUAGES)),
        values=fields.String(validate=validate.Length(max=480)),
        load_default=dict,
    )


_REQUEST = MessageRequestSchema()


def load_requests(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests of one event, checked.

    :raise InvalidInput: naming each faulty field (the consumer then dead-letters the event).
    """
    try:
        requests: list[dict[str, Any]] = _REQUEST.load(data.get("requests") or [], many=True)
    except ValidationError as exc:
        problems = field_problems(exc.normalized_messages())
        raise InvalidInput(
            "message request invalid: " + ", ".join(p.pointer for p in problems), errors=problems
        ) from exc
    for request in requests:
        request["message_id"], request["household_id"] = (
            str(request["message_id"]),
            str(request["household_id"]),
        )
    return requests
