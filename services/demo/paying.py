"""Paying in the demo: waiting for the batches an alert's decisions propose, and writing an
approved batch's payment files as the payments officer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from services.demo.client import Client, Say
from services.stack import Stack


def proposed_batches(approver: Client, incident_id: str, timeout: float, settle: float = 5.0) -> list[Any]:
    """The alert's batches once the first has come and no other for ``settle`` seconds (the
    update and the footprint may add supplementary ones); empty after ``timeout``."""
    deadline = time.monotonic() + timeout
    batches: list[dict[str, Any]] = []
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        latest = approver.call("GET", f"/v1/batches?incident_id={incident_id}")["batches"]
        if len(latest) != len(batches):
            batches, quiet_since = latest, time.monotonic()
        elif batches and time.monotonic() - quiet_since >= settle:
            break
        time.sleep(0.5)
    return batches


def write_payment_files(stack: Stack, payments: Client, batch: dict[str, Any], say: Say) -> list[Path]:
    """As the payments officer: one file per channel of an approved batch (pain.001 for bank
    accounts, CSV otherwise), kept under the stack's ``payment-files/``."""
    folder = stack.data_dir / "payment-files"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for channel in sorted(batch["payments_by_channel"]):
        fmt = "pain.001" if channel == "bank_account" else "csv"
        file = payments.call(
            "POST",
            f"/v1/batches/{batch['id']}/instructions",
            json={"channel_type": channel, "format": fmt},
            headers={"Idempotency-Key": f"demo-instruct-{batch['id']}-{channel}"},
        )
        path = folder / f"{file['message_id']}.{'xml' if fmt == 'pain.001' else 'csv'}"
        path.write_bytes(payments.call("GET", f"/v1/payment-files/{file['id']}"))
        written.append(path)
        say(
            f"transfers  {fmt} file for {channel}: {file['transactions']:,} payments, "
            f"control sum {file['control_sum']} → {path}"
        )
    return written
