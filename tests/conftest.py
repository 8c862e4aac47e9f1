"""Fixtures shared by every test: the embedded broker, a throwaway PostgreSQL cluster, databases."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.broker import EmbeddedBroker, free_port
from shared.kafka import TOPICS, dead_letter_topic

PG_BIN = Path(os.environ.get("AMPARO_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """A real Tansu broker with Amparo's topics, shared by the session."""
    with EmbeddedBroker() as running:
        topics = {t.name: t.partitions for t in TOPICS}
        topics.update({dead_letter_topic(t.name): 1 for t in TOPICS})
        running.create_topics(topics)
        yield running


class PostgresCluster:
    """A throwaway PostgreSQL 15 cluster in a temporary folder, on a free loopback port."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # initdb refuses to run as root

    def _run(self, *args: str) -> None:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> PostgresCluster:
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "amparo",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._run(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-w",
            "-o",
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200",
            "start",
        )
        return self

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://amparo@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=amparo dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A PostgreSQL 15 server for the session (started from the machine's binaries)."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 server binaries not found in {PG_BIN}; run `make postgres`")
    root = Path(tempfile.mkdtemp(prefix="amparo-pg-"))
    os.chmod(root, 0o755)
    cluster = PostgresCluster(root).start()
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes empty databases, once on SQLite and once on PostgreSQL; returns their URLs."""
    if request.param == "sqlite":
        return lambda: f"sqlite:///{tmp_path / (uuid.uuid4().hex[:8] + '.db')}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database


@pytest.fixture
def database_url(new_database: Callable[[], str]) -> str:
    """An empty database, once on SQLite and once on PostgreSQL."""
    return new_database()


def wait_until(
    condition: Callable[[], object], timeout: float = 60.0, interval: float = 0.1, what: str = ""
) -> object:
    """Poll ``condition`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what or condition} (last: {last!r})")
