"""A service under gunicorn, as the containers run it: the API answers, the relay and the
consumers run exactly once in the worker process, and SIGTERM stops everything cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from services.alerts.adapters.orm import household_locations
from shared import db
from shared.auth import DevIssuer
from shared.broker import free_port
from shared.kafka import HOUSEHOLDS, make_producer
from tests.conftest import wait_until
from tests.samples import snapshot_event

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def test_alerts_under_gunicorn_serves_consumes_and_stops_on_sigterm(tmp_path, broker):
    issuer = DevIssuer(tmp_path / "dev-issuer").ensure_keys()
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    port = free_port()
    env = {
        **os.environ,
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_ALERTS_DATABASE_URL": url,
        "AMPARO_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_server,
        "AMPARO_JWKS_URL": issuer.jwks_url,
        "AMPARO_CONSUMER_INSTANCE_ID": f"alerts-{uuid.uuid4().hex[:6]}",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--config", str(CONFIG), "--bind", f"127.0.0.1:{port}",
                "services.alerts.entrypoints.wsgi:application()",
            ],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            try:
                return requests.get(f"{base}/readyz", timeout=2).status_code == 200
            except (requests.ConnectionError, requests.Timeout):
                return False  # still booting: a busy machine may keep the first answer waiting

        wait_until(ready, timeout=60, what="alerts under gunicorn ready")
        assert requests.get(f"{base}/healthz", timeout=2).status_code == 200
        token = issuer.mint("cp", ["civil_protection"], ["*"])
        assert requests.get(f"{base}/v1/alerts", headers={"Authorization": f"Bearer {token}"}).ok

        household = str(uuid.uuid4())
        producer = make_producer([broker.bootstrap_server], "test-registry")
        event = snapshot_event(household, 1)
        producer.send(HOUSEHOLDS.name, key=household.encode(), value=event.to_json()).get(10)
        producer.close()
        engine = db.make_engine(url)

        def located() -> bool:
            with engine.connect() as connection:
                query = select(household_locations).where(household_locations.c.household_id == household)
                return connection.execute(query).first() is not None

        wait_until(located, timeout=60, what="the household event applied by the worker's consumer")
        engine.dispose()

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = log.read_text()
    for worker in ("outbox-relay", "consumer-alerts.household-locations", "alert-expiry"):
        assert text.count(f"worker {worker} started") == 1, text[-3000:]
    assert '"message": "stopped"' in text
    # None of Amparo's workers failed. (kafka-python may log its own socket closing under its
    # reader as the consumer stops: a library's shutdown race, not a worker's failure.)
    failures = [line for line in text.splitlines() if "Traceback" in line and '"logger": "kafka.' not in line]
    assert failures == [], text[-3000:]


def test_gunicorn_stops_with_the_reason_when_the_database_is_behind_the_code(tmp_path):
    env = {**os.environ, "AMPARO_DATA_DIR": str(tmp_path), "AMPARO_MIGRATE_ON_START": "false"}
    command = [
        sys.executable, "-m", "gunicorn", "--config", str(CONFIG), "--bind", f"127.0.0.1:{free_port()}",
        "services.alerts.entrypoints.wsgi:application()",
    ]  # fmt: skip
    stopped = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert stopped.returncode == 3  # gunicorn's "worker failed to boot": the container exits
    assert "run `amparo migrate --service alerts` first" in stopped.stderr
    assert stopped.stderr.count("Booting worker") == 1
