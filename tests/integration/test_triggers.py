"""Triggers as the region's anticipatory-action plans write them, run over CAP messages with
parameters, several statements and footprints: readiness then action as forecasts advance, and only
the households of the statements that reach action."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.alerts.service_layer.exposures import exposure_events
from shared.auth import AUDITOR
from tests.transfers_world import TORMENTA

pytestmark = pytest.mark.integration

#: OCHA's framework for Cuba: act when the forecast wind reaches 120 kt up to 3 days ahead;
#: readiness up to 5 days ahead.
CUBA = copy.deepcopy(TORMENTA) | {"name": "Cuba — acción anticipatoria"}
CUBA["trigger"] = {
    "categories": ["Met"],
    "mode": "anticipatory",
    "readiness": {
        "all": [
            {"field": "parameter:windSpeed", "op": ">=", "value": 120, "unit": "kt"},
            {"field": "lead_time_hours", "op": "<=", "value": 120},
        ]
    },
    "when": {
        "all": [
            {"field": "parameter:windSpeed", "op": ">=", "value": 120, "unit": "kt"},
            {"field": "lead_time_hours", "op": "<=", "value": 72},
        ]
    },
}
#: Haiti's: act 72 h ahead on 2-day forecast rain ≥ 68 mm or 64-kt winds, or on civil protection's
#: red alert confirmed as a hurricane warning.
HAITI = copy.deepcopy(TORMENTA) | {"name": "Haïti — action anticipative"}
HAITI["trigger"] = {
    "categories": ["Met"],
    "mode": "anticipatory",
    "when": {
        "any": [
            {
                "all": [
                    {"field": "lead_time_hours", "op": "<=", "value": 72},
                    {
                        "any": [
                            {"field": "parameter:rainfall48h", "op": ">=", "value": 68, "unit": "mm"},
                            {"field": "parameter:windSpeed", "op": ">=", "value": 64, "unit": "kt"},
                        ]
                    },
                ]
            },
            {
                "all": [
                    {"field": "severity", "op": ">=", "value": "Extreme"},
                    {"field": "event", "op": "in", "value": ["Hurricane Warning", "Avertissement d'ouragan"]},
                ]
            },
        ]
    },
}


def statement(number, hours_ahead, severity="Severe", event="Hurricane", **parameters):
    onset = (
        (datetime.now(UTC) + timedelta(hours=hours_ahead)).isoformat() if hours_ahead is not None else None
    )
    return {
        "statement": number,
        "infos": [number],
        "event": event,
        "categories": ["Met"],
        "urgency": "Expected",
        "severity": severity,
        "certainty": "Likely",
        "onset": onset,
        "parameters": [{"name": n, "value": v} for n, v in parameters.items()],
    }


def issue(world, incident, version, statements, exposed):
    """An alert version with its statements, and its exposure naming each household's statement."""
    msg_type = "Alert" if version == 1 else "Update"
    world.apply(world.alert_event(incident, version, msg_type, statements=statements).to_json())
    rows = [
        {"household_id": h, "area": "Costa", "band": "Severe", "near_edge": False, "statement": s}
        for h, s in exposed.items()
    ]
    totals = {"households": len(rows), "people": 0, "may_trigger_transfers": True}
    for event in exposure_events(incident, {"incident_id": incident, "version": version}, rows, totals):
        world.apply(event.to_json())


def decisions(world, incident):
    answer = world.client.get(f"/v1/alerts/{incident}/decisions", headers=world.auth(AUDITOR))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def paid(world, incident):
    return sorted(p["household_id"] for b in world.batches(incident) for p in world.payments(b["id"]))


def test_cuba_readiness_five_days_out_then_action_three_days_out(world):
    world.define(CUBA)
    households = world.register(2)
    incident = world.new_incident()
    issue(world, incident, 1, [statement(0, 110, windSpeed="130 kt")], dict.fromkeys(households, 0))
    assert world.batches(incident) == []
    found = decisions(world, incident)
    [ready] = found["stages"]
    assert ready["stage"] == "readiness" and ready["statements"] == [0]
    assert any("windSpeed 130 kt" in r and "lead time 110 h" in r for r in ready["reasons"])
    assert "readiness reached" in found["exposures"][0]["note"]
    # Those the programme would pay now are told to get ready (through the registry), once.
    assert "2 households to be told to get ready" in found["exposures"][0]["note"]
    assert world.sync_messages() == 1
    for household in households:
        log = world.registry.get(f"/v1/households/{household}/messages", headers=world.auth(AUDITOR))
        [told] = log.get_json()["messages"]
        assert (
            told["kind"] == "readiness" and "Prepárese" in told["text"] and "2,250.00 HNL" in told["text"]
        )  # 1 500 + 3 × 250

    # The forecast advances: 2½ days out, 240 km/h (≈ 130 kt) — action.
    issue(world, incident, 2, [statement(0, 60, windSpeed="240 km/h")], dict.fromkeys(households, 0))
    assert paid(world, incident) == sorted(households)
    stages = {s["stage"]: s for s in decisions(world, incident)["stages"] if s["exposure_key"].endswith(":2")}
    assert set(stages) == {"readiness", "action"}
    world.sync_messages()
    log = world.registry.get(f"/v1/households/{households[0]}/messages", headers=world.auth(AUDITOR))
    assert [m["kind"] for m in log.get_json()["messages"]] == ["readiness", "entitled"]
    # The household is told which statement and stage paid it, and what was seen.
    for lang, words in (("en", "action stage reached: statement 0"), ("es", "etapa de acción alcanzada")):
        answer = world.client.get(
            f"/v1/households/{households[0]}/decisions?lang={lang}", headers=world.auth(AUDITOR)
        ).get_json()
        [paid_now] = [d for d in answer["decisions"] if d["status"] == "payable"]
        assert any(words in line and "windSpeed 240 km/h" in line for line in paid_now["explanation"])


def test_only_the_households_of_the_statements_that_reach_action_are_decided(world):
    world.define(CUBA)
    east, west = world.register(2), world.register(2)
    incident = world.new_incident()
    said = [statement(0, 48, windSpeed="135 kt"), statement(1, 48, windSpeed="60 kt")]
    issue(world, incident, 1, said, {**dict.fromkeys(east, 0), **dict.fromkeys(west, 1)})
    assert paid(world, incident) == sorted(east)
    [evaluation] = decisions(world, incident)["evaluations"]
    assert evaluation["summary"]["households"] == 2
    note = decisions(world, incident)["exposures"][0]["note"]
    assert "action (statements 0)" in note


def test_haiti_acts_on_rain_or_wind_72_hours_ahead_or_on_a_confirmed_red_alert(world):
    world.define(HAITI)
    households = world.register(4)
    rain, dry, warning, far = (world.new_incident() for _ in range(4))
    issue(world, rain, 1, [statement(0, 70, rainfall48h="70 mm")], {households[0]: 0})
    issue(world, dry, 1, [statement(0, 70, rainfall48h="2.5 in")], {households[1]: 0})  # 63.5 mm
    issue(world, warning, 1, [statement(0, None, "Extreme", "Hurricane Warning")], {households[2]: 0})
    issue(world, far, 1, [statement(0, 100, windSpeed="90 kt")], {households[3]: 0})
    assert paid(world, rain) == [households[0]]
    assert paid(world, dry) == []
    assert paid(world, warning) == [households[2]]
    assert paid(world, far) == []
    note = decisions(world, far)["exposures"][0]["note"]
    assert "not triggered" in note and "lead time 100 h" in note


def test_a_trigger_with_a_mistake_is_refused_with_its_path(world):
    broken = copy.deepcopy(CUBA)
    broken["trigger"]["when"]["all"][0]["unit"] = "furlongs"
    answer = world.client.post("/v1/programmes", json=broken, headers=world.auth("programme_officer"))
    assert answer.status_code == 422
    assert "/trigger/when/all/0/unit" in [e["pointer"] for e in answer.get_json()["errors"]]
    described = world.define(CUBA)["rules"]["trigger"]
    assert "readiness when windSpeed >= 120 kt and lead time (hours) <= 72" not in described
    assert "action when windSpeed >= 120 kt and lead time (hours) <= 72" in described


def test_what_if_says_which_stage_a_draft_trigger_reaches_over_an_alert(world):
    households = world.register(2)
    early, near = world.new_incident(), world.new_incident()
    issue(world, early, 1, [statement(0, 110, windSpeed="130 kt")], {households[0]: 0})
    issue(
        world, near, 1, [statement(0, 30, windSpeed="130 kt"), statement(1, 30)], dict.fromkeys(households, 1)
    )

    def what_if(incident):
        answer = world.client.post(
            "/v1/programmes/what-if",
            json={"programme": CUBA, "incident_id": incident},
            headers=world.auth("programme_officer"),
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    far = what_if(early)
    assert not far["triggered"] and far["stages"]["readiness"]["statements"] == [0]
    assert any("lead time 110 h" in r for r in far["stages"]["action"]["reasons"])
    close = what_if(near)
    # Statement 0 reaches action, but these households are statement 1's (no wind said): none counted.
    assert close["triggered"] and close["stages"]["action"]["statements"] == [0]
    assert close["households"] == 0
    assert world.batches(early) == world.batches(near) == []  # nothing stored


def footprint(
    world, incident, alert_version, intensities, band_of=lambda kt: "Extreme" if kt >= 64 else "Severe"
):
    """A wind footprint of the alert, each household at its intensity (kt)."""
    header = {
        "incident_id": incident,
        "footprint_id": str(uuid.uuid4()),
        "kind": "wind_speed",
        "alert_version": alert_version,
    }
    rows = [{"household_id": h, "band": band_of(kt), "intensity": kt} for h, kt in intensities.items()]
    for event in exposure_events(incident, header, rows, {"households": len(rows), "people": 0}):
        world.apply(event.to_json())


def test_haiti_pays_households_a_footprint_puts_under_64_knot_winds_once_a_statement_acts(world):
    programme = copy.deepcopy(HAITI)
    programme["name"] = "Haïti — vents de 64 nœuds"
    programme["eligibility"] = {"all": [{"field": "intensity", "op": ">=", "value": 64}]}
    world.define(programme)
    calm, windy, windier = world.register(3)
    incident = world.new_incident()
    # Forecast too far ahead: the footprint's households wait for a statement to act.
    issue(world, incident, 1, [statement(0, 100, windSpeed="90 kt")], {})
    footprint(world, incident, 1, {calm: 40.0, windy: 70.0, windier: 90.0})
    assert paid(world, incident) == []
    note = next(
        e["note"]
        for e in decisions(world, incident)["exposures"]
        if e["exposure_key"].startswith("footprint:")
    )
    assert "not triggered" in note
    # 48 hours ahead: the swath uploaded days before is decided now; those under 64-kt winds are
    # paid, the one under 40 kt is not.
    issue(world, incident, 2, [statement(0, 48, windSpeed="90 kt")], {})
    assert paid(world, incident) == sorted([windy, windier])
    # A later version changes nothing more for that swath, nor does the same swath uploaded again.
    issue(world, incident, 3, [statement(0, 24, windSpeed="95 kt")], {})
    footprint(world, incident, 3, {calm: 40.0, windy: 70.0, windier: 90.0})
    assert len(world.batches(incident)) == 1 and paid(world, incident) == sorted([windy, windier])
    answer = world.client.get(f"/v1/households/{calm}/decisions", headers=world.auth(AUDITOR)).get_json()
    assert answer["decisions"][-1]["status"] == "not_eligible"
    assert any("intensity" in line for line in answer["decisions"][-1]["explanation"])
