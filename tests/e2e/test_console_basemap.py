"""The console's basemap in headless Chromium: towns named as the zoom makes room, roads drawn thin,
both under the boundaries and the alerts, its sources credited on the map, and not one request
leaving the console's own origin."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

BASEMAP = Path(__file__).resolve().parents[2] / "services/console/static/basemap/do-places-roads.geojson"
ZOOM = "(async () => (await import('/static/map.js')).consoleMap().getZoom())()"
ZOOM_TO = "async (z) => (await import('/static/map.js')).consoleMap().setZoom(z, {animate: false})"
LABELS = "els => els.map(e => e.textContent)"


def towns_from(zoom: int) -> set[str]:
    """The names the file says are shown at ``zoom``."""
    features = json.loads(BASEMAP.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["name"] for f in features if f["properties"].get("z", 99) <= zoom}


def watch_requests(page: Any, url: str) -> tuple[list[str], list[str]]:
    outside: list[str] = []
    basemap: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
    page.on("request", lambda r: basemap.append(r.url) if "/static/basemap/" in r.url else None)
    return outside, basemap


def test_towns_are_named_under_the_alerts_with_nothing_from_another_host(context, country):
    page = context.new_page()
    outside, basemap = watch_requests(page, country["url"])
    sign_in(page, country, "coe-ana")
    page.wait_for_selector("#alert h2:has-text('Fiona tocó tierra')")
    page.wait_for_selector(".town-label")
    zoom = page.evaluate(ZOOM)
    shown = set(page.eval_on_selector_all(".leaflet-basemap-labels-pane .town-label", LABELS))
    assert shown == towns_from(zoom) and "Santo Domingo" in shown
    # Closer in, the smaller towns get their names too.
    page.evaluate(ZOOM_TO, 11)
    page.wait_for_function(f"document.querySelectorAll('.town-label').length === {len(towns_from(11))}")
    closer = set(page.eval_on_selector_all(".town-label", LABELS))
    assert closer == towns_from(11) and len(closer) > len(shown)

    # The dots lie under the boundaries and the alerts' areas, which stay clickable above them.
    z_index = "name => Number(getComputedStyle(document.querySelector(`.leaflet-${name}-pane`)).zIndex)"
    overlays = page.evaluate(z_index, "overlay")
    assert page.evaluate(z_index, "basemap-towns") < overlays
    assert page.evaluate(z_index, "basemap-land") < page.evaluate(z_index, "basemap-towns")
    assert page.locator(".leaflet-basemap-towns-pane path").count() >= len(closer)

    credits = page.inner_text(".leaflet-control-attribution")
    assert "GeoNames" in credits and "OpenStreetMap" in credits
    assert basemap and all(u.startswith(country["url"]) for u in basemap)
    assert outside == []
    assert_accessible(page)


def test_roads_are_drawn_thin_under_the_boundaries(context, country):
    """The bundled file may hold roads (built with --roads): a major road in it is drawn in its pane."""
    collection = json.loads(BASEMAP.read_text(encoding="utf-8"))
    road = {"kind": "major"}
    line = {"type": "LineString", "coordinates": [[-69.89, 18.47], [-70.25, 18.6], [-70.69, 19.45]]}
    collection["features"].insert(0, {"type": "Feature", "properties": road, "geometry": line})
    page = context.new_page()
    page.route(
        "**/static/basemap/do-places-roads.geojson",
        lambda route: route.fulfill(json=collection),
    )
    sign_in(page, country, "coe-ana")
    page.wait_for_selector(".leaflet-basemap-roads-pane path")
    stroke = page.get_attribute(".leaflet-basemap-roads-pane path", "stroke-width")
    assert float(stroke or 0) <= 2
    assert page.locator(".leaflet-basemap-roads-pane path").count() == 1
