"""After Fiona's landfall: the institute reaches the families affected. A registry officer opens a
damage and needs assessment for the east and reads Supérate's roster (the regular programme whose
families get a top-up); field staff visit registered families and register the ones the registry
did not have, with what each lost; the response programme for damaged dwellings pays them."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np

from services.demo.client import Client, DemoError, Say, client
from services.demo.country import COUNTRY, CURRENCY
from services.demo.fiona import INSTITUTE, PAYER, RESPONSE, hazard_event_of
from services.demo.paying import write_payment_files
from services.demo.registry_file import FAMILY, GIVEN_F, GIVEN_M, _points_inside, province_shapes
from services.stack import Stack
from shared.auth import APPROVER, FIELD_STAFF, PAYMENTS_OFFICER, REGISTRY_OFFICER

#: Where Fiona made landfall (Boca de Yuma, La Altagracia), and the exercise's provinces.
LANDFALL = "DO-11"
EAST = ["DO-11", "DO-08", "DO-30"]
#: The regular programme whose families get a top-up, and how much.
REGULAR = "SUPERATE"

DAMAGED_DWELLINGS = {
    "name": "Fiona — vivienda dañada",
    "institute": INSTITUTE,
    "currency": CURRENCY,
    "trigger": RESPONSE["trigger"],  # the landfall, observed
    "eligibility": {"all": [{"field": "dwelling_damage", "op": "in", "value": ["partial", "destroyed"]}]},
    "benefit": {
        "base": 6000,
        "per_member": 400,
        "per_enrolment": {REGULAR: 2000},
        "cap": 10000,
        "rounding": 100,
    },
    "budget": {"per_incident": 50_000_000, "overall": 100_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": PAYER,
}


def open_assessment(officer: Client, say: Say) -> dict[str, Any]:
    exercise = officer.call(
        "POST",
        "/v1/assessment-events",
        json={"name": "Fiona — evaluación de daños, este", "incidents": ["FIONA-2022"], "admin_codes": EAST},
    )
    say(f"registry   assessment {exercise['name']!r} opened for {', '.join(EAST)}")
    return dict(exercise)


def households_of(officer: Client, area: str, count: int) -> list[dict[str, Any]]:
    """The first ``count`` households the registry lists in ``area``."""
    found: list[dict[str, Any]] = []
    cursor = None
    while len(found) < count:
        page = officer.call(
            "GET", f"/v1/households?admin_code={area}&limit=500" + (f"&cursor={cursor}" if cursor else "")
        )
        found += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    return found[:count]


def read_regular_roster(officer: Client, households: list[dict[str, Any]], say: Say) -> None:
    """Supérate's roster for the east, by registration number: a dry run, then the commit."""
    text = "registration_number,enrolled_since\n" + "".join(
        f"{h['registration_number']},2021-07-01\n" for h in households
    )
    roster = officer.call(
        "POST",
        "/v1/rosters",
        data={"programme": REGULAR, "roster_date": datetime.now(UTC).date().isoformat()},
        files={"file": ("padron-superate-este.csv", text.encode())},
    )
    say(f"registry   {REGULAR} roster read: {roster['counts']}")
    officer.call("POST", f"/v1/rosters/{roster['id']}/commit")
    say(
        f"registry   {roster['counts'].get('enrol', 0):,} households enrolled in {REGULAR} "
        "(vertical expansion)"
    )


def _finding(rng: np.random.Generator, exercise_id: str) -> dict[str, Any]:
    damage = str(rng.choice(["none", "partial", "destroyed"], p=[0.4, 0.4, 0.2]))
    moved = "at_home" if damage != "destroyed" else str(rng.choice(["host_family", "shelter"]))
    return {
        "event_id": exercise_id,
        "dwelling_damage": damage,
        "displacement": moved,
        "shelter": "Liceo Juan Pablo Duarte, Higüey" if moved == "shelter" else None,
        "livelihood_losses": sorted(
            set(rng.choice(["crops", "livestock", "work", "tools"], size=int(rng.integers(0, 3))))
        ),
        "needs": ["water", "food"] + (["shelter"] if damage == "destroyed" else []),
        "assessed_at": datetime.now(UTC).isoformat(),
    }


def _new_household(rng: np.random.Generator, home: np.ndarray) -> dict[str, Any]:
    """A family the registry did not have: its head and a child, where they live, their consent."""
    family = f"{FAMILY[rng.integers(len(FAMILY))]} {FAMILY[rng.integers(len(FAMILY))]}"
    head = str(GIVEN_F[rng.integers(len(GIVEN_F))])
    child = str(GIVEN_M[rng.integers(len(GIVEN_M))])
    return {
        "admin_code": LANDFALL,
        "location": {"lat": round(float(home[1]), 5), "lon": round(float(home[0]), 5), "accuracy_m": 8},
        "members": [
            {
                "given_names": head,
                "family_names": family,
                "sex": "female",
                "relationship": "head",
                "age_estimate": int(rng.integers(20, 60)),
            },
            {
                "given_names": child,
                "family_names": family,
                "sex": "male",
                "relationship": "child",
                "age_estimate": int(rng.integers(0, 12)),
            },
        ],
        "payment": {
            "type": "cash_pickup",
            "provider": "Banreservas",
            "identifiers": {"pickup_point": "Higüey"},
        },
        "consent": {
            "given_at": datetime.now(UTC).isoformat(),
            "given_by": f"{head} {family}",
            "purposes": ["registry", "emergency_transfers", "contact"],
        },
    }


def field_visits(
    field: Client, exercise: dict[str, Any], visited: list[dict[str, Any]], new: int, say: Say
) -> dict[str, int]:
    """Field staff's visits, synced from their tablets: registered families assessed, new ones
    registered and assessed in the same visit."""
    rng = np.random.default_rng(2209)
    records = [
        {
            "client_id": str(uuid.uuid4()),
            "household_id": h["id"],
            "household": None,
            "assessment": _finding(rng, exercise["id"]),
        }
        for h in visited
    ]
    for home in _points_inside(province_shapes()[LANDFALL], new, rng):
        household_id = str(uuid.uuid4())
        records.append(
            {
                "client_id": str(uuid.uuid4()),
                "household_id": household_id,
                "household": _new_household(rng, home),
                "assessment": _finding(rng, exercise["id"]),
            }
        )
    counts: dict[str, int] = {}
    for start in range(0, len(records), 200):
        report = field.call(
            "POST",
            "/v1/households/sync",
            json={"device": "tablet-higuey-03", "records": records[start : start + 200]},
        )
        for status, n in report["counts"].items():
            counts[status] = counts.get(status, 0) + n
    damaged = sum(1 for r in records if r["assessment"]["dwelling_damage"] != "none")
    say(f"registry   field visits synced: {counts}; {damaged:,} dwellings damaged or destroyed")
    if counts.get("rejected"):
        raise DemoError(f"the registry refused field visits: {counts}")
    return damaged


def register_affected(stack: Stack, say: Say, visits: int = 300, new: int = 40) -> int:
    """The assessment after landfall, Supérate's roster, and field visits in La Altagracia; returns
    how many dwellings the visits found damaged or destroyed."""
    officer = client(stack, "registry", "demo-registry-officer", [REGISTRY_OFFICER], [COUNTRY])
    field = client(stack, "registry", "campo-carla", [FIELD_STAFF], [LANDFALL])
    exercise = open_assessment(officer, say)
    known = households_of(officer, LANDFALL, visits)
    read_regular_roster(officer, known[::2], say)
    return field_visits(field, exercise, known, new, say)


def _damaged_batches(
    approver: Client, incident_id: str, programme_id: str, damaged: int, timeout: float
) -> list[dict[str, Any]]:
    """The programme's proposed batches, under every alert of the incident's hazard event, once they
    hold every damaged household, or once they have not grown for a minute (a household held as a
    probable duplicate is not proposed until an officer decides), or at ``timeout``.

    Deciding the alerts again for the visits takes a round of transfers' late-households worker and
    the whole exposure; each family registered in a visit arrives as its own supplement. A household
    is proposed under whichever alert of the hazard event decides it first."""
    event = hazard_event_of(approver, incident_id)
    deadline = time.monotonic() + timeout
    mine: list[dict[str, Any]] = []
    seen, grew_at = 0, time.monotonic()
    while time.monotonic() < deadline:
        batches = approver.call("GET", f"/v1/batches?hazard_event_id={event['id']}")["batches"]
        mine = [b for b in batches if b["programme_id"] == programme_id and b["state"] == "proposed"]
        proposed = sum(b["households"] for b in mine)
        if proposed != seen:
            seen, grew_at = proposed, time.monotonic()
        if proposed >= damaged or (mine and time.monotonic() - grew_at > 60):
            break
        time.sleep(1)
    if not mine:
        raise DemoError(f"the programme for damaged dwellings proposed nothing within {timeout}s")
    return mine


def pay_damaged(
    stack: Stack, incident_id: str, damaged: int, say: Say, timeout: float = 600
) -> list[dict[str, Any]]:
    """Approve, as a second person, the batches the damaged-dwellings programme proposed (the visits
    to registered families decide the alert again; each family registered in a visit arrives as
    its own supplement of the exposure) and write their payment files."""
    approver = client(stack, "transfers", "ids-maria", [APPROVER], [COUNTRY])
    payments = client(stack, "transfers", "ids-rosa", [PAYMENTS_OFFICER], [COUNTRY])
    [programme] = [
        p for p in approver.call("GET", "/v1/programmes") if p["name"] == DAMAGED_DWELLINGS["name"]
    ]
    mine = _damaged_batches(approver, incident_id, programme["id"], damaged, timeout)
    approved, files = [], []
    for batch in mine:
        done = approver.call(
            "POST",
            f"/v1/batches/{batch['id']}/approve",
            json={"comment": "Evaluación de daños revisada (demo)"},
            headers={"Idempotency-Key": f"demo-approve-{batch['id']}"},
        )
        files += write_payment_files(stack, payments, done, lambda _line: None)
        approved.append(dict(done))
    households = sum(b["households"] for b in approved)
    total = sum(float(b["total"]) for b in approved)
    say(
        f"transfers  {programme['name']!r}: {households:,} of the {damaged:,} damaged households "
        f"in {len(approved)} batches "
        f"(the visits, then each family registered in a visit), {total:,.0f} {CURRENCY}, approved by "
        f"{approved[0]['decided_by']}; {len(files)} payment files in {stack.data_dir / 'payment-files'}"
    )
    return approved
