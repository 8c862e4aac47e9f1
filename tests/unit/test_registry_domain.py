"""Registry rules on plain data: registration, members, vulnerability, history, snapshot."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from services.registry.adapters.protection import AesGcmProtector, ProtectionError, normalise_document_number
from services.registry.domain.errors import InvalidConfiguration, InvalidHousehold, OutsideJurisdiction
from services.registry.domain.history import PROTECTED, changes
from services.registry.domain.members import Difficulty, Member, Relationship, Sex, member_problems
from services.registry.domain.model import (
    HouseholdFacts,
    Location,
    Registration,
    change_household,
    public_snapshot,
    register_household,
)
from services.registry.domain.vulnerability import COMPONENTS, VulnerabilityIndex
from services.registry.service_layer.common import HouseholdInput
from services.registry.service_layer.facts import build_facts
from tests.samples import BODY, registry_dependencies

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
INDEX = VulnerabilityIndex("test", dict.fromkeys(COMPONENTS, 1.0))


def member(relationship=Relationship.HEAD, sex=Sex.FEMALE, age=40, **extra) -> Member:
    return Member(
        id=os.urandom(4).hex(),
        given_names="Ana",
        family_names="López",
        sex=sex,
        relationship=relationship,
        age_estimate=age,
        **extra,
    )


def facts(*members: Member, **extra) -> HouseholdFacts:
    return HouseholdFacts(
        admin_code=extra.pop("admin_code", "HN-CH"),
        location=Location(13.3, -87.19, 5.0),
        members=members or (member(),),
        **extra,
    )


def register(household_facts: HouseholdFacts, covers=lambda code: code.startswith("HN")):
    return register_household(
        household_facts, registration=Registration("ana", NOW), index=INDEX, jurisdiction_covers=covers
    )


def test_new_household_is_active_at_version_1_with_number_levels_and_score():
    household = register(facts(member(), member(Relationship.CHILD, age=2)))
    assert household.version == 1 and household.status == "active" and household.size == 2
    assert household.registration_number.startswith("HN-") and len(household.registration_number) == 13
    assert household.admin_levels == ["HN", "HN-CH"]
    assert set(household.vulnerability.components) == set(COMPONENTS)
    assert 0 <= household.vulnerability.score <= 100


def test_admin_levels_follow_the_hierarchy():
    assert register(facts(admin_code="HN-CH-0601")).admin_levels == ["HN", "HN-CH", "HN-CH-0601"]


def test_vulnerable_households_score_higher_and_the_score_is_explained():
    exposed = facts(
        member(age=70, sex=Sex.FEMALE, disability={"walking": Difficulty.CANNOT}),
        member(Relationship.CHILD, age=1),
        member(Relationship.CHILD, age=3),
        dwelling={"wall": "plastic_or_cardboard", "roof": "thatch", "floor": "earth", "rooms": 1},
        services={"water_source": "river_or_rain", "sanitation": "none"},
        livelihood={"income_source": "none"},
    )
    secure = facts(
        member(age=35, sex=Sex.MALE),
        member(Relationship.SPOUSE, age=33),
        dwelling={"wall": "concrete_block", "roof": "concrete", "floor": "tile", "rooms": 4},
        services={"water_source": "piped_dwelling", "sanitation": "sewer"},
        livelihood={"income_source": "formal"},
    )
    high, low = register(exposed).vulnerability, register(secure).vulnerability
    assert high.score > 80 > 10 > low.score
    assert high.components["children_under_5"] == 1.0 and high.components["female_headed"] == 1.0
    assert all(0.0 <= v <= 1.0 for v in (*high.components.values(), *low.components.values()))
    assert high.index_version == "test"


def test_the_shipped_index_config_is_valid_and_weights_every_component():
    from services.registry.adapters.config_files import load_index

    index = load_index()
    assert set(index.weights) == set(COMPONENTS) and index.version == "v1"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"weights": {}}, "version"),
        ({"version": "x", "weights": {"nonsense": 1}}, "weights.nonsense not a component of the index"),
        ({"version": "x", "weights": {**dict.fromkeys(COMPONENTS, 1), "crowding": -1}}, "crowding"),
    ],
)
def test_bad_index_configs_are_refused_by_name(config, message):
    with pytest.raises(InvalidConfiguration, match=message.replace("[", r"\[").replace("]", r"\]")):
        VulnerabilityIndex.from_config(config)


@pytest.mark.parametrize(
    ("household_facts", "field"),
    [
        (facts(member(Relationship.CHILD)), "members"),
        (facts(member(), member()), "members"),
        (facts(member(), member(Relationship.SPOUSE, sex=Sex.MALE, pregnant=True)), "members.1.pregnant"),
        (facts(member(age=70, pregnant=True)), "members.0.pregnant"),
        (facts(dwelling={"wall": "marble"}), "dwelling.wall"),
        (facts(dwelling={"rooms": 0}), "dwelling.rooms"),
        (facts(services={"water_source": "magic"}), "services.water_source"),
        (facts(admin_code="Choluteca"), "admin_code"),
    ],
)
def test_bad_facts_are_named(household_facts, field):
    with pytest.raises(InvalidHousehold) as caught:
        register(household_facts)
    assert field in caught.value.problems


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"given_names": "A", "family_names": "B", "birth_date": date(2030, 1, 1)}, "members.0.birth_date"),
        ({"given_names": "A", "family_names": "B", "birth_date": date(1850, 1, 1)}, "members.0.birth_date"),
        ({"given_names": "A", "family_names": "B", "age_estimate": 130}, "members.0.age_estimate"),
        ({"given_names": "A", "family_names": "B"}, "members.0.birth_date"),
        ({"given_names": " ", "family_names": "B", "age_estimate": 3}, "members.0.given_names"),
        (
            {"given_names": "A", "family_names": "B", "age_estimate": 3, "disability": {"flying": 4}},
            "members.0.disability.flying",
        ),
    ],
)
def test_impossible_members_are_named(raw, field):
    assert field in member_problems(0, raw, date(2026, 11, 22))


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(91, 0, "location.lat"), (0, -181, "location.lon"), (float("nan"), 0, "location.lat")],
)
def test_impossible_coordinates_are_named(lat, lon, field):
    with pytest.raises(InvalidHousehold) as caught:
        Location(lat, lon)
    assert field in caught.value.problems
    assert caught.value.errors[0].pointer == "/" + field.replace(".", "/")


def test_outside_jurisdiction_refused():
    with pytest.raises(OutsideJurisdiction, match="HN-CH"):
        register(facts(), covers=lambda code: code == "HN-CR")


def test_a_change_is_the_next_version_rescored_and_needs_both_ends_in_jurisdiction():
    household = register(facts(member()))
    grown = facts(member(), member(Relationship.CHILD, age=1))
    changed = change_household(
        household, grown, changed_by="luis", changed_at=NOW, index=INDEX, jurisdiction_covers=lambda c: True
    )
    assert changed.version == 2 and changed.updated_by == "luis"
    assert changed.vulnerability.score > household.vulnerability.score
    with pytest.raises(OutsideJurisdiction):
        change_household(
            household,
            replace(grown, admin_code="HN-CR"),
            changed_by="x",
            changed_at=NOW,
            index=INDEX,
            jurisdiction_covers=lambda c: c == "HN-CH",
        )


def _built(deps, body=BODY, previous=None):
    from marshmallow import EXCLUDE

    from services.registry.entrypoints.api import household_input
    from services.registry.entrypoints.schemas import HouseholdInputSchema

    loaded = HouseholdInputSchema(unknown=EXCLUDE).load(body)
    data: HouseholdInput = household_input(loaded)
    return build_facts(data, deps, previous, date(2026, 11, 22))


def test_history_records_changes_and_never_a_protected_value_in_clear():
    deps = registry_dependencies()
    first = register_household(
        _built(deps),
        registration=Registration("ana", NOW),
        index=deps.index,
        jurisdiction_covers=lambda c: True,
    )
    body = json.loads(json.dumps(BODY))
    body["members"] = [{**m, "id": first.facts.members[i].id} for i, m in enumerate(body["members"])]
    body["members"][0]["phone"] = "+504 3333-4444"
    body["dwelling"] = {**body["dwelling"], "rooms": 3}
    second = change_household(
        first,
        _built(deps, body, first),
        changed_by="luis",
        changed_at=NOW,
        index=deps.index,
        jurisdiction_covers=lambda c: True,
    )
    found = {c.path: c for c in changes(first, second)}
    assert found["dwelling.rooms"].old == 1 and found["dwelling.rooms"].new == 3
    head = first.facts.members[0].id
    assert found[f"members.{head}.phone"].old == PROTECTED == found[f"members.{head}.phone"].new
    text = json.dumps(
        [c._asdict() for c in changes(first, second)] + [c._asdict() for c in changes(None, first)],
        default=str,
    )
    # The protected values themselves (digit fragments could turn up inside member ids and hashes).
    for secret in ("9988-7766", "3333-4444", "0601-1986-01234", "0601198601234", "99887766"):
        assert secret not in text
    # Unchanged protected values keep their ciphertext: no phantom change.
    assert f"members.{first.facts.members[1].id}.document" not in found
    assert "payment.identifiers" not in found


def test_the_public_snapshot_carries_no_personal_data():
    deps = registry_dependencies()
    household = register_household(
        _built(deps),
        registration=Registration("ana", NOW),
        index=deps.index,
        jurisdiction_covers=lambda c: True,
    )
    snapshot = public_snapshot(household)
    text = json.dumps(snapshot)
    for secret in (
        "María",
        "Ordóñez",
        "Pérez",
        "0601-1986-01234",
        "0601198601234",
        "9988-7766",
        "99887766",
        "Tigo",
        "Palmas",
    ):
        assert secret not in text
    assert snapshot["members_by_sex"] == {"female": 2, "male": 1}
    assert snapshot["members_by_age_band"] == {"0_4": 1, "5_17": 0, "18_64": 1, "65_plus": 1}
    assert snapshot["persons_with_disabilities"] == 1 and snapshot["female_headed"] is True
    cells = [(sex, band, cell) for sex, bands in snapshot["people"].items() for band, cell in bands.items()]
    assert len(cells) == 10 and sum(c[0] for *_, c in cells) == 3 and sum(c[1] for *_, c in cells) == 1
    by_band = {
        band: sum(snapshot["people"][sex][band][0] for sex in ("female", "male"))
        for band in ("0_5", "6_11", "12_17", "18_59", "60_plus")
    }
    assert by_band["0_5"] == 1 and by_band["18_59"] + by_band["60_plus"] == 2
    assert snapshot["payment_channel_type"] == "mobile_money"
    from shared.contracts.households import load_snapshot

    assert load_snapshot(json.loads(text))["vulnerability"]["score"] == household.vulnerability.score


def test_document_hashes_ignore_formatting_and_ciphertexts_resist_tampering():
    protector = AesGcmProtector(os.urandom(32), os.urandom(32))
    assert protector.document_hash("national_id", "0601-1986-01234") == protector.document_hash(
        "national_id", " 0601 1986 01234 "
    )
    assert protector.document_hash("national_id", "1") != protector.document_hash("passport", "1")
    assert normalise_document_number("ñ-12.a") == "N12A"
    sealed = protector.encrypt("+504 9988-7766")
    assert protector.decrypt(sealed) == "+504 9988-7766" and "9988-7766" not in sealed
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(ProtectionError, match="tampered"):
        protector.decrypt(tampered)
    with pytest.raises(ProtectionError, match="differ"):
        AesGcmProtector(b"k" * 32, b"k" * 32)


def test_unknown_codes_and_places_outside_the_area_are_named():
    from services.registry.adapters.config_files import load_admin_reference

    areas = load_admin_reference()
    assert areas.countries == {"BZ", "DO", "GT", "HN"}
    assert areas.problems("HN-CH", 13.3, -87.19) == {}
    assert areas.problems("HN-CH-0601", 13.3, -87.19) == {}
    assert "unknown admin code HN-ZZ" in areas.problems("HN-ZZ", 13.3, -87.19)["admin_code"]
    assert "not served" in areas.problems("MX-OAX", 17.0, -96.7)["admin_code"]
    assert "is a country" in areas.problems("HN", 13.3, -87.19)["admin_code"]
    far = areas.problems("HN-CH", 15.5, -88.0)["location"]
    assert "outside HN-CH" in far and "swapped" not in far
    assert "swapped" in areas.problems("HN-CH", -87.19, 13.3)["location"]
