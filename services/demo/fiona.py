"""Hurricane Fiona (2022) as the demo replays it: the institute's two programmes, the COE's alert
and its update after landfall with today's times, and NHC's wind swath as the footprint."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from services.demo.client import Client, DemoError, Say, client
from services.demo.coe_feed import AgencyFeed
from services.demo.country import COUNTRY, CURRENCY, DATA
from services.stack import Stack
from shared.auth import APPROVER, CIVIL_PROTECTION, PROGRAMME_OFFICER

# -- programmes -----------------------------------------------------------------------------

INSTITUTE = "Instituto Dominicano de Seguridad Social (demo)"
PAYER = {"name": INSTITUTE, "account_number": "0011223344"}

ANTICIPATORY = {
    "name": "Fiona — transferencia anticipatoria",
    "institute": INSTITUTE,
    "currency": CURRENCY,
    "trigger": {
        "categories": ["Met"],
        "min_urgency": "Expected",
        "min_severity": "Severe",
        "min_certainty": "Likely",
        "mode": "anticipatory",
        # Prepare up to five days ahead of hurricane-force winds; pay up to two days ahead.
        "readiness": {
            "all": [
                {"field": "parameter:windSpeed", "op": ">=", "value": 64, "unit": "kt"},
                {"field": "lead_time_hours", "op": "<=", "value": 120},
            ]
        },
        "when": {
            "all": [
                {"field": "parameter:windSpeed", "op": ">=", "value": 64, "unit": "kt"},
                {"field": "lead_time_hours", "op": "<=", "value": 48},
            ]
        },
    },
    "eligibility": {
        "any": [
            {"field": "vulnerability_score", "op": ">=", "value": 50},
            {"field": "children_under_5", "op": ">", "value": 0},
            {"field": "elderly_65_plus", "op": ">", "value": 0},
        ]
    },
    "benefit": {
        "base": 3000,
        "per_member": 500,
        "cap": 7000,
        "band_multipliers": {"Extreme": 1.25},
        "rounding": 100,
    },
    "budget": {"per_incident": 60_000_000, "overall": 200_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": PAYER,
}

RESPONSE = {
    "name": "Fiona — transferencia de respuesta",
    "institute": INSTITUTE,
    "currency": CURRENCY,
    "trigger": {
        "categories": ["Met"],
        "min_urgency": "Immediate",
        "min_severity": "Extreme",
        "min_certainty": "Observed",
        "mode": "response",
    },
    "eligibility": {
        "any": [
            {"field": "vulnerability_score", "op": ">=", "value": 30},
            {"field": "children_under_5", "op": ">", "value": 0},
            {"field": "persons_with_disabilities", "op": ">", "value": 0},
        ]
    },
    "benefit": {
        "base": 4000,
        "per_member": 600,
        "cap": 9000,
        "band_multipliers": {"Extreme": 1.5, "Severe": 1.25},
        "rounding": 100,
    },
    "budget": {"per_incident": 150_000_000, "overall": 400_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": PAYER,
}


def define_programmes(
    stack: Stack, say: Say, programmes: tuple[dict[str, Any], ...] = (ANTICIPATORY, RESPONSE)
) -> list[dict[str, Any]]:
    officer = client(stack, "transfers", "ids-luis", [PROGRAMME_OFFICER], [COUNTRY])
    approver = client(stack, "transfers", "ids-marta", [APPROVER], [COUNTRY])
    existing = {p["name"]: p for p in officer.call("GET", "/v1/programmes")}
    defined = []
    for programme in programmes:
        found = existing.get(str(programme["name"])) or officer.call("POST", "/v1/programmes", json=programme)
        if found["state"] == "draft":
            found = approver.call(
                "POST",
                f"/v1/programmes/{found['id']}/versions/{found['version']}/review",
                json={"approve": True, "comment": "rules, budget and ceiling read and agreed"},
            )
            say(f"transfers  programme {found['name']!r} v{found['version']} approved by a second person")
        say(f"transfers  programme {found['name']!r} v{found['version']}: {found['rules']['trigger']}")
        defined.append(found)
    return defined


# -- the alert --------------------------------------------------------------------------------


#: The COE's alert four days out, its forecast update 36 hours out and its update after landfall,
#: in the order they were sent.
FIONA_MESSAGES = ("fiona-2022-coe-alert.xml", "fiona-2022-coe-forecast.xml", "fiona-2022-coe-update.xml")
#: Who sends them.
FIONA_SENDER = "coe.gob.do"
#: NHC's wind radii, as bands of the swath.
WIND_BANDS = [
    {"band": "Moderate", "min": 34},
    {"band": "Severe", "min": 50},
    {"band": "Extreme", "min": 64},
]


def fiona_message(name: str, now: datetime) -> bytes:
    """One of :data:`FIONA_MESSAGES`, sent ten minutes apart and ending at ``now``; the hurricane
    is forecast to reach the east four days, then a day and a half, after each was sent."""
    times = {
        "sent_alert": (now - timedelta(minutes=20)).isoformat(),
        "onset_alert": (now + timedelta(hours=96)).isoformat(),
        "sent_forecast": (now - timedelta(minutes=10)).isoformat(),
        "onset_forecast": (now + timedelta(hours=36)).isoformat(),
        "sent_update": now.isoformat(),
        "onset_update": now.isoformat(),
        "expires": (now + timedelta(days=5)).isoformat(),
    }
    return (DATA / name).read_text().format(**times).encode()


def fiona_footprint(incident_id: str) -> dict[str, Any]:
    """The request that uploads NHC's wind swath as the alert's footprint."""
    return {
        "params": {
            "kind": "wind_speed",
            "thresholds": json.dumps(WIND_BANDS),
            "incident_id": incident_id,
            "intensity_property": "wind_kt",
        },
        "data": (DATA / "fiona-2022-wind-swath.geojson").read_bytes(),
        "headers": {"Content-Type": "application/geo+json"},
    }


def wait_for_decision(stack: Stack, incident_id: str, version: int, timeout: float = 300) -> None:
    """Until transfers has decided the alert's version ``version`` (and say which stages its
    programmes reached)."""
    reader = client(stack, "transfers", "ids-marta", [APPROVER], [COUNTRY])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = reader.call("GET", f"/v1/alerts/{incident_id}/decisions", expected=(200, 404))
        mine = [e for e in found.get("exposures") or [] if e["exposure_key"].endswith(f":{version}")]
        if mine and all(e["status"] in ("decided", "not_decided", "superseded") for e in mine):
            return
        time.sleep(0.3)
    raise DemoError(f"transfers did not decide version {version} of the alert within {timeout}s")


def say_stages(stack: Stack, incident_id: str, say: Say) -> None:
    """Which stage each programme reached on which version of the alert, and why."""
    reader = client(stack, "transfers", "ids-marta", [APPROVER], [COUNTRY])
    names = {p["id"]: p["name"] for p in reader.call("GET", "/v1/programmes")}
    for stage in reader.call("GET", f"/v1/alerts/{incident_id}/decisions")["stages"]:
        version = stage["exposure_key"].rsplit(":", 1)[-1]
        seen = "; ".join(r.split(": ", 1)[-1] for r in stage["reasons"][:1])
        say(f"transfers  {names.get(stage['programme_id'])!r}: {stage['stage']} on v{version} ({seen})")


def second_sender(stack: Stack, say: Say, timeout: float = 300) -> dict[str, Any]:
    """The meteorological office sends its own alert for Fiona over the east (another sender,
    another identifier, the same CAP ``<incidents>``): transfers groups it with the COE's in one
    hazard event, and pays no household twice."""
    onamet = client(stack, "alerts", "onamet-jose", [CIVIL_PROTECTION], [COUNTRY])
    approver = client(stack, "transfers", "ids-maria", [APPROVER], [COUNTRY])
    now = datetime.now(UTC).replace(microsecond=0)
    times = {"sent": now.isoformat(), "expires": (now + timedelta(days=2)).isoformat()}
    message = (DATA / "fiona-2022-onamet-alert.xml").read_text().format(**times).encode()
    posted = onamet.call("POST", "/v1/alerts", data=message, headers={"Content-Type": "application/cap+xml"})
    incident_id = posted["id"]
    say(f"alerts     a second sender, onamet.gob.do: {posted['current']['headline']} (alert {incident_id})")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # 404 until transfers has heard of the alert.
        found = approver.call("GET", f"/v1/alerts/{incident_id}/decisions", expected=(200, 404))
        if found.get("evaluations") and all(e["status"] == "decided" for e in found["exposures"]):
            break
        time.sleep(0.5)
    else:
        raise DemoError(f"transfers did not decide the second sender's alert within {timeout}s")
    event = hazard_event_of(approver, incident_id)
    senders = ", ".join(sorted({a["sender"] or "?" for a in event["alerts"]}))
    say(f"transfers  hazard event {event['name']!r}: {len(event['alerts'])} alerts from {senders}")
    for evaluation in found["evaluations"]:
        counts = evaluation["summary"]["by_status"]
        say(
            f"transfers  {evaluation['programme']!r} under the second alert: "
            f"{counts['already_entitled']:,} households already entitled for this hazard event "
            "(not paid again), "
            f"{counts['payable']:,} proposed"
        )
    return dict(posted)


def hazard_event_of(approver: Client, incident_id: str) -> dict[str, Any]:
    """The hazard event transfers joined the alert to."""
    [event] = [
        e
        for e in approver.call("GET", "/v1/hazard-events")
        if incident_id in {a["incident_id"] for a in e["alerts"]}
    ]
    return dict(event)


def replay_fiona(stack: Stack, say: Say) -> dict[str, Any]:
    """The COE publishes its alert, then its update after landfall, in its CAP feed; the stack
    follows the feed (read at once each time, as an officer who knows it changed would ask), and
    NHC's wind swath is uploaded as the alert's footprint."""
    coe = client(stack, "alerts", "coe-ana", [CIVIL_PROTECTION], [COUNTRY])
    agency = AgencyFeed("COE — alertas CAP")
    stack.keep_alive(agency)
    feed = coe.call(
        "POST", "/v1/feeds", json={"url": agency.feed_url, "sender": "COE", "interval_seconds": 60}
    )
    say(f"alerts     following the COE's CAP feed {agency.feed_url}")
    now = datetime.now(UTC).replace(microsecond=0)
    incident = None
    for name in FIONA_MESSAGES:
        agency.publish(name, fiona_message(name, now))
        read = coe.call("POST", f"/v1/feeds/{feed['id']}/read")
        if read["refused"] or read["last_error"]:
            raise DemoError(f"the COE's feed was not taken: {read['refused'] or read['last_error']}")
        [listed] = [a for a in coe.call("GET", "/v1/alerts?limit=5") if a["sender"] == FIONA_SENDER][:1]
        incident = coe.call("GET", f"/v1/alerts/{listed['id']}")
        exposure = incident["exposure"] or {}
        say(
            f"alerts     {incident['current']['headline']}: {exposure.get('households', 0):,} households, "
            f"{exposure.get('people', 0):,} people exposed (v{incident['version']}, from the feed)"
        )
        if name != FIONA_MESSAGES[-1]:
            # Transfers decides each version before the next arrives, as in real life.
            wait_for_decision(stack, listed["id"], incident["version"])
    assert incident is not None
    say_stages(stack, incident["id"], say)
    footprint = coe.call("POST", "/v1/footprints", **fiona_footprint(incident["id"]))
    bands = ", ".join(f"{b['band']} {b['households']:,}" for b in footprint["exposure"]["by_band"])
    inside = footprint["exposure"]["households"]
    say(f"alerts     NHC wind swath of Fiona: {inside:,} households inside ({bands})")
    return dict(incident)
