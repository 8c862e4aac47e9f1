"""One household followed through the running stack (registration, alert, batch, payment file): a
scenario for the stack tests, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import requests

from services.demo import DemoError, client, write_payment_files
from services.stack import Stack
from shared.auth import APPROVER, AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from tests.samples import distinct_household, household_body


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

    # Its own people (the same family registered again would be held as a probable duplicate), at
    # the sample's place, inside the demo alert.
    new_id = str(uuid.uuid4())
    household = {**distinct_household(new_id), "location": household_body()["location"]}
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
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>es-HN</language><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <expires>{expires}</expires><headline>Alerta roja: costa de Choluteca (datos de demostración)</headline>
    <area><areaDesc>Costa de Choluteca</areaDesc>
      <polygon>13.20,-87.30 13.20,-87.10 13.40,-87.10 13.40,-87.30 13.20,-87.30</polygon></area>
  </info>
</alert>"""


def issue_demo_alert(stack: Stack, say: Callable[[str], None]) -> dict[str, Any]:
    """Post a CAP alert over Choluteca's coast as civil protection (on the demo stack's own data);
    show its exposure."""
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
    say(f"alerts     CAP alert over Choluteca's coast exposes: {counts}")
    say(f"alerts     {stack.url('alerts')}/v1/alerts/{incident['id']}")
    return incident


#: The demo's programme: a response cash transfer for storms on the Pacific coast.
DEMO_PROGRAMME = {
    "name": "Tormenta — transferencia de respuesta (demo)",
    "institute": "Instituto Hondureño de Seguridad Social",
    "currency": "HNL",
    "trigger": {
        "categories": ["Met"],
        "min_urgency": "Expected",
        "min_severity": "Severe",
        "min_certainty": "Likely",
        "mode": "response",
    },
    "eligibility": {
        "any": [
            {"field": "vulnerability_score", "op": ">=", "value": 40},
            {"field": "children_under_5", "op": ">", "value": 0},
            {"field": "elderly_65_plus", "op": ">", "value": 0},
        ]
    },
    "benefit": {
        "base": 1500,
        "per_member": 250,
        "cap": 4000,
        "band_multipliers": {"Extreme": 1.5},
        "rounding": 50,
    },
    "budget": {"per_incident": 2_000_000, "overall": 20_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": {"name": "Instituto Hondureño de Seguridad Social", "account_number": "0011223344"},
}


def ensure_demo_programme(stack: Stack, say: Callable[[str], None]) -> dict[str, Any]:
    """Define the demo programme once (a data folder used again keeps it)."""
    officer = client(stack, "transfers", "demo-programme-officer", [PROGRAMME_OFFICER], ["HN"])
    existing = [p for p in officer.call("GET", "/v1/programmes") if p["name"] == DEMO_PROGRAMME["name"]]
    programme = existing[0] if existing else officer.call("POST", "/v1/programmes", json=DEMO_PROGRAMME)
    if programme["state"] == "draft":
        approver = client(stack, "transfers", "demo-programme-approver", [APPROVER], ["HN"])
        programme = approver.call(
            "POST",
            f"/v1/programmes/{programme['id']}/versions/{programme['version']}/review",
            json={"approve": True, "comment": "read and agreed"},
        )
    say(
        f"transfers  programme {programme['name']!r} v{programme['version']}: "
        f"{programme['rules']['eligibility']}"
    )
    return dict(programme)


def pay_the_exposed(
    stack: Stack, incident_id: str, household_id: str, say: Callable[[str], None], timeout: float = 90.0
) -> dict[str, Any]:
    """Wait for the batch the alert proposes, approve it as a second person, write the payment file."""
    approver = client(stack, "transfers", "demo-approver", [APPROVER], ["HN"])
    payments_officer = client(stack, "transfers", "demo-payments-officer", [PAYMENTS_OFFICER], ["HN"])
    deadline = time.monotonic() + timeout
    batches: list[dict[str, Any]] = []
    while not batches and time.monotonic() < deadline:
        batches = approver.call("GET", f"/v1/batches?incident_id={incident_id}")["batches"]
        time.sleep(0.2)
    if not batches:
        raise DemoError(f"no batch was proposed for alert {incident_id} within {timeout}s")
    batch = batches[0]
    say(
        f"transfers  batch proposed: {batch['households']} households, {batch['total']} {batch['currency']} "
        f"(budget coverage {batch['coverage']:.0%}), proposed by {batch['proposed_by']}"
    )
    approved = approver.call(
        "POST",
        f"/v1/batches/{batch['id']}/approve",
        json={"comment": "revisado en la demostración"},
        headers={"Idempotency-Key": f"demo-approve-{batch['id']}"},
    )
    say(f"transfers  batch {approved['state']} by {approved['decided_by']} (four eyes)")
    written = write_payment_files(stack, payments_officer, approved, say)
    why = approver.call("GET", f"/v1/households/{household_id}/decisions?lang=es")
    for line in why["decisions"][0]["explanation"] if why["decisions"] else []:
        say(f"transfers  (hogar de la demo) {line}")
    return {"batch": approved, "files": written}
