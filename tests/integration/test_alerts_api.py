"""CAP alerts over HTTP: exposure of real households, lifecycle in any order, events, roles."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from services.alerts.adapters.orm import outbox
from services.alerts.entrypoints import app as alerts_app
from services.alerts.entrypoints.consumer import apply_household_event
from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF
from shared.contracts.households import HOUSEHOLD_REGISTERED
from shared.events import CloudEvent
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "cap"

CAP = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>copeco.gob.hn</sender><sent>{sent}</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{references}
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2099-01-01T00:00:00-06:00</expires><headline>Alerta roja en Choluteca</headline>
    <area><areaDesc>Costa de Choluteca</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>"""
SMALL = "13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30"
LARGE = "13.00,-87.50 13.00,-86.90 13.60,-86.90 13.60,-87.50 13.00,-87.50"


def cap(identifier, sent, msg_type="Alert", polygon=SMALL, references=()):
    refs = f"<references>{' '.join(references)}</references>" if references else ""
    return CAP.format(
        identifier=identifier, sent=sent, msg_type=msg_type, polygon=polygon, references=refs
    ).encode()


def add_households(session_factory, points, admin_code, *, size=3, located=True, **snapshot):
    """Feed the location projection as registry events would (one snapshot per point)."""
    ids = []
    with session_factory.begin() as session:
        for lon, lat in points:
            household_id = str(uuid.uuid4())
            ids.append(household_id)
            location = (
                {"lat": float(lat), "lon": float(lon), "accuracy_m": 10.0, "source": "gps"}
                if located
                else None
            )
            data = {
                "household_id": household_id,
                "version": 1,
                "status": "active",
                "admin_code": admin_code,
                "size": size,
                "location": location,
                **snapshot,
            }
            apply_household_event(
                session, CloudEvent(type=HOUSEHOLD_REGISTERED, source="/t", subject=household_id, data=data)
            )
    return ids


@pytest.fixture
def alerts(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    rng = np.random.default_rng(3)
    points = zip(rng.uniform(-87.6, -86.8, 400), rng.uniform(12.9, 13.7, 400), strict=True)
    add_households(
        runtime.session_factory,
        points,
        "HN-CH",
        size=4,
        members_by_age_band={"0_4": 1, "5_17": 1, "18_64": 2, "65_plus": 0},
        persons_with_disabilities=0,
        female_headed=True,
    )
    client.runtime = runtime
    client.points = None
    return client


def post(alerts, issuer, body, roles=(CIVIL_PROTECTION,), jurisdiction="HN"):
    return alerts.post(
        "/v1/alerts",
        data=body,
        content_type="application/cap+xml",
        headers={"Authorization": f"Bearer {issuer.mint('cp', list(roles), [jurisdiction])}"},
    )


def events(alerts, incident_id):
    with alerts.runtime.session_factory() as session:
        rows = session.execute(
            select(outbox.c.event_type, outbox.c.payload)
            .where(outbox.c.key == incident_id)
            .order_by(outbox.c.position)
        ).all()
    return [(t, CloudEvent.from_json(p).data) for t, p in rows]


def test_an_alert_exposes_the_households_inside_and_says_so_in_aggregates(alerts, issuer):
    response = post(alerts, issuer, cap("a-1", "2026-11-20T10:00:00-06:00"))
    assert response.status_code == 201, response.get_json()
    incident = response.get_json()
    exposure = incident["exposure"]
    assert incident["state"] == "active" and incident["version"] == 1
    assert 0 < exposure["households"] < 400 and exposure["people"] == 4 * exposure["households"]
    assert exposure["children_under_5"] == exposure["households"] == exposure["female_headed"]
    assert exposure["by_area"][0]["admin_code"] == "HN-CH"
    assert exposure["by_band"] == [
        {"band": "Severe", "households": exposure["households"], "people": exposure["people"]}
    ]
    assert "household_id" not in str(exposure)
    assert incident["current"]["areas"]["features"][0]["geometry"]["type"] == "Polygon"
    published = events(alerts, incident["id"])
    assert published[0][0] == "amparo.alerts.alert.issued.v1" and published[0][1]["may_trigger_transfers"]
    chunks = [d for t, d in published if t == "amparo.alerts.exposure.chunk.v1"]
    completed = [d for t, d in published if t == "amparo.alerts.exposure.completed.v1"]
    assert sum(len(c["households"]) for c in chunks) == exposure["households"] == completed[0]["households"]
    read = alerts.get(
        f"/v1/alerts/{incident['id']}", headers={"Authorization": f"Bearer {issuer.mint('a', [AUDITOR])}"}
    )
    assert read.get_json()["exposure"] == exposure


def test_updates_and_cancels_follow_references_in_any_order(alerts, issuer):
    first = post(alerts, issuer, cap("b-1", "2026-11-20T10:00:00-06:00")).get_json()
    ref = "copeco.gob.hn,b-1,2026-11-20T10:00:00-06:00"
    wider = post(alerts, issuer, cap("b-2", "2026-11-20T16:00:00-06:00", "Update", LARGE, [ref])).get_json()
    assert wider["id"] == first["id"] and wider["version"] == 2
    assert wider["exposure"]["households"] > first["exposure"]["households"]
    again = post(alerts, issuer, cap("b-2", "2026-11-20T16:00:00-06:00", "Update", LARGE, [ref]))
    assert again.status_code == 200 and again.get_json()["version"] == 2  # sent twice, changed nothing
    late = post(
        alerts, issuer, cap("b-older", "2026-11-20T12:00:00-06:00", "Update", SMALL, [ref])
    ).get_json()
    assert late["version"] == 2 and late["exposure"] == wider["exposure"]
    assert any(
        "older than the incident's current" in m["warnings"][-1] for m in late["messages"] if m["warnings"]
    )
    cancelled = post(
        alerts, issuer, cap("b-3", "2026-11-20T20:00:00-06:00", "Cancel", SMALL, [ref])
    ).get_json()
    assert cancelled["state"] == "cancelled" and cancelled["version"] == 3
    assert [t for t, _ in events(alerts, first["id"]) if "alert." in t] == [
        "amparo.alerts.alert.issued.v1",
        "amparo.alerts.alert.updated.v1",
        "amparo.alerts.alert.cancelled.v1",
    ]

    # An update that arrives before the alert it updates: the same incident, the update stays current.
    update = post(
        alerts,
        issuer,
        cap(
            "c-2",
            "2026-11-21T16:00:00-06:00",
            "Update",
            LARGE,
            ["copeco.gob.hn,c-1,2026-11-21T10:00:00-06:00"],
        ),
    ).get_json()
    original = post(alerts, issuer, cap("c-1", "2026-11-21T10:00:00-06:00")).get_json()
    assert original["id"] == update["id"] and original["version"] == 1
    assert original["current"]["msg_type"] == "Update" and len(original["messages"]) == 2


def test_real_messages_bad_input_and_roles(alerts, issuer):
    # Mexico's polygon reaches into Guatemala: only an officer for the whole region may post it.
    mexico = post(alerts, issuer, (DATA / "mexico.xml").read_bytes(), jurisdiction="*")
    # A real update from 2018: accepted, followed to its incident, and already expired.
    assert mexico.status_code == 201 and mexico.get_json()["state"] == "expired"
    assert mexico.get_json()["exposure"] is None
    hostile = post(alerts, issuer, (DATA / "nws_xee.cap").read_bytes())
    assert hostile.status_code == 422 and hostile.mimetype == "application/problem+json"
    assert "DTD" in hostile.get_json()["detail"]
    invalid = post(alerts, issuer, (DATA / "invalid.cap").read_bytes())
    assert invalid.status_code == 422 and invalid.get_json()["errors"][0]["pointer"].startswith("/alert")
    swapped = cap(
        "d-1", "2026-11-20T10:00:00-06:00", polygon="-117.3,32.2 -117.1,32.2 -117.1,32.4 -117.3,32.2"
    )
    assert "lon,lat" in post(alerts, issuer, swapped).get_json()["detail"]
    wrong_type = alerts.post(
        "/v1/alerts",
        data=b"{}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"},
    )
    assert wrong_type.status_code == 422
    assert (
        post(alerts, issuer, cap("e-1", "2026-11-20T10:00:00-06:00"), roles=(FIELD_STAFF,)).status_code == 403
    )
    missing = alerts.get(
        f"/v1/alerts/{uuid.uuid4()}", headers={"Authorization": f"Bearer {issuer.mint('a', [AUDITOR])}"}
    )
    assert missing.status_code == 404


def test_an_alerts_texts_are_read_again_from_the_message_in_each_language(alerts, issuer):
    # Environment Canada's watch says the same in English and French; the USGS message is Latin-1.
    canada = post(alerts, issuer, (DATA / "canada.cap").read_bytes(), jurisdiction="*").get_json()
    reader = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['*'])}"}
    said = alerts.get(f"/v1/alerts/{canada['id']}/texts", headers=reader).get_json()
    texts = {t["language"]: t for s in said for t in s["texts"]}
    assert set(texts) == {"en-CA", "fr-CA"}
    assert texts["en-CA"]["sender_name"] == "Environment Canada"
    assert texts["en-CA"]["instruction"] == "Monitor local conditions and take appropriate precautions"
    assert texts["fr-CA"]["headline"] == "veille d'orages violents"
    assert texts["fr-CA"]["description"].startswith("C'est l'épreuve - ce message de PAC a été créé")
    summary = alerts.get(f"/v1/alerts/{canada['id']}", headers=reader).get_json()["current"]["statements"]
    assert [s["statement"] for s in said] == [s["statement"] for s in summary]

    latin = (DATA / "earthquake-iso8859-1.cap").read_bytes()
    quake = post(alerts, issuer, latin, jurisdiction="*").get_json()
    (only,) = alerts.get(f"/v1/alerts/{quake['id']}/texts", headers=reader).get_json()
    original = latin.decode("iso-8859-1")
    assert only["texts"][0]["sender_name"] == "U.S. Geological Survey"
    assert only["texts"][0]["description"] and only["texts"][0]["description"][:40] in original
    assert alerts.get(f"/v1/alerts/{uuid.uuid4()}/texts", headers=reader).status_code == 404


def test_what_if_areas_and_grid_for_maps(alerts, issuer):
    planner = {"Authorization": f"Bearer {issuer.mint('po', ['programme_officer'], ['HN'])}"}
    drawn = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "Marcovia"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-87.3, 13.2], [-87.1, 13.2], [-87.1, 13.4], [-87.3, 13.4], [-87.3, 13.2]]
                    ],
                },
            }
        ],
    }
    import json as _json

    what_if = alerts.post(
        "/v1/alerts/what-if", data=_json.dumps(drawn), content_type="application/geo+json", headers=planner
    )
    assert what_if.status_code == 200, what_if.get_json()
    draft = what_if.get_json()["exposure"]
    issued = post(alerts, issuer, cap("w-1", "2026-11-20T10:00:00-06:00")).get_json()
    # The same area, the same households (a drawn area has no severity band, and is matched at
    # once over every partition); the draft stored nothing.
    assert issued["exposure"]["partitions_matched"] == issued["exposure"]["partition_count"]
    assert draft == {
        k: v
        for k, v in issued["exposure"].items()
        if k not in ("by_band", "partitions_matched", "partition_count")
    }
    line = {"type": "LineString", "coordinates": [[-87.3, 13.2], [-87.1, 13.2]]}
    refused = alerts.post(
        "/v1/alerts/what-if", data=_json.dumps(line), content_type="application/geo+json", headers=planner
    )
    assert refused.status_code == 422 and "encloses no area" in refused.get_json()["detail"]

    areas = alerts.get(f"/v1/alerts/{issued['id']}/areas", headers=planner)
    assert (
        areas.mimetype == "application/geo+json"
        and areas.get_json()["features"][0]["geometry"]["type"] == "Polygon"
    )
    grid = alerts.get(f"/v1/alerts/{issued['id']}/exposure-grid?cell_deg=0.1", headers=planner).get_json()
    shown = [f["properties"]["households"] for f in grid["features"] if f["properties"]["households"]]
    hidden = [f for f in grid["features"] if f["properties"]["households"] is None]
    assert sum(shown) + 0 <= issued["exposure"]["households"] and all(n >= 3 for n in shown)
    assert all(f["properties"]["fewer_than"] == 3 for f in hidden)
    assert "household_id" not in str(grid)


GEOCODED = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>g-1</identifier><sender>copeco.gob.hn</sender><sent>2026-11-20T10:00:00-06:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><category>Met</category><event>Lluvias intensas</event><urgency>Expected</urgency>
    <severity>Severe</severity><certainty>Likely</certainty><expires>2099-01-01T00:00:00-06:00</expires>
    <area><areaDesc>Departamento de Choluteca</areaDesc>
      <geocode><valueName>ISO3166-2</valueName><value>HN-CH</value></geocode>
      <geocode><valueName>ISO3166-2</valueName><value>HN-ZZ</value></geocode>
      <geocode><valueName>FIPS6</valueName><value>HO06</value></geocode></area>
  </info>
</alert>"""


def test_geocodes_resolve_through_the_reference_layer_and_unlocated_homes_match_by_code(alerts, issuer):
    for code in ("HN-CH", "HN-CH-0601", "HN-VA"):
        add_households(alerts.runtime.session_factory, [(0, 0)], code, size=2, located=False)
    incident = post(alerts, issuer, GEOCODED.encode()).get_json()
    exposure = incident["exposure"]
    # The oracle: the department's shape in the bundled layer, covers() on every located home.
    import json as _json

    import shapely

    from services.alerts.adapters.orm import household_locations
    from services.alerts.entrypoints.app import BUNDLED_LAYER

    layer = _json.loads(BUNDLED_LAYER.read_text())
    choluteca = shapely.geometry.shape(
        next(f for f in layer["features"] if f["properties"]["ISO3166-2"] == "HN-CH")["geometry"]
    )
    with alerts.runtime.session_factory() as session:
        points = session.execute(
            select(household_locations.c.lon, household_locations.c.lat).where(
                household_locations.c.lon.is_not(None)
            )
        ).all()
    inside = sum(bool(choluteca.covers(shapely.Point(lon, lat))) for lon, lat in points)
    assert exposure["households"] == inside + 2
    assert exposure["matched_by_admin_code"] == 2  # HN-CH and HN-CH-0601 without coordinates, not HN-VA
    warnings = " ".join(incident["warnings"])
    assert (
        "'HN-ZZ' matches nothing" in warnings and "no reference layer for geocode scheme 'FIPS6'" in warnings
    )


def test_a_polygon_written_lon_lat_is_refused_when_its_mirror_lies_in_a_served_area(alerts, issuer):
    swapped = cap(
        "s-1", "2026-11-20T10:00:00-06:00", polygon="-87.30,13.20 -87.10,13.20 -87.10,13.40 -87.30,13.20"
    )
    response = post(alerts, issuer, swapped)
    assert response.status_code == 422 and "swapped" in response.get_json()["detail"]
    assert response.get_json()["errors"][0]["pointer"] == "/info/0/area/0"


def test_operators_load_reference_layers_and_bad_layers_are_refused(alerts, issuer):
    import json as _json

    operator = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    layers = alerts.get("/v1/admin-areas", headers=operator).get_json()
    assert layers == [{"scheme": "ISO3166-2", "areas": 88, "problems": []}]
    municipality = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"COD_MUNI": "0601"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-87.25, 13.25], [-87.1, 13.25], [-87.1, 13.35], [-87.25, 13.35], [-87.25, 13.25]]
                    ],
                },
            },
            {"type": "Feature", "properties": {}, "geometry": None},
        ],
    }
    loaded = alerts.post(
        "/v1/admin-areas?scheme=INE-HN&code_property=COD_MUNI",
        data=_json.dumps(municipality),
        content_type="application/geo+json",
        headers=operator,
    ).get_json()
    assert loaded["areas"] == 1 and "no 'COD_MUNI' property" in loaded["problems"][0]
    refused = alerts.post(
        "/v1/admin-areas?scheme=XY&code_property=code",
        data=_json.dumps({"type": "Point"}),
        content_type="application/geo+json",
        headers=operator,
    )
    assert refused.status_code == 422 and "FeatureCollection" in refused.get_json()["detail"]
    missing = alerts.post("/v1/admin-areas", data="{}", content_type="application/geo+json", headers=operator)
    assert {"/query/scheme", "/query/code_property"} <= {e["pointer"] for e in missing.get_json()["errors"]}


def test_alerts_expire_by_themselves(alerts, issuer):
    from datetime import UTC, datetime

    from services.alerts.service_layer.alerts import expire_due
    from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork

    body = cap("x-1", "2026-11-20T10:00:00-06:00").replace(
        b"2099-01-01T00:00:00-06:00", b"2030-01-01T00:00:00-06:00"
    )
    incident = post(alerts, issuer, body).get_json()
    runtime = alerts.runtime
    assert (
        expire_due(
            AlertsUnitOfWork(runtime.session_factory, runtime.outbox), datetime(2029, 1, 1, tzinfo=UTC)
        )
        == 0
    )
    assert (
        expire_due(
            AlertsUnitOfWork(runtime.session_factory, runtime.outbox), datetime(2031, 1, 1, tzinfo=UTC)
        )
        == 1
    )
    read = alerts.get(
        f"/v1/alerts/{incident['id']}", headers={"Authorization": f"Bearer {issuer.mint('a', [AUDITOR])}"}
    ).get_json()
    assert read["state"] == "expired" and read["version"] == 2
    assert events(alerts, incident["id"])[-1][0] == "amparo.alerts.alert.expired.v1"


def _geotiff(crs: str | None, values, transform) -> bytes:
    import rasterio
    from rasterio.io import MemoryFile

    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            height=values.shape[0],
            width=values.shape[1],
            count=1,
            dtype="float32",
            crs=crs,
            transform=transform,
            nodata=-9999.0,
        ) as dataset:
            dataset.write(values.astype("float32"), 1)
        del rasterio
        return memory.read()


def _locations(alerts):
    from services.alerts.adapters.location_cache import load_locations

    with alerts.runtime.session_factory() as session:
        return load_locations(session)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:32616"])
def test_raster_footprints_in_any_crs_band_every_home(alerts, issuer, crs):
    from pyproj import Transformer
    from rasterio.transform import from_origin

    # A flood-depth raster over Choluteca: depth rises from west to east, 0 m to 3 m.
    if crs == "EPSG:4326":
        west, north, size, cells = -87.7, 13.8, 0.01, 100
        transform = from_origin(west, north, size, size)
    else:
        x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(-87.7, 13.8)
        size, cells = 1000.0, 100
        transform = from_origin(x, y, size, size)
    depth = np.tile(np.linspace(0, 3, cells), (cells, 1))
    depth[0, :] = -9999.0  # nodata in the first row
    raw = _geotiff(crs, depth, transform)
    thresholds = '[{"band": "moderate", "min": 0.5}, {"band": "severe", "min": 1.5}]'
    response = alerts.post(
        f"/v1/footprints?kind=flood_depth&thresholds={thresholds}",
        data=raw,
        content_type="image/tiff",
        headers={"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"},
    )
    assert response.status_code == 201, response.get_json()
    result = response.get_json()
    assert result["crs"] == crs and result["units"] == "m"

    # The oracle: rasterio's own sample() at every household point, in the raster's CRS.
    import rasterio
    from rasterio.io import MemoryFile

    columns = _locations(alerts)
    with MemoryFile(raw) as memory, memory.open() as dataset:
        xs, ys = Transformer.from_crs("EPSG:4326", dataset.crs, always_xy=True).transform(
            columns["lon"], columns["lat"]
        )
        sampled = np.array(
            [v[0] for v in dataset.sample(zip(xs, ys, strict=True), masked=True)], dtype=object
        )
    expected = {"moderate": 0, "severe": 0}
    for value in sampled:
        if value is np.ma.masked or value is None:
            continue
        value = float(value)
        if value >= 1.5:
            expected["severe"] += 1
        elif value >= 0.5:
            expected["moderate"] += 1
    got = {b["band"]: b["households"] for b in result["exposure"]["by_band"]}
    assert got == expected and sum(got.values()) == result["exposure"]["households"] > 0
    del rasterio


def test_vector_footprints_and_rasters_without_crs(alerts, issuer):
    import json as _json

    from rasterio.transform import from_origin

    operator = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    swath = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"RADII": 34},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-87.7, 12.8], [-86.7, 12.8], [-86.7, 13.8], [-87.7, 13.8], [-87.7, 12.8]]
                    ],
                },
            },
            {
                "type": "Feature",
                "properties": {"RADII": 64},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-87.3, 13.2], [-87.1, 13.2], [-87.1, 13.4], [-87.3, 13.4], [-87.3, 13.2]]
                    ],
                },
            },
        ],
    }
    thresholds = '[{"band": "tropical_storm", "min": 34}, {"band": "hurricane", "min": 64}]'
    result = alerts.post(
        f"/v1/footprints?kind=wind_speed&intensity_property=RADII&thresholds={thresholds}",
        data=_json.dumps(swath),
        content_type="application/geo+json",
        headers=operator,
    ).get_json()
    bands = {b["band"]: b["households"] for b in result["exposure"]["by_band"]}
    assert bands["tropical_storm"] + bands["hurricane"] == 400 and bands["hurricane"] > 0

    no_crs = _geotiff(None, np.ones((10, 10)), from_origin(-87.7, 13.8, 0.1, 0.1))
    refused = alerts.post(
        f"/v1/footprints?kind=flood_depth&thresholds={thresholds}",
        data=no_crs,
        content_type="image/tiff",
        headers=operator,
    )
    assert refused.status_code == 422 and "no CRS" in refused.get_json()["detail"]
    garbage = alerts.post(
        f"/v1/footprints?kind=flood_depth&thresholds={thresholds}",
        data=b"not a tiff",
        content_type="image/tiff",
        headers=operator,
    )
    assert garbage.status_code == 422 and "not a readable raster" in garbage.get_json()["detail"]
    bad = alerts.post(
        "/v1/footprints?kind=earthquake&thresholds=[]", data=b"", content_type="image/tiff", headers=operator
    )
    assert bad.status_code == 422 and "/query/kind" in {e["pointer"] for e in bad.get_json()["errors"]}


def test_cap_json_is_read_like_cap_xml(alerts, issuer):
    import json as _json

    message = {
        "alert": {
            "identifier": "j-1",
            "sender": "copeco.gob.hn",
            "sent": "2026-11-20T10:00:00-06:00",
            "status": "Actual",
            "msgType": "Alert",
            "scope": "Public",
            "info": [
                {
                    "language": "es-HN",
                    "category": ["Met"],
                    "event": "Tormenta tropical",
                    "urgency": "Expected",
                    "severity": "Severe",
                    "certainty": "Likely",
                    "expires": "2099-01-01T00:00:00-06:00",
                    "area": [{"areaDesc": "Costa de Choluteca", "polygon": [SMALL]}],
                }
            ],
        }
    }
    as_json = alerts.post(
        "/v1/alerts",
        data=_json.dumps(message),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"},
    )
    assert as_json.status_code == 201, as_json.get_json()
    as_xml = post(alerts, issuer, cap("x-json-twin", "2026-11-20T10:00:00-06:00")).get_json()
    assert as_json.get_json()["exposure"] == as_xml["exposure"]
    message["alert"]["colour"] = "red"
    refused = alerts.post(
        "/v1/alerts",
        data=_json.dumps(message),
        content_type="application/json",
        headers={"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"},
    )
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/alert/colour"


def test_published_alert_events_match_their_documented_contract(alerts, issuer):
    import yaml

    document = yaml.safe_load(
        (Path(__file__).resolve().parents[2] / "services/alerts/asyncapi.yaml").read_text()
    )
    schemas = document["components"]["schemas"]
    names = {
        m["name"]: m["payload"]["$ref"].rsplit("/", 1)[-1]
        for m in document["components"]["messages"].values()
    }
    incident = post(alerts, issuer, cap("k-1", "2026-11-20T10:00:00-06:00")).get_json()
    for event_type, data in events(alerts, incident["id"]):
        schema = schemas[names[event_type]]
        assert set(schema["required"]) <= set(data), event_type
        assert set(data) <= set(schema["properties"]), (event_type, set(data) - set(schema["properties"]))
        # Each exposed household names its statement, as documented.
        item = schema["properties"].get("households", {}).get("items", {})
        for household in data["households"] if isinstance(data.get("households"), list) else []:
            assert set(item["required"]) <= set(household) <= set(item["properties"]), household
            assert household["statement"] == 0


HAZARD = Path(__file__).resolve().parents[1] / "data" / "hazard"


def test_the_real_fiona_wind_swath_shapefile_bands_homes_like_a_plain_spatial_join(alerts, issuer):
    import io
    import zipfile

    import geopandas
    import shapely

    rng = np.random.default_rng(9)
    points = np.column_stack([rng.uniform(-71.5, -65.0, 3000), rng.uniform(17.0, 20.5, 3000)])
    add_households(alerts.runtime.session_factory, points, "DO-01")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for suffix in ("shp", "dbf", "shx", "prj"):
            archive.write(HAZARD / f"AL072022_windswath.{suffix}", f"fiona/AL072022_windswath.{suffix}")
    thresholds = '[{"band": "tropical_storm", "min": 34}, {"band": "strong", "min": 50}, ' + (
        '{"band": "hurricane", "min": 64}]'
    )
    response = alerts.post(
        f"/v1/footprints?kind=wind_speed&intensity_property=RADII&thresholds={thresholds}",
        data=buffer.getvalue(),
        content_type="application/zip",
        headers={"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['DO'])}"},
    )
    assert response.status_code == 201, response.get_json()
    got = {b["band"]: b["households"] for b in response.get_json()["exposure"]["by_band"]}

    # The oracle: geopandas reads the shapefile, and each home takes the highest RADII covering it.
    swath = geopandas.read_file(HAZARD / "AL072022_windswath.shp").to_crs("EPSG:4326")
    homes = shapely.points(points)
    strongest = np.full(len(points), np.nan)
    for radii, geometry in zip(swath["RADII"], swath.geometry, strict=True):
        strongest[shapely.covers(geometry, homes)] = np.fmax(
            strongest[shapely.covers(geometry, homes)], radii
        )
    expected = {
        "tropical_storm": int((strongest == 34).sum()),
        "strong": int((strongest == 50).sum()),
        "hurricane": int((strongest == 64).sum()),
    }
    assert got == expected and got["hurricane"] > 0


def test_the_real_flood_raster_without_crs_is_refused_then_read_in_the_declared_crs(alerts, issuer):
    import rasterio

    raw = (HAZARD / "SC22000_VE__M1.grd.gz").read_bytes()
    with rasterio.open(f"/vsigzip/{HAZARD / 'SC22000_VE__M1.grd.gz'}") as dataset:
        left, bottom, right, top = dataset.bounds
        rng = np.random.default_rng(4)
        points = np.column_stack([rng.uniform(left, right, 2000), rng.uniform(bottom, top, 2000)])
        oracle = np.array([v[0] for v in dataset.sample(points.tolist())], dtype=float)
    add_households(alerts.runtime.session_factory, points, "VE-X")
    operator = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['*'])}"}
    thresholds = '[{"band": "moderate", "min": 0.5}, {"band": "severe", "min": 1.5}]'
    refused = alerts.post(
        f"/v1/footprints?kind=flood_depth&thresholds={thresholds}",
        data=raw,
        content_type="application/gzip",
        headers=operator,
    )
    assert refused.status_code == 422 and "declares no CRS" in refused.get_json()["detail"]
    read = alerts.post(
        f"/v1/footprints?kind=flood_depth&thresholds={thresholds}&crs=EPSG:4326",
        data=raw,
        content_type="application/gzip",
        headers=operator,
    )
    assert read.status_code == 201, read.get_json()
    got = {b["band"]: b["households"] for b in read.get_json()["exposure"]["by_band"]}
    assert got == {
        "moderate": int(((oracle >= 0.5) & (oracle < 1.5)).sum()),
        "severe": int((oracle >= 1.5).sum()),
    }
    assert sum(got.values()) > 0


def test_maps_read_the_alert_list_the_boundaries_and_a_footprints_features(alerts, issuer):
    """What the console draws: the latest alerts, the reference layer, an alert's footprints."""
    import json as _json

    from shared.auth import APPROVER, PAYMENTS_OFFICER

    created = post(alerts, issuer, cap("maps-1", "2026-11-20T10:00:00-06:00")).get_json()
    for roles in ([CIVIL_PROTECTION], [APPROVER], [PAYMENTS_OFFICER], [AUDITOR]):
        reader = {"Authorization": f"Bearer {issuer.mint('reader', roles, ['HN'])}"}
        listed = alerts.get("/v1/alerts?limit=5", headers=reader)
        assert listed.status_code == 200, roles
    (first,) = [a for a in listed.get_json() if a["id"] == created["id"]]
    assert first["headline"] == "Alerta roja en Choluteca" and first["severity"] == "Severe"
    assert first["households"] == created["exposure"]["households"] > 0
    field = {"Authorization": f"Bearer {issuer.mint('fs', [FIELD_STAFF], ['HN'])}"}
    assert alerts.get("/v1/alerts", headers=field).status_code == 403
    assert alerts.get("/v1/alerts?limit=0", headers=reader).status_code == 422

    layer = alerts.get("/v1/admin-areas/ISO3166-2", headers=reader)
    assert layer.mimetype == "application/geo+json"
    codes = {f["properties"]["code"] for f in layer.get_json()["features"]}
    assert {"HN-CH", "DO-11", "GT-GU", "BZ-BZ"} <= codes
    missing = alerts.get("/v1/admin-areas/NUTS", headers=reader)
    assert missing.status_code == 404 and "NUTS" in missing.get_json()["detail"]

    operator = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    square = [[-87.7, 12.8], [-86.7, 12.8], [-86.7, 13.8], [-87.7, 13.8], [-87.7, 12.8]]
    swath = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"wind_kt": 50},
                "geometry": {"type": "Polygon", "coordinates": [square]},
            }
        ],
    }
    thresholds = '[{"band": "Severe", "min": 50}]'
    footprint = alerts.post(
        f"/v1/footprints?kind=wind_speed&intensity_property=wind_kt&thresholds={thresholds}"
        f"&incident_id={created['id']}",
        data=_json.dumps(swath),
        content_type="application/geo+json",
        headers=operator,
    ).get_json()
    listed = alerts.get(f"/v1/footprints?incident_id={created['id']}", headers=reader).get_json()
    assert [f["id"] for f in listed] == [footprint["id"]]
    # Its exposure names the alert version it was matched under (transfers waits for it).
    published = [d for t, d in events(alerts, created["id"]) if d.get("footprint_id") == footprint["id"]]
    assert published and {d["alert_version"] for d in published} == {created["version"]}
    assert listed[0]["exposure"]["by_band"] == footprint["exposure"]["by_band"]
    geometry = alerts.get(f"/v1/footprints/{footprint['id']}/geometry", headers=reader).get_json()
    assert geometry["features"][0]["properties"] == {"wind_kt": 50, "intensity": 50}
    assert listed[0]["thresholds"] == [{"band": "Severe", "min": 50}]
    assert alerts.get("/v1/footprints/nope/geometry", headers=reader).status_code == 404
    assert alerts.get("/v1/footprints?incident_id=nope", headers=reader).status_code == 404
    assert alerts.get("/v1/footprints", headers=reader).status_code == 422


def test_a_drawn_area_around_one_or_two_homes_tells_nothing_about_who_lives_there(alerts, issuer):
    import json as _json

    lonely = add_households(
        alerts.runtime.session_factory,
        [(-88.9, 14.9), (-88.9005, 14.9005)],
        "HN-CP",
        size=5,
        members_by_age_band={"0_4": 2, "5_17": 1, "18_64": 1, "65_plus": 1},
        persons_with_disabilities=1,
    )
    assert len(lonely) == 2
    planner = {"Authorization": f"Bearer {issuer.mint('po', ['programme_officer'], ['HN'])}"}
    square = [[-88.91, 14.89], [-88.89, 14.89], [-88.89, 14.91], [-88.91, 14.91], [-88.91, 14.89]]
    around = {"type": "Polygon", "coordinates": [square]}
    exposure = alerts.post(
        "/v1/alerts/what-if", data=_json.dumps(around), content_type="application/geo+json", headers=planner
    ).get_json()["exposure"]
    assert exposure["households"] is None and exposure["fewer_than"] == 3
    assert exposure["children_under_5"] is None and exposure["persons_with_disabilities"] is None
    assert all(a["households"] is None and a["people"] is None for a in exposure["by_area"])
    empty = {"type": "Polygon", "coordinates": [[[-80, 10], [-79.9, 10], [-79.9, 10.1], [-80, 10]]]}
    nothing = alerts.post(
        "/v1/alerts/what-if", data=_json.dumps(empty), content_type="application/geo+json", headers=planner
    ).get_json()["exposure"]
    assert nothing["households"] == 0 and "fewer_than" not in nothing


def test_an_officer_alerts_updates_and_cancels_only_inside_their_jurisdiction(alerts, issuer):
    import json as _json

    def as_officer(body, jurisdiction):
        token = issuer.mint(f"cp-{jurisdiction}", [CIVIL_PROTECTION], [jurisdiction])
        return alerts.post(
            "/v1/alerts",
            data=body,
            content_type="application/cap+xml",
            headers={"Authorization": f"Bearer {token}"},
        )

    auditor = {"Authorization": f"Bearer {issuer.mint('a', [AUDITOR])}"}
    santo_domingo = "18.40,-70.05 18.40,-69.80 18.60,-69.80 18.60,-70.05 18.40,-70.05"
    over_another_country = as_officer(cap("j-1", "2026-11-20T10:00:00-06:00", polygon=santo_domingo), "HN")
    assert over_another_country.status_code == 403, over_another_country.get_json()
    problem = over_another_country.get_json()
    assert problem["errors"][0]["pointer"] == "/info/0/area/0"
    assert "covers DO-" in problem["errors"][0]["detail"] and "(HN)" in problem["detail"]
    assert alerts.get("/v1/alerts", headers=auditor).get_json() == []
    assert events(alerts, "j-1") == []
    denied = alerts.get("/v1/audit-log?outcome=denied", headers=auditor).get_json()["items"]
    assert any(e["by"] == "cp-HN" for e in denied)

    issued = as_officer(cap("j-2", "2026-11-20T10:00:00-06:00"), "HN-CH")
    assert issued.status_code == 201, issued.get_json()
    cancel = cap(
        "j-3",
        "2026-11-20T11:00:00-06:00",
        msg_type="Cancel",
        polygon=santo_domingo,
        references=["copeco.gob.hn,j-2,2026-11-20T10:00:00-06:00"],
    )
    from_elsewhere = as_officer(cancel, "DO")
    assert from_elsewhere.status_code == 403
    assert "as the alert stands" in str(from_elsewhere.get_json()["errors"])
    still = alerts.get(f"/v1/alerts/{issued.get_json()['id']}", headers=auditor).get_json()
    assert still["state"] == "active" and still["version"] == 1
    assert still["current"]["admin_codes"] == ["HN-CH"]

    # Reading is limited to one's jurisdiction too: the alert list, the alert, its areas and grid.
    incident_id = issued.get_json()["id"]
    elsewhere = {"Authorization": f"Bearer {issuer.mint('cp-DO', [CIVIL_PROTECTION], ['DO'])}"}
    neighbour = {"Authorization": f"Bearer {issuer.mint('cp-HN-VA', [CIVIL_PROTECTION], ['HN-VA'])}"}
    assert alerts.get("/v1/alerts", headers=elsewhere).get_json() == []
    assert [a["id"] for a in alerts.get("/v1/alerts", headers=auditor).get_json()] == [incident_id]
    for path in ("", "/areas", "/exposure-grid", "/texts"):
        refused = alerts.get(f"/v1/alerts/{incident_id}{path}", headers=elsewhere)
        assert refused.status_code == 403, (path, refused.get_json())
    assert alerts.get(f"/v1/footprints?incident_id={incident_id}", headers=neighbour).status_code == 403
    # Nobody counts another country's families with a drawn what-if either.
    over_santo_domingo = {
        "type": "Polygon",
        "coordinates": [
            [[-70.05, 18.40], [-69.80, 18.40], [-69.80, 18.60], [-70.05, 18.60], [-70.05, 18.40]]
        ],
    }
    planner = {"Authorization": f"Bearer {issuer.mint('po', ['programme_officer'], ['HN'])}"}
    counted = alerts.post(
        "/v1/alerts/what-if",
        data=_json.dumps(over_santo_domingo),
        content_type="application/geo+json",
        headers=planner,
    )
    assert counted.status_code == 403, counted.get_json()
    # A footprint only for an alert wholly in one's areas, and its features inside them too.
    square = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"RADII": 64},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-87.3, 13.2], [-87.1, 13.2], [-87.1, 13.4], [-87.3, 13.2]]],
                },
            }
        ],
    }
    from urllib.parse import quote

    thresholds = quote('[{"band": "Severe", "min": 50}]')
    query = f"/v1/footprints?kind=wind_speed&intensity_property=RADII&thresholds={thresholds}"
    for headers, link in ((elsewhere, f"&incident_id={incident_id}"), (elsewhere, "")):
        uploaded = alerts.post(
            query + link, data=_json.dumps(square), content_type="application/geo+json", headers=headers
        )
        assert uploaded.status_code == 403, uploaded.get_json()
    own = {"Authorization": f"Bearer {issuer.mint('cp-HN', [CIVIL_PROTECTION], ['HN'])}"}
    uploaded = alerts.post(
        query + f"&incident_id={incident_id}",
        data=_json.dumps(square),
        content_type="application/geo+json",
        headers=own,
    )
    assert uploaded.status_code == 201, uploaded.get_json()


TWO_STATEMENTS = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>two-statements</identifier><sender>copeco.gob.hn</sender>
  <sent>2026-11-20T10:00:00-06:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Possible</certainty>
    <area><areaDesc>Oeste</areaDesc><polygon>{west}</polygon></area>
  </info>
  <info><language>es-HN</language><category>Met</category><event>Huracán</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <parameter><valueName>viento_kmh</valueName><value>180</value></parameter>
    <area><areaDesc>Este</areaDesc><polygon>{east}</polygon></area>
  </info>
  <info><language>en-US</language><category>Met</category><event>Hurricane</event>
    <urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>
    <parameter><valueName>viento_kmh</valueName><value>180</value></parameter>
    <area><areaDesc>East</areaDesc><polygon>{east}</polygon></area>
  </info>
</alert>"""


def test_every_info_is_its_own_statement_and_each_household_takes_the_strongest_covering_it(alerts, issuer):
    west = "12.90,-87.60 12.90,-87.20 13.70,-87.20 13.70,-87.60 12.90,-87.60"
    east = "12.90,-87.30 12.90,-86.80 13.70,-86.80 13.70,-87.30 12.90,-87.30"
    response = post(alerts, issuer, TWO_STATEMENTS.format(west=west, east=east).encode())
    assert response.status_code == 201, response.get_json()
    incident = response.get_json()
    said = incident["current"]["statements"]
    # The English block says what the second Spanish one says: one statement in two languages.
    assert [(s["statement"], s["infos"], s["severity"], s["urgency"], s["certainty"]) for s in said] == [
        (0, [0], "Moderate", "Expected", "Possible"),
        (1, [1, 2], "Extreme", "Immediate", "Observed"),
    ]
    assert said[1]["languages"] == ["es-HN", "en-US"]
    assert said[1]["parameters"] == [{"name": "viento_kmh", "value": "180"}]
    features = incident["current"]["areas"]["features"]
    assert [f["properties"]["statement"] for f in features] == [0, 1, 1]

    with alerts.runtime.session_factory() as session:
        from services.alerts.adapters.orm import household_locations

        located = {
            r.household_id: r.lon
            for r in session.execute(select(household_locations)).all()
            if r.lon is not None
        }
    households = [
        h
        for t, d in events(alerts, incident["id"])
        if t == "amparo.alerts.exposure.chunk.v1"
        for h in d["households"]
    ]
    # The oracle: east of -87.3 the Extreme statement covers a household; west of -87.2 only the
    # Moderate one; between them both, and the stronger holds.
    for household in households:
        lon = located[household["household_id"]]
        expected = (1, "Extreme") if lon >= -87.3 else (0, "Moderate")
        assert (household["statement"], household["band"]) == expected, (lon, household)
    assert len(households) == len(located) == incident["exposure"]["households"]
    by_band = {b["band"]: b["households"] for b in incident["exposure"]["by_band"]}
    assert by_band == {
        "Extreme": sum(lon >= -87.3 for lon in located.values()),
        "Moderate": sum(lon < -87.3 for lon in located.values()),
    }


def test_households_registered_or_moved_after_the_alert_are_followed_in_and_out(alerts, issuer):
    auditor = {"Authorization": f"Bearer {issuer.mint('a', [AUDITOR])}"}
    incident = post(alerts, issuer, cap("late-1", "2026-11-20T10:00:00-06:00")).get_json()
    before = incident["exposure"]["households"]
    sessions = alerts.runtime.session_factory

    def snapshot(household_id, version, lon, lat, status="active"):
        data = {
            "household_id": household_id,
            "version": version,
            "status": status,
            "admin_code": "HN-CH",
            "size": 5,
            "location": {"lat": lat, "lon": lon, "accuracy_m": 10.0, "source": "gps"},
        }
        with sessions.begin() as session:
            return apply_household_event(
                session, CloudEvent(type=HOUSEHOLD_REGISTERED, source="/t", subject=household_id, data=data)
            )

    def supplements():
        return [
            d
            for t, d in events(alerts, incident["id"])
            if t == "amparo.alerts.exposure.chunk.v1" and d.get("supplement")
        ]

    def after_alert():
        found = alerts.get(f"/v1/alerts/{incident['id']}", headers=auditor).get_json()
        return found["exposure"]["households"], found["exposure"].get("after_alert")

    # Registered inside the area two minutes after the alert: matched and published at once.
    newcomer = str(uuid.uuid4())
    assert snapshot(newcomer, 1, -87.2, 13.3)
    [supplement] = supplements()
    assert [h["household_id"] for h in supplement["households"]] == [newcomer]
    assert supplement["households"][0]["band"] == "Severe" and supplement["version"] == 1
    assert (supplement["partitions"], supplement["partition_count"]) == ([0], 1)
    assert after_alert() == (before, {"arrived": 1, "moved_out": 0})
    # The same event again, or a household registered outside: nothing new.
    assert not snapshot(newcomer, 1, -87.2, 13.3)
    assert snapshot(str(uuid.uuid4()), 1, -86.0, 14.5)
    assert len(supplements()) == 1
    # The newcomer moves out, then back; a household made inactive counts as gone too.
    snapshot(newcomer, 2, -86.0, 14.5)
    assert after_alert()[1] == {"arrived": 1, "moved_out": 1}
    snapshot(newcomer, 3, -87.2, 13.3)
    assert after_alert()[1] == {"arrived": 1, "moved_out": 0}
    snapshot(newcomer, 4, -87.2, 13.3, status="inactive")
    assert after_alert()[1] == {"arrived": 1, "moved_out": 1}
    assert len(supplements()) == 1  # coming back never publishes a household twice


def test_an_envelope_of_alerts_yields_each_alert_with_its_own_result(alerts, issuer):
    def body(identifier, polygon=SMALL):
        text = cap(identifier, "2026-11-20T10:00:00-06:00", polygon=polygon).decode()
        return text.split("?>", 1)[1]  # without its XML declaration, to sit inside the envelope

    santo_domingo = "18.40,-70.05 18.40,-69.80 18.60,-69.80 18.60,-70.05 18.40,-70.05"
    listed = f"<alerts>{body('env-1')}{body('env-2', santo_domingo)}{body('env-1')}</alerts>".encode()
    answer = post(alerts, issuer, listed)
    assert answer.status_code == 207, answer.get_json()
    results = answer.get_json()["results"]
    assert [(r["position"], r["status"]) for r in results] == [(0, 201), (1, 403), (2, 200)]
    assert (
        results[0]["incident"]["state"] == "active" and results[0]["incident"]["exposure"]["households"] > 0
    )
    assert results[1]["problem"]["errors"][0]["pointer"] == "/info/0/area/0"
    edxl = f"""<EDXLDistribution xmlns="urn:oasis:names:tc:emergency:EDXL:DE:1.0">
      <distributionID>copeco-2026-11-20-1</distributionID><senderID>copeco.gob.hn</senderID>
      <dateTimeSent>2026-11-20T10:00:00-06:00</dateTimeSent><distributionStatus>Actual</distributionStatus>
      <distributionType>Report</distributionType><combinedConfidentiality>UNCLASSIFIED</combinedConfidentiality>
      <contentObject><xmlContent><embeddedXMLContent>{body("env-3")}</embeddedXMLContent></xmlContent></contentObject>
    </EDXLDistribution>""".encode()
    answer = post(alerts, issuer, edxl)
    assert [r["status"] for r in answer.get_json()["results"]] == [201]
    empty = post(alerts, issuer, b"<alerts><note>nothing</note></alerts>")
    assert empty.status_code == 422 and "holds no CAP alert" in empty.get_json()["detail"]


def test_a_sender_in_strict_mode_has_its_messages_refused_for_any_repair(alerts, issuer):
    regional = {"Authorization": f"Bearer {issuer.mint('ops', [CIVIL_PROTECTION], ['*'])}"}
    national = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    strict = {"strict": True}
    assert alerts.put("/v1/senders/copeco.gob.hn", json=strict, headers=national).status_code == 403
    assert alerts.put("/v1/senders/copeco.gob.hn", json=strict, headers=regional).status_code == 200
    listed = alerts.get("/v1/senders", headers=regional).get_json()
    assert [(s["sender"], s["strict"], s["set_by"]) for s in listed] == [("copeco.gob.hn", True, "ops")]
    zulu = cap("strict-1", "2026-11-20T16:00:00Z")  # CAP wants an offset; read as UTC when lenient
    refused = post(alerts, issuer, zulu)
    assert refused.status_code == 422 and "strict mode" in refused.get_json()["detail"]
    assert alerts.get("/v1/alerts", headers=regional).get_json() == []
    assert post(alerts, issuer, cap("strict-2", "2026-11-20T10:00:00-06:00")).status_code == 201
    alerts.put("/v1/senders/copeco.gob.hn", json={"strict": False}, headers=regional)
    lenient = post(alerts, issuer, zulu)
    assert lenient.status_code == 201 and "read as UTC" in str(lenient.get_json()["warnings"])


def test_an_epicentre_with_a_geocode_exposes_the_place_the_geocode_names(alerts, issuer):
    body = cap("quake-1", "2026-11-20T10:00:00-06:00").replace(
        f"<polygon>{SMALL}</polygon>".encode(),
        b"<circle>13.30,-87.19 0</circle>"
        b"<geocode><valueName>ISO3166-2</valueName><value>HN-CH</value></geocode>",
    )
    incident = post(alerts, issuer, body).get_json()
    assert incident["exposure"]["households"] > 0, incident
    assert any("radius 0" in w for w in incident["warnings"])


def test_a_cancellation_without_areas_leaves_the_alert_where_it_was_drawn(alerts, issuer):
    def as_officer(body, jurisdiction):
        token = issuer.mint(f"cp-{jurisdiction}", [CIVIL_PROTECTION], [jurisdiction])
        headers = {"Authorization": f"Bearer {token}"}
        return alerts.post("/v1/alerts", data=body, content_type="application/cap+xml", headers=headers)

    issued = as_officer(cap("bare-1", "2026-11-20T10:00:00-06:00"), "HN").get_json()
    refs = "<references>copeco.gob.hn,bare-1,2026-11-20T10:00:00-06:00</references>"
    bare_cancel = (
        cap("bare-2", "2026-11-20T11:00:00-06:00", msg_type="Cancel").split(b"<info>")[0] + b"</alert>"
    )
    bare_cancel = bare_cancel.replace(b"<scope>Public</scope>", b"<scope>Public</scope>" + refs.encode())
    cancelled = as_officer(bare_cancel, "HN")
    assert cancelled.status_code == 201, cancelled.get_json()
    reader = {"Authorization": f"Bearer {issuer.mint('cp-HN-CH', [CIVIL_PROTECTION], ['HN-CH'])}"}
    seen = alerts.get(f"/v1/alerts/{issued['id']}", headers=reader).get_json()
    assert seen["state"] == "cancelled" and seen["current"]["admin_codes"] == ["HN-CH"]
    reopened = cap(
        "bare-3",
        "2026-11-20T12:00:00-06:00",
        msg_type="Update",
        polygon="18.40,-70.05 18.40,-69.80 18.60,-69.80 18.60,-70.05 18.40,-70.05",
        references=[
            "copeco.gob.hn,bare-1,2026-11-20T10:00:00-06:00",
            "copeco.gob.hn,bare-2,2026-11-20T11:00:00-06:00",
        ],
    )
    refused = as_officer(reopened, "DO")
    assert refused.status_code == 403 and "as the alert stands" in str(refused.get_json()["errors"])


def test_households_arriving_under_an_alerts_footprint_are_followed_too(alerts, issuer):
    import json as _json
    from urllib.parse import quote

    officer = {"Authorization": f"Bearer {issuer.mint('cp', [CIVIL_PROTECTION], ['HN'])}"}
    incident = post(alerts, issuer, cap("under-1", "2026-11-20T10:00:00-06:00")).get_json()
    swath = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"wind": 70},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-87.3, 13.2], [-87.1, 13.2], [-87.1, 13.4], [-87.3, 13.4], [-87.3, 13.2]]
                    ],
                },
            }
        ],
    }
    thresholds = quote('[{"band": "Severe", "min": 50}, {"band": "Extreme", "min": 64}]')
    uploaded = alerts.post(
        f"/v1/footprints?kind=wind_speed&intensity_property=wind&incident_id={incident['id']}&thresholds={thresholds}",
        data=_json.dumps(swath),
        content_type="application/geo+json",
        headers=officer,
    ).get_json()

    def register(household_id, version, lon, lat):
        data = {
            "household_id": household_id,
            "version": version,
            "status": "active",
            "admin_code": "HN-CH",
            "size": 4,
            "location": {"lat": lat, "lon": lon, "accuracy_m": 10.0, "source": "gps"},
        }
        with alerts.runtime.session_factory.begin() as session:
            apply_household_event(
                session, CloudEvent(type=HOUSEHOLD_REGISTERED, source="/t", subject=household_id, data=data)
            )

    newcomer = str(uuid.uuid4())
    register(newcomer, 1, -87.2, 13.3)
    late = [
        d
        for t, d in events(alerts, incident["id"])
        if t == "amparo.alerts.exposure.chunk.v1"
        and d.get("footprint_id") == uploaded["id"]
        and d.get("supplement")
    ]
    assert [h["household_id"] for d in late for h in d["households"]] == [newcomer]
    assert late[0]["households"][0]["band"] == "Extreme" and late[0]["households"][0]["intensity"] == 70
    assert late[0]["alert_version"] == 1
    register(newcomer, 2, -87.2, 13.3)  # changed, still under it: nothing published again
    again = [
        d
        for t, d in events(alerts, incident["id"])
        if t == "amparo.alerts.exposure.chunk.v1"
        and d.get("footprint_id") == uploaded["id"]
        and d.get("supplement")
    ]
    assert len(again) == 1
