"""Screening names all at once must never drop a pair that scoring them one by one would keep."""

from __future__ import annotations

import random

from services.registry.domain.duplicates import Person, compare, matches_for, name_key, worth_comparing

GIVEN = ("maria jose", "jose", "ana", "luis", "pedro", "rosa", "juan carlos", "carmen", "marta")
FAMILY = ("ordonez perez", "zuniga", "zuniga cruz", "lopez", "mejia lagos", "diaz", "cruz")


def _typo(rng: random.Random, name: str) -> str:
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("aeiounrs ") + name[i + 1 :] if rng.random() < 0.5 else name


def _person(rng: random.Random, n: int) -> Person:
    words = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}".split()
    if rng.random() < 0.2:
        rng.shuffle(words)
    year = rng.randint(1980, 1982)
    return Person(
        f"h{n}",
        f"m{n}",
        name_key(_typo(rng, " ".join(words)), ""),
        year,
        f"{year}-0{rng.randint(1, 2)}-1{rng.randint(0, 1)}" if rng.random() < 0.7 else None,
        f"doc{rng.randint(0, 30)}" if rng.random() < 0.3 else None,
        "HN-CH",
        13.3 + rng.random() / 10,
        -87.2,
    )


def test_screening_keeps_every_candidate_compare_would_match():
    rng = random.Random(5)
    people = [_person(rng, n) for n in range(400)]
    for person in people[:150]:
        matched = {o.member_id for o in people if compare(person, o) is not None}
        assert matched <= {o.member_id for o in worth_comparing(person, people)}
        screened = matches_for(person, people)
        one_by_one = sorted((m for m in (compare(person, o) for o in people) if m), key=lambda m: -m.score)[
            :10
        ]
        assert screened == one_by_one
