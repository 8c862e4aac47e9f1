"""Snapshots kept true as time passes: ages and bands against an independent count, the next day a
snapshot may change, and what the daily pass publishes."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from services.registry.domain import model
from services.registry.domain.members import Member, Relationship, Sex
from services.registry.domain.snapshots import SnapshotState, next_change, refresh, turns, what_it_says
from services.registry.domain.vulnerability import COMPONENTS, VulnerabilityIndex
from services.registry.domain.weights import WeightSets

INDEX = VulnerabilityIndex("test", dict.fromkeys(COMPONENTS, 1.0))
#: The bands as the contract names them, by hand.
BANDS = {"0_4": (0, 4), "5_17": (5, 17), "18_64": (18, 64), "65_plus": (65, 200)}


def member(
    birth: date | None, relationship: Relationship = Relationship.CHILD, estimate: int | None = None
) -> Member:
    return Member(
        id=f"m-{birth}-{estimate}-{relationship}",
        given_names="Ana",
        family_names="Paz",
        sex=Sex.FEMALE,
        relationship=relationship,
        birth_date=birth,
        age_estimate=estimate,
    )


def household(members: list[Member], registered: date, admin_code: str = "HN-CH") -> model.Household:
    facts = model.HouseholdFacts(
        admin_code=admin_code,
        location=model.Location(13.3, -87.19),
        members=tuple(members),
        dwelling={"rooms": 2},
    )
    at = datetime(registered.year, registered.month, registered.day, 12, tzinfo=UTC)
    return model.register_household(
        facts,
        registration=model.Registration("u", at),
        index=INDEX,
        jurisdiction_covers=lambda _: True,
    )


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2020, 2, 29), date(2025, 2, 28), 4),  # a common year: not yet 5 on 28 February
        (date(2020, 2, 29), date(2025, 3, 1), 5),
        (date(2020, 2, 29), date(2024, 2, 29), 4),  # a leap year: on the day itself
        (date(2020, 2, 29), date(2024, 2, 28), 3),
        (date(2010, 12, 31), date(2028, 12, 30), 17),
        (date(2010, 12, 31), date(2028, 12, 31), 18),
        (date(1961, 1, 1), date(2026, 1, 1), 65),
        (date(1961, 1, 1), date(2025, 12, 31), 64),
    ],
)
def test_ages_by_hand_including_29_february(birth, day, age):
    assert member(birth).age_on(day) == age


def test_ages_and_bands_match_dateutil_every_day_for_a_handful_of_birthdays():
    births = [date(2020, 2, 29), date(2021, 3, 1), date(2008, 6, 15), date(1962, 2, 28), date(2013, 1, 1)]
    people = [member(b) for b in births]
    day = date(2023, 1, 1)
    while day < date(2028, 1, 1):
        for birth, person in zip(births, people, strict=True):
            expected = relativedelta(day, birth).years
            if (birth.month, birth.day) == (2, 29) and (day.month, day.day) == (2, 28):
                expected = day.year - birth.year - 1  # dateutil counts 28 Feb; the registry 1 March
            assert person.age_on(day) == expected, (birth, day)
        home = household([member(date(1980, 5, 5), Relationship.HEAD), *people], date(2023, 1, 1))
        bands = model.public_snapshot(home, day)["members_by_age_band"]
        ages = [relativedelta(day, date(1980, 5, 5)).years] + [p.age_on(day) for p in people]
        assert bands == {b: sum(1 for a in ages if low <= a <= high) for b, (low, high) in BANDS.items()}
        day += timedelta(days=7)


def test_the_day_one_reaches_an_age():
    assert turns(date(2020, 2, 29), 5) == date(2025, 3, 1)
    assert turns(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert turns(date(2023, 8, 2), 5) == date(2028, 8, 2)


def test_the_next_change_is_the_first_birthday_crossing_a_band_or_a_scored_age():
    people = [member(date(2023, 8, 2)), member(date(2012, 3, 1)), member(date(1990, 1, 1), Relationship.HEAD)]
    assert next_change(people, date(2026, 1, 1)) == date(2027, 3, 1)  # turns 15 (working age)
    assert next_change(people, date(2027, 3, 1)) == date(2028, 8, 2)  # turns 5
    assert next_change(people, date(2028, 8, 2)) == date(2029, 8, 2)  # turns 6 (a reporting band)
    assert next_change(people, date(2029, 8, 2)) == date(2030, 3, 1)  # turns 18
    assert next_change([member(None, estimate=4)], date(2026, 1, 1)) is None


def test_between_two_due_days_the_snapshot_never_changes_and_on_them_it_may():
    rng = random.Random(7)
    for _ in range(40):
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(365))
        people = [member(start - timedelta(days=rng.randrange(80 * 365)), Relationship.HEAD)]
        people += [member(start - timedelta(days=rng.randrange(70 * 365))) for _ in range(rng.randrange(4))]
        home = household(people, start)
        state = SnapshotState.of_new_version(home)
        day = start
        published = model.public_snapshot(home)
        for _ in range(3 * 365):
            day += timedelta(days=1)
            scored = replace(home, vulnerability=model.score(home.facts, INDEX, day))
            now = what_it_says(model.public_snapshot(scored, day))
            if state.due_on is None or day < state.due_on:
                assert now == what_it_says(published), (people, day)
            else:
                outcome = refresh(home, state, day, INDEX)
                assert (outcome.published is not None) == (now != what_it_says(published))
                state = outcome.state
                if outcome.published is not None:
                    home, published = outcome.household, outcome.published
                assert state.due_on is None or state.due_on > day


def test_a_refresh_publishes_under_the_same_version_and_the_next_revision_only_what_changed():
    home = household(
        [member(date(1990, 1, 1), Relationship.HEAD), member(date(2023, 8, 2))], date(2028, 7, 30)
    )
    state = SnapshotState.of_new_version(home)
    assert state == SnapshotState(date(2028, 7, 30), 0, date(2028, 8, 2))
    early = refresh(home, state, date(2028, 8, 1), INDEX)
    assert early.published is None and early.state.due_on == date(2028, 8, 2)
    outcome = refresh(home, state, date(2028, 8, 2), INDEX)
    assert outcome.published is not None
    assert outcome.published["version"] == 1 and outcome.published["snapshot_revision"] == 1
    assert outcome.published["snapshot_on"] == "2028-08-02"
    assert outcome.published["members_by_age_band"]["0_4"] == 0
    assert outcome.published["vulnerability"]["components"]["children_under_5"] == 0.0
    assert outcome.state == SnapshotState(date(2028, 8, 2), 1, date(2029, 8, 2))  # then turns 6
    assert outcome.published["people"]["female"]["0_5"] == [1, 0]
    later = refresh(outcome.household, outcome.state, date(2029, 8, 2), INDEX)
    assert later.published is not None and later.published["people"]["female"]["6_11"] == [1, 0]
    assert later.published["members_by_age_band"] == outcome.published["members_by_age_band"]
    again = refresh(outcome.household, outcome.state, date(2028, 8, 2), INDEX)
    assert again.published is None and again.state == outcome.state
    gone = refresh(
        replace(home, facts=replace(home.facts, status=model.HouseholdStatus.MOVED)),
        state,
        date(2028, 8, 2),
        INDEX,
    )
    assert gone.published is None and gone.state.due_on is None


def test_new_weights_taking_effect_are_published_only_where_the_score_changes():
    on = date(2028, 9, 1)
    heavy = VulnerabilityIndex("cr", {**dict.fromkeys(COMPONENTS, 0.0), "female_headed": 1.0}, "HN-CR", on)
    same = VulnerabilityIndex("cr-same", dict.fromkeys(COMPONENTS, 2.0), "HN-CR", on)  # same proportions
    head = [member(date(1990, 1, 1), Relationship.HEAD)]
    crowded = household(head, date(2028, 7, 1), "HN-CR-0801")
    elsewhere = household(head, date(2028, 7, 1), "HN-CH")
    moved = refresh(crowded, SnapshotState.of_new_version(crowded), on, WeightSets(INDEX, (heavy,)))
    assert moved.published is not None and moved.published["vulnerability"]["index_version"] == "cr"
    assert moved.published["vulnerability"]["score"] == 100.0  # a female head is all that counts now
    kept = refresh(crowded, SnapshotState.of_new_version(crowded), on, WeightSets(INDEX, (same,)))
    assert kept.published is None and kept.household.vulnerability.index_version == "cr-same"
    unaffected = refresh(elsewhere, SnapshotState.of_new_version(elsewhere), on, WeightSets(INDEX, (heavy,)))
    assert unaffected.published is None and unaffected.household.vulnerability.index_version == "test"


def test_the_most_specific_place_in_effect_wins():
    country = VulnerabilityIndex("hn", dict.fromkeys(COMPONENTS, 1.0), "HN", date(2027, 1, 1))
    area = VulnerabilityIndex("hn-cr", dict.fromkeys(COMPONENTS, 1.0), "HN-CR", date(2028, 1, 1))
    later = VulnerabilityIndex("hn-2", dict.fromkeys(COMPONENTS, 1.0), "HN", date(2029, 1, 1))
    sets = WeightSets(INDEX, (country, area, later))
    assert sets.choose("HN-CR-0801", date(2026, 6, 1)).version == "test"
    assert sets.choose("HN-CR-0801", date(2027, 6, 1)).version == "hn"
    assert sets.choose("HN-CR-0801", date(2029, 6, 1)).version == "hn-cr"  # the area's still wins
    assert sets.choose("HN-CH", date(2029, 6, 1)).version == "hn-2"
    assert sets.choose("HNX-1", date(2029, 6, 1)).version == "test"
    assert sets.choose("GT-PE", date(2029, 6, 1)).version == "test"


def test_the_daily_time_says_which_day_to_run_for_once():
    from services.registry.service_layer.snapshots import DailyTime

    at = DailyTime.parse("00:30")
    assert at.due(datetime(2028, 8, 2, 0, 10, tzinfo=UTC), None) == date(
        2028, 8, 1
    )  # yesterday's, after a stop
    assert at.due(datetime(2028, 8, 2, 0, 30, tzinfo=UTC), date(2028, 8, 1)) == date(2028, 8, 2)
    assert at.due(datetime(2028, 8, 2, 23, 0, tzinfo=UTC), date(2028, 8, 2)) is None
    # 20:00 in Santo Domingo (UTC-4) is already the next day in UTC.
    from datetime import timezone

    assert at.due(
        datetime(2028, 8, 2, 20, 40, tzinfo=timezone(timedelta(hours=-4))), date(2028, 8, 2)
    ) == date(2028, 8, 3)
    with pytest.raises(ValueError, match="HH:MM"):
        DailyTime.parse("25:00")
