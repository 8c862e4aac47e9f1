"""The audit log's chain, tampered with in the database and checked by ``amparo audit verify``.

Every test runs on SQLite and on PostgreSQL, on databases built by the services' own migrations.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.adapters import orm as alerts_orm
from services.alerts.entrypoints import app as alerts_app
from services.cli import main
from services.transfers.adapters import orm as transfers_orm
from services.transfers.adapters.payment_schema import payment_tables_v1
from shared import db
from shared.audit import DENIED, AuditEntry, AuditLog, append, entry_hash
from shared.auth import PROGRAMME_OFFICER, DevIssuer
from shared.config import SERVICES
from shared.errors import PROBLEM_CONTENT_TYPE
from tests.integration.test_api import make_client
from tests.samples import registry_keys

pytestmark = pytest.mark.integration

SERVICE_ROOT = Path(__file__).resolve().parents[2] / "services"
ENTRIES = 8
TABLES = transfers_orm.audit


def _migrated(url: str, service: str = "transfers", revision: str = "head") -> Engine:
    engine = db.make_engine(url)
    db.upgrade(SERVICE_ROOT / service / "migrations", engine, revision)
    return engine


def _entry(n: int) -> AuditEntry:
    return AuditEntry(
        by=f"officer-{n % 3}",
        role="approver",
        action="approved" if n % 2 else "rejected",
        subject_type="batch",
        subject_id=str(uuid.uuid4()),
        comment=f"revisado ñ {n}",
        from_state="proposed",
        to_state="approved",
    )


def _fill(sessions: sessionmaker[Session], count: int = ENTRIES) -> None:
    for n in range(count):
        with sessions.begin() as session:
            append(session, TABLES, _entry(n))


def _verify(url: str, service: str = "transfers") -> Any:
    env = {f"AMPARO_{service.upper()}_DATABASE_URL": url, **registry_keys()}
    return CliRunner().invoke(main, ["audit", "verify", "--service", service], env=env)


@pytest.fixture
def chain(database_url: str) -> tuple[str, Engine]:
    """A transfers database whose audit log holds :data:`ENTRIES` chained entries."""
    engine = _migrated(database_url)
    _fill(db.make_session_factory(engine))
    yield database_url, engine
    engine.dispose()


def _row(engine: Engine, position: int) -> dict[str, Any]:
    with engine.connect() as connection:
        found = connection.execute(select(TABLES.entries).where(TABLES.entries.c.position == position))
        return dict(found.mappings().one())


def _change_comment(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET comment = 'nothing to see' WHERE position = 4"))


def _change_and_rehash(engine: Engine) -> None:
    row = {**_row(engine, 4), "by": "someone-else"}
    with engine.begin() as connection:
        connection.execute(
            update(TABLES.entries)
            .where(TABLES.entries.c.position == 4)
            .values(by="someone-else", hash=entry_hash(row, row["prev_hash"]))
        )


def _delete_middle(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_log WHERE position = 4"))


def _delete_last(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(delete(TABLES.entries).where(TABLES.entries.c.position == ENTRIES))


def _forge_after_last(engine: Engine) -> None:
    last = _row(engine, ENTRIES)
    forged = {**last, "position": ENTRIES + 1, "by": "forger", "prev_hash": last["hash"]}
    forged["hash"] = entry_hash(forged, last["hash"])
    with engine.begin() as connection:
        connection.execute(insert(TABLES.entries).values(**forged))


def _swap(engine: Engine) -> None:
    third, sixth = _row(engine, 3), _row(engine, 6)
    with engine.begin() as connection:
        for position, content in ((3, sixth), (6, third)):
            values = {k: v for k, v in content.items() if k != "position"}
            connection.execute(
                update(TABLES.entries).where(TABLES.entries.c.position == position).values(**values)
            )


def _drop_head(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_chain_head"))


def _rewind_head(engine: Engine) -> None:
    before = _row(engine, ENTRIES - 2)
    with engine.begin() as connection:
        connection.execute(update(TABLES.head).values(position=before["position"], hash=before["hash"]))


#: Each tampering, and what the verification must say: the position and the words naming how.
TAMPERINGS: dict[str, tuple[Callable[[Engine], None], str]] = {
    "a field of a middle entry changed": (_change_comment, "position 4: content changed"),
    "an entry changed and its hash recomputed": (_change_and_rehash, "position 5: does not follow entry 4"),
    "a middle entry deleted": (_delete_middle, "position 4: entry 4 missing"),
    "the last entry deleted": (
        _delete_last,
        f"position {ENTRIES}: entry missing: the head ends at {ENTRIES}",
    ),
    "a forged entry appended": (_forge_after_last, f"position {ENTRIES + 1}: entries after the head"),
    "two entries' contents swapped": (_swap, "position 3: does not follow entry 2"),
    "the chain head deleted": (_drop_head, f"position {ENTRIES + 1}: the chain head is missing"),
    "the chain head moved back": (_rewind_head, f"position {ENTRIES - 1}: entries after the head"),
}


@pytest.mark.parametrize("tampering", list(TAMPERINGS))
def test_verify_names_where_a_tampered_chain_breaks(chain, tampering, figures):
    url, engine = chain
    intact = _verify(url)
    assert intact.exit_code == 0, intact.output
    assert f"transfers: {ENTRIES} audit entries verified" in intact.output

    tamper, expected = TAMPERINGS[tampering]
    tamper(engine)
    broken = _verify(url)

    assert broken.exit_code == 1, broken.output
    assert expected in broken.output, broken.output
    figures.add("audit chain", "tamperings tried", 1)
    figures.add("audit chain", "tamperings detected", 1)


def test_every_service_starts_an_empty_intact_chain_and_extends_it(new_database, figures):
    for service in SERVICES:
        url = new_database()
        engine = _migrated(url, service)
        tables = importlib.import_module(f"services.{service}.adapters.orm").audit
        assert "0 audit entries verified" in _verify(url, service).output
        log = AuditLog(db.make_session_factory(engine), tables)
        log.record_alone(
            AuditEntry(
                by="ana",
                role="auditor",
                action="GET /x",
                subject_type="request",
                subject_id="/x",
                outcome=DENIED,
                comment="not yours",
            )
        )
        result = _verify(url, service)
        assert result.exit_code == 0 and f"{service}: 1 audit entries verified" in result.output
        assert [e["outcome"] for e in log.page(limit=5)] == [DENIED]
        engine.dispose()
    figures.add("audit chain", "services verified", len(SERVICES))


def test_the_migration_chains_the_transfers_entries_written_before_it(database_url, figures):
    engine = _migrated(database_url, revision="0004")
    sa_table = payment_tables_v1(MetaData())["audit_log"]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [
        {
            "subject_type": "batch",
            "subject_id": str(uuid.uuid4()),
            "action": ("proposed", "approved", "instructed")[n % 3],
            "by": "amparo" if n % 3 == 0 else "rosa",
            "role": None if n % 3 == 0 else "approver",
            "comment": None,
            "at": start + timedelta(minutes=n, microseconds=n),
        }
        for n in range(12)
    ]
    with engine.begin() as connection:
        connection.execute(insert(sa_table), rows)
        # A gap, as a rolled-back insert leaves in a PostgreSQL sequence.
        connection.execute(delete(sa_table).where(sa_table.c.position == 5))
    old = len(rows) - 1

    db.upgrade(SERVICE_ROOT / "transfers" / "migrations", engine)

    result = _verify(database_url)
    assert result.exit_code == 0 and f"{old} audit entries verified" in result.output, result.output
    sessions = db.make_session_factory(engine)
    _fill(sessions, 2)
    assert f"{old + 2} audit entries verified" in _verify(database_url).output
    with sessions() as session:
        first = session.execute(select(TABLES.entries).where(TABLES.entries.c.position == 1)).one()
    assert first.action == "proposed" and first.outcome == "done"
    engine.dispose()
    figures.record("audit chain", **{"entries chained by migration": old})


def test_concurrent_appends_leave_one_unbroken_chain(database_url, figures, soak):
    threads_count, each = (8, 200) if soak else (6, 25)
    engine = _migrated(database_url)
    sessions = db.make_session_factory(engine)
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def appender() -> None:
        try:
            start.wait()
            _fill(sessions, each)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    began = time.perf_counter()
    threads = [threading.Thread(target=appender) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began

    assert not errors, errors
    found = AuditLog(sessions, TABLES).verify()
    assert found.intact and found.entries == threads_count * each, found
    dialect = engine.dialect.name
    engine.dispose()
    figures.record(
        "audit chain",
        **{
            f"concurrent appends ({dialect})": threads_count * each,
            f"concurrent appenders ({dialect})": threads_count,
            f"appends per second ({dialect})": round(threads_count * each / elapsed),
        },
    )


def test_a_refusal_stands_when_its_audit_entry_cannot_be_written(
    tmp_path, broker, database_url, caplog, figures
):
    DevIssuer(tmp_path / "dev-issuer").ensure_keys()  # where the service's settings look for keys
    client, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    token = DevIssuer(tmp_path / "dev-issuer").mint("po-1", [PROGRAMME_OFFICER], ["HN"])
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/household-locations/x", headers=headers).status_code == 403
    with runtime.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_chain_head"))

    with caplog.at_level(logging.ERROR, logger="shared.audit"):
        refused = client.get("/v1/household-locations/y", headers=headers)

    assert refused.status_code == 403 and refused.mimetype == PROBLEM_CONTENT_TYPE
    assert refused.get_json()["detail"] == "this needs one of the roles auditor"
    assert any("audit entry not written" in r.getMessage() for r in caplog.records)
    found = AuditLog(runtime.session_factory, alerts_orm.audit).verify()
    assert found.entries == 1 and "chain head is missing" in str(found.broken)
    runtime.engine.dispose()
    figures.add("audit chain", "refusals answered while the log could not be written", 1)
