"""The embedded stack as real processes: the flow, redelivery and a SIGKILL mid-stream.

Longer faults (a broker outage, many kills, replays into wiped projections) are in
``tests/reliability/``."""

from __future__ import annotations

import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from kafka import KafkaProducer
from sqlalchemy import create_engine, func, select

from services.alerts.adapters.orm import household_locations
from services.alerts.adapters.orm import inbox as alerts_inbox
from services.registry.adapters.orm import outbox as registry_outbox
from services.stack import Stack
from services.transfers.adapters.orm import household_attributes
from services.transfers.adapters.orm import inbox as transfers_inbox
from shared.auth import AUDITOR, FIELD_STAFF, PROGRAMME_OFFICER
from shared.events import CloudEvent
from tests.conftest import wait_until
from tests.samples import distinct_household, household_body

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREE_PORTS = {"registry": 0, "alerts": 0, "transfers": 0, "console": 0}


class RunningStack:
    """A started :class:`Stack` plus what the tests ask of it."""

    def __init__(self, stack: Stack, database_urls: dict[str, str]):
        self.stack = stack
        self.urls = database_urls
        self.engines = {name: create_engine(url) for name, url in database_urls.items()}
        self.field_staff = stack.issuer.mint("field-1", [FIELD_STAFF], ["HN"], ttl_seconds=7200)
        self.session = requests.Session()

    def register(self, correlation_id: str | None = None) -> str:
        household_id = str(uuid.uuid4())
        body = distinct_household(household_id)
        headers = {"Authorization": f"Bearer {self.field_staff}"}
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        url = f"{self.stack.url('registry')}/v1/households"
        while (response := requests.post(url, json=body, headers=headers, timeout=30)).status_code == 503:
            time.sleep(float(response.headers["Retry-After"]))  # busy: come back when told
        assert response.status_code == 201, response.text
        return household_id

    def register_many(self, count: int, threads: int = 8) -> list[str]:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda _: self.register(), range(count)))

    def ids_in(self, service: str) -> set[str]:
        table = household_locations if service == "alerts" else household_attributes
        with self.engines[service].connect() as connection:
            return set(connection.execute(select(table.c.household_id)).scalars())

    def metric(self, service: str, name: str, **labels: str) -> float:
        text = requests.get(f"{self.stack.url(service)}/metrics", timeout=5).text
        total = 0.0
        for line in text.splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total


def start_stack(tmp_path, database_urls: dict[str, str]) -> RunningStack:
    stack = Stack(data_dir=tmp_path, ports=FREE_PORTS, database_urls=database_urls).start()
    return RunningStack(stack, database_urls)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stack")
    urls = {name: f"sqlite:///{folder / (name + '.db')}" for name in ("registry", "alerts", "transfers")}
    running = start_stack(folder, urls)
    yield running
    running.stack.stop()


def follow_one_household(running: RunningStack) -> None:
    correlation_id = f"test-{uuid.uuid4().hex[:8]}"
    household_id = running.register(correlation_id)
    stack = running.stack
    auditor = stack.issuer.mint("aud", [AUDITOR], ["HN"])
    officer = stack.issuer.mint("po", [PROGRAMME_OFFICER], ["HN"])

    def seen(service: str, path: str, token: str):
        response = requests.get(
            f"{stack.url(service)}{path}/{household_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        return response.json() if response.status_code == 200 else None

    location = wait_until(lambda: seen("alerts", "/v1/household-locations", auditor), 60, what="location")
    attributes = wait_until(
        lambda: seen("transfers", "/v1/household-attributes", officer), 60, what="attributes"
    )
    sent = distinct_household(household_id)["location"]
    assert (location["lat"], location["lon"], location["admin_code"], location["version"]) == (
        sent["lat"],
        sent["lon"],
        "HN-CH",
        1,
    )
    assert (attributes["size"], attributes["status"], attributes["version"]) == (3, "active", 1)
    # What eligibility rules will read came along: score and vulnerable groups, never names.
    assert attributes["vulnerability_score"] > 0 and attributes["children_under_5"] == 1
    assert attributes["elderly_65_plus"] == 1 and attributes["female_headed"] is True
    assert attributes["payment_channel_type"] == "mobile_money"
    # The correlation id travelled with the event into both consumers' logs.
    for service in ("alerts", "transfers"):
        log = (stack.logs / f"{service}.log").read_text()
        assert re.search(rf'"applied [^"]*{household_id}".*"correlation_id": "{correlation_id}"', log), (
            service
        )


def test_household_flows_through_all_three_services(running):
    follow_one_household(running)


def test_household_flows_through_all_three_services_on_postgresql(tmp_path, postgres):
    urls = {name: postgres.new_database() for name in ("registry", "alerts", "transfers")}
    running = start_stack(tmp_path, urls)
    try:
        follow_one_household(running)
    finally:
        running.stack.stop()


def test_the_same_event_delivered_twice_is_applied_once(running):
    household_id = running.register()
    wait_until(
        lambda: household_id in running.ids_in("alerts") and household_id in running.ids_in("transfers"), 60
    )
    with running.engines["registry"].connect() as connection:
        payload = connection.execute(
            select(registry_outbox.c.payload).where(registry_outbox.c.key == household_id)
        ).scalar_one()
    event = CloudEvent.from_json(payload)
    before = {
        s: running.metric(s, "amparo_inbox_events_total", outcome="duplicate")
        for s in ("alerts", "transfers")
    }

    producer = KafkaProducer(bootstrap_servers=[running.stack.broker.bootstrap_server])
    producer.send("registry.households", key=household_id.encode(), value=bytes(payload)).get(10)
    producer.close()

    for service, inbox in (("alerts", alerts_inbox), ("transfers", transfers_inbox)):
        # The redelivery really arrived and was recognised ...
        wait_until(
            lambda s=service: running.metric(s, "amparo_inbox_events_total", outcome="duplicate") > before[s],
            60,
            what=f"{service} to see the duplicate",
        )
        # ... and changed nothing.
        with running.engines[service].connect() as connection:
            assert (
                connection.scalar(select(func.count()).select_from(inbox).where(inbox.c.event_id == event.id))
                == 1
            )
    assert household_id in running.ids_in("alerts")


def test_transfers_killed_mid_stream_catches_up_without_loss_or_doubling(running):
    transfers = running.stack.services["transfers"]
    resets_before = running.metric("registry", "amparo_outbox_broker_resets_total")
    applied_before = running.metric("transfers", "amparo_inbox_events_total", outcome="applied")
    total = 600
    registered: list[str] = []
    registering = threading.Thread(target=lambda: registered.extend(running.register_many(total)))
    registering.start()

    wait_until(
        lambda: (
            running.metric("transfers", "amparo_inbox_events_total", outcome="applied")
            >= applied_before + 100
        ),
        120,
        interval=0.02,
        what="transfers to be mid-stream",
    )
    applied_at_kill = (
        running.metric("transfers", "amparo_inbox_events_total", outcome="applied") - applied_before
    )
    assert transfers.kill() == -9  # SIGKILL: no clean-up, no offset commit
    assert 0 < applied_at_kill < total, "the kill must land mid-stream"

    registering.join()
    assert len(registered) == total
    transfers.start().wait_ready()
    wait_until(
        lambda: set(registered) <= running.ids_in("transfers"),
        180,
        interval=0.5,
        what="transfers to catch up",
    )

    with running.engines["transfers"].connect() as connection:
        rows = connection.execute(
            select(household_attributes.c.household_id, household_attributes.c.version).where(
                household_attributes.c.household_id.in_(registered)
            )
        ).all()
        applied = connection.scalar(
            select(func.count()).select_from(transfers_inbox).where(transfers_inbox.c.outcome == "applied")
        )
        events = connection.scalar(select(func.count()).select_from(transfers_inbox))
    assert len(rows) == total and {v for _, v in rows} == {1}
    with running.engines["registry"].connect() as connection:
        published = connection.scalar(select(func.count()).select_from(registry_outbox))
    assert applied == events == published  # one inbox row per registry event: nothing lost, nothing doubled
    assert set(registered) <= running.ids_in("alerts")
    # A healthy broker is never mistaken for a restarted one (no needless republishing).
    assert running.metric("registry", "amparo_outbox_broker_resets_total") == resets_before


def test_an_alert_over_a_household_ends_in_an_approved_batch_and_a_payment_file(running):
    """Registry → broker → alerts → broker → transfers → the registry's payment details, on real
    processes: one household's whole path, checked."""
    from tests.one_household import (
        ensure_demo_programme,
        follow_one_household,
        issue_demo_alert,
        pay_the_exposed,
    )

    said: list[str] = []
    stack = running.stack
    followed = follow_one_household(stack, said.append)
    ensure_demo_programme(stack, said.append)
    ensure_demo_programme(stack, said.append)  # once only, however often the demo runs
    incident = issue_demo_alert(stack, said.append)
    paid = pay_the_exposed(stack, incident["id"], followed["household"]["id"], said.append)
    assert paid["batch"]["state"] == "approved" and paid["batch"]["decided_by"] == "demo-approver"
    # Households registered by the other tests live there too (the budget may not reach them all):
    # every payment of the batch is in a file, and the demo household is in one if it is payable.
    rows = [
        line.split(",") for f in paid["files"] if f.suffix == ".csv" for line in f.read_text().splitlines()
    ]
    lines = [r for r in rows if r[0] != "end_to_end_id"]
    assert rows[0][0] == "end_to_end_id" and len(lines) == paid["batch"]["households"]
    auditor = stack.issuer.mint("aud", [AUDITOR], ["HN"])
    why = requests.get(
        f"{stack.url('transfers')}/v1/households/{followed['household']['id']}/decisions",
        headers={"Authorization": f"Bearer {auditor}"},
        timeout=5,
    ).json()["decisions"][0]
    mine = [r for r in lines if r[1] == followed["household"]["id"]]
    assert why["status"] in ("payable", "below_cut_off"), why
    if why["status"] == "payable":
        assert mine and mine[0][5] == "99887766" and mine[0][7] == "2250.00"  # 1 500 + 3 members × 250
    else:
        assert not mine and paid["batch"]["below_cut_off"] > 0
    officer = stack.issuer.mint("po", [PROGRAMME_OFFICER], ["HN"])
    listed = requests.get(
        f"{stack.url('transfers')}/v1/programmes", headers={"Authorization": f"Bearer {officer}"}, timeout=5
    ).json()
    assert [p["name"] for p in listed].count("Tormenta — transferencia de respuesta (demo)") == 1
    assert any("transfers  (hogar de la demo)" in line for line in said)


def test_a_family_registered_inside_an_active_alert_is_decided_within_seconds_and_followed_out(running):
    """Field staff keep registering while an alert is active: the new family is matched as the
    registry's event reaches alerts and decided by transfers, and a family that moves away is
    said to have left — on real processes and the real broker."""
    from tests.one_household import ensure_demo_programme, issue_demo_alert

    stack = running.stack
    ensure_demo_programme(stack, lambda _: None)
    incident = issue_demo_alert(stack, lambda _: None)
    field_staff = stack.issuer.mint("fs", [FIELD_STAFF], ["HN"])
    auditor = stack.issuer.mint("aud", [AUDITOR], ["HN"])
    registered = requests.post(
        f"{stack.url('registry')}/v1/households",
        # A new family (the same people again would be held as a probable duplicate), at 13.30,
        # -87.19: inside the alert's polygon.
        json={**distinct_household(str(uuid.uuid4())), "location": household_body()["location"]},
        headers={"Authorization": f"Bearer {field_staff}"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    family = registered.json()
    started = time.monotonic()

    def decided():
        found = requests.get(
            f"{stack.url('transfers')}/v1/households/{family['id']}/decisions",
            headers={"Authorization": f"Bearer {auditor}"},
            timeout=5,
        )
        if found.status_code == 404:  # its registry record has not reached transfers yet
            return []
        return [d for d in found.json()["decisions"] if d["incident_id"] == incident["id"]]

    # Decided on its attributes (had they reached transfers after the exposure, the late-households
    # round decides it again within 15 s).
    known = wait_until(
        lambda: [d for d in decided() if d["status"] != "unknown_household"],
        60,
        what="a decision on the family registered after the alert",
    )
    assert known[0]["status"] in ("payable", "below_cut_off", "not_eligible"), known
    assert time.monotonic() - started < 45

    def after_alert():
        shown = requests.get(
            f"{stack.url('alerts')}/v1/alerts/{incident['id']}",
            headers={"Authorization": f"Bearer {auditor}"},
            timeout=5,
        ).json()
        return shown["exposure"].get("after_alert")

    assert wait_until(lambda: (after_alert() or {}).get("arrived"), 30, what="the arrival counted") >= 1
    moved = {
        **household_body(),
        "admin_code": "HN-CR",
        "location": {"lat": 15.50, "lon": -88.03, "accuracy_m": 10},
    }
    changed = requests.put(
        f"{stack.url('registry')}/v1/households/{family['id']}",
        json=moved,
        headers={"Authorization": f"Bearer {field_staff}", "If-Match": f'"{family["version"]}"'},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert wait_until(lambda: (after_alert() or {}).get("moved_out"), 30, what="the move counted") >= 1
