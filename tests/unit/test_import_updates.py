"""Re-importing registered households, on plain data: which row is which stored member, what the
file changes and what it keeps, which household a row names, and when a commit is stopped."""

from __future__ import annotations

import uuid

import pytest

from services.registry.domain.imports import RowProblems, group_households
from services.registry.domain.imports.outcomes import (
    Refused,
    read_reference,
    reference_of,
    too_many_duplicates,
)
from services.registry.domain.imports.updates import Identity, match_members, updated_document


def who(name, birth=None, document=None):
    return Identity(name, birth, document)


def test_rows_are_matched_to_stored_members_by_document_then_name_and_birth_then_name():
    stored = [
        who("juan perez", "1960-01-01", "d1"),
        who("juan perez", "1990-05-05"),
        who("ana perez", "1992-02-02"),
        who("rosa lopez", "1950-07-07"),
        who("luis perez", "2015-03-03"),
    ]
    read = [
        who("juan perez", "1960-01-02", "d1"),  # the father, his birth date corrected: same document
        who("juan perez", "1990-05-05"),  # the son
        who("ana perez", "1992-12-02"),  # her birth date corrected: the only Ana
        who("luiz perez", "2015-03-03"),  # a typo corrected, the same birth date
        who("carla perez", "2020-01-01"),  # born since
    ]
    assert match_members(stored, read) == [0, 1, 2, 4, None]  # Rosa left the household


def test_two_stored_members_of_one_name_are_never_guessed_between():
    stored = [who("juan perez", "1960-01-01"), who("juan perez", "1990-05-05")]
    assert match_members(stored, [who("juan perez", "1975-01-01")]) == [None]


STORED = {
    "admin_code": "HN-CH",
    "location": {"lat": 13.3, "lon": -87.19, "accuracy_m": 6.0, "source": "gps"},
    "address": "Colonia Las Palmas",
    "status": "active",
    "consent": {"given_at": "2026-11-20T10:00:00-06:00", "given_by": "Ana", "purposes": ["registry"]},
    "dwelling": {"roof": "sheet_metal", "rooms": 1},
    "services": {"water_source": "well"},
    "livelihood": {"main": "agriculture"},
    "payment": {"type": "mobile_money", "provider": "Tigo", "identifiers": {"wallet_number": "9988"}},
    "members": [
        {
            "id": "m1",
            "given_names": "Ana",
            "family_names": "Paz",
            "sex": "female",
            "relationship": "head",
            "birth_date": None,
            "age_estimate": 40,
            "phone": "+504 9988-7766",
            "document": {"type": "national_id", "number": "0601"},
            "disability": {"walking": 3},
        },
        {"id": "m2", "given_names": "Luis", "family_names": "Paz", "sex": "male", "relationship": "child"},
    ],
}


def test_the_file_replaces_what_it_gives_and_keeps_what_it_does_not_know():
    read = {
        "admin_code": "HN-CH",
        "members": [
            {
                "given_names": "Ana",
                "family_names": "Paz",
                "sex": "female",
                "relationship": "head",
                "age_estimate": 41,
                "disability": {"seeing": 2},
            },
            {"given_names": "Inés", "family_names": "Paz", "sex": "female", "relationship": "child"},
        ],
        "dwelling": {"roof": "tile"},
        "services": {},
        "livelihood": {},
    }
    document = updated_document(STORED, read, ["m1", None])
    ana, ines = document["members"]
    assert ana["id"] == "m1" and ana["age_estimate"] == 41 and ana["phone"] == "+504 9988-7766"
    assert ana["document"] == {"type": "national_id", "number": "0601"}
    assert ana["disability"] == {"walking": 3, "seeing": 2}
    assert "id" not in ines and ines["given_names"] == "Inés"  # a new member; Luis left
    assert document["dwelling"] == {"roof": "tile", "rooms": 1}
    assert document["location"] == STORED["location"] and document["address"] == "Colonia Las Palmas"
    assert document["consent"] == STORED["consent"] and document["status"] == "active"
    assert document["payment"] == STORED["payment"]
    moved = updated_document(
        STORED,
        {**read, "location": {"lat": 13.4, "lon": -87.2, "accuracy_m": None, "source": "gps"}},
        ["m1", None],
    )
    assert moved["location"]["lat"] == 13.4 and moved["location"]["accuracy_m"] is None
    same_place = {**read, "location": {"lat": 13.3, "lon": -87.19, "accuracy_m": None, "source": "gps"}}
    assert updated_document(STORED, same_place, ["m1", None])["location"] == STORED["location"]
    paid = updated_document(
        STORED, {**read, "payment": {"type": "mobile_money", "identifiers": {}}}, ["m1", None]
    )
    assert paid["payment"] == {
        "type": "mobile_money",
        "provider": "Tigo",
        "identifiers": {"wallet_number": "9988"},
    }
    other = updated_document(
        STORED, {**read, "payment": {"type": "cash_pickup", "identifiers": {}}}, ["m1", None]
    )
    assert other["payment"] == {"type": "cash_pickup", "identifiers": {}}


def group(*references):
    rows = [
        (n + 2, {"household_ref": "H1", "given_names": "A", **({"registration_number": r} if r else {})})
        for n, r in enumerate(references)
    ]
    [found] = list(group_households(rows, RowProblems()))
    return found


def test_a_household_names_the_registered_one_by_number_or_id_on_any_of_its_rows():
    some_id = str(uuid.uuid4())
    assert read_reference(" hn-3f2a 9c01d4").registration_number == "HN-3F2A9C01D4"
    assert read_reference(some_id.upper()).household_id == some_id
    assert read_reference("H-001") is None
    assert reference_of(group(None, None)) is None
    assert reference_of(group("HN-3F2A9C01D4", None, "hn-3f2a9c01d4")).registration_number == "HN-3F2A9C01D4"
    assert reference_of(group(None, some_id)).household_id == some_id
    for references, row, words in (
        (("HN-3F2A9C01D4", "HN-0000000000"), 3, "dos hogares"),
        (("casa 4",), 2, "no es un número de registro"),
    ):
        with pytest.raises(Refused) as refused:
            reference_of(group(*references))
        assert refused.value.refusal.row == row and refused.value.refusal.field == "registration_number"
        assert words in refused.value.refusal.reason.es


def test_a_commit_is_stopped_only_above_the_share_allowed():
    assert too_many_duplicates(1, 20, 0.05) is None  # exactly 5 %
    assert too_many_duplicates(0, 0, 0.0) is None  # nothing to write
    assert too_many_duplicates(1, 20, 0.0) is not None  # none allowed
    assert too_many_duplicates(9, 10, None) is None  # no limit set
    stop = too_many_duplicates(2, 20, 0.05)
    assert "2 of the 20" in stop and "10.0 %" in stop and "2 de los 20" in stop.es
