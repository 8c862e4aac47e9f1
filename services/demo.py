"""The demo on a running stack: one household registered and followed through all three services."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from services.stack import Stack
from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, PROGRAMME_OFFICER

#: A household in Choluteca (HN-CH), on Honduras' Pacific coast, often hit by tropical storms.
DEMO_HOUSEHOLD = {
    "admin_code": "HN-CH",
    "location": {"lat": 13.3007, "lon": -87.1908, "accuracy_m": 8.0, "source": "gps"},
    "address": "Barrio El Centro, Choluteca",
    "members": [
        {
            "given_names": "María José",
            "family_names": "Ordóñez Pérez",
            "sex": "female",
            "relationship": "head",
            "birth_date": "1986-03-14",
            "document": {"type": "national_id", "number": "0601-1986-01234"},
            "phone": "+504 9988-7766",
        },
        {
            "given_names": "Luis",
            "family_names": "Ordóñez",
            "sex": "male",
            "relationship": "child",
            "birth_date": "2022-08-02",
        },
        {
            "given_names": "Ana",
            "family_names": "Ordóñez",
            "sex": "female",
            "relationship": "child",
            "age_estimate": 9,
            "attends_school": True,
        },
        {
            "given_names": "Rosa",
            "family_names": "Pérez",
            "sex": "female",
            "relationship": "parent",
            "age_estimate": 71,
            "disability": {"walking": 3},
        },
        {
            "given_names": "Jorge",
            "family_names": "Ordóñez",
            "sex": "male",
            "relationship": "child",
            "age_estimate": 15,
        },
    ],
    "dwelling": {"wall": "bahareque", "roof": "sheet_metal", "floor": "earth", "tenure": "owned", "rooms": 2},
    "services": {"water_source": "well", "sanitation": "latrine"},
    "livelihood": {"main": "agriculture", "income_source": "informal"},
    "consent": {
        "given_at": "2026-11-20T10:00:00-06:00",
        "given_by": "María José Ordóñez Pérez",
        "purposes": ["registry", "emergency_transfers"],
    },
    "payment": {
        "type": "mobile_money",
        "provider": "Tigo Money",
        "identifiers": {"wallet_number": "99887766"},
    },
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
    registered = response.json()
    say(
        f"registry   registered household {registered['registration_number']} in HN-CH "
        f"({registered['size']} people, vulnerability score {registered['vulnerability']['score']}), "
        f"version {registered['version']}, correlation id {correlation_id}"
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


DEMO_ALERT = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>demo-{identifier}</identifier><sender>copeco.gob.hn</sender><sent>{sent}</sent>
  <status>Exercise</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>{expires}</expires><headline>Alerta roja: costa de Choluteca (ejercicio)</headline>
    <area><areaDesc>Costa de Choluteca</areaDesc>
      <polygon>13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30</polygon></area>
  </info>
</alert>"""


def issue_demo_alert(stack: Stack, say: Callable[[str], None]) -> dict[str, Any]:
    """Post an exercise CAP alert over Choluteca's coast as civil protection; show its exposure."""
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(microsecond=0)
    body = DEMO_ALERT.format(
        identifier=uuid.uuid4().hex[:8], sent=now.isoformat(), expires=(now + timedelta(days=2)).isoformat()
    ).encode()
    token = stack.issuer.mint("demo-copeco", [CIVIL_PROTECTION], ["HN"])
    response = requests.post(
        f"{stack.url('alerts')}/v1/alerts",
        data=body,
        timeout=60,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/cap+xml"},
    )
    if response.status_code != 201:
        raise DemoError(f"alerts refused the demo alert: {response.status_code} {response.text}")
    incident = response.json()
    exposure = incident["exposure"]
    counts = ", ".join(
        f"{label} {exposure[key]}"
        for label, key in (
            ("households", "households"),
            ("people", "people"),
            ("with children under 5", "children_under_5"),
            ("persons with disabilities", "persons_with_disabilities"),
        )
    )
    say(f"alerts     CAP alert (exercise) over Choluteca's coast exposes: {counts}")
    say(f"alerts     {stack.url('alerts')}/v1/alerts/{incident['id']}")
    return incident
