"""The steps of a release on real databases: `amparo migrate` (forwards only) from an empty
database and from the previous release's schema with data in it, services that refuse to start
on a schema that is not theirs, and `amparo check-config`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text

from services.alerts.entrypoints.app import MIGRATIONS as ALERTS_MIGRATIONS
from services.cli import main
from services.registry.entrypoints.app import MIGRATIONS as REGISTRY_MIGRATIONS
from services.transfers.adapters.orm import audit as transfers_audit
from services.transfers.entrypoints.app import MIGRATIONS as TRANSFERS_MIGRATIONS
from shared import db
from shared.audit import AuditLog
from shared.auth import DevIssuer
from shared.config import SERVICES
from shared.kafka import HOUSEHOLDS, partition_of
from tests.samples import registry_keys

pytestmark = pytest.mark.integration

MIGRATIONS = {"registry": REGISTRY_MIGRATIONS, "alerts": ALERTS_MIGRATIONS, "transfers": TRANSFERS_MIGRATIONS}
#: The newest revision of each service in the release before this one.
PREVIOUS_RELEASE = {"registry": "0005", "alerts": "0003", "transfers": "0004"}


def environment(urls: dict[str, str], **more: str) -> dict[str, str]:
    env = {f"AMPARO_{name.upper()}_DATABASE_URL": url for name, url in urls.items()}
    return {**env, **registry_keys(), **more}


def migrate(env: dict[str, str], *services: str) -> str:
    arguments = ["migrate"] + [f"--service={s}" for s in services]
    result = CliRunner().invoke(main, arguments, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def test_amparo_migrate_builds_every_schema_from_empty_databases_and_is_idempotent(new_database):
    urls = {name: new_database() for name in SERVICES}
    output = migrate(environment(urls))
    for name in SERVICES:
        head = db.head_revision(MIGRATIONS[name])
        assert f"{name}: schema at revision {head}" in output
        engine = db.make_engine(urls[name])
        assert db.current_revision(MIGRATIONS[name], engine) == head
        assert {"outbox", "inbox", "audit_log"} <= set(inspect(engine).get_table_names())
        engine.dispose()
    assert migrate(environment(urls)) == output


def test_amparo_migrate_upgrades_the_previous_release_keeping_its_data(new_database):
    urls = {name: new_database() for name in SERVICES}
    engines = {name: db.make_engine(url) for name, url in urls.items()}
    for name, revision in PREVIOUS_RELEASE.items():
        db.upgrade(MIGRATIONS[name], engines[name], revision)
    now = datetime.now(UTC)
    with engines["registry"].begin() as connection:
        connection.execute(
            text(
                "INSERT INTO households (id, admin_code, size, lat, lon, location_source, status, version, "
                "registered_at, registered_by, children_under_5) VALUES ('h1', 'HN-CH', 4, 13.3, -87.2, "
                "'gps', 'active', 3, :at, 'ana', 2)"
            ),
            {"at": now},
        )
    with engines["alerts"].begin() as connection:
        connection.execute(
            text(
                "INSERT INTO household_locations (household_id, version, status, admin_code, lat, lon, "
                "updated_at, size) VALUES ('h1', 3, 'active', 'HN-CH', 13.3, -87.2, :at, 4)"
            ),
            {"at": now},
        )
        # Incidents as the previous release left them: exposed and active, exposed then expired,
        # cancelled (its summary stored as JSON null).
        for incident, state, version, summary in (
            ("i-active", "active", 2, '{"households": 1}'),
            ("i-expired", "expired", 3, '{"households": 1}'),
            ("i-cancelled", "cancelled", 2, "null"),
        ):
            connection.execute(
                text(
                    "INSERT INTO incidents (id, root_key, current_message_id, state, version, "
                    "exposure_summary, updated_at) VALUES (:id, :id, 'm', :state, :version, :summary, :at)"
                ),
                {"id": incident, "state": state, "version": version, "summary": summary, "at": now},
            )
    with engines["transfers"].begin() as connection:
        connection.execute(
            text(
                "INSERT INTO household_attributes (household_id, version, status, admin_code, size, "
                "updated_at) VALUES ('h1', 3, 'active', 'HN-CH', 4, :at)"
            ),
            {"at": now},
        )
        for position, action in ((1, "proposed"), (2, "approved")):
            connection.execute(
                text(
                    'INSERT INTO audit_log (position, subject_type, subject_id, action, "by", at) '
                    "VALUES (:position, 'batch', 'b1', :action, 'olga', :at)"
                ),
                {"position": position, "action": action, "at": now},
            )

    migrate(environment(urls))

    for name in SERVICES:
        assert db.current_revision(MIGRATIONS[name], engines[name]) == db.head_revision(MIGRATIONS[name])
    with engines["registry"].connect() as connection:
        household = connection.execute(text("SELECT size, version, children_under_5 FROM households")).one()
    assert tuple(household) == (4, 3, 2)
    with engines["alerts"].connect() as connection:
        assert connection.execute(
            text('SELECT household_id, size, "partition" FROM household_locations')
        ).all() == [("h1", 4, partition_of("h1", HOUSEHOLDS.partitions))]
        shown = dict(connection.execute(text("SELECT id, exposure_version FROM incidents")).all())
    assert shown == {"i-active": 2, "i-expired": 2, "i-cancelled": None}
    with engines["transfers"].connect() as connection:
        assert connection.execute(text("SELECT household_id FROM household_attributes")).all() == [("h1",)]
    chain = AuditLog(db.make_session_factory(engines["transfers"]), transfers_audit).verify()
    assert chain.intact and chain.entries == 2
    assert "alert_version" in {c["name"] for c in inspect(engines["transfers"]).get_columns("exposures")}
    for engine in engines.values():
        engine.dispose()


def test_migrations_go_forwards_only():
    import importlib.util

    for name, folder in MIGRATIONS.items():
        for path in sorted((folder / "versions").glob("0*.py")):
            spec = importlib.util.spec_from_file_location(f"{name}_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            with pytest.raises(NotImplementedError, match="forwards only"):
                module.downgrade()
    assert not any(p.name in ("revision", "to") for p in main.commands["migrate"].params)


def start_without_migrating(tmp_path, service: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **environment({service: url}),
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_MIGRATE_ON_START": "false",
        "AMPARO_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    }
    return subprocess.run(
        [sys.executable, "-m", f"services.{service}"], env=env, capture_output=True, text=True, timeout=60
    )


def test_a_service_left_to_amparo_migrate_refuses_a_database_behind_its_code(tmp_path, database_url):
    engine = db.make_engine(database_url)
    db.upgrade(TRANSFERS_MIGRATIONS, engine, PREVIOUS_RELEASE["transfers"])
    engine.dispose()
    started = start_without_migrating(tmp_path, "transfers", database_url)
    assert started.returncode == 2, started.stderr
    assert (
        f"the transfers database is at revision {PREVIOUS_RELEASE['transfers']}, this release needs "
        f"{db.head_revision(TRANSFERS_MIGRATIONS)}: run `amparo migrate --service transfers` first"
    ) in started.stderr
    assert "Traceback" not in started.stderr
    engine = db.make_engine(database_url)
    assert db.current_revision(TRANSFERS_MIGRATIONS, engine) == PREVIOUS_RELEASE["transfers"]
    engine.dispose()


def test_a_service_refuses_an_empty_database_and_a_schema_newer_than_its_code(tmp_path):
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    empty = start_without_migrating(tmp_path, "alerts", url)
    assert empty.returncode == 2
    assert "the alerts database is at revision none (empty)" in empty.stderr
    engine = db.make_engine(url)
    db.upgrade(ALERTS_MIGRATIONS, engine)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {db.version_table(ALERTS_MIGRATIONS)} SET version_num = '0099'"))
    engine.dispose()
    newer = start_without_migrating(tmp_path, "alerts", url)
    assert newer.returncode == 2
    assert "at revision 0099, which this release does not know" in newer.stderr


def test_check_config_names_every_problem_of_every_service_at_once(tmp_path):
    env = {
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_LOG_LEVEL": "chatty",
        "AMPARO_ALERTS_DATABASE_URL": "mysql://db/alerts",
        "AMPARO_REGISTRY_ENCRYPTION_KEY_FILE": str(tmp_path / "missing-key"),
    }
    result = CliRunner().invoke(main, ["check-config"], env=env)
    assert result.exit_code == 1
    for line in (
        "registry: AMPARO_LOG_LEVEL='CHATTY' is not DEBUG, INFO, WARNING or ERROR",
        "alerts: AMPARO_LOG_LEVEL='CHATTY'",
        "transfers: AMPARO_LOG_LEVEL='CHATTY'",
        "alerts: AMPARO_ALERTS_DATABASE_URL='mysql://db/alerts' must start with sqlite:// or postgresql://",
        f"registry: AMPARO_REGISTRY_ENCRYPTION_KEY_FILE='{tmp_path / 'missing-key'}' cannot be read",
        "registry: AMPARO_REGISTRY_HASHING_KEY is required",
    ):
        assert line in result.output
    assert "7 problem(s)" in result.output
    one = CliRunner().invoke(main, ["check-config", "--service", "transfers"], env={"AMPARO_DATA_DIR": "x"})
    assert one.exit_code == 0 and one.output == "transfers: settings valid\n"


def test_check_config_reads_secrets_and_database_urls_from_files(tmp_path, database_url):
    (tmp_path / "url").write_text(database_url + "\n")
    keys = registry_keys()
    for name, value in keys.items():
        (tmp_path / name).write_text(value)
    env = {
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_REGISTRY_DATABASE_URL_FILE": str(tmp_path / "url"),
        **{f"{name}_FILE": str(tmp_path / name) for name in keys},
    }
    result = CliRunner().invoke(main, ["check-config", "--service", "registry"], env=env)
    assert result.exit_code == 0, result.output


def test_check_config_connect_reaches_database_broker_and_signing_keys(tmp_path, broker, database_url):
    DevIssuer(tmp_path / "dev-issuer").ensure_keys()
    env = {
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_ALERTS_DATABASE_URL": database_url,
        "AMPARO_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_server,
        "AMPARO_MIGRATE_ON_START": "false",
    }
    behind = CliRunner().invoke(main, ["check-config", "--service", "alerts", "--connect"], env=env)
    assert behind.exit_code == 1
    assert "alerts: the alerts database is at revision none (empty)" in behind.output
    assert "1 problem(s)" in behind.output
    migrate(env, "alerts")
    ready = CliRunner().invoke(main, ["check-config", "--service", "alerts", "--connect"], env=env)
    assert ready.exit_code == 0, ready.output
    assert "alerts: settings valid; database, brokers and signing keys answer" in ready.output

    unreachable = {
        **env,
        "AMPARO_ALERTS_DATABASE_URL": "postgresql://amparo:secret@127.0.0.1:1/alerts",
        "AMPARO_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        "AMPARO_JWKS_URL": (tmp_path / "nowhere.json").as_uri(),
    }
    failed = CliRunner().invoke(main, ["check-config", "--service", "alerts", "--connect"], env=unreachable)
    assert failed.exit_code == 1 and "3 problem(s)" in failed.output
    assert "database postgresql+psycopg://amparo:***@127.0.0.1:1/alerts cannot be reached" in failed.output
    assert "no broker reachable (127.0.0.1:1" in failed.output
    assert "token signing keys at file://" in failed.output and "secret" not in failed.output
    (tmp_path / "nowhere.json").write_text(json.dumps({"keys": []}))
    empty = CliRunner().invoke(main, ["check-config", "--service", "alerts", "--connect"], env=unreachable)
    assert "nowhere.json publishes no signing key" in empty.output
