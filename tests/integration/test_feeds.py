"""Following an agency's CAP feed served by a real HTTP server the test starts: messages taken once
and in the order they were sent, cheap when nothing changed, entries refused one by one with their
reasons, a feed that breaks off or goes down asked again later — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.alerts.adapters.feed_files import read_feed
from services.alerts.adapters.feed_http import FeedClient
from services.alerts.domain.feeds import FeedError
from services.alerts.entrypoints import app as alerts_app
from services.alerts.service_layer.feeds import read_feed_once
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork
from shared.auth import AUDITOR, CIVIL_PROTECTION
from tests.integration.test_alerts_api import cap
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration
FEEDS = Path(__file__).resolve().parents[1] / "data" / "cap" / "feeds"
SANTO_DOMINGO = "18.40,-70.05 18.40,-69.80 18.60,-69.80 18.60,-70.05 18.40,-70.05"


class Agency:
    """An agency's web server: paths to (status, body, ETag); it answers 304 to a matching ETag
    and counts what it was asked."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, bytes, str | None]] = {}
        self.asked: list[tuple[str, str | None]] = []
        agency = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                agency.asked.append((self.path, self.headers.get("If-None-Match")))
                status, body, etag = agency.pages.get(self.path, (404, b"not here", None))
                if etag is not None and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                if etag is not None:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def index(agency: Agency, *links: str) -> bytes:
    entries = "".join(
        f'<entry><id>{link}</id><title>{link}</title><link rel="related" type="application/cap+xml" '
        f'href="{link if link.startswith("http") else agency.url + link}"/></entry>'
        for link in links
    )
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><id>copeco</id><title>COPECO</title>{entries}</feed>'.encode()


@pytest.fixture
def world(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    agency = Agency()
    yield client, runtime, agency
    agency.stop()
    runtime.engine.dispose()


def test_an_agencys_feed_is_followed_once_in_order_cheaply_and_through_its_failures(world, issuer):
    client, runtime, agency = world
    officer = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    auditor = {"Authorization": f"Bearer {issuer.mint('a', [AUDITOR])}"}
    first = cap("feed-1", "2026-11-20T10:00:00-06:00")
    update = cap(
        "feed-2",
        "2026-11-20T12:00:00-06:00",
        msg_type="Update",
        references=["copeco.gob.hn,feed-1,2026-11-20T10:00:00-06:00"],
    )
    elsewhere = cap("feed-3", "2026-11-20T11:00:00-06:00", polygon=SANTO_DOMINGO)
    agency.pages |= {"/cap/1.xml": (200, first, None), "/cap/2.xml": (200, update, None)}
    agency.pages["/cap/3.xml"] = (200, elsewhere, None)
    # The update is listed before what it updates; one entry is another country's; one links away.
    agency.pages["/feed.atom"] = (
        200,
        index(agency, "/cap/2.xml", "/cap/3.xml", "/cap/1.xml", "http://169.254.169.254/cap.xml"),
        '"v1"',
    )
    added = client.post(
        "/v1/feeds", json={"url": f"{agency.url}/feed.atom", "sender": "COPECO"}, headers=officer
    )
    assert added.status_code == 201, added.get_json()
    feed_id = added.get_json()["id"]

    def units_of_work() -> AlertsUnitOfWork:
        return AlertsUnitOfWork(runtime.session_factory, runtime.outbox)

    def read_now() -> dict:
        """As the reader does at the feed's turn, or an officer asking at once (every other time)."""
        if len(agency.asked) % 2:
            read = client.post(f"/v1/feeds/{feed_id}/read", headers=officer)
            assert read.status_code == 200, read.get_json()
            return read.get_json()
        with units_of_work() as uow:
            feed = uow.feeds.get(feed_id)
        read_feed_once(feed, units_of_work, FeedClient(timeout=5), read_feed)
        return client.get(f"/v1/feeds/{feed_id}", headers=officer).get_json()

    state = read_now()
    assert state["taken"] == 2 and state["failures"] == 0 and state["last_error"] is None
    reasons = {r["entry"]: r["reason"] for r in state["refused"]}
    assert "outside your jurisdiction" in reasons["/cap/3.xml"]
    assert "not on the feed's own host" in reasons["http://169.254.169.254/cap.xml"]
    [incident] = client.get("/v1/alerts", headers=auditor).get_json()
    assert incident["version"] == 2 and incident["sent"].startswith(
        "2026-11-20T12:00"
    )  # taken in the order sent

    # Nothing changed: one conditional request, answered 304; nothing taken or fetched again.
    asked = len(agency.asked)
    state = read_now()
    assert agency.asked[asked:] == [("/feed.atom", '"v1"')] and state["taken"] == 2

    # The feed repeats its entries in another order: nothing is taken twice.
    agency.pages["/feed.atom"] = (200, index(agency, "/cap/1.xml", "/cap/2.xml"), '"v2"')
    assert read_now()["taken"] == 2

    # It breaks off mid-document, then goes down: asked again later, the error kept.
    whole = index(agency, "/cap/1.xml")
    agency.pages["/feed.atom"] = (200, whole[: len(whole) // 2], '"v3"')
    broken = read_now()
    assert broken["failures"] == 1 and "not well-formed" in broken["last_error"]
    agency.stop()
    down = read_now()
    assert down["failures"] == 2 and "could not be reached" in down["last_error"]
    assert down["next_fetch_at"] > broken["next_fetch_at"]
    # Another officer's jurisdiction does not see it; stopping is the officer's.
    other = {"Authorization": f"Bearer {issuer.mint('cp-do', [CIVIL_PROTECTION], ['DO'])}"}
    assert client.get("/v1/feeds", headers=other).get_json() == []
    assert client.delete(f"/v1/feeds/{feed_id}", headers=other).status_code == 404
    assert client.post(f"/v1/feeds/{feed_id}/read", headers=other).status_code == 404
    assert client.delete(f"/v1/feeds/{feed_id}", headers=officer).status_code == 204
    assert client.get("/v1/feeds", headers=officer).get_json() == []


def test_a_feed_embedding_a_real_cap_1_1_alert_is_taken_and_a_hostile_one_refused(world, issuer):
    client, runtime, agency = world
    everywhere = {"Authorization": f"Bearer {issuer.mint('nws', [CIVIL_PROTECTION], ['*'])}"}
    agency.pages["/weather.atom"] = (200, (FEEDS / "weather.atom").read_bytes(), None)
    agency.pages["/xee.atom"] = (200, (FEEDS / "xee.atom").read_bytes(), None)
    ids = [
        client.post(
            "/v1/feeds", json={"url": f"{agency.url}/{name}", "sender": "NWS"}, headers=everywhere
        ).get_json()["id"]
        for name in ("weather.atom", "xee.atom")
    ]

    def units_of_work() -> AlertsUnitOfWork:
        return AlertsUnitOfWork(runtime.session_factory, runtime.outbox)

    for feed_id in ids:
        with units_of_work() as uow:
            feed = uow.feeds.get(feed_id)
        read_feed_once(feed, units_of_work, FeedClient(timeout=5), read_feed)
    weather, xee = (client.get(f"/v1/feeds/{i}", headers=everywhere).get_json() for i in ids)
    assert weather["taken"] == 1 and weather["refused"] == []
    assert xee["taken"] == 0 and "DTD or entities" in xee["last_error"]
    listed = client.get("/v1/alerts", headers=everywhere).get_json()
    assert [a["event"] for a in listed] == ["Flash Flood Watch"]
    bad = client.post("/v1/feeds", json={"url": "file:///etc/passwd", "sender": "x"}, headers=everywhere)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["pointer"] == "/url"


def test_many_feeds_due_at_once_are_each_read_and_one_down_holds_up_none(world, issuer):
    from services.alerts.service_layer.feeds import read_due_feeds

    client, runtime, agency = world
    officer = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    for n in range(12):
        agency.pages[f"/cap/{n}.xml"] = (200, cap(f"many-{n}", f"2026-11-20T10:{n:02d}:00-06:00"), None)
        agency.pages[f"/feed-{n}.atom"] = (200, index(agency, f"/cap/{n}.xml"), f'"{n}"')
        client.post(
            "/v1/feeds", json={"url": f"{agency.url}/feed-{n}.atom", "sender": f"S{n}"}, headers=officer
        )
    client.post("/v1/feeds", json={"url": "http://127.0.0.1:9/down.atom", "sender": "down"}, headers=officer)

    def units_of_work() -> AlertsUnitOfWork:
        return AlertsUnitOfWork(runtime.session_factory, runtime.outbox)

    assert read_due_feeds(units_of_work, FeedClient(timeout=5), read_feed) == 12
    states = {f["sender"]: f for f in client.get("/v1/feeds", headers=officer).get_json()}
    assert all(states[f"S{n}"]["taken"] == 1 for n in range(12))
    assert states["down"]["failures"] == 1 and "could not be reached" in states["down"]["last_error"]
    assert read_due_feeds(units_of_work, FeedClient(timeout=5), read_feed) == 0  # none due again yet


def test_a_message_that_could_not_be_fetched_is_asked_for_again_and_a_trickle_is_given_up(world, issuer):
    client, runtime, agency = world
    officer = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    agency.pages["/cap/1.xml"] = (503, b"busy", None)
    agency.pages["/feed.atom"] = (200, index(agency, "/cap/1.xml"), '"v1"')
    feed_id = client.post(
        "/v1/feeds", json={"url": f"{agency.url}/feed.atom", "sender": "COPECO"}, headers=officer
    ).get_json()["id"]

    def units_of_work() -> AlertsUnitOfWork:
        return AlertsUnitOfWork(runtime.session_factory, runtime.outbox)

    def read() -> dict:
        with units_of_work() as uow:
            feed = uow.feeds.get(feed_id)
        read_feed_once(feed, units_of_work, FeedClient(timeout=5), read_feed)
        return client.get(f"/v1/feeds/{feed_id}", headers=officer).get_json()

    busy = read()
    assert busy["taken"] == 0 and "answered 503" in busy["refused"][0]["reason"]
    agency.pages["/cap/1.xml"] = (200, cap("retry-1", "2026-11-20T10:00:00-06:00"), None)
    assert read()["taken"] == 1  # the feed was asked for whole again, not "if changed"
    # A server trickling its feed is given up at the deadline, not waited on for ever.
    trickle = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    trickle.daemon_threads, trickle.block_on_close = True, False
    threading.Thread(target=trickle.serve_forever, daemon=True).start()
    try:
        with pytest.raises(FeedError, match="took over 1 s"):
            FeedClient(timeout=5, deadline=1.0).feed(
                f"http://127.0.0.1:{trickle.server_address[1]}/", None, None
            )
    finally:
        trickle.shutdown()
        trickle.server_close()


class _Trickle(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        import time

        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(30):
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.2)

    def log_message(self, *args: object) -> None:
        pass


def test_two_reads_of_one_feed_at_once_keep_both_counts(world, issuer):
    """The reader's round and an officer's *read now* overlapping: the one kept last began before
    the other was kept, and must not write its older counts over it."""
    client, runtime, agency = world
    officer = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    agency.pages["/cap/1.xml"] = (200, cap("overlap-1", "2026-11-20T10:00:00-06:00"), None)
    agency.pages["/feed.atom"] = (200, index(agency, "/cap/1.xml"), None)
    feed_id = client.post(
        "/v1/feeds", json={"url": f"{agency.url}/feed.atom", "sender": "S"}, headers=officer
    )
    feed_id = feed_id.get_json()["id"]

    def units_of_work() -> AlertsUnitOfWork:
        return AlertsUnitOfWork(runtime.session_factory, runtime.outbox)

    with units_of_work() as uow:
        began = uow.feeds.get(feed_id)  # as the slower read saw it when it began
    assert began is not None
    assert read_feed_once(began, units_of_work, FeedClient(timeout=5), read_feed) == 1
    assert read_feed_once(began, units_of_work, FeedClient(timeout=5), read_feed) == 0  # already taken
    state = client.get(f"/v1/feeds/{feed_id}", headers=officer).get_json()
    assert state["taken"] == 1 and state["last_error"] is None
