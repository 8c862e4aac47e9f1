"""How far a household lies from an alert's areas, over HTTP: inside as the exposure counted it,
and when outside, the nearest area at its geodesic distance (WGS 84), checked against a slow,
obvious measurement; who may ask, and what they are told when they may not.

One alerts app on SQLite for the module (no broker: nothing here is published beyond the outbox).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
import shapely
import shapely.geometry
from pyproj import Geod
from sqlalchemy import select

from services.alerts.adapters.orm import household_locations, outbox
from services.alerts.entrypoints import app as alerts_app
from services.alerts.entrypoints.messages_es import ALERTS, CATALOGUE
from shared.auth import (
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    HOTLINE_OPERATOR,
    PROGRAMME_OFFICER,
    DevIssuer,
)
from shared.events import CloudEvent
from tests.english import english_left_in
from tests.integration.test_alerts_api import add_households
from tests.integration.test_api import make_client
from tests.unit.test_messages_es import message_templates, refusal_classes

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
GEOD = Geod(ellps="WGS84")
#: SMN's real polygon over Chiapas and Oaxaca (2018), reaching into Guatemala's Petén.
MEXICO = ROOT / "tests" / "data" / "cap" / "mexico.xml"

ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>copeco.gob.hn</sender>
  <sent>2026-11-20T10:00:00-06:00</sent><status>Actual</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2099-01-01T00:00:00-06:00</expires>
    {areas}
  </info>
</alert>"""
COAST = (
    "<area><areaDesc>Costa de Choluteca</areaDesc>"
    "<polygon>13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30</polygon></area>"
)
#: A circle east of the coast's polygon: centre (lat 13.50, lon -86.90), 6 km.
CIRCLE = (13.50, -86.90, 6.0)
RING = (
    "<area><areaDesc>Radio de El Corpus</areaDesc>"
    f"<circle>{CIRCLE[0]},{CIRCLE[1]} {CIRCLE[2]}</circle></area>"
)
#: What an answer holds (never the household's coordinates).
ANSWER = {
    "incident_id",
    "alert_version",
    "household_id",
    "located",
    "active",
    "inside",
    "nearest",
    "areas_considered",
}
VALLE = (
    "<area><areaDesc>Departamento de Valle</areaDesc>"
    "<geocode><valueName>ISO3166-2</valueName><value>HN-VA</value></geocode></area>"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The alerts app with households, three alerts (a drawn one with a polygon and a circle, one of
    geocodes, Mexico's real one) and an issuer of tokens."""
    base = tmp_path_factory.mktemp("distance")
    issuer = DevIssuer(base / "dev-issuer").ensure_keys()
    client, runtime = make_client(alerts_app, "alerts", base, "127.0.0.1:1")
    rng = np.random.default_rng(11)
    scattered = list(zip(rng.uniform(-87.40, -86.80, 40), rng.uniform(13.10, 13.60, 40), strict=True))
    homes = {
        "scattered": add_households(runtime.session_factory, scattered, "HN-CH"),
        "petén": add_households(
            runtime.session_factory, [(-90.1, 16.4), (-89.9, 16.9), (-90.3, 16.75)], "GT-PE"
        ),
        "quiché": add_households(runtime.session_factory, [(-91.0, 16.05), (-90.8, 15.6)], "GT-QC"),
        "huehuetenango": add_households(runtime.session_factory, [(-91.3, 16.07)], "GT-HU"),
        "valle": add_households(runtime.session_factory, [(-87.45, 13.42)], "HN-VA"),
        "unlocated_valle": add_households(runtime.session_factory, [(0, 0)], "HN-VA-0101", located=False),
        "unlocated_choluteca": add_households(runtime.session_factory, [(0, 0)], "HN-CH", located=False),
    }
    poster = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['*'])}"}
    alerts = {}
    for name, body in (
        ("drawn", ALERT.format(identifier="d-1", areas=COAST + RING).encode()),
        ("valle", ALERT.format(identifier="v-1", areas=VALLE).encode()),
        ("mexico", MEXICO.read_bytes()),
    ):
        posted = client.post("/v1/alerts", data=body, content_type="application/cap+xml", headers=poster)
        assert posted.status_code == 201, posted.get_json()
        alerts[name] = posted.get_json()
    client.issuer, client.runtime, client.homes, client.alerts = issuer, runtime, homes, alerts
    client.tokens = {}
    yield client
    runtime.engine.dispose()


def ask(app, alert, household, roles=(AUDITOR,), jurisdiction=("*",), **headers):
    return app.get(
        f"/v1/alerts/{alert}/households/{household}/distance",
        headers={**_bearer(app, roles, jurisdiction), **headers},
    )


def exposed(app, incident_id):
    """The households the alert's published exposure named."""
    with app.runtime.session_factory() as session:
        payloads = session.scalars(
            select(outbox.c.payload).where(
                outbox.c.key == incident_id, outbox.c.event_type == "amparo.alerts.exposure.chunk.v1"
            )
        ).all()
    return {h["household_id"] for p in payloads for h in CloudEvent.from_json(p).data["households"]}


def slowest_distance_m(lon, lat, geometry, per_edge=2000):
    """The obvious measurement: every edge cut into ``per_edge`` pieces straight in (lon, lat) — as
    the matching reads an edge — and the least Geod.inv distance to any of their ends."""
    least = np.inf
    for ring in shapely.get_rings(shapely.get_parts(geometry)):
        coords = shapely.get_coordinates(ring)
        t = np.linspace(0.0, 1.0, per_edge + 1)[None, :, None]
        points = (coords[:-1, None, :] * (1 - t) + coords[1:, None, :] * t).reshape(-1, 2)
        _, _, metres = GEOD.inv(
            np.full(len(points), lon), np.full(len(points), lat), points[:, 0], points[:, 1]
        )
        least = min(least, float(metres.min()))
    return least


def agrees(found_km, expected_m):
    return abs(found_km * 1000 - expected_m) <= max(0.01 * expected_m, 20.0)


def test_outside_a_real_cap_polygon_the_distance_is_the_slow_measurements(app):
    alert = app.alerts["mexico"]
    polygon = shapely.geometry.shape(alert["current"]["areas"]["features"][0]["geometry"])
    located = app.homes["petén"] + app.homes["quiché"] + app.homes["huehuetenango"]
    jurisdiction = ("GT",)  # the alert reaches Guatemala: a Guatemalan reader sees it
    distances = []
    for household in located:
        answer = ask(app, alert["id"], household, roles=(HOTLINE_OPERATOR,), jurisdiction=jurisdiction)
        assert answer.status_code == 200, answer.get_json()
        found = answer.get_json()
        assert found["located"] and not found["inside"] and found["areas_considered"] == 1
        assert found["alert_version"] == alert["version"] and found["nearest"]["area"] == "Chis,Oax"
        assert found["nearest"]["statement"] == 0
        lon, lat = _where(app, household)
        expected = slowest_distance_m(lon, lat, polygon)
        assert agrees(found["nearest"]["distance_km"], expected), (household, found, expected)
        distances.append(found["nearest"]["distance_km"])
        # Never where the household lives: these fields, and no others.
        assert set(found) == ANSWER and set(found["nearest"]) == {
            "statement",
            "area",
            "distance_km",
            "bearing_deg",
        }
    assert min(distances) < 5 < 40 < max(distances)  # near an edge and far from it


def test_a_circle_is_measured_to_its_centre_less_its_radius(app):
    alert = app.alerts["drawn"]
    lat0, lon0, radius_km = CIRCLE
    seen = 0
    for household in app.homes["scattered"]:
        found = ask(
            app, alert["id"], household, roles=(PROGRAMME_OFFICER,), jurisdiction=("HN-CH",)
        ).get_json()
        nearest = found["nearest"]
        if found["inside"] or nearest["area"] != "Radio de El Corpus":
            continue
        lon, lat = _where(app, household)
        azimuth, _, metres = GEOD.inv(lon, lat, lon0, lat0)
        assert agrees(nearest["distance_km"], metres - radius_km * 1000)
        assert abs(nearest["distance_km"] * 1000 - (metres - radius_km * 1000)) < 1.0  # to the metre
        assert abs((nearest["bearing_deg"] - azimuth % 360 + 180) % 360 - 180) < 0.1
        seen += 1
    assert seen >= 3


def test_every_household_the_exposure_counted_is_inside_and_no_other(app):
    alert = app.alerts["drawn"]
    counted = exposed(app, alert["id"])
    assert 0 < len(counted) < len(app.homes["scattered"])
    polygon = shapely.box(-87.30, 13.20, -87.10, 13.40)
    for household in app.homes["scattered"]:
        found = ask(app, alert["id"], household, roles=(FIELD_STAFF,), jurisdiction=("HN",)).get_json()
        assert found["inside"] == (household in counted), found
        assert found["areas_considered"] == 2 and found["located"] and found["active"]
        if found["inside"]:
            assert found["nearest"] is None
        elif found["nearest"]["area"] == "Costa de Choluteca":
            lon, lat = _where(app, household)
            assert agrees(found["nearest"]["distance_km"], slowest_distance_m(lon, lat, polygon, 200))


def test_areas_given_by_geocodes_match_households_without_coordinates_by_their_admin_code(app):
    alert = app.alerts["valle"]
    inside = ask(app, alert["id"], app.homes["unlocated_valle"][0]).get_json()
    assert inside == {
        "incident_id": alert["id"],
        "alert_version": 1,
        "household_id": app.homes["unlocated_valle"][0],
        "located": False,
        "active": True,
        "inside": True,
        "nearest": None,
        "areas_considered": 1,
    }
    elsewhere = ask(app, alert["id"], app.homes["unlocated_choluteca"][0]).get_json()
    assert not elsewhere["located"] and not elsewhere["inside"] and elsewhere["nearest"] is None


def test_a_located_household_is_measured_to_the_boundary_its_geocode_resolves_to(app):
    alert = app.alerts["valle"]
    layer = app.get("/v1/admin-areas/ISO3166-2", headers=_bearer(app, [AUDITOR])).get_json()
    valle = next(f["geometry"] for f in layer["features"] if f["properties"]["code"] == "HN-VA")
    valle = shapely.geometry.shape(valle)
    measured = 0
    for household in app.homes["scattered"][:10]:
        found = ask(app, alert["id"], household).get_json()
        lon, lat = _where(app, household)
        assert found["inside"] == valle.covers(shapely.Point(lon, lat))
        if not found["inside"]:
            assert found["nearest"]["area"] == "Departamento de Valle"
            assert agrees(found["nearest"]["distance_km"], slowest_distance_m(lon, lat, valle, 200))
            measured += 1
    assert measured >= 3


def test_who_may_ask_and_what_the_others_are_told(app):
    drawn = app.alerts["drawn"]["id"]
    household = app.homes["scattered"][0]
    assert ask(app, drawn, household, roles=(CIVIL_PROTECTION,)).status_code == 403
    assert ask(app, drawn, household, roles=(CIVIL_PROTECTION, AUDITOR)).status_code == 200
    unknown_id = str(uuid.uuid4())
    unknown = ask(app, drawn, unknown_id, jurisdiction=("HN",))
    # The household lies in Valle: an officer of Choluteca sees the alert, and not the household,
    # told exactly as if there were none.
    valle_home = app.homes["valle"][0]
    hidden = ask(app, drawn, valle_home, jurisdiction=("HN-CH",))
    assert unknown.status_code == hidden.status_code == 404
    assert json.dumps(hidden.get_json()).replace(valle_home, "«id»") == json.dumps(
        unknown.get_json()
    ).replace(unknown_id, "«id»")
    assert ask(app, app.alerts["valle"]["id"], valle_home, jurisdiction=("HN-VA",)).status_code == 200
    assert ask(app, str(uuid.uuid4()), household).status_code == 404
    assert ask(app, drawn, household, jurisdiction=("GT",)).status_code == 403  # Honduras's alert


def test_every_refusal_reads_in_spanish_for_who_asks_for_it(app):
    drawn = app.alerts["drawn"]["id"]
    spanish = {"Accept-Language": "es"}
    refusals = [
        ask(app, drawn, str(uuid.uuid4()), **spanish),  # no such household
        ask(app, drawn, app.homes["valle"][0], jurisdiction=("HN-CH",), **spanish),  # not theirs
        ask(app, str(uuid.uuid4()), app.homes["valle"][0], **spanish),  # no such alert
        ask(app, drawn, app.homes["valle"][0], jurisdiction=("GT",), **spanish),  # not their alert
        ask(app, drawn, app.homes["valle"][0], roles=(CIVIL_PROTECTION,), **spanish),  # not their role
    ]
    assert [r.status_code for r in refusals] == [404, 404, 404, 403, 403]
    said = [r.get_json() for r in refusals]
    assert said[0]["detail"].startswith("no existe el hogar ") and said[0]["title"] == "No encontrado"
    texts = [p["title"] for p in said] + [p["detail"] for p in said]
    texts += [e["detail"] for p in said for e in p.get("errors") or []]
    assert [t for t in texts if english_left_in(t)] == [], said
    # Every message the endpoint's own modules write has its Spanish (values as «1»).
    written = [
        text
        for module in ("service_layer/distances.py", "domain/distances.py")
        for _, text in message_templates(ROOT / "services/alerts" / module, refusal_classes())
    ]
    assert written and [t for t in written if not CATALOGUE.spanish(t)] == []
    assert [s for s in ALERTS.values() if english_left_in(s.replace("{", "«").replace("}", "»"))] == []


def _bearer(app, roles, jurisdiction=("*",)):
    """A token for these roles and jurisdiction, minted once (minting reads the key: 30 ms)."""
    key = (tuple(roles), tuple(jurisdiction))
    if key not in app.tokens:
        app.tokens[key] = app.issuer.mint("reader", list(roles), list(jurisdiction))
    return {"Authorization": f"Bearer {app.tokens[key]}"}


def _where(app, household_id):
    """Where the household is, read from the projection (the answer never says)."""
    c = household_locations.c
    with app.runtime.session_factory() as session:
        return session.execute(select(c.lon, c.lat).where(c.household_id == household_id)).one()
