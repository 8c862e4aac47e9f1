"""Following CAP feeds: civil protection names an agency's feed, and the alerts service reads it
every so often, taking each CAP message as if it had been posted by an officer of the feed's
jurisdiction — once, however often the feed repeats it, and in the order the messages were sent,
so an update follows what it updates. One instance reads the feeds at a time (a lease).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from services.alerts.domain.feeds import Feed, FeedEntry, FeedError, Refusal
from services.alerts.domain.jurisdiction import EVERYWHERE, covers
from services.alerts.service_layer.alerts import ReceiveCap, receive_cap
from services.alerts.service_layer.areas import parse_cap
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.audit import AuditEntry
from shared.auth import Principal
from shared.errors import AmparoError, FieldProblem, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)
SHORTEST_INTERVAL, LONGEST_INTERVAL = 30, 86_400


class FeedNotFound(NotFound):
    pass


class Fetches(Protocol):
    """Where feeds and linked messages are read from (HTTP, or a test's own server)."""

    def feed(self, url: str, etag: str | None, last_modified: str | None) -> Any: ...

    def message(self, url: str) -> bytes: ...


class Reads(Protocol):
    def __call__(self, raw: bytes) -> list[FeedEntry]: ...


@dataclass(frozen=True)
class AddFeed:
    url: str
    sender: str
    interval_seconds: int
    allowed_hosts: tuple[str, ...]
    by: Principal


def _problem(pointer: str, detail: str) -> InvalidInput:
    return InvalidInput(f"{pointer.strip('/')}: {detail}", errors=[FieldProblem(pointer, detail)])


def add_feed(command: AddFeed, uow: AlertsUnitOfWork) -> Feed:
    """Follow a feed within the officer's jurisdiction: its messages are taken as theirs.

    :raise InvalidInput: not an http(s) URL, or an interval outside 30 s – 1 day.
    """
    if urlsplit(command.url).scheme not in ("http", "https") or not urlsplit(command.url).hostname:
        raise _problem("/url", "an http:// or https:// URL")
    if not SHORTEST_INTERVAL <= command.interval_seconds <= LONGEST_INTERVAL:
        raise _problem("/interval_seconds", f"between {SHORTEST_INTERVAL} and {LONGEST_INTERVAL}")
    now = datetime.now(UTC)
    feed = Feed(
        id=str(uuid.uuid4()),
        url=command.url,
        sender=command.sender,
        jurisdiction=tuple(command.by.jurisdiction),
        interval_seconds=command.interval_seconds,
        added_by=command.by.subject,
        added_at=now,
        allowed_hosts=command.allowed_hosts,
    )
    with uow:
        uow.feeds.add(feed)
        _audit(
            uow,
            command.by.subject,
            "feed_added",
            feed,
            f"{feed.url} ({feed.sender}), every {feed.interval_seconds} s",
        )
    return feed


def _audit(uow: AlertsUnitOfWork, by: str, action: str, feed: Feed, comment: str) -> None:
    uow.record(AuditEntry(by=by, action=action, subject_type="feed", subject_id=feed.id, comment=comment))


def _within(feed: Feed, jurisdiction: Sequence[str]) -> bool:
    return EVERYWHERE in jurisdiction or all(covers(jurisdiction, area) for area in feed.jurisdiction)


def list_feeds(uow: AlertsUnitOfWork, jurisdiction: Sequence[str]) -> list[Feed]:
    """The feeds followed within ``jurisdiction``."""
    with uow:
        return [f for f in uow.feeds.every() if _within(f, jurisdiction)]


def get_feed(feed_id: str, uow: AlertsUnitOfWork, jurisdiction: Sequence[str]) -> Feed:
    """:raise FeedNotFound: no such feed within ``jurisdiction``."""
    with uow:
        feed = uow.feeds.get(feed_id)
    if feed is None or not _within(feed, jurisdiction):
        raise FeedNotFound(f"no feed {feed_id} in your jurisdiction")
    return feed


def stop_following(feed_id: str, by: Principal, uow: AlertsUnitOfWork) -> None:
    """:raise FeedNotFound: no such feed within the officer's jurisdiction."""
    with uow:
        feed = uow.feeds.get(feed_id)
        if feed is None or not _within(feed, by.jurisdiction):
            raise FeedNotFound(f"no feed {feed_id} in your jurisdiction")
        uow.feeds.remove(feed_id)
        _audit(uow, by.subject, "feed_removed", feed, feed.url)


def read_now(
    feed_id: str, by: Principal, units_of_work: Callable[[], AlertsUnitOfWork], fetches: Fetches, reads: Reads
) -> Feed:
    """Read a feed at once (an officer who knows it just changed need not wait for its turn).

    :raise FeedNotFound: no such feed within the officer's jurisdiction.
    """
    feed = get_feed(feed_id, units_of_work(), by.jurisdiction)
    read_feed_once(feed, units_of_work, fetches, reads)
    return get_feed(feed_id, units_of_work(), by.jurisdiction)


#: Feeds read side by side: reading is mostly waiting for agencies' servers.
READERS = 8


def read_due_feeds(units_of_work: Callable[[], AlertsUnitOfWork], fetches: Fetches, reads: Reads) -> int:
    """Read every feed whose time has come, several at once (a slow agency holds up no other).
    :return: how many messages were taken."""
    with units_of_work() as uow:
        due = uow.feeds.due(datetime.now(UTC))
    if len(due) <= 1:
        return sum(read_feed_once(feed, units_of_work, fetches, reads) for feed in due)
    with ThreadPoolExecutor(max_workers=min(READERS, len(due)), thread_name_prefix="feed") as pool:
        return sum(pool.map(lambda feed: read_feed_once(feed, units_of_work, fetches, reads), due))


def read_feed_once(
    feed: Feed, units_of_work: Callable[[], AlertsUnitOfWork], fetches: Fetches, reads: Reads
) -> int:
    """Read one feed now, take its new messages in the order they were sent, keep what happened.

    An entry that cannot be read or taken is refused with its reason; it never stops the others.
    :return: how many messages were taken.
    """
    now = datetime.now(UTC)
    try:
        fetched = fetches.feed(feed.url, feed.etag, feed.last_modified)
        entries = reads(fetched.body) if fetched.changed else None
    except Exception as exc:  # noqa: BLE001 - whatever the feed did, it is said, and asked again later
        log.warning("feed %s (%s) could not be read: %s", feed.id, feed.url, exc)
        reason = _reason(exc)
        return _keep(units_of_work, feed.id, lambda stored: stored.failed(now, reason), 0)
    if entries is None:
        return _keep(units_of_work, feed.id, lambda stored: stored.unchanged(now), 0)
    messages, refused, retry = _messages(feed, entries, fetches, now)
    taken, done = 0, []
    for _, entry_id, raw in sorted(messages, key=lambda m: m[0]):
        try:
            _, created = receive_cap(
                ReceiveCap(raw, "application/cap+xml", f"feed {feed.id} ({feed.sender})", feed.jurisdiction),
                units_of_work(),
            )
        except Exception as exc:  # noqa: BLE001 - one entry never stops the others; its reason is kept
            refused.append(Refusal(entry_id, _reason(exc), now))
            continue
        taken += created
        done.append(entry_id)
    # A linked message that could not be fetched this time is asked for again at the next read:
    # the feed is then asked for whole, not "if changed".
    etag, last_modified = (feed.etag, feed.last_modified) if retry else (fetched.etag, fetched.last_modified)
    return _keep(
        units_of_work,
        feed.id,
        lambda stored: stored.read(now, etag, last_modified, taken, tuple(done), tuple(refused)),
        taken,
    )


def _messages(
    feed: Feed, entries: list[FeedEntry], fetches: Fetches, now: datetime
) -> tuple[list[tuple[datetime, str, bytes]], list[Refusal], bool]:
    """The feed's new entries as CAP messages with when each was sent, those refused, and whether
    a linked message could not be fetched (worth asking for again)."""
    messages, refused, retry = [], [], False
    for entry in entries:
        if entry.id in feed.entries_taken:
            continue
        try:
            raw = entry.embedded if entry.embedded is not None else _linked(feed, entry, fetches)
        except FetchFailed as exc:
            refused.append(Refusal(entry.id, str(exc), now))
            retry = True
            continue
        except Exception as exc:  # noqa: BLE001 - one entry never stops the others; its reason is kept
            refused.append(Refusal(entry.id, _reason(exc), now))
            continue
        try:
            messages.append((parse_cap(raw, "application/cap+xml").sent, entry.id, raw))
        except Exception as exc:  # noqa: BLE001 - one entry never stops the others; its reason is kept
            refused.append(Refusal(entry.id, _reason(exc), now))
    return messages, refused, retry


class FetchFailed(FeedError):
    """A linked message that could not be fetched this time (it may be next time)."""


def _reason(error: Exception) -> str:
    """Why something from a feed was refused, as the feed's state says it."""
    if isinstance(error, AmparoError | FeedError):
        return str(error)
    log.warning("unexpected error reading a feed entry", exc_info=error)
    return f"could not be read ({type(error).__name__}: {error})"[:500]


def _linked(feed: Feed, entry: FeedEntry, fetches: Fetches) -> bytes:
    if entry.link is None:
        raise FeedError("the entry neither embeds a CAP alert nor links to one")
    link = urljoin(feed.url, entry.link)  # a link may be written relative to the feed
    if not feed.link_allowed(link):
        raise FeedError(f"the entry links to {link}, not on the feed's own host; not fetched")
    try:
        return fetches.message(link)
    except FeedError as exc:
        raise FetchFailed(str(exc)) from exc


def _keep(
    units_of_work: Callable[[], AlertsUnitOfWork], feed_id: str, change: Callable[[Feed], Feed], taken: int
) -> int:
    """What a read found, applied to the feed as it is stored now: another read (the reader's, or an
    officer's *read now*) may have been kept since this one began, and its counts must stay."""
    with units_of_work() as uow:
        stored = uow.feeds.get(feed_id, lock=True)
        if stored is not None:  # removed meanwhile: nothing to keep
            uow.feeds.save(change(stored))
    return taken


class FeedReader:
    """Every ``tick`` seconds, reads the feeds whose time has come, while this instance holds the
    feed lease (one reader across instances)."""

    def __init__(
        self,
        units_of_work: Callable[[], AlertsUnitOfWork],
        fetches: Fetches,
        reads: Reads,
        lease: Any,
        tick: float = 5.0,
    ):
        self.units_of_work, self.fetches, self.reads, self.lease, self.tick = (
            units_of_work,
            fetches,
            reads,
            lease,
            tick,
        )

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(self.tick):
                try:
                    if self.lease.held():
                        read_due_feeds(self.units_of_work, self.fetches, self.reads)
                except Exception:  # noqa: BLE001 - a database down, say: the next round tries again
                    log.warning("reading feeds failed; trying again", exc_info=True)
        finally:
            self.lease.release()


def set_strict(sender: str, strict: bool, by: Principal, uow: AlertsUnitOfWork) -> None:
    """Put a sender in strict mode (its messages refused for any repair or doubt) or out of it.
    Senders are the platform's, not one area's: only an officer for every area sets them.

    :raise Forbidden: the officer's jurisdiction is not everywhere.
    """
    if EVERYWHERE not in by.jurisdiction:
        raise Forbidden(
            "only an officer whose jurisdiction is every area sets a sender's mode",
            errors=[FieldProblem("/strict", "not for one area's officer")],
        )
    with uow:
        uow.senders.set_strict(sender, strict, by.subject, datetime.now(UTC))
        uow.record(
            AuditEntry(
                by=by.subject,
                action="sender_strict" if strict else "sender_lenient",
                subject_type="sender",
                subject_id=sender[:255],
                comment=f"{sender} {'in' if strict else 'out of'} strict mode",
            )
        )


def senders(uow: AlertsUnitOfWork) -> list[dict[str, Any]]:
    """Every sender with a mode of its own."""
    with uow:
        return uow.senders.every()
