"""The registry export the demo imports: generated households spread over the provinces by the
2022 census population, each at a random point inside its province, one row per person."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import numpy as np
import shapely.geometry
from shapely import contains_xy

from services.demo.country import DATA


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
    "Teléfono",
    "Consentimiento",
    "Fecha de consentimiento",
]
#: Every tenth household consented to the registry and to transfers, not to being contacted.
WITHOUT_CONTACT = 10
CHILDREN = ("Hijo", "Hija")


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
        for home, size in _homes(shapes[code], int(count), rng):
            number += 1
            writer.writerows(_household(rng, f"DO-{number:06d}", code, home, int(size)))
    return out.getvalue().encode()


def _homes(shape: Any, count: int, rng: np.random.Generator) -> Iterator[tuple[np.ndarray, Any]]:
    """``count`` homes inside a province: where each is, and how many people live there."""
    points = _points_inside(shape, count, rng)
    sizes = rng.choice([1, 2, 3, 4, 5, 6, 7], size=count, p=[0.1, 0.17, 0.22, 0.22, 0.15, 0.09, 0.05])
    return zip(points, sizes, strict=True)


def _household(rng: np.random.Generator, ref: str, code: str, home: np.ndarray, size: int) -> list[list[Any]]:
    """One household's rows: its head, with the home's place, roof and payment, then the others."""
    family = _surnames(rng)
    female_head = rng.random() < 0.4
    rows = [_head(rng, ref, code, home, family, female_head)]
    spouse_free = True
    for _ in range(size - 1):
        relationship, row = _member(rng, ref, family, female_head, spouse_free)
        spouse_free = spouse_free and relationship not in ("Esposa", "Esposo")
        rows.append(row)
    return rows


def _head(
    rng: np.random.Generator, ref: str, code: str, home: np.ndarray, family: str, female: bool
) -> list[Any]:
    """The head of the household's row, which also carries the home and how it is paid."""
    lon, lat = home
    names = GIVEN_F if female else GIVEN_M
    given = names[rng.integers(len(names))]
    age = int(rng.integers(19, 80))
    return [
        ref,
        code,
        f"{lat:.5f}",
        f"{lon:.5f}",
        given,
        family,
        "F" if female else "M",
        "Jefa" if female else "Jefe",
        age,
        ROOFS[rng.integers(4)],
        int(rng.integers(1, 5)),
        *_payment(rng, code),
        _walking(rng, age),
        *_contact(ref),
    ]


def _contact(ref: str) -> list[str]:
    """The head's phone and the household's consent, from its reference alone (the rest of the
    file is drawn as before: the same seed gives the same households)."""
    number = int(ref.split("-")[1])
    purposes = (
        "registro, transferencias" if number % WITHOUT_CONTACT == 0 else "registro, transferencias, contacto"
    )
    return [f"+1 809 {number:07d}", purposes, "2022-06-01"]


def _member(
    rng: np.random.Generator, ref: str, family: str, female_head: bool, spouse_free: bool
) -> tuple[str, list[Any]]:
    """Another person of the household: their relationship to the head, and their row."""
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
    names = GIVEN_F if female else GIVEN_M
    given = names[rng.integers(len(names))]
    surnames = family if relationship in CHILDREN else _surnames(rng)
    sex = "F" if female else "M"
    row = [
        ref,
        "",
        "",
        "",
        given,
        surnames,
        sex,
        relationship,
        age,
        *[""] * 7,
        _walking(rng, age),
        "",
        "",
        "",
    ]
    return relationship, row


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
