"""Kill services at random points while a whole alert is handled, and say what came out.

:class:`Supervisor` plays the part of systemd or Kubernetes: it restarts any service process
that died. :class:`Killer` SIGKILLs them — at random moments from outside, and at the crash
points of :mod:`shared.faults` (between a consumer's database commit and its offset commit,
between the relay's send and its bookkeeping, between an import's batches, between a payment
file's commit and its stored answer) by starting each process with ``AMPARO_CRASH_AT``.

:func:`handle_fiona` is what the people of the demo do — import the registry, define the two
programmes, issue Fiona's alert, its update and its footprint, approve every batch and write
its payment files — as a careful person would when the line drops: retry with the same
``Idempotency-Key``, or look at what happened before doing it again. :func:`outcome` reads what
the three databases hold at the end, keyed by what is the same across runs (a household's
place and a programme's name), so a run with kills can be compared with a clean one.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import requests
from sqlalchemy import Engine, create_engine, func, select

from services import demo
from services.alerts.adapters.orm import household_locations
from services.registry.adapters.orm import households as registry_households
from services.stack import Stack, StackError
from services.transfers.adapters.orm import decisions, evaluations, household_attributes, payments, programmes
from services.transfers.domain.payments import LIVE_PAYMENT_STATES
from shared.auth import APPROVER, CIVIL_PROTECTION, PAYMENTS_OFFICER, PROGRAMME_OFFICER, REGISTRY_OFFICER
from shared.faults import VARIABLE

SERVICES = ("registry", "alerts", "transfers")

#: Crash points each run goes through, in order, before any drawn at random: a point armed at
#: a start stays armed (and is armed again after a kill from outside) until it has fired.
SURE_CRASH_POINTS = {
    "registry": ["import.after_batch:1", "relay.before_marking_published:2"],
    "alerts": ["consumer.before_offset_commit:3", "relay.before_marking_published:1"],
    "transfers": [
        "consumer.before_offset_commit:2",
        "request.before_answer_stored:1",  # an approval committed, its answer lost
        "request.before_answer_stored:1",  # then a payment file
    ],
}

#: Where each service may be told to die, and on which pass (drawn at random per start).
CRASH_POINTS = {
    "registry": [("import.after_batch", (1, 3)), ("relay.before_marking_published", (1, 6))],
    "alerts": [("consumer.before_offset_commit", (1, 12)), ("relay.before_marking_published", (1, 4))],
    "transfers": [("consumer.before_offset_commit", (1, 12)), ("request.before_answer_stored", (1, 3))],
}

Say = Callable[[str], None]


@dataclass
class Kill:
    service: str
    how: str  # "crash point <name>:<pass>" or "from outside"
    at: float
    restarted_after: float = 0.0


@dataclass
class Killer:
    """Kills services until ``total`` kills have happened, then lets them be."""

    stack: Stack
    total: int
    rng: random.Random
    kills: list[Kill] = field(default_factory=list)
    #: Deaths nobody caused (an exit code other than SIGKILL's, or no kill due): real failures.
    unexpected: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _armed: dict[str, str] = field(default_factory=dict)
    _ours: dict[str, Kill] = field(default_factory=dict)
    _sure: dict[str, list[str]] = field(
        default_factory=lambda: {service: list(points) for service, points in SURE_CRASH_POINTS.items()}
    )

    @property
    def done(self) -> bool:
        return len(self.kills) >= self.total and not any(self._sure.values())

    @property
    def sure_left(self) -> dict[str, list[str]]:
        """The sure crash points not reached (yet)."""
        return {service: list(points) for service, points in self._sure.items()}

    def arm(self, service: str) -> None:
        """Give the next start of ``service`` a crash point, while kills are still due."""
        process = self.stack.services[service]
        process.env.pop(VARIABLE, None)
        self._armed.pop(service, None)
        if self.done:
            return
        if self._sure[service]:
            plan = self._sure[service][0]
        elif self.rng.random() < 0.3:
            return
        else:
            point, (low, high) = self.rng.choice(CRASH_POINTS[service])
            plan = f"{point}:{self.rng.randint(low, high)}"
        process.env[VARIABLE] = plan
        self._armed[service] = plan

    def died(self, service: str, exit_code: int | None) -> Kill:
        """Account for a death the supervisor found: one of ours, a crash point's, or neither."""
        with self._lock:
            plan = self._armed.pop(service, None)
            ours = self._ours.pop(service, None)
            if ours is not None:
                return ours
            kill = Kill(service, f"crash point {plan}" if plan else "nobody", time.monotonic())
            if plan and exit_code == -signal.SIGKILL:
                self.kills.append(kill)
                if self._sure[service] and self._sure[service][0] == plan:
                    self._sure[service].pop(0)
            else:
                self.unexpected.append(f"{service} exited with {exit_code} ({kill.how})")
            return kill

    def run(self, supervisor: Supervisor, every: tuple[float, float], settled: float = 8.0) -> None:
        """Kill a random running service from outside every ``every`` seconds (drawn), once it
        has been up ``settled`` seconds (a service crash-looping while it joins its consumer
        group is another test: the embedded broker can lose track of the group then)."""
        while not self._stop.wait(self.rng.uniform(*every)):
            with self._lock:
                if self.done or supervisor.restarting:
                    continue
                service = self.rng.choice(SERVICES)
                process = self.stack.services[service]
                if not process.running or service in self._ours:
                    continue
                if time.monotonic() - supervisor.started_at.get(service, 0.0) < settled:
                    continue
                process.kill()
                kill = Kill(service, "from outside", time.monotonic())
                self.kills.append(kill)
                self._ours[service] = kill

    def stop(self) -> None:
        self._stop.set()


class Supervisor:
    """Restarts any service that died (as a process manager would), arming the next crash point."""

    def __init__(self, stack: Stack, killer: Killer, say: Say):
        self.stack = stack
        self.killer = killer
        self.say = say
        self.restarting = False
        self.started_at: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self._outside = threading.Thread(target=killer.run, args=(self, (2.0, 6.0)), daemon=True)

    def __enter__(self) -> Supervisor:
        for service in SERVICES:
            self.killer.arm(service)
            self.stack.services[service].stop()
            self.stack.services[service].start().wait_ready()
            self.started_at[service] = time.monotonic()
        self._thread.start()
        self._outside.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.killer.stop()
        self._stop.set()
        self._thread.join(timeout=180)
        self._outside.join(timeout=10)

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            for service in SERVICES:
                process = self.stack.services[service]
                if process.running or process.process is None:
                    continue
                self.restarting = True
                kill = self.killer.died(service, process.process.returncode)
                self.killer.arm(service)
                began = time.monotonic()
                try:
                    process.start().wait_ready(timeout=120)
                except StackError as exc:
                    if process.running:  # alive but never ready
                        self.killer.unexpected.append(f"{service} did not come back: {exc}")
                    continue  # dead again (a crash point on the way up): found and restarted next
                finally:
                    self.restarting = False
                kill.restarted_after = time.monotonic() - began
                self.started_at[service] = time.monotonic()
                self.say(f"{service} killed ({kill.how}), back after {kill.restarted_after:.1f}s")


# -- what the people of the demo do -----------------------------------------------------------


class Patient:
    """A client that waits out a restarting service: retries on a dropped line or a 502/503."""

    def __init__(self, client: demo.Client, timeout: float = 300):
        self.client = client
        self.timeout = timeout
        self.retries = 0

    def call(self, method: str, path: str, expected: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        """The answer's JSON (or bytes), once the service answers with one of ``expected``.

        :raise demo.DemoError: any other answer.
        """
        response = self.answer(method, path, **kwargs)
        if response.status_code not in expected:
            raise demo.DemoError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if "json" in response.headers.get("Content-Type", "") else response.content

    def answer(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The raw answer, once the service answers at all (not 502 or 503: then it waits)."""
        deadline = time.monotonic() + self.timeout
        headers = {"Authorization": f"Bearer {self.client.token}", **kwargs.pop("headers", {})}
        while True:
            try:
                response = requests.request(
                    method, f"{self.client.base}{path}", headers=headers, timeout=120, **kwargs
                )
                if response.status_code not in (502, 503):
                    return response
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise demo.DemoError(f"{method} {path}: still unavailable after {self.timeout}s")
            self.retries += 1
            time.sleep(0.5)


def _patient(stack: Stack, service: str, subject: str, roles: list[str]) -> Patient:
    return Patient(demo.client(stack, service, subject, roles, [demo.COUNTRY]))


def import_registry(stack: Stack, households: int, say: Say) -> None:
    """Upload, validate and commit the generated registry; commit again after an interruption,
    upload again if the validation itself was cut short."""
    officer = _patient(stack, "registry", "demo-registry-officer", [REGISTRY_OFFICER])
    content = demo.registry_csv(households)
    while True:
        job = officer.call("POST", "/v1/imports", files={"file": ("registro.csv", content)})
        job = _until(officer, job["id"], ("validated", "failed"))
        if job["status"] == "validated":
            break
        say(f"import {job['id'][:8]} failed ({job.get('error')}); uploading again")
    while job["status"] != "committed":
        officer.call("POST", f"/v1/imports/{job['id']}/commit", expected=(200, 202, 409))
        job = _until(officer, job["id"], ("committed", "validated", "failed"))
        if job["status"] == "failed":
            raise AssertionError(f"the import failed: {job}")
    say(f"registry: {job['households_written']} households written")


def _until(officer: Patient, import_id: str, states: tuple[str, ...]) -> dict[str, Any]:
    while True:
        job = officer.call("GET", f"/v1/imports/{import_id}")
        if job["status"] in states:
            return dict(job)
        time.sleep(0.3)


def wait_for_projections(stack: Stack, engines: dict[str, Engine], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = {
            "registry": _count(engines["registry"], registry_households),
            "alerts": _count(engines["alerts"], household_locations),
            "transfers": _count(engines["transfers"], household_attributes),
        }
        if counts["alerts"] == counts["transfers"] == counts["registry"] > 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"projections did not catch up: {counts}")
        time.sleep(0.5)


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


def define_programmes(stack: Stack) -> None:
    officer = _patient(stack, "transfers", "ids-luis", [PROGRAMME_OFFICER])
    approver = _patient(stack, "transfers", "ids-marta", [APPROVER])
    for programme in (demo.ANTICIPATORY, demo.RESPONSE):
        found = {p["name"]: p for p in officer.call("GET", "/v1/programmes")}
        if programme["name"] not in found:
            # A retry after a lost answer would define it twice: look first, as a person would.
            officer.call("POST", "/v1/programmes", json=programme)
        # Approved by a second person (looked up again: an answer lost after approving is not retried blind).
        draft = {p["name"]: p for p in officer.call("GET", "/v1/programmes")}[programme["name"]]
        if draft["state"] == "draft":
            approver.call(
                "POST",
                f"/v1/programmes/{draft['id']}/versions/{draft['version']}/review",
                json={"approve": True, "comment": "read and agreed"},
            )


def issue_fiona(stack: Stack) -> str:
    """The alert, its update and the wind swath (a footprint is uploaded again only when the
    first upload is not there)."""
    coe = _patient(stack, "alerts", "coe-ana", [CIVIL_PROTECTION])
    now = datetime.now(UTC).replace(microsecond=0)
    incident = None
    for name in demo.FIONA_MESSAGES:
        body = demo.fiona_message(name, now)
        incident = coe.call("POST", "/v1/alerts", data=body, headers={"Content-Type": "application/cap+xml"})
        if name == demo.FIONA_MESSAGES[0]:
            time.sleep(1.0)  # as in the demo: the alert is decided before its update comes
    assert incident is not None
    incident_id = str(incident["id"])
    while not coe.call("GET", f"/v1/footprints?incident_id={incident_id}"):
        coe.answer("POST", "/v1/footprints", **demo.fiona_footprint(incident_id))
    return incident_id


def approve_and_pay(stack: Stack, incident_id: str, say: Say) -> int:
    """Approve every proposed batch, then write each one's payment files; returns the files."""
    approver = _patient(stack, "transfers", "ids-maria", [APPROVER])
    officer = _patient(stack, "transfers", "ids-rosa", [PAYMENTS_OFFICER])
    batches = demo.proposed_batches(approver, incident_id, timeout=300, settle=8.0)  # type: ignore[arg-type]
    files = 0
    for batch in batches:
        path = f"/v1/batches/{batch['id']}"
        key = f"approve-{batch['id']}"
        while approver.call("GET", path)["state"] == "proposed":
            approver.answer(
                "POST", f"{path}/approve", json={"comment": "conforme"}, headers={"Idempotency-Key": key}
            )
            time.sleep(0.5)
        for channel in sorted(approver.call("GET", path)["payments_by_channel"]):
            fmt = "pain.001" if channel == "bank_account" else "csv"
            while _approved_on(officer, batch["id"], channel):
                answer = officer.answer(
                    "POST",
                    f"{path}/instructions",
                    json={"channel_type": channel, "format": fmt},
                    headers={"Idempotency-Key": f"instruct-{batch['id']}-{channel}"},
                )
                if answer.status_code == 409 and "still running" in answer.text:
                    time.sleep(1.0)  # its first attempt died holding the key; look again
            files += 1
    say(f"transfers: {len(batches)} batches approved, {files} payment files written")
    return files


def _approved_on(officer: Patient, batch_id: str, channel: str) -> bool:
    """Whether payments of the batch on ``channel`` still wait for a file."""
    offset = 0
    while True:
        page = officer.call(
            "GET", f"/v1/batches/{batch_id}/payments?state=approved&offset={offset}&limit=5000"
        )
        if any(p["channel_type"] == channel for p in page["payments"]):
            return True
        if len(page["payments"]) < 5000:
            return False
        offset += 5000


def engines_of(stack: Stack) -> dict[str, Engine]:
    return {name: create_engine(stack.database_urls[name]) for name in SERVICES}


def handle_fiona(stack: Stack, households: int, say: Say) -> str:
    import_registry(stack, households, say)
    wait_for_projections(stack, engines_of(stack))
    define_programmes(stack)
    incident_id = issue_fiona(stack)
    approve_and_pay(stack, incident_id, say)
    return incident_id


# -- what came out ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """A run's result, keyed by place and programme name so two runs compare."""

    registry: dict[tuple[float, float], tuple[int, str]]
    alerts: dict[tuple[float, float], tuple[int, str]]
    transfers: dict[tuple[float, float], tuple[int, str]]
    #: By programme and place: ever eligible, and the highest entitlement decided.
    decisions: dict[tuple[str, tuple[float, float]], tuple[bool, Decimal]]
    #: By programme and place: what its live payments add up to, on which channels, in which
    #: states (paid at once, or in a first payment and a top-up, the same in the end).
    payments: dict[tuple[str, tuple[float, float]], tuple[Decimal, frozenset[str], frozenset[str]]]
    #: Households holding two live payments of one part, or more than their highest entitlement.
    payments_doubled: int


def _paid_by_place(
    live: list[Any], names: dict[str, str], place: dict[str, tuple[float, float]]
) -> dict[tuple[str, tuple[float, float]], tuple[Decimal, frozenset[str], frozenset[str]]]:
    total: dict[tuple[str, tuple[float, float]], Decimal] = {}
    channels: dict[tuple[str, tuple[float, float]], set[str]] = {}
    states: dict[tuple[str, tuple[float, float]], set[str]] = {}
    for p in live:
        key = (names[p.programme_id], place[p.household_id])
        total[key] = total.get(key, Decimal(0)) + Decimal(p.amount)
        channels.setdefault(key, set()).add(p.channel_type)
        states.setdefault(key, set()).add(p.state)
    return {k: (total[k], frozenset(channels[k]), frozenset(states[k])) for k in total}


def outcome(urls: dict[str, str]) -> Outcome:
    engines = {name: create_engine(urls[name]) for name in SERVICES}
    with engines["registry"].connect() as connection:
        rows = connection.execute(
            select(
                registry_households.c.id,
                registry_households.c.lat,
                registry_households.c.lon,
                registry_households.c.version,
                registry_households.c.admin_code,
            )
        ).all()
    place = {r.id: (round(r.lat, 6), round(r.lon, 6)) for r in rows}
    registry = {place[r.id]: (r.version, r.admin_code) for r in rows}
    with engines["alerts"].connect() as connection:
        alerts = {
            place[r.household_id]: (r.version, r.admin_code)
            for r in connection.execute(select(household_locations))
        }
    with engines["transfers"].connect() as connection:
        transfers = {
            place[r.household_id]: (r.version, r.admin_code)
            for r in connection.execute(select(household_attributes))
        }
        names = {r.id: r.name for r in connection.execute(select(programmes.c.id, programmes.c.name))}
        decided: dict[tuple[str, tuple[float, float]], tuple[bool, Decimal]] = {}
        highest: dict[tuple[str, str], Decimal] = {}
        for r in connection.execute(
            select(
                evaluations.c.programme_id, decisions.c.household_id, decisions.c.eligible, decisions.c.amount
            )
            .add_columns(decisions.c.requested)
            .join(evaluations, evaluations.c.id == decisions.c.evaluation_id)
            .order_by(evaluations.c.created_at)
        ):
            key = (names[r.programme_id], place[r.household_id])
            eligible, amount = decided.get(key, (False, Decimal(0)))
            decided[key] = (eligible or r.eligible, max(amount, Decimal(r.requested)))
            mine = (r.programme_id, r.household_id)
            highest[mine] = max(highest.get(mine, Decimal(0)), Decimal(r.requested))
        paid = connection.execute(
            select(payments.c.programme_id, payments.c.household_id, payments.c.amount).add_columns(
                payments.c.channel_type, payments.c.state, payments.c.incident_id, payments.c.entitlement_part
            )
        ).all()
    live = [p for p in paid if p.state in LIVE_PAYMENT_STATES]
    parts = Counter((p.programme_id, p.incident_id, p.household_id, p.entitlement_part) for p in live)
    held: dict[tuple[str, str], Decimal] = {}
    for p in live:
        held[(p.programme_id, p.household_id)] = held.get(
            (p.programme_id, p.household_id), Decimal(0)
        ) + Decimal(p.amount)
    counted = {k: n for k, n in parts.items() if n > 1}
    over = [k for k, amount in held.items() if amount > highest.get(k, Decimal(0))]
    return Outcome(
        registry=registry,
        alerts=alerts,
        transfers=transfers,
        decisions=decided,
        payments=_paid_by_place(live, names, place),
        payments_doubled=sum(n - 1 for n in counted.values()) + len(over),
    )
