"""The database locked or unreachable for a while, on the running stack.

What people expect: a request that cannot reach the database answers quickly with 503 and a
Retry-After (a field worker's phone does not hang), reads that need no write lock keep working,
nothing of a refused request is stored, and once the database is back everything works again,
background work included, without anyone restarting anything.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, create_engine, func, inspect, select

from services.alerts.adapters.orm import household_locations
from services.alerts.adapters.orm import inbox as alerts_inbox
from services.demo import COUNTRY, registry_csv
from services.registry.adapters.orm import household_history, households
from services.registry.adapters.orm import outbox as registry_outbox
from services.stack import Stack
from services.transfers.adapters.orm import household_attributes
from services.transfers.adapters.orm import inbox as transfers_inbox
from shared.auth import (
    APPROVER,
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)
from shared.config import SERVICES
from shared.contracts.households import HOUSEHOLD_EVENT_TYPES
from tests.conftest import wait_until
from tests.one_household import DEMO_ALERT, DEMO_PROGRAMME
from tests.postgres_cluster import PostgresCluster
from tests.samples import distinct_household

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FREE_PORTS = {"registry": 0, "alerts": 0, "transfers": 0}
#: The services' default wait for the database in a request (AMPARO_DATABASE_REQUEST_WAIT_SECONDS).
REQUEST_WAIT = 5.0
#: How much longer than the wait a refused request may take to come back (thread pools, the network).
ANSWER_SLACK = 3.0
#: Tables the consumers write while the test runs: projections and inboxes.
CONSUMER_TABLES = {"inbox", "household_locations", "household_attributes"}


@dataclass
class Answer:
    """One request and how it went."""

    what: str
    status: int
    seconds: float
    retry_after: str | None = None
    content_type: str = ""
    body: Any = None


@dataclass
class Outage:
    """A stack on real databases, and what its people send it."""

    stack: Stack
    database_urls: dict[str, str]
    engines: dict[str, Engine] = field(init=False)

    def __post_init__(self) -> None:
        self.engines = {name: create_engine(url) for name, url in self.database_urls.items()}
        issuer = self.stack.issuer
        self.tokens = {
            "field": issuer.mint("field-1", [FIELD_STAFF], ["HN"], ttl_seconds=7200),
            "copeco": issuer.mint("copeco-1", [CIVIL_PROTECTION], ["HN"], ttl_seconds=7200),
            "officer": issuer.mint("officer-1", [PROGRAMME_OFFICER], ["HN"], ttl_seconds=7200),
            "approver": issuer.mint("approver-1", [APPROVER], ["HN"], ttl_seconds=7200),
            "auditor": issuer.mint("auditor-1", [AUDITOR], ["HN"], ttl_seconds=7200),
        }

    def call(self, what: str, service: str, method: str, path: str, token: str, **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {self.tokens[token]}", **kwargs.pop("headers", {})}
        started = time.monotonic()
        response = requests.request(
            method, f"{self.stack.url(service)}{path}", headers=headers, timeout=60, **kwargs
        )
        seconds = time.monotonic() - started
        content_type = response.headers.get("Content-Type", "")
        body = response.json() if "json" in content_type else response.text
        return Answer(
            what, response.status_code, seconds, response.headers.get("Retry-After"), content_type, body
        )

    def register(self, household_id: str) -> Answer:
        body = distinct_household(household_id)
        return self.call("register a household", "registry", "POST", "/v1/households", "field", json=body)

    def issue_alert(self, identifier: str) -> Answer:
        now = datetime.now(UTC).replace(microsecond=0)
        cap = DEMO_ALERT.format(
            identifier=identifier, sent=now.isoformat(), expires=(now + timedelta(days=2)).isoformat()
        )
        return self.call(
            "issue an alert",
            "alerts",
            "POST",
            "/v1/alerts",
            "copeco",
            data=cap.encode(),
            headers={"Content-Type": "application/cap+xml"},
        )

    def define_programme(self, name: str) -> Answer:
        body = {**DEMO_PROGRAMME, "name": name}
        return self.call("define a programme", "transfers", "POST", "/v1/programmes", "officer", json=body)

    def approve_programme(self, defined: Answer) -> Answer:
        """A second person approves a programme version (only approved versions decide)."""
        review = f"/v1/programmes/{defined.body['id']}/versions/{defined.body['version']}/review"
        body = {"approve": True, "comment": "read and agreed"}
        return self.call("approve a programme", "transfers", "POST", review, "approver", json=body)

    def approve(self, batch_id: str, key: str) -> Answer:
        return self.call(
            "approve a batch",
            "transfers",
            "POST",
            f"/v1/batches/{batch_id}/approve",
            "approver",
            json={"comment": "revisado"},
            headers={"Idempotency-Key": key},
        )

    def ready(self, service: str) -> Answer:
        started = time.monotonic()
        response = requests.get(f"{self.stack.url(service)}/readyz", timeout=30)
        return Answer(
            f"{service} readiness",
            response.status_code,
            time.monotonic() - started,
            response.headers.get("Retry-After"),
        )

    def ids_in(self, service: str) -> set[str]:
        table = household_locations if service == "alerts" else household_attributes
        with self.engines[service].connect() as connection:
            return set(connection.execute(select(table.c.household_id)).scalars())

    def wait_for_projections(self, household_ids: set[str], timeout: float = 120.0) -> None:
        """Wait until both consumers' projections hold every one of ``household_ids``."""
        wait_until(
            lambda: household_ids <= self.ids_in("alerts") and household_ids <= self.ids_in("transfers"),
            timeout,
            interval=0.2,
            what=f"{len(household_ids)} households to reach both projections",
        )

    def row_counts(self, service: str) -> dict[str, int]:
        """Rows of every table of a service except those its consumers write."""
        engine = self.engines[service]
        names = [n for n in inspect(engine).get_table_names() if n not in CONSUMER_TABLES]
        with engine.connect() as connection:
            return {
                n: connection.execute(select(func.count()).select_from(_table(n))).scalar_one() for n in names
            }

    def stop(self) -> None:
        self.stack.stop()
        for engine in self.engines.values():
            engine.dispose()


def _table(name: str) -> Any:
    from sqlalchemy import table

    return table(name)


def refused_properly(answer: Answer) -> None:
    """A 503 problem document with a Retry-After, within the request wait (plus slack)."""
    assert answer.status == 503, (answer.what, answer.status, answer.body)
    assert answer.content_type.startswith("application/problem+json"), answer
    assert answer.body["status"] == 503 and "retry" in answer.body["detail"], answer.body
    assert answer.retry_after is not None and int(answer.retry_after) > 0, answer
    assert answer.seconds < REQUEST_WAIT + ANSWER_SLACK, f"{answer.what} took {answer.seconds:.1f}s"


def start(data_dir: Path, database_urls: dict[str, str], **extra_env: str) -> Outage:
    stack = Stack(
        data_dir=data_dir,
        ports=FREE_PORTS,
        database_urls=database_urls,
        extra_env=extra_env,
        with_console=False,
    )
    stack.start()
    return Outage(stack, database_urls)


def proposed_batch(outage: Outage, incident_id: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        answer = outage.call(
            "list batches", "transfers", "GET", f"/v1/batches?incident_id={incident_id}", "approver"
        )
        return answer.body["batches"][0] if answer.status == 200 and answer.body["batches"] else None

    return wait_until(found, 60, interval=0.2, what="the alert's batch")  # type: ignore[return-value]


@pytest.fixture(scope="module")
def sqlite_outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    tmp_path = tmp_path_factory.mktemp("sqlite-outage")
    urls = {name: f"sqlite:///{tmp_path / (name + '.db')}" for name in SERVICES}
    # The relay and the consumers give up on the lock after 3 s here, so the held lock also sends
    # them through their back-off and retry (by default they wait 30 s, longer than the lock).
    outage = start(tmp_path, urls, AMPARO_DATABASE_BACKGROUND_WAIT_SECONDS="3")
    yield outage
    outage.stop()


class WriteLocks:
    """Other connections holding the write lock of SQLite databases (``BEGIN EXCLUSIVE``)."""

    def __init__(self) -> None:
        self.connections: list[sqlite3.Connection] = []

    def take(self, url: str) -> None:
        connection = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, timeout=30)
        connection.execute("BEGIN EXCLUSIVE")
        self.connections.append(connection)

    def release(self) -> None:
        for connection in self.connections:
            connection.rollback()
            connection.close()
        self.connections.clear()


def test_sqlite_write_lock_held_longer_than_requests_wait(sqlite_outage: Outage, figures, soak):
    outage = sqlite_outage
    held_for = 30.0 if soak else 9.0
    during_lock = 60 if soak else 20

    # Before: a household in the storm's path, a programme, an alert and the batch it proposes.
    first = str(uuid.uuid4())
    assert outage.register(first).status == 201
    defined = outage.define_programme(f"Tormenta {uuid.uuid4().hex[:6]}")
    assert defined.status == 201 and outage.approve_programme(defined).status == 200
    outage.wait_for_projections({first})
    issued = outage.issue_alert(uuid.uuid4().hex[:8])
    assert issued.status == 201, issued.body
    batch = proposed_batch(outage, issued.body["id"])
    assert batch["state"] == "proposed"

    locks = WriteLocks()
    try:
        # The consumers' databases first: households keep coming in, their events wait.
        locks.take(outage.database_urls["alerts"])
        locks.take(outage.database_urls["transfers"])
        locked_at = time.monotonic()
        arrived = [str(uuid.uuid4()) for _ in range(during_lock)]
        with ThreadPoolExecutor(4) as pool:
            accepted = list(pool.map(outage.register, arrived))
        assert {a.status for a in accepted} == {201}, [a.body for a in accepted if a.status != 201][:1]
        locks.take(outage.database_urls["registry"])
        stored_at_lock = {name: outage.row_counts(name) for name in SERVICES}

        refused_household = str(uuid.uuid4())
        refused_alert = uuid.uuid4().hex[:8]
        refused_programme = f"Tormenta {uuid.uuid4().hex[:6]}"
        approval_key = f"approve-{uuid.uuid4().hex}"
        with ThreadPoolExecutor(4) as pool:
            writes = list(
                pool.map(
                    lambda send: send(),
                    [
                        lambda: outage.register(refused_household),
                        lambda: outage.issue_alert(refused_alert),
                        lambda: outage.define_programme(refused_programme),
                        lambda: outage.approve(batch["id"], approval_key),
                    ],
                )
            )
        for answer in writes:
            refused_properly(answer)

        # Reads need no write lock: they answer at once.
        reads = [
            outage.call("read a household", "registry", "GET", f"/v1/households/{first}", "field"),
            outage.call("list alerts", "alerts", "GET", "/v1/alerts", "copeco"),
            outage.call("read a batch", "transfers", "GET", f"/v1/batches/{batch['id']}", "approver"),
            outage.call("list programmes", "transfers", "GET", "/v1/programmes", "officer"),
        ]
        for answer in reads:
            assert answer.status == 200 and answer.seconds < 2, (answer.what, answer.status, answer.seconds)
        readiness = [outage.ready(name) for name in SERVICES]
        assert {a.status for a in readiness} == {200}  # a busy database is still a reachable one

        time.sleep(max(0.0, held_for - (time.monotonic() - locked_at)))
    finally:
        locks.release()
    released_at = time.monotonic()
    # Nothing of the refused requests was stored.
    assert {name: outage.row_counts(name) for name in SERVICES} == stored_at_lock
    missing = outage.call(
        "read a household", "registry", "GET", f"/v1/households/{refused_household}", "field"
    )
    assert missing.status == 404, missing.body

    # Everything works again, nothing restarted: the same requests, sent again, succeed.
    again = outage.register(refused_household)
    first_write = time.monotonic() - released_at
    assert again.status == 201, again.body
    alert_again = outage.issue_alert(refused_alert)
    assert alert_again.status == 201, alert_again.body
    assert outage.define_programme(refused_programme).status == 201
    approved = outage.approve(batch["id"], approval_key)
    assert approved.status == 200 and approved.body["state"] == "approved", approved.body

    everyone = {first, refused_household, *arrived}
    outage.wait_for_projections(everyone)
    caught_up = time.monotonic() - released_at
    lost, doubled = check_events(outage, everyone)
    assert (lost, doubled) == (0, 0)

    figures.record(
        "database outage",
        sqlite_lock_held_seconds=held_for,
        sqlite_writes_refused_503=sum(a.status == 503 for a in writes),
        sqlite_slowest_refusal_seconds=round(max(a.seconds for a in writes), 2),
        sqlite_slowest_read_under_lock_seconds=round(max(a.seconds for a in reads), 3),
        sqlite_households_accepted_while_consumers_locked=len(arrived),
        sqlite_recovery_first_write_seconds=round(first_write, 2),
        sqlite_recovery_projections_seconds=round(caught_up, 2),
        sqlite_events_lost=lost,
        sqlite_events_doubled=doubled,
    )


def check_events(outage: Outage, household_ids: set[str]) -> tuple[int, int]:
    """(events lost, events doubled) of the registry's household events in both consumers."""
    with outage.engines["registry"].connect() as connection:
        rows = connection.execute(
            select(
                registry_outbox.c.event_id, registry_outbox.c.published_at, registry_outbox.c.event_type
            ).where(registry_outbox.c.topic == "registry.households")
        ).all()
        stored = set(connection.execute(select(households.c.id)).scalars())
        history = connection.execute(select(func.count()).select_from(household_history)).scalar_one()
    assert household_ids <= stored
    assert all(r.published_at is not None for r in rows), "the relay left events unpublished"
    # One snapshot event per household (probable duplicates add review events of their own).
    snapshots = [r for r in rows if r.event_type in HOUSEHOLD_EVENT_TYPES]
    assert history == len(stored) == len(snapshots), (
        "a household without its event or history, or the reverse"
    )
    sent = {r.event_id for r in rows}
    lost = doubled = 0
    for service, inbox, projection in (
        ("alerts", alerts_inbox, household_locations),
        ("transfers", transfers_inbox, household_attributes),
    ):
        with outage.engines[service].connect() as connection:
            received = list(
                connection.execute(
                    select(inbox.c.event_id).where(
                        inbox.c.topic == "registry.households", inbox.c.outcome == "applied"
                    )
                ).scalars()
            )
            versions = connection.execute(select(projection.c.version)).scalars().all()
        lost += len(sent - set(received))
        doubled += len(received) - len(set(received)) + sum(1 for v in versions if v != 1)
    return lost, doubled


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of this test alone: it is stopped and started again (the session's
    ``postgres`` is shared by other tests)."""
    root = Path(tempfile.mkdtemp(prefix="amparo-pg-outage-"))  # the server's user must reach it
    root.chmod(0o755)
    cluster = PostgresCluster(root).start()
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by a failed test
        cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


class Registering:
    """Field staff registering households one after another, as long as the test runs."""

    def __init__(self, outage: Outage):
        self.outage = outage
        self.answers: list[tuple[str, float, Answer]] = []  # household id, when it came back, answer
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="registering")

    def _run(self) -> None:
        while not self._stop.is_set():
            household_id = str(uuid.uuid4())
            try:
                answer = self.outage.register(household_id)
            except requests.RequestException as exc:  # a hang or a dropped connection
                self.failures.append(f"{household_id}: {exc}")
                continue
            self.answers.append((household_id, time.monotonic(), answer))
            self._stop.wait(0.05)

    def __enter__(self) -> Registering:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def with_status(self, status: int) -> list[str]:
        return [household_id for household_id, _, answer in self.answers if answer.status == status]


def test_postgresql_unreachable_while_households_keep_coming(tmp_path, own_cluster, figures, soak):
    outage_seconds = 60.0 if soak else 12.0
    urls = {name: own_cluster.new_database() for name in SERVICES}
    outage = start(tmp_path, urls)
    try:
        before = [str(uuid.uuid4()) for _ in range(10)]
        assert {outage.register(h).status for h in before} == {201}
        with Registering(outage) as field_staff:
            time.sleep(2)
            own_cluster.stop("fast")
            stopped_at = time.monotonic()
            readiness: list[Answer] = []
            refused: list[Answer] = []
            while time.monotonic() - stopped_at < outage_seconds:
                readiness.extend(outage.ready(name) for name in SERVICES)
                refused.append(outage.define_programme(f"Tormenta {uuid.uuid4().hex[:6]}"))
                time.sleep(1)
            during = [a for _, at, a in field_staff.answers if at > stopped_at + ANSWER_SLACK]
            own_cluster.resume()
            resumed_at = time.monotonic()
            wait_until(
                lambda: any(at > resumed_at and a.status == 201 for _, at, a in field_staff.answers),
                60,
                interval=0.05,
                what="a household registered after the database came back",
            )
            first_write = min(at for _, at, a in field_staff.answers if at > resumed_at and a.status == 201)
            time.sleep(2)
        for answer in refused + during:
            refused_properly(answer)
        assert all(a.status == 503 and a.retry_after for a in readiness[len(SERVICES) :]), readiness
        server_errors = [a for _, _, a in field_staff.answers if a.status >= 500 and a.status != 503]
        assert not field_staff.failures and not server_errors, (field_staff.failures, server_errors[:1])
        assert {outage.ready(name).status for name in SERVICES} == {200}
        accepted = set(before) | set(field_staff.with_status(201))
        outage.wait_for_projections(accepted)
        caught_up = time.monotonic() - resumed_at

        # A household refused with 503 is not stored; sent again with the same id it is.
        refused_ids = field_staff.with_status(503)
        assert refused_ids, "no request reached the services while the database was down"
        for household_id in refused_ids:
            missing = outage.call("read", "registry", "GET", f"/v1/households/{household_id}", "field")
            assert missing.status == 404, (household_id, missing.status)
        with ThreadPoolExecutor(4) as pool:
            again = list(pool.map(outage.register, refused_ids))
        assert {a.status for a in again} == {201}, [a.body for a in again if a.status != 201][:1]

        everyone = accepted | set(refused_ids)
        outage.wait_for_projections(everyone)
        lost, doubled = check_events(outage, everyone)
        assert (lost, doubled) == (0, 0)
    finally:
        outage.stop()
    figures.record(
        "database outage",
        postgresql_down_seconds=outage_seconds,
        postgresql_requests_refused_503=len(refused_ids) + len(refused),
        postgresql_slowest_refusal_seconds=round(max(a.seconds for a in refused + during), 2),
        postgresql_server_errors=len(server_errors) + len(field_staff.failures),
        postgresql_recovery_first_write_seconds=round(first_write - resumed_at, 2),
        postgresql_recovery_projections_seconds=round(caught_up, 2),
        postgresql_events_lost=lost,
        postgresql_events_doubled=doubled,
    )


def test_import_commit_resumes_by_itself_after_the_registry_database_was_locked(
    sqlite_outage: Outage, figures, soak
):
    """An import commit meets the lock (before or between its batches): it finishes once the lock goes,
    each household written once, without anyone committing again."""
    outage = sqlite_outage
    officer = outage.stack.issuer.mint("officer-imports", [REGISTRY_OFFICER], [COUNTRY], ttl_seconds=7200)
    outage.tokens["registry officer"] = officer
    households_in_file = 10_000 if soak else 3_000
    uploaded = outage.call(
        "upload an import",
        "registry",
        "POST",
        "/v1/imports",
        "registry officer",
        files={"file": ("registro.csv", registry_csv(households_in_file))},
    )
    assert uploaded.status == 202, uploaded.body
    path = f"/v1/imports/{uploaded.body['id']}"

    def job(*statuses: str) -> dict[str, Any] | None:
        answer = outage.call("read an import", "registry", "GET", path, "registry officer")
        assert answer.status == 200 and answer.seconds < 2, (answer.status, answer.seconds, answer.body)
        return answer.body if answer.body["status"] in statuses else None

    validated = wait_until(lambda: job("validated", "failed"), 120, what="the validation")
    assert validated["status"] == "validated", validated  # type: ignore[index]
    stored_before, events_before = registry_rows(outage)
    started = outage.call("commit an import", "registry", "POST", f"{path}/commit", "registry officer")
    assert started.status in (200, 202), started.body
    locks = WriteLocks()
    try:
        locks.take(outage.database_urls["registry"])
        during = job("committing")
        assert during is not None, "the commit finished before the lock; make the file larger"
        time.sleep(9.0)  # three times the relay's, consumers' and import's wait in this stack
        assert job("committing") is not None
    finally:
        locks.release()
    released_at = time.monotonic()
    done = wait_until(lambda: job("committed", "failed", "validated"), 120, what="the commit to finish")
    finished = time.monotonic() - released_at
    assert done["status"] == "committed", done  # type: ignore[index]
    valid = validated["households_valid"]  # type: ignore[index]
    assert done["households_written"] == valid  # type: ignore[index]
    assert registry_rows(outage) == (stored_before + valid, events_before + valid)
    figures.record(
        "database outage",
        import_households_committed_across_lock=valid,
        import_written_before_lock=during["households_written"],
        import_finish_after_release_seconds=round(finished, 2),
    )


def registry_rows(outage: Outage) -> tuple[int, int]:
    """(households, their snapshot events) in the registry's database (a probable duplicate's
    review events are not counted: the import may queue some)."""
    with outage.engines["registry"].connect() as connection:
        stored = connection.execute(select(func.count()).select_from(households)).scalar_one()
        events = connection.execute(
            select(func.count())
            .select_from(registry_outbox)
            .where(registry_outbox.c.event_type.in_(HOUSEHOLD_EVENT_TYPES))
        ).scalar_one()
    return stored, events
