"""Civil protection's screens in headless Chromium: a CAP alert composed with two statements and
a drawn area, its exposure previewed and issued; an alert updated and cancelled with its
references kept; a footprint uploaded with its bands; a feed followed and read (in Spanish); two
alerts linked into one hazard event; an officer refused an alert outside their jurisdiction, on a
phone. Every alert here is an ``Exercise`` (it pays nobody) with identifiers of its own."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from services.console.accounts import new_account, new_password, read_accounts, write_accounts
from services.demo.coe_feed import AgencyFeed
from shared.auth import APPROVER, CIVIL_PROTECTION
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import api

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]
#: Corners clicked on the map, as fractions of its width and height.
CORNERS = ((0.3, 0.3), (0.7, 0.3), (0.7, 0.7), (0.3, 0.7))


@pytest.fixture(scope="module")
def officers(country: dict[str, Any]) -> dict[str, str]:
    """The demo's people and an officer of La Altagracia (DO-11) alone."""
    stack = country["stack"]
    password = new_password()
    accounts = read_accounts(stack.accounts_file)
    accounts["coe-altagracia"] = new_account(
        "coe-altagracia", "Rafael Cedeño", [CIVIL_PROTECTION], ["DO-11"], password
    )
    write_accounts(stack.accounts_file, accounts.values())
    return {**country["passwords"], "coe-altagracia": password}


@pytest.fixture(scope="module", autouse=True)
def two_senders(country: dict[str, Any]) -> tuple[str, str]:
    """Two alerts of one tropical wave from two senders, posted as the module starts so that
    transfers has heard of them by the time they are linked."""
    tag = uuid.uuid4().hex[:6]
    first = post_alert(country, cap(tag, f"Onda tropical {tag}", ["DO-32"])[2])["id"]
    second = post_alert(
        country, cap(tag, f"Onda tropical (INDRHI) {tag}", ["DO-32"], sender="indrhi.gob.do")[2]
    )["id"]
    return first, second


def call(country: dict[str, Any], method: str, service: str, path: str, **kwargs: Any) -> requests.Response:
    stack = country["stack"]
    token = stack.issuer.mint("e2e-civil", [CIVIL_PROTECTION, APPROVER], ["DO"])
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{stack.url(service)}{path}", headers=headers, timeout=30, **kwargs)


def cap(
    tag: str, headline: str, codes: list[str], sender: str = "coe.gob.do", english: str | None = None
) -> tuple[str, str, str]:
    """An Exercise alert over admin areas, said in Spanish (and in English when ``english`` gives
    its headline): (identifier, sent, XML)."""
    sent = datetime.now(UTC).replace(microsecond=0)
    identifier = f"E2E-CIVIL-{tag}-{uuid.uuid4().hex[:6]}"
    geocodes = "".join(
        f"<geocode><valueName>ISO3166-2</valueName><value>{c}</value></geocode>" for c in codes
    )

    def info(language: str, headline: str, description: str, instruction: str) -> str:
        return f"""<info><language>{language}</language><category>Met</category><event>Lluvias {tag}</event>
<urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
<expires>{(sent + timedelta(days=2)).isoformat()}</expires><senderName>COE República Dominicana</senderName>
<headline>{headline}</headline><description>{description}</description><instruction>{instruction}</instruction>
<parameter><valueName>rainfall24h</valueName><value>120 mm</value></parameter>
<area><areaDesc>Santo Domingo</areaDesc>{geocodes}</area></info>"""

    infos = info("es-DO", headline, "Vaguada sobre el sur.", "Aléjese de ríos y cañadas.")
    if english:
        infos += info("en-US", english, "A trough over the south.", "Keep away from rivers and gullies.")
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>{identifier}</identifier>
<sender>{sender}</sender><sent>{sent.isoformat()}</sent><status>Exercise</status><msgType>Alert</msgType>
<scope>Public</scope>{infos}</alert>"""
    return identifier, sent.isoformat(), xml


def square(lon: float, lat: float, side: float) -> dict[str, Any]:
    """A square polygon from its south-west corner."""
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def post_alert(country: dict[str, Any], xml: str) -> dict[str, Any]:
    response = call(
        country,
        "POST",
        "alerts",
        "/v1/alerts",
        data=xml.encode(),
        headers={"Content-Type": "application/cap+xml"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def open_screen(
    page: Any, country: dict[str, Any], officers: dict[str, str], tab: str, who: str = "coe-ana"
) -> Any:
    page.goto(country["url"])
    page.fill("#sign-in input[name=username]", who)
    page.fill("#sign-in input[name=password]", officers[who])
    page.click("#sign-in button[type=submit]")
    # The console has shown its first alert (and fitted the map to it) before the screen opens.
    page.locator("#alert h2").wait_for(state="attached")
    page.click(f"nav button[data-tab={tab}]")
    return page.locator(f"[data-pane={tab}]")


def draw(page: Any, statement: Any) -> list[tuple[float, float]]:
    """Draw a polygon on the map for ``statement``; the corners clicked as (lat, lon)."""
    statement.locator("button[name=draw]").click()
    box = page.locator("#map").bounding_box()
    corners = []
    for fx, fy in CORNERS:
        x, y = box["width"] * fx, box["height"] * fy
        page.mouse.click(box["x"] + x, box["y"] + y)
        corners.append(
            page.evaluate(
                """async ([x, y]) => { const { consoleMap } = await import('/static/map.js');
                   const p = consoleMap().containerPointToLatLng([x, y]); return [p.lat, p.lng]; }""",
                [x, y],
            )
        )
    statement.locator("button[name=finish]").click()
    return corners


def fill_statement(statement: Any, said: dict[str, Any]) -> None:
    """Type a statement's words and choose its levels; add its parameters."""
    for name in ("event", "headline", "area_desc"):
        if name in said:
            statement.locator(f"input[name={name}]").fill(said[name])
    for name in ("description", "instruction"):
        if name in said:
            statement.locator(f"textarea[name={name}]").fill(said[name])
    for name in ("urgency", "severity", "certainty"):
        statement.locator(f"select[name={name}]").select_option(said[name])
    for name, value in said["parameters"]:
        statement.locator("button[name=add-parameter]").click()
        statement.locator("input[name=parameter_name]").last.fill(name)
        statement.locator("input[name=parameter_value]").last.fill(value)


def what_if_of_the_page(country: dict[str, Any], pane: Any) -> dict[str, Any]:
    """The API's what-if for the CAP document the page shows; its numbers equal the page's."""
    xml = pane.locator(".civil-cap pre").text_content()
    kind = {"Content-Type": "application/cap+xml"}
    answer = call(country, "POST", "alerts", "/v1/alerts/what-if", data=xml.encode(), headers=kind)
    assert answer.status_code == 200, answer.text
    expected: dict[str, Any] = answer.json()["exposure"]
    for count in ("households", "people"):
        shown = pane.locator(f".civil-preview [data-count={count}]").inner_text()
        assert int(shown.replace(",", "")) == expected[count]
    assert expected["households"] > 0
    for area in expected["by_area"]:
        assert area["admin_code"] in pane.locator(".civil-preview").inner_text()
    return expected


def rounded(ring: list[list[float]]) -> list[list[float]]:
    return [[round(c, 5) for c in point] for point in ring]


def assert_stored(
    incident: dict[str, Any], statements: list[dict[str, Any]], corners: list[tuple[float, float]]
) -> None:
    """The alerts service stored each statement with its parameters, the polygon drawn where it was
    clicked, and the second statement's uploaded polygon and admin area as two areas."""
    current = incident["current"]
    assert incident["version"] == 1 and current["status"] == "Exercise"
    assert current["headline"] == statements[0]["headline"]
    assert [
        (s["event"], s["urgency"], s["severity"], s["certainty"], s["parameters"])
        for s in current["statements"]
    ] == [
        (said["event"], said["urgency"], said["severity"], said["certainty"],
         [{"name": n, "value": v} for n, v in said["parameters"]])
        for said in statements
    ]  # fmt: skip
    areas = current["areas"]["features"]
    [drawn] = [f["geometry"]["coordinates"][0] for f in areas if f["properties"]["statement"] == 0]
    assert len(drawn) == 5 and drawn[0] == drawn[-1]
    # Each corner where it was clicked (within a pixel: the browser rounds the mouse's position).
    for clicked_lat, clicked_lon in corners:
        assert any(abs(lat - clicked_lat) < 0.002 and abs(lon - clicked_lon) < 0.002 for lon, lat in drawn)
    # The second statement: the uploaded polygon, and La Altagracia by its code, as two areas.
    theirs = [f["geometry"] for f in areas if f["properties"]["statement"] == 1]
    assert len(theirs) == 2 and current["geocodes"] == ["ISO3166-2:DO-11"]
    assert rounded(theirs[0]["coordinates"][0]) == rounded(square(-68.5, 18.6, 0.1)["coordinates"][0])


FLOOD = {
    "event": "Inundación",
    "urgency": "Immediate",
    "severity": "Severe",
    "certainty": "Observed",
    "headline": 'Crecida del Ozama <nivel 3> & "subiendo"',
    "description": "El río Ozama sube <2 m> & sigue subiendo.",
    "instruction": "Evacúen las zonas bajas.",
    "area_desc": "Gran Santo Domingo",
    "parameters": [("riverLevel", "3.2 m"), ("gauge", "Ozama <Hyatt>")],
}
WIND = {
    "event": "Vientos",
    "urgency": "Expected",
    "severity": "Moderate",
    "certainty": "Likely",
    "headline": "Vientos fuertes en el este",
    "parameters": [("windSpeed", "40 kt")],
}


def test_an_alert_with_two_statements_and_a_drawn_area_previewed_then_issued(
    context, country, officers, tmp_path
):
    tag = uuid.uuid4().hex[:6]
    flood = {**FLOOD, "event": f"Inundación {tag}", "headline": f"{FLOOD['headline']} {tag}"}
    wind = {**WIND, "event": f"Vientos {tag}"}
    uploaded = tmp_path / "bavaro.geojson"
    uploaded.write_text(
        json.dumps({"type": "Feature", "properties": {}, "geometry": square(-68.5, 18.6, 0.1)})
    )
    page = context.new_page()
    pane = open_screen(page, country, officers, "civil-alerts")
    page.wait_for_selector("[data-pane=civil-alerts] .civil-codes label")
    page.evaluate(
        """async () => { const { consoleMap } = await import('/static/map.js');
           consoleMap().setView([18.52, -69.93], 10, { animate: false }); }"""
    )
    pane.locator("input[name=sender]").fill("coe.gob.do")
    pane.locator("select[name=status]").select_option("Exercise")
    first = pane.locator(".civil-statement").nth(0)
    fill_statement(first, flood)
    corners = draw(page, first)
    expect(first.locator(".civil-area-summary")).to_have_text("Polygons: 1 · Admin areas: —")
    pane.locator("button[name=add-statement]").click()
    second = pane.locator(".civil-statement").nth(1)
    fill_statement(second, wind)
    second.locator("input[name=search]").fill("altagracia")
    second.locator(".civil-codes input[value=DO-11]").check()
    second.locator("input[name=upload]").set_input_files(str(uploaded))
    expect(second.locator(".civil-area-summary")).to_have_text("Polygons: 1 · Admin areas: DO-11")
    pane.locator("button[name=preview]").click()
    pane.locator(".civil-preview [data-count=households]").wait_for()
    expected = what_if_of_the_page(country, pane)
    assert_accessible(page)

    pane.locator("button[name=issue]").click()
    issued = pane.locator(".civil-issued [data-incident]")
    issued.wait_for()
    incident_id = issued.get_attribute("data-incident")
    incident = api(country, "alerts", f"/v1/alerts/{incident_id}", [CIVIL_PROTECTION])
    assert_stored(incident, [flood, wind], corners)
    assert incident["exposure"]["households"] == expected["households"]


def test_an_alert_updated_then_cancelled_keeps_its_references(context, country, officers):
    tag = uuid.uuid4().hex[:6]
    english = f"Rain in Santo Domingo {tag}"
    identifier, sent, xml = cap(tag, f"Lluvias en Santo Domingo {tag}", ["DO-32"], english=english)
    incident_id = post_alert(country, xml)["id"]
    page = context.new_page()
    pane = open_screen(page, country, officers, "civil-alerts")
    item = pane.locator(f".civil-list li[data-id='{incident_id}']")
    item.locator("button[name=update]").click()
    pane.locator(".civil-mode:has-text('Update of')").wait_for()
    # The update starts from everything the alert said, in both its languages.
    statement = pane.locator(".civil-statement").first
    assert statement.locator("input[name=event]").input_value() == f"Lluvias {tag}"
    assert statement.locator("input[name=parameter_value]").input_value() == "120 mm"
    assert statement.locator("textarea[name=instruction]").input_value() == "Aléjese de ríos y cañadas."
    assert pane.locator("input[name=sender_name]").input_value() == "COE República Dominicana"
    translation = statement.locator(".civil-translation")
    assert translation.locator("input[name=t_language]").input_value() == "en-US"
    assert translation.locator("input[name=t_headline]").input_value() == english
    translation.locator("input[name=t_headline]").fill(f"Torrential rain {tag}")
    statement.locator("select[name=severity]").select_option("Extreme")
    statement.locator("input[name=headline]").fill(f"Lluvias torrenciales {tag}")
    statement.locator("input[name=parameter_value]").fill("200 mm")
    assert_accessible(page)
    pane.locator("button[name=issue]").click()
    pane.locator(f".civil-issued:has-text('Lluvias torrenciales {tag}')").wait_for()
    updated = api(country, "alerts", f"/v1/alerts/{incident_id}", [CIVIL_PROTECTION])
    assert updated["version"] == 2 and updated["state"] == "active"
    assert [m["msg_type"] for m in updated["messages"]] == ["Alert", "Update"]
    assert updated["current"]["references"] == [f"coe.gob.do,{identifier},{sent}"]
    assert updated["current"]["severity"] == "Extreme"
    assert updated["current"]["statements"][0]["parameters"] == [{"name": "rainfall24h", "value": "200 mm"}]
    said = api(country, "alerts", f"/v1/alerts/{incident_id}/texts", [CIVIL_PROTECTION])
    assert [(w["language"], w["headline"], w["sender_name"]) for w in said[0]["texts"]] == [
        ("es-DO", f"Lluvias torrenciales {tag}", "COE República Dominicana"),
        ("en-US", f"Torrential rain {tag}", "COE República Dominicana"),
    ]
    assert said[0]["texts"][1]["instruction"] == "Keep away from rivers and gullies."

    item.locator("button[name=cancel]").click()
    pane.locator(".civil-mode:has-text('Cancellation of')").wait_for()
    pane.locator("textarea[name=note]").fill("La vaguada se alejó")
    pane.locator("button[name=issue]").click()
    # Sent within the second of the update, and still after it: the alert is cancelled.
    pane.locator(".civil-issued .state:text-is('cancelled')").wait_for()
    item.locator(".state:text-is('cancelled')").wait_for()
    cancelled = api(country, "alerts", f"/v1/alerts/{incident_id}", [CIVIL_PROTECTION])
    assert cancelled["state"] == "cancelled" and cancelled["version"] == 3
    assert [m["msg_type"] for m in cancelled["messages"]] == ["Alert", "Update", "Cancel"]
    previous = updated["current"]
    assert cancelled["current"]["references"] == [
        f"coe.gob.do,{identifier},{sent}",
        f"{previous['sender']},{previous['identifier']},{previous['sent']}",
    ]


def test_a_footprint_uploaded_with_its_bands(context, country, officers, tmp_path):
    tag = uuid.uuid4().hex[:6]
    incident_id = post_alert(country, cap(tag, f"Crecidas {tag}", ["DO-32", "DO-01"])[2])["id"]
    footprint = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"depth_m": 0.6},
                "geometry": square(-70.05, 18.40, 0.3),
            },
            {
                "type": "Feature",
                "properties": {"depth_m": 1.8},
                "geometry": square(-69.95, 18.45, 0.1),
            },
        ],
    }
    path = tmp_path / f"crecida-{tag}.geojson"
    path.write_text(json.dumps(footprint))
    page = context.new_page()
    pane = open_screen(page, country, officers, "civil-footprints")
    pane.locator(f"select[name=incident] option[value='{incident_id}']").wait_for(state="attached")
    pane.locator("select[name=incident]").select_option(incident_id)
    pane.locator("select[name=kind]").select_option("flood_depth")
    pane.locator("input[name=band]").first.fill("moderate")
    pane.locator("input[name=min]").first.fill("0.5")
    pane.locator("button[name=add-band]").click()
    pane.locator("input[name=band]").last.fill("severe")
    pane.locator("input[name=min]").last.fill("1.5")
    pane.locator("input[name=intensity_property]").fill("depth_m")
    pane.locator("input[name=file]").set_input_files(str(path))
    assert_accessible(page)
    pane.locator(".civil-footprint button[type=submit]").click()
    pane.locator(".civil-footprint-result [data-footprint]").wait_for()
    [stored] = api(country, "alerts", f"/v1/footprints?incident_id={incident_id}", [CIVIL_PROTECTION])
    assert stored["kind"] == "flood_depth"
    assert stored["thresholds"] == [{"band": "moderate", "min": 0.5}, {"band": "severe", "min": 1.5}]
    assert stored["exposure"]["households"] > 0
    shown = pane.locator(".civil-footprint-result [data-count=households]").inner_text()
    assert int(shown.replace(",", "")) == stored["exposure"]["households"]
    listed = pane.locator(f".civil-footprint-list [data-footprint='{stored['id']}']").inner_text()
    for band in stored["exposure"]["by_band"]:
        assert band["band"] in listed


def test_a_feed_followed_and_read_in_spanish(browser, country, officers):
    tag = uuid.uuid4().hex[:6]
    agency = AgencyFeed(f"INDRHI {tag}")
    identifier, _, xml = cap(tag, f"Crecida del Yuna {tag}", ["DO-32"], sender="indrhi.gob.do")
    agency.publish(identifier, xml.encode())
    context = browser.new_context(locale="es-DO")
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        pane = open_screen(page, country, officers, "civil-feeds")
        assert page.locator("nav button[data-tab=civil-feeds]").inner_text() == "Fuentes CAP"
        pane.locator("input[name=url]").fill(agency.feed_url)
        pane.locator("input[name=sender]").fill("indrhi.gob.do")
        pane.locator("input[name=interval_seconds]").fill("3600")
        pane.locator(".civil-feed button[type=submit]").click()
        card = pane.locator(".civil-card", has=page.locator(f".civil-url:text-is('{agency.feed_url}')"))
        card.wait_for()
        card.locator("button[name=read]").click()
        card.locator("[data-field=taken]:text-is('1')").wait_for()
        feed_id = card.get_attribute("data-feed")
        feed = api(country, "alerts", f"/v1/feeds/{feed_id}", [CIVIL_PROTECTION])
        assert feed["taken"] == 1 and feed["last_fetch_at"] and feed["last_error"] is None
        assert "Mensajes tomados" in card.inner_text() and "Leer ahora" in card.inner_text()
        listed = api(country, "alerts", "/v1/alerts?limit=20", [CIVIL_PROTECTION])
        assert any(a["headline"] == f"Crecida del Yuna {tag}" for a in listed)
        assert_accessible(page)
        card.locator("button[name=stop]").click()
        pane.locator(f"[data-feed='{feed_id}']").wait_for(state="detached")
        assert call(country, "GET", "alerts", f"/v1/feeds/{feed_id}").status_code == 404
    finally:
        context.close()
        agency.stop()


def heard_by_transfers(country: dict[str, Any], incident_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while call(country, "GET", "transfers", f"/v1/alerts/{incident_id}/decisions").status_code != 200:
        assert time.monotonic() < deadline, f"transfers never heard of alert {incident_id}"
        time.sleep(0.3)


def test_two_alerts_linked_into_one_hazard_event(context, country, officers, two_senders):
    first, second = two_senders
    heard_by_transfers(country, first)
    heard_by_transfers(country, second)
    page = context.new_page()
    pane = open_screen(page, country, officers, "civil-hazards")
    form = pane.locator(".civil-link")
    form.locator(f"select[name=incident_id] option[value='{second}']").wait_for(state="attached")
    form.locator("select[name=incident_id]").select_option(second)
    form.locator("select[name=with_incident_id]").select_option(first)
    form.locator("textarea[name=reason]").fill("La misma onda tropical, dos emisores")
    assert_accessible(page)
    form.locator("button[type=submit]").click()
    card = pane.locator(".civil-card", has=page.locator(f"[data-incident='{second}']"))
    card.locator(f"[data-incident='{first}']").wait_for()
    events = api(country, "transfers", "/v1/hazard-events", [CIVIL_PROTECTION])
    [event] = [e for e in events if second in {a["incident_id"] for a in e["alerts"]}]
    assert first in {a["incident_id"] for a in event["alerts"]}
    [link] = [a for a in event["alerts"] if a["incident_id"] == second]
    assert link["how"] == "person" and "La misma onda tropical" in link["note"]

    split = pane.locator(".civil-split")
    split.locator("select[name=incident_id]").select_option(second)
    split.locator("textarea[name=reason]").fill("Otra onda, otro evento")
    split.locator("button[type=submit]").click()
    card.locator(f"[data-incident='{first}']").wait_for(state="detached")
    events = api(country, "transfers", "/v1/hazard-events", [CIVIL_PROTECTION])
    [alone] = [e for e in events if second in {a["incident_id"] for a in e["alerts"]}]
    assert [a["incident_id"] for a in alone["alerts"]] == [second]


def test_an_officer_is_refused_an_alert_outside_their_province_on_a_phone(browser, country, officers):
    tag = uuid.uuid4().hex[:6]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB"
    )
    try:
        page = context.new_page()
        pane = open_screen(page, country, officers, "civil-alerts", who="coe-altagracia")
        page.wait_for_selector("[data-pane=civil-alerts] .civil-codes label")
        pane.locator("input[name=sender]").fill("coe.gob.do")
        pane.locator("select[name=status]").select_option("Exercise")
        statement = pane.locator(".civil-statement").first
        statement.locator("input[name=event]").fill(f"Deslizamientos {tag}")
        statement.locator("input[name=headline]").fill(f"Deslizamientos en Santiago {tag}")
        # Santiago, picked on the map.
        page.evaluate(
            """async () => { const { consoleMap } = await import('/static/map.js');
               consoleMap().setView([19.4, -70.8], 9, { animate: false }); }"""
        )
        statement.locator("button[name=pick]").click()
        page.locator("#map").scroll_into_view_if_needed()
        box = page.locator("#map").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(statement.locator(".civil-area-summary")).to_contain_text("Admin areas: DO-25")
        assert statement.locator(".civil-codes input[value=DO-25]").is_checked()
        statement.locator("button[name=pick]").click()
        pane.locator("button[name=issue]").click()
        error = pane.locator(".error")
        error.filter(has_text="jurisdiction").wait_for()
        expect(error).to_be_in_viewport()
        assert "/info/0/area/0" in error.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert_accessible(page)
        listed = api(country, "alerts", "/v1/alerts?limit=50", [CIVIL_PROTECTION])
        assert not any(tag in (a["headline"] or "") for a in listed)
    finally:
        context.close()
