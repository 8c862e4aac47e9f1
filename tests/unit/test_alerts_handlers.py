"""The alerts handlers' rules, on a fake unit of work and fake repositories: no database.

A CAP message opens or advances its incident (one version per message that becomes current), is
recognised when sent again, is kept for the record only when older than the current one; a
Cancel withdraws the alert; an expiry moves it on; exposures are matched for the partitions an
instance indexes and claimed once. What a refused command touched is rolled back with it.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from services.alerts.domain.cap import CapError
from services.alerts.domain.errors import IncidentNotFound, PartAlreadyMatched
from services.alerts.domain.matching import LocationIndex
from services.alerts.service_layer.alerts import ReceiveCap, expire_due, get_incident, receive_cap
from services.alerts.service_layer.footprints import NewFootprint, apply_footprint
from services.alerts.service_layer.indexing import Indexing
from services.alerts.service_layer.parts import match_mine, match_unfinished
from shared.contracts import alerts as contract
from shared.contracts.household_groups import EXPOSURE_GROUPS
from shared.kafka import ALERTS, EXPOSURES, HOUSEHOLDS
from shared.partitions import PartitionAssignment

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
#: Inside: lon -87.3..-87.1, lat 13.2..13.4 (CAP writes lat,lon).
SMALL = "13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30"
SENDER = "copeco.gob.hn"
Columns = dict[str, np.ndarray]


def cap(identifier: str, hour: int, msg_type: str = "Alert", references: tuple[str, ...] = ()) -> bytes:
    refs = f"<references>{' '.join(references)}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>{SENDER}</sender>
  <sent>2026-11-20T{hour:02d}:00:00-06:00</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>2026-11-21T00:00:00-06:00</expires><headline>Alerta roja en Choluteca</headline>
    <area><areaDesc>Costa de Choluteca</areaDesc><polygon>{SMALL}</polygon></area>
  </info>
</alert>""".encode()


def reference(identifier: str, hour: int) -> str:
    return f"{SENDER},{identifier},2026-11-20T{hour:02d}:00:00-06:00"


class FakeAlerts:
    """Messages, incidents, exposure requests and their parts, footprints: in dicts."""

    def __init__(self) -> None:
        self.incidents: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.requests: dict[str, dict[str, Any]] = {}
        self.parts: dict[tuple[str, int], dict[str, Any]] = {}
        self.exposures: list[dict[str, Any]] = []
        self.footprints: dict[str, dict[str, Any]] = {}
        self.held: list[str] = []
        #: Parts another instance claimed after this one looked (it sees them only when inserting).
        self.unseen: set[tuple[str, int]] = set()

    def hold_partition(self, partition: int) -> None:
        pass

    def hold_incident(self, root_key: str) -> None:
        self.held.append(root_key)

    def message_by_key(self, key: str) -> dict[str, Any] | None:
        return next((dict(m) for m in self.messages.values() if m["message_key"] == key), None)

    def add_message(self, values: dict[str, Any]) -> None:
        self.messages[values["id"]] = dict(values)

    def message(self, message_id: str) -> dict[str, Any] | None:
        found = self.messages.get(message_id)
        return dict(found) if found else None

    def messages_of(self, incident_id: str) -> list[dict[str, Any]]:
        fields = ("id", "message_key", "sent", "msg_type", "status", "warnings")
        mine = [m for m in self.messages.values() if m["incident_id"] == incident_id]
        return [{f: m[f] for f in fields} for m in sorted(mine, key=lambda m: m["sent"])]

    def latest_summary_with_areas(self, incident_id: str) -> dict[str, Any] | None:
        mine = sorted(
            (m for m in self.messages.values() if m["incident_id"] == incident_id), key=lambda m: m["sent"]
        )
        drawn = [m["summary"] for m in mine if (m["summary"].get("areas") or {}).get("features")]
        return drawn[-1] if drawn else None

    def incident_by_root(self, key: str) -> dict[str, Any] | None:
        return next((dict(i) for i in self.incidents.values() if i["root_key"] == key), None)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        found = self.incidents.get(incident_id)
        return dict(found) if found else None

    lock_incident = incident

    def add_incident(self, values: dict[str, Any]) -> None:
        self.incidents[values["id"]] = {"exposure_version": None, **values}

    def update_incident(self, incident_id: str, **values: Any) -> None:
        self.incidents[incident_id].update(values)

    def due_to_expire(self, now: datetime) -> list[dict[str, Any]]:
        return [
            dict(i)
            for i in self.incidents.values()
            if i["state"] == "active" and i["expires"] is not None and i["expires"] <= now
        ]

    def add_exposure_request(self, values: dict[str, Any]) -> None:
        self.requests[values["exposure_key"]] = {"completed_at": None, **values}

    def exposure_request(self, key: str) -> dict[str, Any] | None:
        return self.requests.get(key)

    def unfinished_exposures(self) -> list[tuple[dict[str, Any], frozenset[int]]]:
        return [
            (r, frozenset(p for k, p in self.parts if k == key))
            for key, r in self.requests.items()
            if r["completed_at"] is None
        ]

    def add_exposure_parts(self, rows: list[dict[str, Any]]) -> None:
        if any((r["exposure_key"], r["partition"]) in self.parts for r in rows):
            raise PartAlreadyMatched("claimed first elsewhere")
        self.parts.update({(r["exposure_key"], r["partition"]): r for r in rows})

    def exposure_part_summaries(self, key: str) -> list[tuple[int, dict[str, Any]]]:
        seen = {kp: row for kp, row in self.parts.items() if kp not in self.unseen}
        return sorted((p, row["summary"]) for (k, p), row in seen.items() if k == key)

    def finish_exposure(self, key: str, at: datetime) -> None:
        self.requests[key]["completed_at"] = at

    def add_exposures(self, rows: list[dict[str, Any]]) -> None:
        self.exposures += rows

    def after_alert(self, incident_id: str, version: int) -> dict[str, int]:
        mine = [r for r in self.exposures if (r["incident_id"], r["version"]) == (incident_id, version)]
        return {
            "arrived": sum(bool(r.get("arrived_after")) for r in mine),
            "moved_out": sum(r.get("moved_out_at") is not None for r in mine),
        }

    def add_footprint(self, values: dict[str, Any]) -> None:
        self.footprints[values["id"]] = dict(values)

    def footprint(self, footprint_id: str) -> dict[str, Any] | None:
        return self.footprints.get(footprint_id)

    def lock_footprint(self, footprint_id: str) -> None:
        pass

    def update_footprint(self, footprint_id: str, **values: Any) -> None:
        self.footprints[footprint_id].update(values)

    def footprint_summary(self, footprint_id: str) -> dict[str, Any]:
        return self.footprints[footprint_id]["summary"] or {}


class FakeAdmin:
    def layers(self) -> dict[str, Any]:
        return {}


class FakeLocations:
    """Households as the location index holds them: ``inside`` in SMALL, ``outside`` not."""

    def __init__(self, inside: int = 6, outside: int = 4) -> None:
        n = inside + outside
        self.columns = {
            "household_id": np.array([str(uuid.uuid4()) for _ in range(n)], dtype=object),
            "lon": np.array([-87.2] * inside + [-86.0] * outside),
            "lat": np.array([13.3] * inside + [14.5] * outside),
            "accuracy_m": np.full(n, 10.0),
            "admin_code": np.array(["HN-CH"] * n, dtype=object),
            "size": np.full(n, 3, dtype=np.int64),
            **{group: np.ones(n, dtype=np.int64) for group in EXPOSURE_GROUPS},
            "partition": np.arange(n, dtype=np.int64) % HOUSEHOLDS.partitions,
        }

    def indexed(
        self, partitions: frozenset[int] | None = None
    ) -> tuple[dict[str, np.ndarray], LocationIndex]:
        mine = np.ones(len(self.columns["lon"]), bool)
        if partitions is not None:
            mine = np.isin(self.columns["partition"], sorted(partitions))
        columns = {name: values[mine] for name, values in self.columns.items()}
        return columns, LocationIndex(columns["lon"], columns["lat"], columns["accuracy_m"])

    def read_every(self) -> tuple[Columns, LocationIndex]:
        return self.indexed()

    def households_beyond(self, partition_count: int) -> list[int]:
        return []


class FakeSenders:
    def __init__(self) -> None:
        self.rules: dict[str, bool] = {}

    def strict(self, sender: str) -> bool:
        return self.rules.get(sender, False)


class FakeUnitOfWork:
    """Commits on a clean exit (events and audit lines then count as written); on an error, puts
    back what the repositories held when it began."""

    def __init__(self, indexing: Indexing | None = None, locations: FakeLocations | None = None) -> None:
        self.alerts, self.admin = FakeAlerts(), FakeAdmin()
        self.locations = locations or FakeLocations()
        self.senders = FakeSenders()
        self.indexing = indexing or Indexing(instance="alerts")
        self.published: list[tuple[str, Any]] = []
        self.audited: list[Any] = []
        self.commits = 0

    def __enter__(self) -> FakeUnitOfWork:
        self._before = copy.deepcopy((self.alerts, self.published, self.audited))
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.commits += 1
        else:
            self.alerts, self.published, self.audited = self._before

    def publish(self, topic: str, event: Any) -> None:
        self.published.append((topic, event))

    def record(self, entry: Any) -> None:
        self.audited.append(entry)

    def events(self, topic: str) -> list[Any]:
        return [event for t, event in self.published if t == topic]


def receive(uow: FakeUnitOfWork, body: bytes) -> tuple[dict[str, Any], bool]:
    return receive_cap(ReceiveCap(body, "application/cap+xml", "cp"), uow, now=lambda: NOW)  # type: ignore[arg-type]


def test_an_alert_received_opens_its_incident_at_version_one_and_publishes_it_with_its_exposure():
    uow = FakeUnitOfWork()
    incident, created = receive(uow, cap("a-1", 10))

    assert created and incident["state"] == "active" and incident["version"] == 1
    assert [m["message_key"] for m in incident["messages"]] == [f"{SENDER},a-1"]
    assert uow.alerts.held == [f"{SENDER},a-1"]
    [issued] = uow.events(ALERTS.name)
    assert issued.type == contract.ALERT_ISSUED and issued.subject == incident["id"]
    assert issued.data["version"] == 1 and issued.data["state"] == "active"
    # Every partition matched at once by an instance indexing every household.
    assert incident["exposure"]["households"] == 6 and incident["exposure"]["people"] == 18
    assert incident["exposure"]["partitions_matched"] == HOUSEHOLDS.partitions
    kinds = [e.type for e in uow.events(EXPOSURES.name)]
    assert kinds[-1] == contract.EXPOSURE_COMPLETED and set(kinds[:-1]) == {contract.EXPOSURE_CHUNK}
    assert [a.action for a in uow.audited] == ["alert_accepted"]


def test_a_message_sent_twice_is_recognised_and_changes_nothing():
    uow = FakeUnitOfWork()
    first, _ = receive(uow, cap("a-1", 10))
    published = len(uow.published)

    again, created = receive(uow, cap("a-1", 10))

    assert not created and again["id"] == first["id"] and again["version"] == 1
    assert len(uow.alerts.messages) == 1 and len(uow.published) == published


def test_an_update_advances_the_incident_to_its_next_version():
    uow = FakeUnitOfWork()
    first, _ = receive(uow, cap("a-1", 10))
    updated, created = receive(uow, cap("a-2", 11, "Update", (reference("a-1", 10),)))

    assert created and updated["id"] == first["id"] and updated["version"] == 2
    assert [e.type for e in uow.events(ALERTS.name)] == [contract.ALERT_ISSUED, contract.ALERT_UPDATED]
    assert sorted(uow.alerts.requests) == [f"alert:{first['id']}:1", f"alert:{first['id']}:2"]


def test_an_update_arriving_before_its_alert_lands_in_the_same_incident():
    uow = FakeUnitOfWork()
    update, _ = receive(uow, cap("a-2", 11, "Update", (reference("a-1", 10),)))
    alert, created = receive(uow, cap("a-1", 10))

    assert created and alert["id"] == update["id"] and alert["version"] == 1
    assert "older than the incident's current one" in alert["messages"][0]["warnings"][-1]
    assert len(uow.events(ALERTS.name)) == 1


def test_an_update_without_references_is_refused_and_nothing_is_kept():
    uow = FakeUnitOfWork()
    with pytest.raises(CapError):
        receive(uow, cap("a-2", 11, "Update"))
    assert not uow.alerts.incidents and not uow.alerts.messages and not uow.published


def test_an_older_message_arriving_late_is_kept_for_the_record_only():
    uow = FakeUnitOfWork()
    receive(uow, cap("a-1", 10))
    current, _ = receive(uow, cap("a-3", 12, "Update", (reference("a-1", 10),)))
    published = len(uow.published)

    late, created = receive(uow, cap("a-2", 11, "Update", (reference("a-1", 10),)))

    assert created and late["version"] == current["version"] == 2
    assert len(late["messages"]) == 3 and len(uow.published) == published
    assert "kept for the record only" in uow.alerts.message_by_key(f"{SENDER},a-2")["warnings"][-1]


def test_a_cancel_withdraws_the_alert_and_asks_for_no_exposure():
    uow = FakeUnitOfWork()
    first, _ = receive(uow, cap("a-1", 10))
    cancelled, _ = receive(uow, cap("a-2", 11, "Cancel", (reference("a-1", 10),)))

    assert cancelled["state"] == "cancelled" and cancelled["version"] == 2
    assert cancelled["exposure"] is None
    assert uow.events(ALERTS.name)[-1].type == contract.ALERT_CANCELLED
    assert list(uow.alerts.requests) == [f"alert:{first['id']}:1"]
    assert [a.action for a in uow.audited] == ["alert_accepted", "alert_cancelled"]


def test_an_alert_past_its_expiry_is_expired_once_with_its_event():
    uow = FakeUnitOfWork()
    incident, _ = receive(uow, cap("a-1", 10))

    assert expire_due(uow, datetime(2026, 11, 20, 23, tzinfo=UTC)) == 0  # type: ignore[arg-type]
    assert expire_due(uow, datetime(2026, 11, 21, 7, tzinfo=UTC)) == 1  # type: ignore[arg-type]
    assert expire_due(uow, datetime(2026, 11, 21, 8, tzinfo=UTC)) == 0  # type: ignore[arg-type]

    assert uow.alerts.incident(incident["id"])["state"] == "expired"
    expired = uow.events(ALERTS.name)[-1]
    assert expired.type == contract.ALERT_EXPIRED and expired.data["version"] == 2


def test_an_instance_not_yet_given_its_partitions_stores_the_alert_and_matches_nothing():
    waiting = Indexing(instance="alerts-new", assignment=PartitionAssignment(), whole=False)
    uow = FakeUnitOfWork(indexing=waiting)
    incident, _ = receive(uow, cap("a-1", 10))

    assert incident["version"] == 1 and incident["exposure"] is None
    assert not uow.events(EXPOSURES.name) and not uow.alerts.parts
    # An instance indexing every household then matches every partition of it.
    uow.indexing = Indexing(instance="alerts")
    assert match_unfinished(lambda **_: uow) == HOUSEHOLDS.partitions  # type: ignore[arg-type,return-value]
    assert uow.alerts.incident(incident["id"])["exposure_summary"]["households"] == 6


def test_a_partition_claimed_first_elsewhere_is_not_matched_again():
    uow = FakeUnitOfWork()
    incident, _ = receive(uow, cap("a-1", 10))
    key = f"alert:{incident['id']}:1"
    uow.alerts.requests[key]["completed_at"] = None
    # Another instance claims partition 0 while this one is matching it.
    elsewhere = {"exposure_key": key, "partition": 0, "matched_by": "alerts-east", "summary": {}}
    uow.alerts.parts[(key, 0)] = elsewhere
    uow.alerts.unseen = {(key, 0)}
    before = len(uow.published)

    with pytest.raises(PartAlreadyMatched), uow:
        match_mine(uow, key)  # type: ignore[arg-type]
    assert len(uow.published) == before and uow.alerts.parts[(key, 0)] == elsewhere

    # Looking again once the other claim shows: nothing of this instance's is missing any more.
    uow.alerts.unseen = set()
    assert match_unfinished(lambda **_: uow) == 0  # type: ignore[arg-type,return-value]
    assert len(uow.published) == before


def test_a_footprint_for_an_unknown_alert_is_refused_and_nothing_is_stored():
    uow = FakeUnitOfWork()
    feature = (
        b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"intensity": 2.0},'
        b' "geometry": {"type": "Polygon", "coordinates": [[[-87.3, 13.2], [-87.1, 13.2], [-87.1, 13.4],'
        b" [-87.3, 13.4], [-87.3, 13.2]]]}}]}"
    )
    thresholds = [{"band": "moderate", "min": 0.5}, {"band": "severe", "min": 1.5}]
    with pytest.raises(IncidentNotFound):
        apply_footprint(  # type: ignore[arg-type]
            NewFootprint(feature, "application/geo+json", "flood_depth", thresholds, "cp", "no-such-alert"),
            uow,
        )
    assert not uow.alerts.footprints and not uow.alerts.requests and not uow.published

    stored = apply_footprint(  # type: ignore[arg-type]
        NewFootprint(feature, "application/geo+json", "flood_depth", thresholds, "cp"), uow
    )
    assert stored["exposure"]["households"] == 6
    assert stored["exposure"]["by_band"][-1] == {"band": "severe", "min": 1.5, "households": 6, "people": 18}


def test_reading_an_unknown_alert_is_refused():
    with pytest.raises(IncidentNotFound):
        get_incident("no-such-alert", FakeUnitOfWork())  # type: ignore[arg-type]
