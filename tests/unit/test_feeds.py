"""Real agencies' CAP feeds read safely, entry by entry; when a feed is asked again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.alerts.adapters.cap_xml import parse_cap_xml
from services.alerts.adapters.feed_files import read_feed
from services.alerts.domain.cap import CapError
from services.alerts.domain.feeds import Feed, FeedError

FEEDS = Path(__file__).resolve().parents[1] / "data" / "cap" / "feeds"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_an_atom_feed_embedding_a_cap_1_1_alert_gives_the_alert():
    [entry] = read_feed((FEEDS / "weather.atom").read_bytes())
    assert entry.id.startswith("http://www.weather.gov/alerts-beta/wwacapget.php")
    message = parse_cap_xml(entry.embedded)
    assert message.infos[0].event == "Flash Flood Watch"


def test_index_feeds_give_the_links_to_their_messages():
    [quake] = read_feed((FEEDS / "earthquake_index.atom").read_bytes())
    assert quake.embedded is None
    assert quake.link == "http://earthquake.usgs.gov/earthquakes/catalogs/cap/us2010apcd"
    assert quake.id == "urn:earthquake-usgs-gov:us:2010apcd"
    items = read_feed((FEEDS / "ny_index.rss").read_bytes())
    assert items[0].id == "NYAlert-ALLHAZALERT-3167113"
    assert items[0].link.endswith("GetCapAlert.aspx?capID=NYAlert-ALLHAZALERT-3167113")


def test_a_prefixed_atom_feed_is_atom_and_an_entry_without_alert_or_link_says_so():
    [amber] = read_feed((FEEDS / "amber.atom").read_bytes())
    assert parse_cap_xml(amber.embedded).infos[0].event == "Child Abduction"
    [empty] = read_feed((FEEDS / "no_link.atom").read_bytes())
    assert empty.embedded is None and empty.link is None


def test_a_hostile_or_broken_feed_is_refused_naming_why():
    with pytest.raises(FeedError, match="DTD or entities"):
        read_feed((FEEDS / "xee.atom").read_bytes())
    whole = (FEEDS / "weather.atom").read_bytes()
    with pytest.raises(FeedError, match="not well-formed"):
        read_feed(whole[: len(whole) // 2])  # broken off mid-document


def test_an_entry_whose_alert_breaks_the_schema_is_read_and_its_alert_refused_on_its_own():
    [entry] = read_feed((FEEDS / "weather_invalid.atom").read_bytes())
    with pytest.raises(CapError, match="identifier"):
        parse_cap_xml(entry.embedded)


def feed(**overrides):
    values = dict(
        id="f1",
        url="https://alertas.copeco.gob.hn/cap/feed.atom",
        sender="COPECO",
        jurisdiction=("HN",),
        interval_seconds=60,
        added_by="cp",
        added_at=NOW,
    )
    return Feed(**{**values, **overrides})


def test_a_failing_feed_is_asked_again_later_and_later_then_as_often_as_before():
    failing = feed()
    waits = []
    for _ in range(8):
        failing = failing.failed(NOW, "down")
        waits.append(failing.next_fetch_at - NOW)
    assert waits[:4] == [
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=16),
    ]
    assert waits[-1] == timedelta(hours=1) and failing.failures == 8
    answered = failing.unchanged(NOW)
    assert (answered.failures, answered.last_error, answered.next_fetch_at) == (
        0,
        None,
        NOW + timedelta(minutes=1),
    )


def test_entries_are_fetched_only_from_the_feeds_own_host_or_those_allowed():
    own = feed(allowed_hosts=("cap.smn.gob.mx",))
    assert own.link_allowed("https://alertas.copeco.gob.hn/cap/1.xml")
    assert own.link_allowed("https://cap.smn.gob.mx/x.xml")
    assert not own.link_allowed("http://cap.smn.gob.mx/x.xml")  # the allowed host over HTTPS only
    assert not own.link_allowed("http://169.254.169.254/latest/meta-data")
    assert not own.link_allowed("file:///etc/passwd")
    # Links a check and an HTTP client would read as two hosts, or another port of the own host.
    assert not own.link_allowed("https://127.0.0.1\\@alertas.copeco.gob.hn/cap/1.xml")
    assert not own.link_allowed("https://user@alertas.copeco.gob.hn/cap/1.xml")
    assert not own.link_allowed("https://alertas.copeco.gob.hn:8443/cap/1.xml")
