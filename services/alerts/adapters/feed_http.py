"""Asking an agency's server for its feed and the CAP messages it links: conditional requests, no
redirects followed (a link is checked before it is fetched), bounded sizes and times."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import requests

from services.alerts.adapters.cap_xml import MAX_BYTES as MAX_CAP_BYTES
from services.alerts.adapters.feed_files import MAX_FEED_BYTES
from services.alerts.domain.feeds import FeedError

ACCEPT = "application/atom+xml, application/rss+xml, application/cap+xml, application/xml;q=0.9, */*;q=0.1"


@dataclass(frozen=True)
class Fetched:
    """A feed as answered: ``changed`` False for 304 Not Modified."""

    changed: bool
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


class FeedClient:
    """Reads feeds and linked messages over HTTP(S)."""

    def __init__(
        self, timeout: float = 10.0, session: requests.Session | None = None, deadline: float = 60.0
    ):
        self.timeout = timeout
        #: The longest one download may take, however slowly the server trickles it.
        self.deadline = deadline
        self.session = session or requests.Session()

    def feed(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        """The feed, or ``changed=False`` when the server says it has not changed.

        :raise FeedError: unreachable, an error status, a redirect, or too large.
        """
        headers = {"Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response = self._get(url, headers)
        if response.status_code == 304:
            response.close()
            return Fetched(False, etag=etag, last_modified=last_modified)
        body = self._body(response, MAX_FEED_BYTES, "the feed", self.deadline)
        return Fetched(True, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def message(self, url: str) -> bytes:
        """A linked CAP message. :raise FeedError: unreachable, an error status, or too large."""
        response = self._get(url, {"Accept": "application/cap+xml, application/xml"})
        return self._body(response, MAX_CAP_BYTES, url, self.deadline)

    def _get(self, url: str, headers: dict[str, str]) -> requests.Response:
        try:
            response = self.session.get(
                url, headers=headers, timeout=self.timeout, stream=True, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise FeedError(f"{url} could not be reached: {exc}") from exc
        if 300 <= response.status_code < 400 and response.status_code != 304:
            response.close()
            raise FeedError(
                f"{url} redirects to {response.headers.get('Location')!r}; redirects are not followed"
            )
        if response.status_code >= 400:
            response.close()
            raise FeedError(f"{url} answered {response.status_code}")
        return response

    @staticmethod
    def _body(response: requests.Response, most: int, what: str, deadline: float) -> bytes:
        chunks, size = [], 0
        ends = time.monotonic() + deadline
        # A server trickling a byte now and then never trips a read's timeout: past the deadline
        # the connection is closed under the reader.
        watchdog = threading.Timer(deadline, _cut, (response,))
        watchdog.start()
        try:
            for chunk in response.iter_content(16 * 1024):
                size += len(chunk)
                if size > most:
                    raise FeedError(f"{what} is over {most:,} bytes; refused")
                chunks.append(chunk)
        except FeedError:
            raise
        except Exception as exc:  # noqa: BLE001 - a read cut short, by the server or the deadline
            if time.monotonic() >= ends:
                raise FeedError(f"{what} took over {deadline:g} s to arrive; given up") from exc
            raise FeedError(f"{what} broke off: {exc}") from exc
        finally:
            watchdog.cancel()
            response.close()
        if time.monotonic() >= ends:
            raise FeedError(f"{what} took over {deadline:g} s to arrive; given up")
        return b"".join(chunks)


def _cut(response: requests.Response) -> None:
    """Close a download's connection under its reader (a blocked read then ends at once)."""
    # The socket the body is read from (http.client's reader over it), else the connection's.
    reader = getattr(getattr(getattr(response.raw, "_fp", None), "fp", None), "raw", None)
    sock = getattr(reader, "_sock", None) or getattr(getattr(response.raw, "connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    response.close()
