"""The COE's CAP feed, served as an agency would: a small HTTP server on this machine publishing
an Atom feed that lists each Fiona message as it is sent, with the message at its own address."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class AgencyFeed:
    """An Atom feed of CAP messages on ``127.0.0.1``, with ETags (a reader asking again for an
    unchanged feed gets 304)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.messages: dict[str, bytes] = {}
        self._lock = threading.Lock()
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                body, kind = feed._page(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="coe-feed", daemon=True).start()

    @property
    def feed_url(self) -> str:
        return f"{self.url}/cap/feed.atom"

    def publish(self, name: str, message: bytes) -> None:
        """Put a message in the feed (the newest first, as agencies list them)."""
        with self._lock:
            self.messages = {name: message, **self.messages}

    def _page(self, path: str) -> tuple[bytes | None, str]:
        with self._lock:
            if path == "/cap/feed.atom":
                entries = "".join(
                    f"<entry><id>{self.url}/cap/{name}</id><title>{name}</title>"
                    f'<link rel="related" type="application/cap+xml" href="{self.url}/cap/{name}"/></entry>'
                    for name in self.messages
                )
                feed = (
                    f'<feed xmlns="http://www.w3.org/2005/Atom"><id>{self.url}/cap/feed.atom</id>'
                    f"<title>{self.title}</title>{entries}</feed>"
                )
                return feed.encode(), "application/atom+xml"
            if path.startswith("/cap/") and path[len("/cap/") :] in self.messages:
                return self.messages[path[len("/cap/") :]], "application/cap+xml"
        return None, ""

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
