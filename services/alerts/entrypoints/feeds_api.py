"""CAP feeds over HTTP: follow an agency's feed, see what became of it, stop following it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.alerts.adapters.feed_files import read_feed
from services.alerts.adapters.feed_http import FeedClient
from services.alerts.domain.feeds import Feed
from services.alerts.entrypoints.wiring import unit_of_work
from services.alerts.service_layer import feeds as service
from shared.auth import AUDITOR, CIVIL_PROTECTION
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint("feeds", __name__, url_prefix="/v1/feeds", description="CAP feeds the service follows")


class NewFeedSchema(Schema):
    url = fields.String(required=True, validate=validate.Length(min=8, max=2000))
    sender = fields.String(required=True, validate=validate.Length(min=1, max=255))
    interval_seconds = fields.Integer(
        load_default=60,
        validate=validate.Range(service.SHORTEST_INTERVAL, service.LONGEST_INTERVAL),
        metadata={"description": "How often it is read (30 s to a day)"},
    )
    allowed_hosts = fields.List(
        fields.String(validate=validate.Length(min=1, max=255)),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "Other hosts its entries may link to (its own is always allowed)"},
    )


class RefusalSchema(Schema):
    entry = fields.String()
    reason = fields.String()
    at = fields.String()


class FeedSchema(Schema):
    id = fields.String()
    url = fields.String()
    sender = fields.String()
    jurisdiction = fields.List(
        fields.String(), metadata={"description": "Its messages are taken as an officer's of these areas"}
    )
    interval_seconds = fields.Integer()
    allowed_hosts = fields.List(fields.String())
    added_by = fields.String()
    added_at = fields.String()
    last_fetch_at = fields.String(allow_none=True)
    last_change_at = fields.String(allow_none=True)
    next_fetch_at = fields.String(allow_none=True)
    taken = fields.Integer(metadata={"description": "Messages taken from it so far"})
    failures = fields.Integer(metadata={"description": "Failed reads in a row"})
    last_error = fields.String(allow_none=True)
    refused = fields.List(
        fields.Nested(RefusalSchema), metadata={"description": "The latest entries refused, and why"}
    )


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def feed_view(feed: Feed) -> dict[str, Any]:
    """A followed feed and what became of it."""
    return {
        "id": feed.id,
        "url": feed.url,
        "sender": feed.sender,
        "jurisdiction": list(feed.jurisdiction),
        "interval_seconds": feed.interval_seconds,
        "allowed_hosts": list(feed.allowed_hosts),
        "added_by": feed.added_by,
        "added_at": _when(feed.added_at),
        "last_fetch_at": _when(feed.last_fetch_at),
        "last_change_at": _when(feed.last_change_at),
        "next_fetch_at": _when(feed.next_fetch_at),
        "taken": feed.taken,
        "failures": feed.failures,
        "last_error": feed.last_error,
        "refused": [{"entry": r.entry, "reason": r.reason, "at": _when(r.at)} for r in feed.refused],
    }


@blp.route("")
class Feeds(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(NewFeedSchema)
    @blp.response(201, FeedSchema)
    @authenticated([CIVIL_PROTECTION])
    def post(self, body: dict[str, Any]) -> Any:
        """Follow a CAP feed (Atom or RSS 2.0); its messages are taken as the caller's"""
        command = service.AddFeed(
            body["url"],
            body["sender"],
            body["interval_seconds"],
            tuple(body["allowed_hosts"]),
            current_principal(),
        )
        return feed_view(service.add_feed(command, unit_of_work()))

    @blp.doc(security=BEARER)
    @blp.response(200, FeedSchema(many=True))
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self) -> Any:
        """The feeds followed in the caller's jurisdiction, with what became of each"""
        return [
            feed_view(f)
            for f in service.list_feeds(unit_of_work(read_only=True), current_principal().jurisdiction)
        ]


@blp.route("/<feed_id>")
class OneFeed(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, FeedSchema)
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self, feed_id: str) -> Any:
        """A followed feed: last read, last change, messages taken, entries refused, last error"""
        return feed_view(
            service.get_feed(feed_id, unit_of_work(read_only=True), current_principal().jurisdiction)
        )

    @blp.doc(security=BEARER)
    @blp.response(204)
    @authenticated([CIVIL_PROTECTION])
    def delete(self, feed_id: str) -> Any:
        """Stop following a feed (the messages taken stay)"""
        service.stop_following(feed_id, current_principal(), unit_of_work())
        return None


@blp.route("/<feed_id>/read")
class ReadFeed(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, FeedSchema)
    @authenticated([CIVIL_PROTECTION])
    def post(self, feed_id: str) -> Any:
        """Read a feed now instead of at its next turn; what came of it"""
        read = service.read_now(feed_id, current_principal(), unit_of_work, FeedClient(), read_feed)
        return feed_view(read)


senders_blp = Blueprint(
    "senders",
    __name__,
    url_prefix="/v1/senders",
    description="Senders whose CAP must obey the schema as written",
)


class SenderModeSchema(Schema):
    strict = fields.Boolean(
        required=True,
        metadata={
            "description": "Refuse its messages whenever reading them needed a repair or raised a doubt"
        },
    )


class SenderSchema(Schema):
    sender = fields.String()
    strict = fields.Boolean()
    set_by = fields.String()
    set_at = fields.DateTime(format="iso")


@senders_blp.route("")
class Senders(MethodView):
    @senders_blp.doc(security=BEARER)
    @senders_blp.response(200, SenderSchema(many=True))
    @authenticated([CIVIL_PROTECTION, AUDITOR])
    def get(self) -> Any:
        """Senders with a mode of their own"""
        return service.senders(unit_of_work(read_only=True))


@senders_blp.route("/<path:sender>")
class Sender(MethodView):
    @senders_blp.doc(security=BEARER)
    @senders_blp.arguments(SenderModeSchema)
    @senders_blp.response(200, SenderModeSchema)
    @authenticated([CIVIL_PROTECTION])
    def put(self, body: dict[str, Any], sender: str) -> Any:
        """Put a sender in strict mode or out of it (officers for every area only)"""
        service.set_strict(sender, body["strict"], current_principal(), unit_of_work())
        return body
