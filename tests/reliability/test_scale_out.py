"""Three alerts instances and two transfers instances decide exactly what one of each decides.

Two stacks handle the same generated country and Hurricane Fiona (the alert, its update and the
wind swath). The first runs one instance of each service. The second runs three alerts instances
indexing only their partitions of ``registry.households`` (``AMPARO_ALERTS_INDEX=partitions``) and
two transfers instances, each pair sharing one PostgreSQL database and one consumer group. The
messages go to different alerts instances. One of them is killed as the update comes and
restarted (its partitions wait for it), and a fourth instance joins as the swath comes, so the
group rebalances while the swath is matched.

Compared by each household's place and each programme's name: every decision and every payment.
Each exposure must have been matched partition by partition, every partition exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from services import demo
from services.alerts.adapters.orm import exposure_parts, exposure_requests
from services.stack import ServiceProcess, Stack
from services.transfers.adapters.orm import exposures
from shared.auth import CIVIL_PROTECTION
from shared.broker import free_port
from shared.kafka import HOUSEHOLDS
from tests.conftest import wait_until
from tests.reliability import chaos

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREE = {"registry": 0, "alerts": 0, "transfers": 0}
HOUSEHOLDS_GENERATED = 1_000
FINAL = ("decided", "superseded", "not_decided")


def issue_fiona(
    stack: Stack, alerts: list[demo.Client], between: dict[str, Callable[[], None]] | None = None
) -> str:
    """The alert to the first instance, the update to the second, the swath to the first;
    ``between`` says what happens as the update comes and as the swath comes."""
    between = between or {}
    now = datetime.now(UTC).replace(microsecond=0)
    first, update = demo.FIONA_MESSAGES[0], demo.FIONA_MESSAGES[-1]  # the alert, and its landfall update
    headers = {"Content-Type": "application/cap+xml"}
    incident = alerts[0].call("POST", "/v1/alerts", data=demo.fiona_message(first, now), headers=headers)
    settled(stack, 1)  # as in the demo: the alert is decided before its update comes
    between.get("update", lambda: None)()
    alerts[1 % len(alerts)].call("POST", "/v1/alerts", data=demo.fiona_message(update, now), headers=headers)
    between.get("footprint", lambda: None)()
    alerts[0].call("POST", "/v1/footprints", **demo.fiona_footprint(incident["id"]))
    return str(incident["id"])


def settled(stack: Stack, exposures_expected: int) -> dict[str, str]:
    """Each exposure's final status in transfers, once all of them have one."""
    engine = create_engine(stack.database_urls["transfers"])
    try:

        def statuses() -> dict[str, str] | None:
            with engine.connect() as connection:
                rows = connection.execute(select(exposures.c.exposure_key, exposures.c.status)).all()
            done = len(rows) == exposures_expected and all(status in FINAL for _, status in rows)
            return {kind_of(key): status for key, status in rows} if done else None

        found = wait_until(statuses, timeout=300, interval=0.5, what="every exposure decided")
        return dict(found)  # type: ignore[call-overload]
    finally:
        engine.dispose()


def kind_of(key: str) -> str:
    """``alert:<id>:<version>`` → ``alert v<version>``; a footprint → ``footprint``."""
    parts = key.split(":")
    return f"alert v{parts[2]}" if parts[0] == "alert" else "footprint"


def index_of(client: demo.Client) -> dict[str, Any]:
    return dict(client.call("GET", "/v1/household-locations/index"))


def test_three_alerts_and_two_transfers_instances_decide_as_one_of_each(tmp_path_factory, postgres, figures):
    said: list[str] = []

    # -- one instance of each ------------------------------------------------------------------
    folder = tmp_path_factory.mktemp("single")
    single = Stack(
        data_dir=folder,
        ports=FREE,
        database_urls={name: f"sqlite:///{folder / (name + '.db')}" for name in chaos.SERVICES},
        with_console=False,
    ).start()
    try:
        chaos.import_registry(single, HOUSEHOLDS_GENERATED, said.append)
        chaos.wait_for_projections(single, chaos.engines_of(single))
        chaos.define_programmes(single)
        coe = demo.client(single, "alerts", "coe-ana", [CIVIL_PROTECTION], [demo.COUNTRY])
        issue_fiona(single, [coe])
        expected_statuses = settled(single, 3)
    finally:
        single.stop()
    expected = chaos.outcome(dict(single.database_urls))

    # -- three alerts and two transfers instances ------------------------------------------------
    folder = tmp_path_factory.mktemp("scaled")
    urls = {
        "registry": f"sqlite:///{folder / 'registry.db'}",
        "alerts": postgres.new_database(),
        "transfers": postgres.new_database(),
    }
    scaled = Stack(
        data_dir=folder,
        ports=FREE,
        database_urls=urls,
        extra_env={"AMPARO_ALERTS_INDEX": "partitions"},
        with_console=False,
    ).start()
    try:
        more = [
            ServiceProcess(name, port, scaled.service_env(name, port), scaled.logs / f"{name}-{n}.log")
            for n, (name, port) in enumerate(
                [("alerts", free_port()), ("alerts", free_port()), ("transfers", free_port())],
                start=2,
            )
        ]
        for process in more:
            process.start()
        for process in more:
            process.wait_ready(timeout=90)
        alerts_processes = [scaled.services["alerts"], more[0], more[1]]
        token = scaled.issuer.mint("coe-ana", [CIVIL_PROTECTION], [demo.COUNTRY], ttl_seconds=3600)
        alerts = [demo.Client(process.url, token) for process in alerts_processes]

        def shared_out() -> list[dict[str, Any]] | None:
            held = [index_of(client) for client in alerts]
            owned = [set(h["partitions"] or ()) for h in held]
            everyone = set().union(*owned)
            disjoint = sum(len(o) for o in owned) == len(everyone)
            return held if all(owned) and disjoint and everyone == set(range(HOUSEHOLDS.partitions)) else None

        wait_until(
            shared_out, timeout=90, interval=0.5, what="the partitions shared out among three instances"
        )
        chaos.import_registry(scaled, HOUSEHOLDS_GENERATED, said.append)
        chaos.wait_for_projections(scaled, chaos.engines_of(scaled))
        held = shared_out()
        assert held is not None, "the group rebalanced while the registry was imported"
        # Each instance's index holds its own partitions' households and no other.
        for index in held:
            assert {int(p) for p in index["households_by_partition"]} <= set(index["partitions"]), index
        assert sum(index["households"] for index in held) == HOUSEHOLDS_GENERATED
        assert all(0 < index["households"] < HOUSEHOLDS_GENERATED for index in held)
        chaos.define_programmes(scaled)
        fourth = ServiceProcess("alerts", free_port(), {}, scaled.logs / "alerts-5.log")
        fourth.env = scaled.service_env("alerts", fourth.port)
        more.append(fourth)

        def killed_and_restarted() -> None:
            """The third instance dies as the update comes, and comes back (as a supervisor
            would bring it) to its partitions, some of them still unmatched."""
            alerts_processes[2].kill()
            time.sleep(2.0)
            alerts_processes[2].start()

        def scaled_up() -> None:
            """A fourth instance joins as the swath comes: the group rebalances while it is matched."""
            alerts_processes[2].wait_ready(timeout=90)
            fourth.start()

        incident_id = issue_fiona(scaled, alerts, {"update": killed_and_restarted, "footprint": scaled_up})
        found_statuses = settled(scaled, 3)
        fourth.wait_ready(timeout=90)
        alerts.append(demo.Client(fourth.url, token))
        after = wait_until(
            lambda: (
                (held := [index_of(client) for client in alerts])
                and all(h["partitions"] for h in held)
                and sum(len(h["partitions"]) for h in held) == HOUSEHOLDS.partitions
                and held
            ),
            timeout=90,
            interval=0.5,
            what="the partitions shared out among four instances",
        )
    finally:
        for process in more:
            process.stop()
        scaled.stop()
    found = chaos.outcome(urls)

    engine = create_engine(urls["alerts"])
    with engine.connect() as connection:
        requests = connection.execute(select(exposure_requests)).all()
        parts = connection.execute(
            select(exposure_parts.c.exposure_key, exposure_parts.c.partition, exposure_parts.c.matched_by)
        ).all()
    engine.dispose()
    matched_by = {(p.exposure_key, p.partition): p.matched_by for p in parts}
    instances = {p.matched_by for p in parts}
    figures.record(
        "scale-out: three alerts and two transfers instances against one of each",
        households=HOUSEHOLDS_GENERATED,
        exposures=len(requests),
        parts=len(parts),
        alerts_instances_that_matched=len(instances),
        decisions=len(found.decisions),
        decision_differences=len(set(found.decisions.items()) ^ set(expected.decisions.items())),
        payment_differences=len(set(found.payments.items()) ^ set(expected.payments.items())),
        payments_doubled=found.payments_doubled,
    )
    assert found_statuses == expected_statuses
    assert expected_statuses["alert v2"] == expected_statuses["footprint"] == "decided", expected_statuses
    # Every exposure matched partition by partition, each partition exactly once, by several
    # instances; after the kill the two survivors index every partition between them.
    assert len(requests) == 3 and all(r.completed_at is not None for r in requests)
    for request in requests:
        assert {p for (key, p) in matched_by if key == request.exposure_key} == set(
            range(HOUSEHOLDS.partitions)
        )
    assert len(instances) >= 3, instances
    assert set().union(*(set(i["partitions"]) for i in after)) == set(range(HOUSEHOLDS.partitions))
    assert incident_id
    # The same decisions and payments as one instance of each, nobody paid twice.
    assert expected.payments, "the single run must pay someone, or there is nothing to compare"
    assert found.payments_doubled == 0 and expected.payments_doubled == 0
    assert found.decisions == expected.decisions
    assert found.payments == expected.payments
