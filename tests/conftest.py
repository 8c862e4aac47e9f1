"""Fixtures shared by every test: the embedded broker, a throwaway PostgreSQL cluster, databases."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.broker import EmbeddedBroker
from shared.kafka import declared_topics
from tests.postgres_cluster import PG_BIN, PostgresCluster


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--soak",
        action="store_true",
        default=False,
        help="run the reliability suite's longer soak: more households, kills and fuzz cases",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """A failed test that ran a stack reports its services' warnings and errors beside the failure."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        logs = _stack_logs(value)
        if logs is not None:
            report.sections.append(("stack logs (warnings and errors, newest 20 each)", _log_tails(logs)))


def _stack_logs(value: object) -> Path | None:
    """The logs folder of a running stack, or of the stack a test's object holds."""
    stack = getattr(value, "stack", value)
    logs = getattr(stack, "logs", None)
    return logs if isinstance(logs, Path) and logs.is_dir() else None


def _log_tails(folder: Path) -> str:
    lines = []
    for log in sorted(folder.glob("*.log")):
        notable = [
            line[:400]
            for line in log.read_text(errors="replace").splitlines()
            if '"WARNING"' in line or '"ERROR"' in line or "Traceback" in line or "consuming" in line
        ]
        lines += [f"-- {log.name}", *notable[-20:]]
    return "\n".join(lines)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Write the reliability figures of this run and print them after the summary."""
    from tests.reliability.figures import FIGURES

    if FIGURES.sections:
        FIGURES.write()
        terminalreporter.section("reliability figures (test-artifacts/reliability-figures.json)")
        for line in FIGURES.lines():
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def broker() -> Iterator[EmbeddedBroker]:
    """A real Tansu broker with Amparo's topics, shared by the session."""
    with EmbeddedBroker() as running:
        topics = {t.name: t.partitions for t in declared_topics()}
        running.create_topics(topics)
        yield running


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
    # Hundreds of test databases are a hundred thousand files: removed after the run, not during it.
    subprocess.Popen(["rm", "-rf", str(root)], start_new_session=True)


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
