"""A refreshed snapshot end to end: the registry's relay publishes it to a real broker, and the
alerts and transfers services' household consumers take it in place of the version's first one."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from services.alerts.adapters.orm import household_locations
from services.alerts.entrypoints import app as alerts_app
from services.registry.entrypoints import app as registry_app
from services.transfers.adapters.orm import household_attributes
from services.transfers.entrypoints import app as transfers_app
from shared.auth import FIELD_STAFF
from shared.broker import EmbeddedBroker
from shared.kafka import declared_topics
from shared.runner import join_workers, start_workers
from tests.conftest import wait_until
from tests.integration.test_api import make_client
from tests.integration.test_snapshot_refresh import Clock, child_born, run_pass

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def own_broker():
    """A broker of its own: the consumer groups here must not meet other tests' members."""
    with EmbeddedBroker() as running:
        running.create_topics({t.name: t.partitions for t in declared_topics()})
        yield running


def test_a_refreshed_snapshot_reaches_both_projections_through_the_broker(tmp_path, own_broker, issuer):
    apps = {}
    for name, module in (("registry", registry_app), ("alerts", alerts_app), ("transfers", transfers_app)):
        (tmp_path / name).mkdir()
        url = f"sqlite:///{tmp_path / name / (name + '.db')}"
        apps[name] = make_client(
            module, name, tmp_path / name, own_broker.bootstrap_server, url, AMPARO_JWKS_URL=issuer.jwks_url
        )
    registry, registry_runtime = apps["registry"]
    deps = registry_runtime.extensions["amparo.registry"]
    deps.now = Clock(datetime(2028, 7, 30, 15, tzinfo=UTC))
    registry.runtime, registry.deps = registry_runtime, deps
    wanted = {
        "outbox-relay",
        "consumer-alerts.household-locations",
        "consumer-transfers.household-attributes",
    }
    workers = [w for _, runtime in apps.values() for w in runtime.workers if w.name in wanted]
    assert len(workers) == 5  # a relay in each service, and the two household consumers
    stop, failures = threading.Event(), []
    threads = start_workers(workers, stop, failures)
    try:
        token = issuer.mint("field", [FIELD_STAFF], ["HN"])
        body = child_born("2023-08-02", id=str(uuid.uuid4()))
        created = registry.post("/v1/households", json=body, headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.get_json()
        household_id = created.get_json()["id"]

        def row(name, table):
            with apps[name][1].session_factory() as session:
                return session.execute(select(table).where(table.c.household_id == household_id)).first()

        def seen(revision):
            found = (row("alerts", household_locations), row("transfers", household_attributes))
            if all(r is not None and (r.version, r.snapshot_revision) == (1, revision) for r in found):
                return found
            return None

        first_alerts, first_transfers = wait_until(lambda: seen(0), 60, what="the registration in both")
        assert first_alerts.children_under_5 == 1 == first_transfers.children_under_5

        deps.now.at = datetime(2028, 8, 2, 0, 40, tzinfo=UTC)
        assert run_pass(registry, date(2028, 8, 2)).published == 1
        alerts_row, transfers_row = wait_until(lambda: seen(1), 60, what="the refreshed snapshot in both")
        assert alerts_row.children_under_5 == 0 == transfers_row.children_under_5
        assert transfers_row.vulnerability_score < first_transfers.vulnerability_score
        assert not failures
    finally:
        stop.set()
        join_workers(threads)
