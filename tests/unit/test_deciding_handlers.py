"""Deciding over a fake unit of work: an exposure collected part by part is decided once it is
whole and its alert is known, whatever order the events come in and however often; an update
pays only new households; a late part and an overtaken version pay nobody. No database."""

from __future__ import annotations

import pytest

from services.transfers.service_layer import collecting, deciding
from shared.contracts import alerts as alert_contract
from shared.contracts import transfers as contract
from shared.errors import InvalidInput
from tests.transfers_world import World
from tests.unit.transfers_fakes import FakeUnitOfWork

HOUSEHOLDS = {
    f"h{n}": {"status": "active", "admin_code": "HN-CH-0601", "size": 3, "vulnerability_score": 50.0 + n}
    for n in range(1, 7)
}


def apply(uow, *events):
    """Each event to its handler, as the decisions consumer does; what each returned."""
    handlers = {
        alert_contract.EXPOSURE_CHUNK: collecting.apply_exposure_chunk,
        alert_contract.EXPOSURE_COMPLETED: collecting.apply_exposure_completed,
    }
    return [handlers.get(e.type, deciding.apply_alert_event)(e, uow) for e in events]


def paid(uow):
    """Households holding a live payment, each as often as it holds one."""
    return sorted(p.household_id for p in uow.payments.rows.values() if p.is_live)


def status(uow, key):
    return uow.exposures.get(key).status


def test_an_exposure_before_its_alert_waits_visibly_then_is_decided_once_the_alert_comes():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    exposure = World.exposure("inc-1", 1, ["h1", "h2", "h3"])
    apply(uow, *exposure)
    waiting = uow.exposures.get("alert:inc-1:1")
    assert waiting.status == "waiting_for_alert"
    assert waiting.note == "waiting for alert inc-1 version 1, not seen by transfers yet"
    assert paid(uow) == []
    apply(uow, World.alert_event("inc-1", 1))
    assert status(uow, "alert:inc-1:1") == "decided"
    assert paid(uow) == ["h1", "h2", "h3"]


def test_every_event_twice_and_in_any_order_pays_each_household_once():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    events = [World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1", "h2", "h3", "h4"])]
    first = apply(uow, *reversed(events))
    again = apply(uow, *events, *reversed(events))
    assert all(first) and not any(again)
    assert paid(uow) == ["h1", "h2", "h3", "h4"]
    assert len(uow.batches.rows) == 1
    assert len(uow.evaluations.rows) == 1


def test_an_update_widening_the_area_pays_only_the_new_households_in_a_supplementary_batch():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    apply(uow, World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1", "h2"]))
    apply(uow, World.alert_event("inc-1", 2, "Update"), *World.exposure("inc-1", 2, ["h1", "h2", "h5"]))
    assert paid(uow) == ["h1", "h2", "h5"]
    kinds = sorted(b.kind for b in uow.batches.rows.values())
    assert kinds == ["initial", "supplementary"]
    [supplementary] = [b for b in uow.batches.rows.values() if b.kind == "supplementary"]
    assert supplementary.households == 1


def test_an_exposure_overtaken_by_a_later_version_pays_nobody():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    apply(uow, World.alert_event("inc-1", 1), World.alert_event("inc-1", 2, "Update"))
    apply(uow, *World.exposure("inc-1", 1, ["h1", "h2"]))
    late = uow.exposures.get("alert:inc-1:1")
    assert late.status == "superseded" and late.note == "alert version 2 replaced it"
    assert paid(uow) == []


def test_a_cancellation_withdraws_what_nobody_approved_and_decides_nothing_after_it():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    apply(uow, World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1", "h2"]))
    apply(uow, World.alert_event("inc-1", 2, "Cancel"))
    assert paid(uow) == []
    assert [b.state for b in uow.batches.rows.values()] == ["withdrawn"]
    assert contract.BATCH_EVENT_TYPES["withdrawn"] in [e.type for e in uow.events]
    apply(uow, *World.exposure("inc-1", 2, ["h3"]))
    assert status(uow, "alert:inc-1:2") == "not_decided"
    assert paid(uow) == []


def test_a_household_transfers_does_not_know_yet_is_decided_unknown_and_never_paid():
    uow = FakeUnitOfWork(attributes={"h1": HOUSEHOLDS["h1"]})
    apply(uow, World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1", "stranger"]))
    [evaluation] = uow.evaluations.rows.values()
    assert evaluation.counts["unknown_household"] == 1 and evaluation.counts["payable"] == 1
    assert paid(uow) == ["h1"]


def test_an_alert_event_without_a_version_is_refused_and_nothing_is_kept():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    event = World.alert_event("inc-1", 1)
    event.data.pop("version")
    with pytest.raises(InvalidInput, match="integer version"):
        apply(uow, event)
    assert uow.incidents.rows == {} and uow.events == []


def test_a_person_deciding_again_proposes_nobody_already_in_a_batch():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    apply(uow, World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1", "h2"]))
    with uow:
        incident = uow.incidents.get("inc-1")
        notes = deciding.decide_exposure(uow, "alert:inc-1:1", incident, by="officer-ana")
    assert "nobody new to pay" in notes[0]
    assert paid(uow) == ["h1", "h2"]


def supplement(incident_id, version, households, name="a1b2c3"):
    """Households that came into an alert version's areas after it was matched, as alerts
    publishes them: an exposure of its own, whole in one part."""
    from services.alerts.service_layer.exposures import exposure_events

    rows = [
        {"household_id": h, "area": "Costa sur", "band": "Severe", "near_edge": False} for h in households
    ]
    header = {"incident_id": incident_id, "version": version, "supplement": name, "partitions": [0]}
    header["partition_count"] = 1
    totals = {"households": len(rows), "people": 0, "may_trigger_transfers": True}
    return exposure_events(incident_id, header, rows, totals)


def test_households_arriving_after_the_alert_are_decided_as_a_supplement_and_nobody_twice():
    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    apply(uow, World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1", "h2"]))
    apply(uow, *supplement("inc-1", 1, ["h3", "h1"]))
    late = uow.exposures.get("alert:inc-1:1:late-a1b2c3")
    assert late.status == "decided" and late.version == 1
    assert paid(uow) == ["h1", "h2", "h3"]
    [later] = [b for b in uow.batches.rows.values() if b.kind == "supplementary"]
    assert later.households == 1
    # A supplement of a version an update replaced pays nobody.
    apply(uow, World.alert_event("inc-1", 2, "Update"), *supplement("inc-1", 1, ["h4"], name="d4e5f6"))
    assert uow.exposures.get("alert:inc-1:1:late-d4e5f6").status == "superseded"
    assert "h4" not in paid(uow)


def test_a_household_arriving_under_a_footprint_is_decided_as_the_footprints_supplement():
    from services.alerts.service_layer.exposures import exposure_events

    uow = FakeUnitOfWork(attributes=HOUSEHOLDS)
    apply(uow, World.alert_event("inc-1", 1), *World.exposure("inc-1", 1, ["h1"]))
    rows = [{"household_id": "h6", "band": "Extreme", "intensity": 70.0}]
    header = {"incident_id": "inc-1", "footprint_id": "fp-1", "kind": "wind_speed", "alert_version": 1}
    header |= {"supplement": "0a1b2c", "partitions": [0], "partition_count": 1}
    apply(uow, *exposure_events("inc-1", header, rows, {"households": 1, "people": 3}))
    assert uow.exposures.get("footprint:fp-1:late-0a1b2c").status == "decided"
    assert paid(uow) == ["h1", "h6"]
