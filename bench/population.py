"""A generated population with planted duplicates, for measuring duplicate detection.

Names, areas and ages are drawn from Honduran-looking distributions; duplicates are planted the
way they arise in the field: the same document registered twice, a typo in a name with the same
birth date, a second family name dropped and the age only estimated.
"""

from __future__ import annotations

import random
import uuid

from services.registry.domain.duplicates import Person, name_key

GIVEN = (
    "María",
    "José",
    "Juan",
    "Ana",
    "Luis",
    "Carlos",
    "Rosa",
    "Jorge",
    "Marta",
    "Pedro",
    "Sofía",
    "Elena",
    "Miguel",
    "Carmen",
    "Francisco",
    "Lucía",
    "Antonio",
    "Gabriela",
    "Manuel",
    "Patricia",
    "Raúl",
    "Teresa",
    "Fernando",
    "Gloria",
    "Ricardo",
    "Julia",
    "Héctor",
    "Isabel",
    "Óscar",
    "Daniela",
    "Mario",
    "Alejandra",
    "Roberto",
    "Silvia",
    "Andrés",
    "Claudia",
    "Wilmer",
    "Yesenia",
    "Kevin",
    "Dilcia",
    "Nelson",
    "Xiomara",
    "Edwin",
    "Marleny",
    "Santos",
    "Reina",
    "Osman",
    "Karla",
    "Denis",
    "Suyapa",
)
FAMILY = (
    "López",
    "Martínez",
    "Hernández",
    "Rodríguez",
    "García",
    "Pérez",
    "Sánchez",
    "Ramírez",
    "Flores",
    "Cruz",
    "Mejía",
    "Reyes",
    "Castillo",
    "Ordóñez",
    "Zelaya",
    "Aguilar",
    "Díaz",
    "Gómez",
    "Moreno",
    "Romero",
    "Álvarez",
    "Torres",
    "Vásquez",
    "Rivera",
    "Mendoza",
    "Ortiz",
    "Castro",
    "Núñez",
    "Chávez",
    "Molina",
    "Maradiaga",
    "Banegas",
    "Padilla",
    "Euceda",
    "Matute",
    "Lagos",
    "Amaya",
    "Rosales",
    "Funez",
    "Zúniga",
    "Espinoza",
    "Pineda",
    "Cardona",
    "Paz",
    "Bonilla",
    "Rivas",
    "Villeda",
    "Sosa",
)
AREAS = {
    "HN-CH": (13.30, -87.19),
    "HN-VA": (13.53, -87.48),
    "HN-EP": (13.82, -86.86),
    "HN-FM": (14.08, -87.21),
    "HN-CR": (15.50, -87.90),
    "HN-AT": (15.77, -86.79),
    "HN-OL": (14.70, -86.20),
    "HN-YO": (15.13, -87.13),
}


def _typo(rng: random.Random, text: str) -> str:
    i = rng.randrange(1, len(text) - 1)
    kind = rng.choice(("swap", "drop", "double", "replace"))
    if kind == "swap":
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice("aeiourlns") + text[i + 1 :]


def generate(people: int, planted: int, seed: int = 7) -> tuple[list[Person], set[frozenset[str]]]:
    """``people`` distinct people plus ``planted`` duplicates; returns them and the true pairs."""
    rng = random.Random(seed)
    population: list[Person] = []
    for _ in range(people):
        area = rng.choice(list(AREAS))
        lat, lon = AREAS[area]
        year = rng.randint(1940, 2024)
        given = rng.choice(GIVEN) + ("" if rng.random() < 0.6 else " " + rng.choice(GIVEN))
        family = rng.choice(FAMILY) + " " + rng.choice(FAMILY)
        has_date = rng.random() < 0.8
        population.append(
            Person(
                household_id=str(uuid.UUID(int=rng.getrandbits(128))),
                member_id=str(uuid.UUID(int=rng.getrandbits(128))),
                name=name_key(given, family),
                birth_year=year,
                birth_date=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if has_date else None,
                document_hash=uuid.UUID(int=rng.getrandbits(128)).hex
                if year < 2008 and rng.random() < 0.7
                else None,
                area=area,
                lat=lat + rng.uniform(-0.2, 0.2),
                lon=lon + rng.uniform(-0.2, 0.2),
            )
        )
    truth: set[frozenset[str]] = set()
    for n in range(planted):
        original = rng.choice(population[:people])
        kind = n % 3
        name, birth_date, year, document = original.name, original.birth_date, original.birth_year, None
        if kind == 0 and original.document_hash:  # registered twice with the same document
            document = original.document_hash
            name = _typo(rng, name) if rng.random() < 0.5 else name
        elif kind in (0, 1):  # a typo, same birth date
            name = _typo(rng, name)
        else:  # second family name dropped, age only estimated
            parts = name.split()
            name = " ".join(parts[:-1]) if len(parts) > 2 else _typo(rng, name)
            birth_date, year = None, year + rng.choice((0, 0, 1, -1))
        duplicate = Person(
            household_id=str(uuid.UUID(int=rng.getrandbits(128))),
            member_id=str(uuid.UUID(int=rng.getrandbits(128))),
            name=name,
            birth_year=year,
            birth_date=birth_date,
            document_hash=document,
            area=original.area,
            lat=original.lat + rng.uniform(-0.01, 0.01),
            lon=original.lon + rng.uniform(-0.01, 0.01),
        )
        population.append(duplicate)
        truth.add(frozenset((original.member_id, duplicate.member_id)))
    rng.shuffle(population)
    return population, truth
