"""``make demo``: a country on the embedded stack, from registry to an exported payment file.

The Dominican Republic's 32 first-level areas (the alerts service's bundled boundaries), a
registry of generated households spread by the 2022 census population (``services/demo_data``),
two programmes of a social-security institute (one anticipatory, one response), Hurricane
Fiona's CAP alert and its update replayed with today's times, NHC's real wind swath as the
footprint, and one batch approved by a second person and written as a payment file.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import requests
import shapely.geometry
from shapely import contains_xy

from services.console.accounts import new_account, new_password, write_accounts
from services.registry.service_layer.imports import household_id_for
from services.stack import Stack
from shared.auth import (
    APPROVER,
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)

Say = Callable[[str], None]
DATA = resources.files("services") / "demo_data"
COUNTRY = "DO"
CURRENCY = "DOP"

#: Who signs in to the demo's console: (username, name, roles, jurisdiction).
PEOPLE = (
    ("coe-ana", "Ana Castillo", [CIVIL_PROTECTION], [COUNTRY]),
    ("ids-luis", "Luis Peña", [PROGRAMME_OFFICER], [COUNTRY]),
    ("ids-maria", "María Rosario", [APPROVER], [COUNTRY]),
    ("ids-jose", "José Almonte", [APPROVER], [COUNTRY]),
    ("ids-rosa", "Rosa Guzmán", [PAYMENTS_OFFICER], [COUNTRY]),
    ("campo-carla", "Carla Féliz", [FIELD_STAFF], ["DO-11"]),
)


class DemoError(RuntimeError):
    """A step of the demo did not give the expected answer."""


@dataclass
class Client:
    """Calls one service as one person of the demo (a token from the stack's local issuer)."""

    base: str
    token: str

    def call(self, method: str, path: str, expected: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        """The answer's JSON (or bytes); a busy service (503) is asked again when it says, for up
        to two minutes.

        :raise DemoError: any answer but ``expected``.
        """
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        deadline = time.monotonic() + 120
        while True:
            response = requests.request(method, f"{self.base}{path}", headers=headers, timeout=300, **kwargs)
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(float(response.headers.get("Retry-After", 5)))
        if response.status_code not in expected:
            raise DemoError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if "json" in response.headers.get("Content-Type", "") else response.content


def client(stack: Stack, service: str, subject: str, roles: list[str], jurisdiction: list[str]) -> Client:
    return Client(stack.url(service), stack.issuer.mint(subject, roles, jurisdiction, ttl_seconds=6 * 3600))


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


def province_weights() -> dict[str, float]:
    """Each province's share of the population: the published census figures, and equal shares
    of the remainder for the provinces whose figure is not in the demo data (see its README)."""
    national = 10_760_028
    rows = list(csv.DictReader(io.StringIO((DATA / "dominican-republic-population.csv").read_text())))
    known = {r["code"]: int(r["population_2022"]) for r in rows if r["population_2022"]}
    unknown = [r["code"] for r in rows if not r["population_2022"]]
    remainder = (national - sum(known.values())) / len(unknown)
    population = {**known, **dict.fromkeys(unknown, remainder)}
    return {code: value / national for code, value in population.items()}


def province_shapes() -> dict[str, Any]:
    """Each province's boundary (buffered outward ~10 km in the bundled layer), cut to the box the
    registry checks a home's coordinates against, so every generated home is accepted."""
    layer = json.loads(
        (resources.files("services.alerts") / "data" / "iso3166-2-bz-do-gt-hn.geojson").read_text()
    )
    boxes = json.loads((resources.files("services.registry") / "config" / "admin-areas.json").read_text())[
        "areas"
    ]
    margin = 0.001  # degrees, about 100 m inside the box's edge
    return {
        code: shapely.make_valid(shapely.geometry.shape(f["geometry"])).intersection(
            shapely.geometry.box(
                *(boxes[code][0] + margin, boxes[code][1] + margin),
                *(boxes[code][2] - margin, boxes[code][3] - margin),
            )
        )
        for f in layer["features"]
        if (code := f["properties"]["ISO3166-2"]) in province_weights()
    }


#: Common Dominican given names and surnames (two surnames each, as registries write them).
NAMES = json.loads((DATA / "dominican-names.json").read_text())
GIVEN_F, GIVEN_M, FAMILY = NAMES["given_female"], NAMES["given_male"], NAMES["surnames"]
ROOFS = ("Zinc", "Concreto", "Lámina", "Teja")
HEADER = [
    "Código Hogar",
    "Departamento",
    "Latitud",
    "Longitud",
    "Nombres",
    "Apellidos",
    "Sexo",
    "Parentesco",
    "Edad",
    "Techo",
    "Cuartos",
    "Medio de pago",
    "Banco",
    "Número de cuenta",
    "Billetera",
    "Punto de retiro",
    "Dificultad para caminar",
]


def _payment(rng: np.random.Generator, code: str) -> list[str]:
    """How a household is paid: a bank account (35 %), a mobile wallet (45 %) or cash (20 %)."""
    draw = rng.random()
    if draw < 0.35:
        return ["Cuenta bancaria", "Banreservas", f"{rng.integers(10**9, 10**10)}", "", ""]
    if draw < 0.80:
        return ["Billetera móvil", "tPago", "", f"809{rng.integers(10**6, 10**7)}", ""]
    return ["Efectivo", "", "", "", f"Sucursal {code}"]


def registry_csv(households: int, seed: int = 2022) -> bytes:
    """A registry export: one row per person, households spread over the provinces by population,
    each at a random point inside its province."""
    rng = np.random.default_rng(seed)
    weights = province_weights()
    shapes = province_shapes()
    codes = list(weights)
    counts = rng.multinomial(households, [weights[c] for c in codes])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    number = 0
    for code, count in zip(codes, counts, strict=True):
        points = _points_inside(shapes[code], int(count), rng)
        sizes = rng.choice(
            [1, 2, 3, 4, 5, 6, 7], size=int(count), p=[0.1, 0.17, 0.22, 0.22, 0.15, 0.09, 0.05]
        )
        for (lon, lat), size in zip(points, sizes, strict=True):
            number += 1
            ref = f"DO-{number:06d}"
            family = _surnames(rng)
            female_head = rng.random() < 0.4
            names = GIVEN_F if female_head else GIVEN_M
            head_given = names[rng.integers(len(names))]
            head_age = int(rng.integers(19, 80))
            writer.writerow(
                [
                    ref,
                    code,
                    f"{lat:.5f}",
                    f"{lon:.5f}",
                    head_given,
                    family,
                    "F" if female_head else "M",
                    "Jefa" if female_head else "Jefe",
                    head_age,
                    ROOFS[rng.integers(4)],
                    int(rng.integers(1, 5)),
                    *_payment(rng, code),
                    _walking(rng, head_age),
                ]
            )
            spouse_free = True
            for _ in range(int(size) - 1):
                female = rng.random() < 0.5
                age = int(
                    rng.choice(
                        [rng.integers(0, 5), rng.integers(5, 18), rng.integers(18, 64), rng.integers(65, 95)],
                        p=[0.12, 0.33, 0.45, 0.10],
                    )
                )
                if spouse_free and 18 <= age < 65:
                    female = not female_head  # the head's spouse
                relationship = _relationship(age, female, spouse_free)
                spouse_free = spouse_free and relationship not in ("Esposa", "Esposo")
                names = GIVEN_F if female else GIVEN_M
                given = names[rng.integers(len(names))]
                surnames = family if relationship in CHILDREN else _surnames(rng)
                sex = "F" if female else "M"
                writer.writerow(
                    [ref, "", "", "", given, surnames, sex, relationship, age, *[""] * 7, _walking(rng, age)]
                )
    return out.getvalue().encode()


CHILDREN = ("Hijo", "Hija")


def _surnames(rng: np.random.Generator) -> str:
    return f"{FAMILY[rng.integers(len(FAMILY))]} {FAMILY[rng.integers(len(FAMILY))]}"


def _walking(rng: np.random.Generator, age: int) -> int:
    """The Washington Group answer on walking (1 no difficulty … 4 cannot): 3 or 4 for about 4 %
    of adults and 15 % of people 65 and over."""
    share = 0.15 if age >= 65 else 0.04 if age >= 18 else 0.01
    return int(rng.choice([3, 4])) if rng.random() < share else 1


def _relationship(age: int, female: bool, spouse_free: bool) -> str:
    """A member's relationship to the head, in the words of a Dominican registry form."""
    if age < 18:
        return "Hija" if female else "Hijo"
    if age >= 65:
        return "Madre" if female else "Padre"
    if spouse_free:
        return "Esposa" if female else "Esposo"
    return "Hermana" if female else "Hermano"


def _points_inside(shape: Any, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random points inside ``shape`` (rejection sampling in its bounding box)."""
    west, south, east, north = shape.bounds
    found: list[np.ndarray] = [np.empty((0, 2))]
    total = 0
    while total < count:
        lon = rng.uniform(west, east, max(64, count * 3))
        lat = rng.uniform(south, north, max(64, count * 3))
        inside = contains_xy(shape, lon, lat)
        found.append(np.column_stack([lon[inside], lat[inside]]))
        total += int(inside.sum())
    return np.concatenate(found)[:count]


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


# -- programmes -----------------------------------------------------------------------------

INSTITUTE = "Instituto Dominicano de Seguridad Social (demo)"
PAYER = {"name": INSTITUTE, "account_number": "0011223344"}

ANTICIPATORY = {
    "name": "Fiona — transferencia anticipatoria",
    "institute": INSTITUTE,
    "currency": CURRENCY,
    "trigger": {
        "categories": ["Met"],
        "min_urgency": "Expected",
        "min_severity": "Severe",
        "min_certainty": "Likely",
        "mode": "anticipatory",
    },
    "eligibility": {
        "any": [
            {"field": "vulnerability_score", "op": ">=", "value": 50},
            {"field": "children_under_5", "op": ">", "value": 0},
            {"field": "elderly_65_plus", "op": ">", "value": 0},
        ]
    },
    "benefit": {"base": 3000, "per_member": 500, "cap": 7000, "rounding": 100},
    "budget": {"per_incident": 60_000_000, "overall": 200_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": PAYER,
}

RESPONSE = {
    "name": "Fiona — transferencia de respuesta",
    "institute": INSTITUTE,
    "currency": CURRENCY,
    "trigger": {
        "categories": ["Met"],
        "min_urgency": "Immediate",
        "min_severity": "Extreme",
        "min_certainty": "Observed",
        "mode": "response",
    },
    "eligibility": {
        "any": [
            {"field": "vulnerability_score", "op": ">=", "value": 30},
            {"field": "children_under_5", "op": ">", "value": 0},
            {"field": "persons_with_disabilities", "op": ">", "value": 0},
        ]
    },
    "benefit": {
        "base": 4000,
        "per_member": 600,
        "cap": 9000,
        "band_multipliers": {"Extreme": 1.5, "Severe": 1.25},
        "rounding": 100,
    },
    "budget": {"per_incident": 150_000_000, "overall": 400_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": PAYER,
}


def define_programmes(stack: Stack, say: Say) -> list[dict[str, Any]]:
    officer = client(stack, "transfers", "ids-luis", [PROGRAMME_OFFICER], [COUNTRY])
    existing = {p["name"]: p for p in officer.call("GET", "/v1/programmes")}
    defined = []
    for programme in (ANTICIPATORY, RESPONSE):
        found = existing.get(str(programme["name"])) or officer.call("POST", "/v1/programmes", json=programme)
        say(f"transfers  programme {found['name']!r} v{found['version']}: {found['rules']['trigger']}")
        defined.append(found)
    return defined


# -- the alert --------------------------------------------------------------------------------


#: The COE's alert and its update after landfall, in the order they were sent.
FIONA_MESSAGES = ("fiona-2022-coe-alert.xml", "fiona-2022-coe-update.xml")
#: NHC's wind radii, as bands of the swath.
WIND_BANDS = [
    {"band": "Moderate", "min": 34},
    {"band": "Severe", "min": 50},
    {"band": "Extreme", "min": 64},
]


def fiona_message(name: str, now: datetime) -> bytes:
    """One of :data:`FIONA_MESSAGES`, sent ten minutes apart and ending at ``now``."""
    times = {
        "sent_alert": (now - timedelta(minutes=10)).isoformat(),
        "sent_update": now.isoformat(),
        "expires": (now + timedelta(days=3)).isoformat(),
    }
    return (DATA / name).read_text().format(**times).encode()


def fiona_footprint(incident_id: str) -> dict[str, Any]:
    """The request that uploads NHC's wind swath as the alert's footprint."""
    return {
        "params": {
            "kind": "wind_speed",
            "thresholds": json.dumps(WIND_BANDS),
            "incident_id": incident_id,
            "intensity_property": "wind_kt",
        },
        "data": (DATA / "fiona-2022-wind-swath.geojson").read_bytes(),
        "headers": {"Content-Type": "application/geo+json"},
    }


def replay_fiona(stack: Stack, say: Say) -> dict[str, Any]:
    """The COE's alert, then its update after landfall with NHC's wind swath as the footprint."""
    coe = client(stack, "alerts", "coe-ana", [CIVIL_PROTECTION], [COUNTRY])
    now = datetime.now(UTC).replace(microsecond=0)
    incident = None
    for name in FIONA_MESSAGES:
        incident = coe.call(
            "POST",
            "/v1/alerts",
            data=fiona_message(name, now),
            headers={"Content-Type": "application/cap+xml"},
        )
        exposure = incident["exposure"] or {}
        say(
            f"alerts     {incident['current']['headline']}: {exposure.get('households', 0):,} households, "
            f"{exposure.get('people', 0):,} people exposed (v{incident['version']})"
        )
        if name == FIONA_MESSAGES[0]:
            time.sleep(1.0)  # transfers decides the alert before its update arrives, as in real life
    assert incident is not None
    footprint = coe.call("POST", "/v1/footprints", **fiona_footprint(incident["id"]))
    bands = ", ".join(f"{b['band']} {b['households']:,}" for b in footprint["exposure"]["by_band"])
    inside = footprint["exposure"]["households"]
    say(f"alerts     NHC wind swath of Fiona: {inside:,} households inside ({bands})")
    return dict(incident)


# -- deciding and paying ------------------------------------------------------------------------


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


def run(stack: Stack, households: int, say: Say) -> dict[str, Any]:
    """The whole demo on a started stack; returns the console's sign-in passwords."""
    started = time.monotonic()
    passwords = write_console_accounts(stack)
    import_id, written = load_registry(stack, households, say)
    wait_for_projections(stack, written, import_id, say)
    define_programmes(stack, say)
    incident = replay_fiona(stack, say)
    approve_and_export(stack, incident["id"], say)
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
