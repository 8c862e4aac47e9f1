"""Every service killed with SIGKILL, again and again, while Fiona is handled from the registry's
import to the payment files: the end must be the clean run's, with nobody paid twice.

Two stacks handle the same country the same way (:func:`tests.reliability.chaos.handle_fiona`):
one left alone, one whose services are killed 8 times (60 under ``--soak``), every sure crash
point among them — at the crash points of :mod:`shared.faults` and at random moments — and
restarted by a supervisor. Compared,
by each household's place and each programme's name: the registry, both projections, every
decision and every payment.
"""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

from services.stack import Stack
from shared.faults import VARIABLE
from tests.reliability import chaos

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREE = {"registry": 0, "alerts": 0, "transfers": 0}


def started(folder) -> Stack:
    urls = {name: f"sqlite:///{folder / (name + '.db')}" for name in chaos.SERVICES}
    return Stack(data_dir=folder, ports=FREE, database_urls=urls, with_console=False).start()


@pytest.mark.timeout(1800)  # the --soak run is long
def test_services_killed_at_random_points_end_as_a_clean_run(tmp_path_factory, figures, soak):
    households = 12_000 if soak else 1_000
    kills = 60 if soak else 8
    said: list[str] = []

    clean = started(tmp_path_factory.mktemp("clean"))
    try:
        began = time.monotonic()
        chaos.handle_fiona(clean, households, said.append)
        clean_seconds = time.monotonic() - began
    finally:
        clean.stop()
    expected = chaos.outcome(dict(clean.database_urls))

    stack = started(tmp_path_factory.mktemp("killed"))
    killer = chaos.Killer(stack, kills, random.Random(2022))
    try:
        began = time.monotonic()
        with chaos.Supervisor(stack, killer, said.append):
            chaos.handle_fiona(stack, households, said.append)
            # Kills still due land on the idle stack: it must come back to the same place.
            deadline = time.monotonic() + 600
            while not killer.done and time.monotonic() < deadline:
                time.sleep(0.5)
            chaos.wait_for_projections(stack, chaos.engines_of(stack))
        # A crash point armed before the supervisor left may still fire: bring everyone back
        # unarmed, as the supervisor would, and let the projections settle again.
        for service in chaos.SERVICES:
            process = stack.services[service]
            process.env.pop(VARIABLE, None)
            if not process.running:
                process.start()
            process.wait_ready()
        chaos.wait_for_projections(stack, chaos.engines_of(stack))
        killed_seconds = time.monotonic() - began
    finally:
        stack.stop()
    found = chaos.outcome(dict(stack.database_urls))

    by_how = Counter(k.how.split(":")[0] for k in killer.kills)
    by_service = Counter(k.service for k in killer.kills)
    restarts = [k.restarted_after for k in killer.kills if k.restarted_after]
    figures.record(
        "services killed with SIGKILL",
        households=households,
        kills=len(killer.kills),
        **{f"kills_{service}": by_service[service] for service in chaos.SERVICES},
        **{f"kills_by_{how.replace(' ', '_')}": n for how, n in sorted(by_how.items())},
        longest_restart_seconds=round(max(restarts, default=0), 1),
        clean_run_seconds=round(clean_seconds, 1),
        killed_run_seconds=round(killed_seconds, 1),
        registry_differences=len(set(found.registry.items()) ^ set(expected.registry.items())),
        projection_differences=sum(
            1
            for view in (found.alerts, found.transfers)
            for place in found.registry
            if view.get(place) != found.registry[place]
        ),
        decision_differences=len(set(found.decisions.items()) ^ set(expected.decisions.items())),
        payment_differences=len(set(found.payments.items()) ^ set(expected.payments.items())),
        payments_doubled=found.payments_doubled,
    )
    assert killer.unexpected == [], said
    assert killer.sure_left == {service: [] for service in chaos.SERVICES}, said
    assert len(killer.kills) >= kills, said
    assert found.payments_doubled == 0 and expected.payments_doubled == 0
    assert found.registry == expected.registry
    assert found.alerts == found.registry and found.transfers == found.registry
    assert found.decisions == expected.decisions
    assert found.payments == expected.payments
    assert expected.payments, "the clean run must pay someone, or there is nothing to compare"
