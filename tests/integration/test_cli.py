"""The ``amparo`` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from services.cli import main
from services.registry.adapters.orm import outbox
from services.registry.entrypoints.app import MIGRATIONS
from shared import db
from shared.auth import JwksSource, TokenVerifier
from shared.events import CloudEvent
from shared.outbox import add_event
from tests.samples import registry_keys

pytestmark = pytest.mark.integration


def test_token_command_mints_a_verifiable_token(tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "token",
            "--data-dir",
            str(tmp_path),
            "--sub",
            "ana",
            "--role",
            "field_staff",
            "--jurisdiction",
            "HN-CH",
        ],
    )
    assert result.exit_code == 0, result.output
    verifier = TokenVerifier(
        JwksSource((tmp_path / "dev-issuer" / "jwks.json").as_uri()), issuer="amparo-dev", audience="amparo"
    )
    principal = verifier.verify(result.output.strip())
    assert principal.subject == "ana" and principal.jurisdiction == ("HN-CH",)


def test_token_command_refuses_unknown_roles(tmp_path):
    result = CliRunner().invoke(main, ["token", "--data-dir", str(tmp_path), "--role", "superuser"])
    assert result.exit_code == 2 and "superuser" in result.output


def test_outbox_replay_command(tmp_path):
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    engine = db.make_engine(url)
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    with sessions.begin() as session:
        for _ in range(4):
            add_event(
                session,
                outbox,
                "registry.households",
                CloudEvent(type="amparo.registry.household.registered.v1", source="/t", subject="h", data={}),
            )
        session.execute(
            outbox.update().values(published_at=datetime.now(UTC), kafka_partition=0, kafka_offset=1)
        )
    env = {"AMPARO_REGISTRY_DATABASE_URL": url, **registry_keys()}
    result = CliRunner().invoke(
        main, ["outbox", "replay", "--service", "registry", "--since", "2020-01-01T00:00:00+00:00"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "4 events of registry queued" in result.output
    with sessions() as session:
        pending = session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    assert pending == 4
    naive = CliRunner().invoke(
        main, ["outbox", "replay", "--service", "registry", "--since", "2020-01-01T00:00:00"], env=env
    )
    assert naive.exit_code == 2 and "time zone" in naive.output


def test_a_service_with_bad_settings_stops_with_a_clear_message(tmp_path):
    env = {
        **os.environ,
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_ALERTS_PORT": "eighty",
        "AMPARO_CONSUMER_MAX_POLL_INTERVAL_MS": "300000",
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.alerts"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "AMPARO_ALERTS_PORT='eighty' is not a whole number" in result.stderr
    assert "AMPARO_CONSUMER_MAX_POLL_INTERVAL_MS=300000 is outside 1000–60000" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_amparo_up_demo_loads_a_country_pays_a_batch_and_stops_cleanly(tmp_path):
    amparo = os.path.join(os.path.dirname(sys.executable), "amparo")
    result = subprocess.run(
        [amparo, "up", "--demo", "--households", "600", "--exit-after-demo", "--free-ports"]
        + ["--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for line in (
        "broker ready",
        "registry ready",
        "alerts ready",
        "transfers ready",
        "console ready on http://127.0.0.1:",
        "stack ready",
        "registry   600 households registered",
        "alerts     location index: all 600 households",
        "transfers  attribute projection has them",
        "programme 'Fiona — transferencia anticipatoria' v1: anticipatory programme",
        "programme 'Fiona — transferencia de respuesta' v1: response programme",
        "alerts     Alerta roja por el huracán Fiona en las provincias del este:",
        "alerts     NHC wind swath of Fiona:",
        "transfers  batch approved by ids-maria (four eyes)",
        "transfers  pain.001 file for bank_account:",
        "registry   assessment 'Fiona — evaluación de daños, este' opened for DO-11, DO-08, DO-30",
        "households enrolled in SUPERATE (vertical expansion)",
        "registry   field visits synced: {'created': 40,",
        "transfers  'Fiona — vivienda dañada':",
        "transfers  providers' results:",
        "monitoring 'Huracán Fiona",
        "women and girls",
        "monitoring alert → approval: median",
        "grievances the hotline filed a case for a family in DO-32",
        'grievances a family replied "RECLAMO',
        "Open the console: http://127.0.0.1:",
        "stopped",
    ):
        assert line in out
    # Every person of the demo is printed with the password that signs them in.
    from services.console.accounts import read_accounts

    accounts = read_accounts(tmp_path / "console-accounts.json")
    for username, account in accounts.items():
        password = next(
            line.split()[1] for line in out.splitlines() if line.strip().startswith(username + " ")
        )
        assert account.check(password)
    files = list((tmp_path / "payment-files").iterdir())
    assert any(f.suffix == ".xml" and "pain.001.001.09" in f.read_text() for f in files)
    assert {p.name for p in (tmp_path / "logs").iterdir()} == {
        "broker.log",
        "registry.log",
        "alerts.log",
        "transfers.log",
        "console.log",
    }
    assert {"registry.db", "alerts.db", "transfers.db"} <= {p.name for p in tmp_path.iterdir()}


def test_keys_command_prints_two_distinct_usable_keys():
    from services.registry.adapters.protection import decode_key

    result = CliRunner().invoke(main, ["keys"])
    lines = dict(line.split("=", 1) for line in result.output.strip().splitlines())
    assert set(lines) == {"AMPARO_REGISTRY_ENCRYPTION_KEY", "AMPARO_REGISTRY_HASHING_KEY"}
    assert len({decode_key(k, v) for k, v in lines.items()}) == 2


def test_account_command_adds_people_who_can_sign_in_and_keeps_the_others(tmp_path):
    from services.console.accounts import read_accounts

    runner = CliRunner()
    first = runner.invoke(
        main,
        ["account", "--data-dir", str(tmp_path), "--username", "ana", "--name", "Ana", "--role", "approver"]
        + ["--jurisdiction", "DO"],
    )
    second = runner.invoke(
        main,
        ["account", "--data-dir", str(tmp_path), "--username", "luis", "--name", "Luis"]
        + ["--role", "programme_officer", "--role", "auditor", "--jurisdiction", "DO-11"],
    )
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    accounts = read_accounts(tmp_path / "console-accounts.json")
    assert accounts["ana"].check(first.output.split()[1]) and accounts["luis"].check(second.output.split()[1])
    assert accounts["luis"].roles == ("programme_officer", "auditor")
    assert oct((tmp_path / "console-accounts.json").stat().st_mode & 0o777) == "0o600"
    refused = runner.invoke(
        main,
        ["account", "--data-dir", str(tmp_path), "--username", "x", "--name", "X", "--role", "root"]
        + ["--jurisdiction", "DO"],
    )
    assert refused.exit_code == 2 and "'root' is not one of" in refused.output


def test_feeds_are_followed_listed_and_dropped_from_the_command_line(tmp_path):
    env = {"AMPARO_ALERTS_DATABASE_URL": f"sqlite:///{tmp_path / 'alerts.db'}", **registry_keys()}
    assert CliRunner().invoke(main, ["migrate", "--service", "alerts"], env=env).exit_code == 0
    added = CliRunner().invoke(
        main,
        [
            "feeds",
            "add",
            "https://alertas.copeco.gob.hn/cap.atom",
            "--sender",
            "COPECO",
            "--jurisdiction",
            "HN",
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output
    feed_id = added.output.split()[-1]
    listed = CliRunner().invoke(main, ["feeds", "list"], env=env)
    assert (
        f"{feed_id}  COPECO  https://alertas.copeco.gob.hn/cap.atom  every 60 s  not yet read"
        in listed.output
    )
    wrong = CliRunner().invoke(
        main, ["feeds", "add", "ftp://x", "--sender", "x", "--jurisdiction", "HN"], env=env
    )
    assert wrong.exit_code == 1 and "url: an http:// or https:// URL" in wrong.output
    assert CliRunner().invoke(main, ["feeds", "remove", feed_id], env=env).exit_code == 0
    assert CliRunner().invoke(main, ["feeds", "list"], env=env).output == ""
