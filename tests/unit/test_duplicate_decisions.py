"""An officer's decisions on probable duplicates, on plain data: what a merge moves, what a
removal takes out, what the household rules then refuse, and which pairs are never proposed again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.registry.domain.duplicates import Judgements, Match, Person
from services.registry.domain.errors import InvalidHousehold
from services.registry.domain.members import Member, Relationship, Sex
from services.registry.domain.model import (
    HouseholdFacts,
    HouseholdStatus,
    Location,
    Registration,
    change_household,
    register_household,
)
from services.registry.domain.resolving import MemberChoice, merge, remove_members
from services.registry.domain.vulnerability import COMPONENTS, VulnerabilityIndex

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
INDEX = VulnerabilityIndex("test", dict.fromkeys(COMPONENTS, 1.0))


def person(member_id: str, name: str, relationship=Relationship.CHILD, age=10) -> Member:
    given, family = name.split(" ", 1)
    return Member(member_id, given, family, Sex.FEMALE, relationship, age_estimate=age)


def household(*members: Member) -> object:
    facts = HouseholdFacts("HN-CH", Location(13.3, -87.19), tuple(members))
    return register_household(
        facts, registration=Registration("ana", NOW), index=INDEX, jurisdiction_covers=lambda code: True
    )


def changed(current, facts):
    return change_household(
        current,
        facts,
        changed_by="officer",
        changed_at=NOW,
        index=INDEX,
        jurisdiction_covers=lambda code: True,
    )


@pytest.fixture
def pair():
    kept = household(person("a1", "Rosa Paz", Relationship.HEAD, 40), person("a2", "Luis Paz"))
    other = household(
        person("b1", "Rosa Paz", Relationship.HEAD, 40),
        person("b2", "Luis Paz"),
        person("b3", "Inés Paz", age=3),
    )
    return kept, other


def test_a_merge_moves_the_members_kept_and_keeps_the_same_person_once(pair):
    kept, other = pair
    merged = merge(
        kept,
        other,
        [
            MemberChoice("b1", same_as="a1", survives="b1"),  # the other's record of Rosa is the better one
            MemberChoice("b2", same_as="a2", survives="a2"),
            MemberChoice("b3"),
        ],
    )
    assert [(m.id, m.relationship) for m in merged.kept.members] == [
        ("b1", Relationship.HEAD),
        ("a2", Relationship.CHILD),
        ("b3", Relationship.CHILD),
    ]
    assert [m.id for m in merged.other.members] == ["b2"]  # the record not kept stays, dissolved
    assert merged.other.status == HouseholdStatus.DISSOLVED
    assert (set(merged.moved), merged.replaced) == ({"b1", "b3"}, {"a1": "b1"})
    history = {(c.path, c.new) for c in merged.history_of_kept(other.id, "c1")}
    assert {
        ("merged_from", other.id),
        ("members.b3.moved_from", other.id),
        ("members.b1.replaces", "a1"),
    } <= history
    # Both households pass the household rules: the dissolved one even with nobody left.
    assert changed(kept, merged.kept).size == 3 and changed(other, merged.other).size == 1
    everyone = merge(
        kept, other, [MemberChoice("b1", "a1", "b1"), MemberChoice("b2", "a2", "b2"), MemberChoice("b3")]
    )
    assert everyone.other.members == () and changed(other, everyone.other).size == 0


def test_a_merged_household_with_two_heads_is_refused_by_the_household_rules(pair):
    kept, other = pair
    merged = merge(kept, other, [MemberChoice("b1")])  # Rosa moved in as a second head
    with pytest.raises(InvalidHousehold) as refused:
        changed(kept, merged.kept)
    [problem] = refused.value.errors
    assert problem.pointer == "/members" and "not 2" in problem.detail and "no 2" in problem.detail_es
    spouse = merge(kept, other, [MemberChoice("b1", relationship=Relationship.SPOUSE)])
    assert changed(kept, spouse.kept).size == 3


@pytest.mark.parametrize(
    ("choices", "pointer", "spanish"),
    [
        ([MemberChoice("zz")], "/members/0/id", "no es miembro"),
        ([MemberChoice("b3"), MemberChoice("b3")], "/members/1/id", "dos veces"),
        ([MemberChoice("b1", same_as="b2", survives="b1")], "/members/0/same_as", "no es miembro"),
        ([MemberChoice("b1", same_as="a1")], "/members/0/survives", "qué registro"),
        ([MemberChoice("b3", survives="b3")], "/members/0/survives", "misma persona"),
        (
            [
                MemberChoice("b1", same_as="a1", survives="a1"),
                MemberChoice("b2", same_as="a1", survives="a1"),
            ],
            "/members/1/same_as",
            "ya es la misma persona",
        ),
        (
            [MemberChoice("b1", same_as="a1", survives="a1", relationship=Relationship.SPOUSE)],
            "/members/0/relationship",
            "no se conserva",
        ),
    ],
)
def test_a_merge_the_officer_cannot_mean_is_refused_naming_the_choice(pair, choices, pointer, spanish):
    kept, other = pair
    with pytest.raises(InvalidHousehold) as refused:
        merge(kept, other, choices)
    by_pointer = {e.pointer: e for e in refused.value.errors}
    assert spanish in by_pointer[pointer].detail_es and by_pointer[pointer].detail


def test_removing_a_person_who_lives_elsewhere_never_takes_the_head_without_a_new_one(pair):
    _, other = pair
    with pytest.raises(InvalidHousehold) as refused:
        remove_members(other, ["b1"], None, "b1")
    assert [(e.pointer, "jefe" in e.detail_es) for e in refused.value.errors] == [("/new_head", True)]
    facts = remove_members(other, ["b1"], "b2", "b1")
    assert [(m.id, m.relationship) for m in facts.members] == [
        ("b2", Relationship.HEAD),
        ("b3", Relationship.CHILD),
    ]
    assert changed(other, facts).size == 2
    for remove, new_head, pointer in (
        (["b3"], None, "/remove"),  # not the person the pair is about
        (["b1", "b2", "b3"], "b2", "/remove"),  # nobody left
        (["b1", "zz"], "b2", "/remove/1"),
        (["b1"], "b1", "/new_head"),  # a new head who leaves too
    ):
        with pytest.raises(InvalidHousehold) as refused:
            remove_members(other, remove, new_head, "b1")
        assert pointer in {e.pointer for e in refused.value.errors}
    with pytest.raises(InvalidHousehold):  # the head stays: naming another head would make two
        remove_members(other, ["b3"], "b2", "b3")


def test_judged_pairs_are_never_proposed_again_for_the_pair_or_the_person():
    def match(a, b):
        return Match(
            Person(a[0], a[1], "rosa paz", 1986, None, None, "HN-CH", 13.3, -87.19),
            Person(b[0], b[1], "rosa paz", 1986, None, None, "HN-CH", 13.3, -87.19),
            0.95,
            (),
        )

    judged = Judgements(frozenset({frozenset(("h1", "h2"))}), frozenset({(frozenset(("h1", "h3")), "m1")}))
    assert not judged.allows(match(("h2", "x"), ("h1", "y")))  # not duplicates, whoever they are
    assert not judged.allows(match(("h3", "new"), ("h1", "m1")))  # that person, whatever their new record
    assert judged.allows(match(("h3", "new"), ("h1", "m2")))  # someone else of the same two households
    assert judged.allows(match(("h2", "x"), ("h3", "y")))
