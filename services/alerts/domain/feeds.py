"""CAP feeds that civil protection follows: an agency's Atom or RSS 2.0 feed whose entries embed a
CAP alert or link to it, fetched every so often, each message taken once however often the feed
repeats it, in the order it was sent.

A feed remembers how to ask again cheaply (its ETag and Last-Modified), when it was last read and
last changed, how many messages it gave, which entries were refused and why, and its last error.
A feed that fails is asked again later and later (doubling, at most an hour apart), and as often as
its interval again once it answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

#: The longest a failing feed waits before it is asked again.
LONGEST_WAIT = timedelta(hours=1)
#: How many refused entries a feed keeps to show (the latest).
REFUSED_KEPT = 50
#: How many entries a feed remembers as taken (an index feed lists its latest ones).
ENTRIES_KEPT = 1000


class FeedError(ValueError):
    """A feed, or one of its entries, that cannot be read: the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed: its id, and the CAP message it embeds or the link to it."""

    id: str
    embedded: bytes | None = None
    link: str | None = None


@dataclass(frozen=True)
class Refusal:
    entry: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class Feed:
    """A followed feed and what is known of it."""

    id: str
    url: str
    sender: str
    jurisdiction: tuple[str, ...]
    interval_seconds: int
    added_by: str
    added_at: datetime
    allowed_hosts: tuple[str, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    next_fetch_at: datetime | None = None
    failures: int = 0
    last_fetch_at: datetime | None = None
    last_change_at: datetime | None = None
    taken: int = 0
    refused: tuple[Refusal, ...] = ()
    last_error: str | None = None
    entries_taken: tuple[str, ...] = field(default=(), repr=False)

    def due(self, now: datetime) -> bool:
        return self.next_fetch_at is None or self.next_fetch_at <= now

    def link_allowed(self, link: str) -> bool:
        """Whether an entry may be fetched from ``link``: from the feed's own host, scheme and port,
        or from a host the feed was allowed to link to (over HTTPS, or the feed's own scheme).

        A link that parsers could read two ways is refused outright: one with a backslash, user
        information, control characters or spaces (``http://127.0.0.1\\@agency.gov/`` names one
        host to a check and another to an HTTP client).
        """
        if any(c in link for c in "\\@ \t\r\n") or any(ord(c) < 32 for c in link):
            return False
        target, own = urlsplit(link), urlsplit(self.url)
        try:
            port, own_port = target.port, own.port
        except ValueError:
            return False
        if target.scheme not in ("http", "https") or not target.hostname:
            return False
        if (target.hostname, target.scheme, port) == (own.hostname, own.scheme, own_port):
            return True
        allowed = target.hostname in self.allowed_hosts
        return allowed and target.scheme in ("https", own.scheme) and port is None

    def unchanged(self, now: datetime) -> Feed:
        """It answered that nothing changed (304)."""
        return replace(self, last_fetch_at=now, failures=0, last_error=None, next_fetch_at=self._next(now, 0))

    def read(
        self,
        now: datetime,
        etag: str | None,
        last_modified: str | None,
        taken: int,
        entries: tuple[str, ...],
        refused: tuple[Refusal, ...],
    ) -> Feed:
        """It was read: ``taken`` new messages, ``entries`` now taken, ``refused`` entries and why."""
        kept = (*self.entries_taken, *[e for e in entries if e not in self.entries_taken])[-ENTRIES_KEPT:]
        return replace(
            self,
            etag=etag,
            last_modified=last_modified,
            last_fetch_at=now,
            last_change_at=now if taken or refused else self.last_change_at,
            taken=self.taken + taken,
            refused=(*self.refused, *refused)[-REFUSED_KEPT:],
            entries_taken=kept,
            failures=0,
            last_error=None,
            next_fetch_at=self._next(now, 0),
        )

    def failed(self, now: datetime, error: str) -> Feed:
        """It could not be read: asked again later, the longer the more it fails."""
        failures = self.failures + 1
        return replace(
            self,
            last_fetch_at=now,
            failures=failures,
            last_error=error,
            next_fetch_at=self._next(now, failures),
        )

    def _next(self, now: datetime, failures: int) -> datetime:
        wait = timedelta(seconds=self.interval_seconds) * (2 ** min(failures, 12))
        return now + min(wait, max(LONGEST_WAIT, timedelta(seconds=self.interval_seconds)))
