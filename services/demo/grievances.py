"""Grievances in the demo: a family of a province the alert did not cover calls the hotline and is
told how far the nearest area was; a family whose payment failed replies RECLAMO to its message,
and the payments officer re-issues its payment (a new batch that needs a second person's approval).
"""

from __future__ import annotations

import time
from typing import Any

from services.demo.affected import households_of
from services.demo.client import DemoError, Say, client
from services.demo.country import COUNTRY
from services.demo.sms_gateway import SmsGateway
from services.stack import Stack
from shared.auth import HOTLINE_OPERATOR, PAYMENTS_OFFICER, PROGRAMME_OFFICER, REGISTRY_OFFICER

#: A province beside the alert's areas (Santo Domingo borders Monte Plata and San Pedro de Macorís).
BESIDE = "DO-32"


def left_out(stack: Stack, incident_id: str, say: Say) -> dict[str, Any] | None:
    """The hotline files a "not exposed" case for a household beside the alert's areas."""
    registry = client(stack, "registry", "reg-marta", [REGISTRY_OFFICER], [COUNTRY])
    officer = client(stack, "transfers", "ids-luis", [PROGRAMME_OFFICER], [COUNTRY])
    hotline = client(stack, "transfers", "linea-lucia", [HOTLINE_OPERATOR], [COUNTRY])
    for household in households_of(registry, BESIDE, 30):
        decided = officer.call("GET", f"/v1/households/{household['id']}/decisions")["decisions"]
        if any(d["incident_id"] == incident_id for d in decided):
            continue
        case = hotline.call(
            "POST",
            "/v1/grievances",
            json={
                "household_id": household["id"],
                "kind": "not_exposed",
                "incident_id": incident_id,
                "note": "llamó a la línea: dice que el huracán también pasó por su comunidad",
            },
        )
        said = "; ".join(case["explanation"]["summary"]["es"])
        say(f"grievances the hotline filed a case for a family in {BESIDE} ({case['assigned_role']}): {said}")
        return dict(case)
    say(f"grievances every household listed in {BESIDE} was exposed: no one to call the hotline")
    return None


def replied(stack: Stack, say: Say, timeout: float = 60) -> dict[str, Any] | None:
    """A household replies RECLAMO to its message: told its payment failed, the payments officer
    re-issues it; told it was paid, the programme officer says why the amount stands."""
    gateway = next((c for c in stack.companions if isinstance(c, SmsGateway)), None)
    sent = gateway.received if gateway else []
    failed = [m for m in sent if "no pudimos pagar" in m.get("text", "")]
    paid = [m for m in sent if "fue pagado" in m.get("text", "")]
    if gateway is None or not (failed or paid):
        say("grievances no household was told of its payment: no reply to file")
        return None
    about, role, person = (
        ("no recibí el dinero", PAYMENTS_OFFICER, "ids-rosa")
        if failed
        else ("el monto es menor", PROGRAMME_OFFICER, "ids-luis")
    )
    gateway.reply((failed or paid)[0]["to"], f"RECLAMO {about}")
    resolver = client(stack, "transfers", person, [role], [COUNTRY])
    deadline = time.monotonic() + timeout
    while not (
        cases := [
            c
            for c in resolver.call("GET", f"/v1/grievances?state=open&assigned_role={role}")
            if c["channel"] == "reply"
        ]
    ):
        if time.monotonic() > deadline:
            raise DemoError(f"the household's reply was not filed as a grievance within {timeout}s")
        time.sleep(0.5)
    case = cases[0]
    if failed:
        outcome = {
            "outcome": "reissue",
            "channel_type": "cash_pickup",
            "note": "cuenta cerrada: retiro en ventanilla",
        }
    else:
        outcome = {
            "outcome": "decision_stands",
            "note": "el monto sigue la regla del programa para el tamaño del hogar",
        }
    done = resolver.call(
        "POST",
        f"/v1/grievances/{case['id']}/resolution",
        json=outcome,
        headers={"Idempotency-Key": f"demo-grievance-{case['id']}"},
    )
    if failed:
        batch = done["outcome_detail"]["batches"][0]
        did = f"re-issued its payment in batch {batch} (a second person approves it)"
    else:
        did = "answered that the amount stands, and why"
    say(f'grievances a family replied "RECLAMO {about}" ({case["kind"]}); {person} {did}')
    return dict(done)
