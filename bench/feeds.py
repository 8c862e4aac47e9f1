"""Following hundreds of CAP feeds every minute: one round of reading every feed, when none has
changed, beside a plain loop that downloads and parses each feed in turn.

    python -m bench.feeds [--quick] [--feeds 300] [--latency-ms 20]

The feeds are served by a local HTTP server that answers each request after ``--latency-ms`` (an
agency's server is never next door) with ETags. Amparo asks each feed "if changed" and reads eight
at a time; the baseline asks for every feed whole, one after the other. Both must find the same
entries.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import machine, timed


def serve(feeds: int, latency: float) -> tuple[ThreadingHTTPServer, str]:
    """Feeds ``/feed-<n>.atom``, each listing five CAP messages, answered after ``latency`` s."""

    def page(n: int) -> bytes:
        entries = "".join(
            f'<entry><id>feed-{n}-{k}</id><link type="application/cap+xml" href="/cap/{n}-{k}.xml"/></entry>'
            for k in range(5)
        )
        return f'<feed xmlns="http://www.w3.org/2005/Atom"><id>{n}</id>{entries}</feed>'.encode()

    def message(n: int, k: int) -> bytes:
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>bench-{n}-{k}</identifier><sender>agency-{n}.example</sender>
  <sent>2026-11-20T10:{k:02d}:00-06:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><category>Met</category><event>Lluvias</event><urgency>Expected</urgency>
    <severity>Moderate</severity><certainty>Likely</certainty></info>
</alert>""".encode()

    pages = {f"/feed-{n}.atom": page(n) for n in range(feeds)}
    pages |= {f"/cap/{n}-{k}.xml": message(n, k) for n in range(feeds) for k in range(5)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            time.sleep(latency)
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = f'"{hash(body) & 0xFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 feeds")
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args(argv)
    count = 20 if args.quick else args.feeds
    import requests

    from services.alerts.adapters.feed_files import read_feed
    from services.alerts.adapters.feed_http import FeedClient
    from services.alerts.adapters.orm import outbox
    from services.alerts.entrypoints.app import MIGRATIONS
    from services.alerts.service_layer.feeds import AddFeed, add_feed, read_due_feeds
    from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
    from shared import db
    from shared.auth import CIVIL_PROTECTION, Principal

    server, url = serve(count, args.latency_ms / 1000)
    folder = Path(tempfile.mkdtemp(prefix="amparo-bench-feeds-"))
    engine = db.make_engine(f"sqlite:///{folder / 'alerts.db'}")
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)

    def units_of_work() -> AlertsUnitOfWork:
        return AlertsUnitOfWork(sessions, outbox)

    officer = Principal("bench", frozenset({CIVIL_PROTECTION}), ("HN",))
    for n in range(count):
        add_feed(AddFeed(f"{url}/feed-{n}.atom", f"agency {n}", 60, (), officer), units_of_work())

    def due_again() -> None:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE feeds SET next_fetch_at = NULL")

    # A first round takes every feed's five messages and learns its ETag.
    client = FeedClient(timeout=10)
    first = read_due_feeds(units_of_work, client, read_feed)

    def amparo_round() -> int:
        due_again()
        return read_due_feeds(units_of_work, client, read_feed)

    def plain_loop() -> int:
        entries = 0
        for n in range(count):
            body = requests.get(f"{url}/feed-{n}.atom", timeout=10).content
            entries += len(read_feed(body))
        return entries

    repeat = 3
    ours, taken = timed(f"Amparo: {count} unchanged feeds, 1 round", amparo_round, repeat)
    theirs, entries = timed(f"plain loop: {count} feeds downloaded in turn", plain_loop, repeat)
    with units_of_work() as uow:
        states = uow.feeds.every()
    read_ok = sum(1 for f in states if f.last_error is None and f.failures == 0)
    print(f"\n# CAP feeds: {count} feeds, {args.latency_ms:g} ms per answer — {machine()}")
    print(ours.row())
    print(theirs.row())
    speedup = theirs.median / ours.median
    print(
        f"speed-up: {speedup:.1f}×; reading all {count} feeds once a minute takes {ours.median:.2f} s of it"
    )
    print(f"first round: {first} messages taken from {count} feeds")
    print(f"same feeds read: {read_ok == count and entries == 5 * count}; messages taken again: {taken}")
    server.shutdown()
    engine.dispose()


if __name__ == "__main__":
    main()
