"""The demo's steps on a started stack: the console's people, the registry import, waiting until
alerts and transfers know the households, Fiona, and one batch approved and paid out to files."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import requests

from services.console.accounts import new_account, new_password, write_accounts
from services.demo.affected import DAMAGED_DWELLINGS, pay_damaged, register_affected
from services.demo.client import Client, DemoError, Say, client
from services.demo.country import COUNTRY, PEOPLE
from services.demo.fiona import ANTICIPATORY, RESPONSE, define_programmes, replay_fiona, second_sender
from services.demo.grievances import left_out, replied
from services.demo.paying import proposed_batches, write_payment_files
from services.demo.reached import provider_results, say_messages, say_reached
from services.demo.registry_file import registry_csv
from services.registry.service_layer.import_plans import household_id_for
from services.stack import Stack
from shared.auth import APPROVER, AUDITOR, PAYMENTS_OFFICER, REGISTRY_OFFICER

# -- people ---------------------------------------------------------------------------------


def write_console_accounts(stack: Stack) -> dict[str, str]:
    """New passwords for the demo's people on every run; only their hashes are stored."""
    passwords = {username: new_password() for username, *_ in PEOPLE}
    write_accounts(
        stack.accounts_file,
        [new_account(u, n, r, j, passwords[u]) for u, n, r, j in PEOPLE],
    )
    return passwords


# -- the registry ---------------------------------------------------------------------------


def load_registry(stack: Stack, households: int, say: Say) -> tuple[str, int]:
    """Import the generated registry as a registry officer: validate, commit, wait. Returns the
    import's id and how many households it wrote."""
    officer = client(stack, "registry", "demo-registry-officer", [REGISTRY_OFFICER], [COUNTRY])
    auditor = client(stack, "registry", "demo-auditor", [AUDITOR], [COUNTRY])
    say(f"registry   generating {households:,} households over the 32 provinces by 2022 census population")
    content = registry_csv(households)
    job = officer.call("POST", "/v1/imports", files={"file": ("registro-demo.csv", content)})
    job = _wait_import(auditor, job["id"], ("validated", "failed"), say, "validating")
    if job["status"] != "validated" or job["households_invalid"]:
        raise DemoError(f"the registry refused the demo import: {job}")
    officer.call("POST", f"/v1/imports/{job['id']}/commit")
    job = _wait_import(auditor, job["id"], ("committed", "failed"), say, "writing")
    if job["status"] != "committed":
        raise DemoError(f"the demo import did not commit: {job}")
    say(f"registry   {job['households_written']:,} households registered")
    return str(job["id"]), int(job["households_written"])


def _wait_import(
    auditor: Client, import_id: str, done: tuple[str, ...], say: Say, doing: str
) -> dict[str, Any]:
    last = 0.0
    while True:
        job = auditor.call("GET", f"/v1/imports/{import_id}")
        if job["status"] in done:
            return dict(job)
        if time.monotonic() - last > 3:
            written = job.get("households_written") or 0
            say(f"registry   {doing} the import… {written:,} households written")
            last = time.monotonic()
        time.sleep(0.5)


def wait_for_projections(
    stack: Stack, households: int, import_id: str, say: Say, timeout: float = 900
) -> None:
    """Until alerts indexes every household and transfers knows a sample of them."""
    alerts = client(stack, "alerts", "demo-auditor", [AUDITOR], [COUNTRY])
    transfers = client(stack, "transfers", "demo-auditor", [AUDITOR], [COUNTRY])
    deadline = time.monotonic() + timeout
    last = 0.0
    while True:
        indexed = alerts.call("GET", "/v1/household-locations/summary")["total"]
        if indexed >= households:
            break
        if time.monotonic() > deadline:
            raise DemoError(f"alerts indexed {indexed} of {households} households in {timeout}s")
        if time.monotonic() - last > 3:
            say(f"alerts     location index: {indexed:,} of {households:,} households")
            last = time.monotonic()
        time.sleep(0.5)
    say(f"alerts     location index: all {households:,} households")
    # This import's own households, not only a count (a data folder used before holds others).
    sample = [household_id_for(import_id, f"DO-{n:06d}") for n in np.linspace(1, households, 20, dtype=int)]
    for service, path in ((alerts, "/v1/household-locations"), (transfers, "/v1/household-attributes")):
        for household_id in sample:
            while (
                requests.get(
                    f"{service.base}{path}/{household_id}",
                    headers={"Authorization": f"Bearer {service.token}"},
                    timeout=30,
                ).status_code
                != 200
            ):
                if time.monotonic() > deadline:
                    raise DemoError(
                        f"{service.base}{path} does not show household {household_id} after {timeout}s"
                    )
                time.sleep(0.5)
    say("transfers  attribute projection has them")


# -- deciding and paying ------------------------------------------------------------------------


def approve_and_export(stack: Stack, incident_id: str, say: Say, timeout: float = 600) -> dict[str, Any]:
    """Wait for the proposed batches, approve the anticipatory one as a second person and write its
    payment files as the payments officer."""
    approver = client(stack, "transfers", "ids-maria", [APPROVER], [COUNTRY])
    payments = client(stack, "transfers", "ids-rosa", [PAYMENTS_OFFICER], [COUNTRY])
    batches = proposed_batches(approver, incident_id, timeout)
    if not batches:
        raise DemoError(f"no batch was proposed for the alert within {timeout}s")
    programmes = {p["id"]: p["name"] for p in approver.call("GET", "/v1/programmes")}
    for batch in batches:
        say(
            f"transfers  batch proposed for {programmes.get(batch['programme_id'])!r}: "
            f"{batch['households']:,} households, {float(batch['total']):,.0f} {batch['currency']}, "
            f"budget coverage {batch['coverage']:.0%}"
        )
    for evaluation in approver.call("GET", f"/v1/alerts/{incident_id}/decisions")["evaluations"]:
        topped = evaluation["summary"]["by_status"].get("top_up", 0)
        if topped:
            say(
                f"transfers  {evaluation['programme']!r}: {topped:,} households already paid get a top-up "
                f"({evaluation['summary']['top_ups']:,.0f} in all): the landfall raised their band"
            )
    first = min(batches, key=lambda b: b["proposed_at"])
    approved = approver.call(
        "POST",
        f"/v1/batches/{first['id']}/approve",
        json={"comment": "Revisado: padrón y montos conformes (demo)"},
        headers={"Idempotency-Key": f"demo-approve-{first['id']}"},
    )
    say(f"transfers  batch {approved['state']} by {approved['decided_by']} (four eyes)")
    write_payment_files(stack, payments, approved, say)
    return dict(approved)


def run(stack: Stack, households: int, say: Say) -> dict[str, Any]:
    """The whole demo on a started stack; returns the console's sign-in passwords."""
    started = time.monotonic()
    passwords = write_console_accounts(stack)
    import_id, written = load_registry(stack, households, say)
    wait_for_projections(stack, written, import_id, say)
    define_programmes(stack, say, (ANTICIPATORY, RESPONSE, DAMAGED_DWELLINGS))
    incident = replay_fiona(stack, say)
    approve_and_export(stack, incident["id"], say)
    second_sender(stack, say)
    damaged = register_affected(stack, say)
    pay_damaged(stack, incident["id"], damaged, say)
    provider_results(stack, say)
    say_reached(stack, incident["id"], say)
    say_messages(stack, say)
    left_out(stack, incident["id"], say)
    replied(stack, say)
    say(f"demo: done in {time.monotonic() - started:.0f}s")
    return {"passwords": passwords, "incident": incident}


def print_console(stack: Stack, passwords: dict[str, str], echo: Say) -> None:
    console = stack.services.get("console")
    if console is None:
        return
    echo(f"Open the console: {console.url}/   (field app: {console.url}/field/)")
    for username, name, roles, jurisdiction in PEOPLE:
        echo(
            f"  {username:<12} {passwords[username]:<18} {name} — "
            f"{', '.join(roles)} in {', '.join(jurisdiction)}"
        )
