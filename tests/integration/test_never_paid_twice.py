"""Property: no sequence of replays, updates, cancels, approvals, results and retries ever pays a
household twice for one incident, and no household of an active alert is left without a payment.

Hypothesis draws the sequence; every step goes through the real consumer path (inbox) or the real
HTTP API, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.transfers.adapters.orm import payments
from shared.auth import APPROVER, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from tests.transfers_world import TORMENTA, World

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POOL = 6
MONEY_OUT = ("proposed", "approved", "instructed", "settled", "unknown")
STEPS = (
    "update",
    "replay",
    "exposure_before_alert",
    "cancel",
    "approve",
    "approve_retry",
    "instruct",
    "results",
    "reissue",
    "decide_again",
)


@pytest.fixture
def world(tmp_path, broker, issuer, database_url):
    w = World(tmp_path, broker, issuer, database_url)
    programme = {**TORMENTA, "budget": {"policy": "rank_by_vulnerability"}}
    w.define(programme)
    w.pool = w.register(POOL)
    yield w
    w.close()


class Incident:
    """One incident's life, driven step by step."""

    def __init__(self, world: World, first: list[str]):
        self.world = world
        self.id = world.new_incident()
        self.version = 1
        self.exposed = first
        self.cancelled = False
        self.last_events: list[bytes] = []
        self.approvals: list[tuple[str, str]] = []
        self.publish(first)

    def publish(self, households: list[str], exposure_first: bool = False) -> None:
        alert = self.world.alert_event(self.id, self.version, "Alert" if self.version == 1 else "Update")
        exposure = [e.to_json() for e in self.world.exposure(self.id, self.version, households)]
        events = exposure + [alert.to_json()] if exposure_first else [alert.to_json()] + exposure
        for raw in events:
            self.world.apply(raw)
        self.last_events = events
        self.exposed = households

    def step(self, name: str, data: st.DataObject) -> None:
        w = self.world
        if name in ("update", "exposure_before_alert") and not self.cancelled:
            self.version += 1
            households = data.draw(st.lists(st.sampled_from(w.pool), min_size=1, max_size=POOL, unique=True))
            self.publish(households, exposure_first=name == "exposure_before_alert")
        elif name == "replay":
            for raw in self.last_events:  # the same events delivered again
                w.apply(raw)
            for event in w.exposure(self.id, self.version, self.exposed):  # republished, new ids
                w.apply(event.to_json())
        elif name == "cancel" and not self.cancelled:
            self.version += 1
            self.cancelled = True
            w.apply(w.alert_event(self.id, self.version, "Cancel").to_json())
        elif name in ("approve", "approve_retry"):
            for batch in w.batches(self.id):
                if batch["state"] != "proposed":
                    continue
                key = str(uuid.uuid4())
                w.post(f"/v1/batches/{batch['id']}/approve", APPROVER, "approver-luis", key=key, json={})
                self.approvals.append((batch["id"], key))
            if name == "approve_retry":
                for batch_id, key in self.approvals:  # a client retrying an answered request
                    w.post(f"/v1/batches/{batch_id}/approve", APPROVER, "approver-luis", key=key, json={})
        elif name == "instruct":
            for batch in w.batches(self.id):
                if batch["state"] == "approved" and not batch["review_reason"]:
                    w.instruct(batch["id"], "mobile_money")
        elif name == "results":
            lines = []
            for batch in w.batches(self.id):
                for p in w.payments(batch["id"]):
                    if p["state"] in ("instructed", "unknown"):
                        result = data.draw(st.sampled_from(("settled", "failed", "unknown")))
                        lines.append(f"{p['end_to_end_id']},{result},\n")
            if lines:
                w.results("end_to_end_id,status,reason\n" + "".join(lines))
        elif name == "reissue":
            for batch in w.batches(self.id):
                if batch["payments_by_state"].get("failed"):
                    w.post(f"/v1/batches/{batch['id']}/reissue", PAYMENTS_OFFICER, json={})
        elif name == "decide_again":
            w.post(f"/v1/alerts/{self.id}/decisions", PROGRAMME_OFFICER)

    def check(self) -> None:
        with self.world.runtime.session_factory() as session:
            rows = session.execute(
                select(payments.c.household_id, payments.c.state).where(payments.c.incident_id == self.id)
            ).all()
        going_out = Counter(h for h, s in rows if s in MONEY_OUT)
        assert all(n == 1 for n in going_out.values()), f"paid twice: {going_out}"
        settled = Counter(h for h, s in rows if s == "settled")
        assert all(n == 1 for n in settled.values()), f"settled twice: {settled}"
        if not self.cancelled:
            holding = {h for h, s in rows if s in (*MONEY_OUT, "failed")}
            assert set(self.exposed) <= holding, f"left out: {set(self.exposed) - holding}"


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_sequence_ever_pays_a_household_twice_for_one_incident(world, data):
    first = data.draw(st.lists(st.sampled_from(world.pool), min_size=1, max_size=POOL, unique=True))
    incident = Incident(world, first)
    incident.check()
    for name in data.draw(st.lists(st.sampled_from(STEPS), min_size=1, max_size=12)):
        incident.step(name, data)
        incident.check()
