"""The demo on a running stack: one household registered and followed through all three services."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from services.stack import Stack
from shared.auth import AUDITOR, FIELD_STAFF, PROGRAMME_OFFICER

#: A household in Choluteca (HN-CH), on Honduras' Pacific coast, often hit by tropical storms.
DEMO_HOUSEHOLD = {
    "admin_code": "HN-CH",
    "size": 5,
    "location": {"lat": 13.3007, "lon": -87.1908, "accuracy_m": 8.0, "source": "gps"},
}


class DemoError(RuntimeError):
    """A step of the demo did not give the expected answer."""


def _wait_for(url: str, token: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        if response.status_code == 200:
            return dict(response.json())
        time.sleep(0.1)
    raise DemoError(f"{url} did not show the household within {timeout}s")


def follow_one_household(stack: Stack, say: Callable[[str], None], timeout: float = 60.0) -> dict[str, Any]:
    """Register a household as field staff and wait until both projections show it."""
    issuer = stack.issuer
    field_staff = issuer.mint("demo-field-staff", [FIELD_STAFF], ["HN-CH"], name="Demo field staff")
    auditor = issuer.mint("demo-auditor", [AUDITOR], ["HN"])
    programme_officer = issuer.mint("demo-programme-officer", [PROGRAMME_OFFICER], ["HN"])

    household = {"id": str(uuid.uuid4()), **DEMO_HOUSEHOLD}
    correlation_id = f"demo-{household['id'][:8]}"
    started = time.monotonic()
    response = requests.post(
        f"{stack.url('registry')}/v1/households",
        json=household,
        timeout=10,
        headers={"Authorization": f"Bearer {field_staff}", "X-Correlation-ID": correlation_id},
    )
    if response.status_code != 201:
        raise DemoError(f"registry refused the demo household: {response.status_code} {response.text}")
    say(
        f"registry   registered household {household['id']} in HN-CH (5 people), version "
        f"{response.json()['version']}, correlation id {correlation_id}"
    )

    location = _wait_for(f"{stack.url('alerts')}/v1/household-locations/{household['id']}", auditor, timeout)
    say(
        f"alerts     location index has it at ({location['lat']}, {location['lon']}) "
        f"after {time.monotonic() - started:.2f}s"
    )
    attributes = _wait_for(
        f"{stack.url('transfers')}/v1/household-attributes/{household['id']}", programme_officer, timeout
    )
    say(
        f"transfers  attribute projection has it: size {attributes['size']}, status "
        f"{attributes['status']}, after {time.monotonic() - started:.2f}s"
    )
    return {"household": household, "location": location, "attributes": attributes}
