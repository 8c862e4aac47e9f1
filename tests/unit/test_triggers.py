"""Trigger rules over CAP statements: parameters read in the units a plan writes, lead times, what a
statement does not say, and mistakes refused with their path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.transfers.domain.programme_errors import ProgrammeError
from services.transfers.domain.triggers import Seen, parameter_value, parse_rule, reach

NOW = datetime(2026, 9, 18, 12, tzinfo=UTC)


def seen(number=0, hours=48, **parameters):
    record = {
        "statement": number,
        "event": "Hurricane",
        "categories": ["Met"],
        "severity": "Extreme",
        "onset": (NOW + timedelta(hours=hours)).isoformat() if hours is not None else None,
        "parameters": [{"name": n, "value": v} for n, v in parameters.items()],
    }
    return Seen.of(record, NOW)


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("64", "kt", 64.0),
        ("64 kt", "km/h", pytest.approx(118.528, abs=0.01)),
        ("118.5 km/h", "kt", pytest.approx(63.98, abs=0.01)),
        ("33 m/s", "kt", pytest.approx(64.15, abs=0.01)),
        ("2,5 in", "mm", pytest.approx(63.5)),
        ("70%", "fraction", 0.7),
        ("0.7", "fraction", 0.7),
    ],
)
def test_a_parameter_is_read_in_the_unit_the_plan_writes(raw, unit, expected):
    assert parameter_value(raw, unit)[0] == expected


def test_what_a_statement_does_not_say_never_satisfies_a_condition():
    rule = parse_rule(
        {"all": [{"field": "parameter:windSpeed", "op": ">=", "value": 64, "unit": "kt"}]}, "/w"
    )
    assert rule.check(seen())[0] is False and "no parameter windspeed" in rule.check(seen())[1][0]
    assert rule.check(seen(windSpeed="120 mm"))[0] is False  # a length is no speed
    assert rule.check(seen(windSpeed="strong"))[0] is False
    lead = parse_rule({"all": [{"field": "lead_time_hours", "op": "<=", "value": 72}]}, "/w")
    assert (
        lead.check(seen(hours=None))[0] is False and "lead time unknown" in lead.check(seen(hours=None))[1][0]
    )
    assert lead.check(seen(hours=71))[0] and not lead.check(seen(hours=73))[0]


def test_all_and_any_combine_and_each_statement_is_judged_alone():
    rule = parse_rule(
        {
            "any": [
                {"field": "parameter:rainfall48h", "op": ">=", "value": 68, "unit": "mm"},
                {
                    "all": [
                        {"field": "severity", "op": ">=", "value": "Extreme"},
                        {"field": "event", "op": "==", "value": "Hurricane"},
                    ]
                },
            ]
        },
        "/w",
    )
    reached = reach(rule, "action", [seen(0, rainfall48h="70 mm"), seen(1)])
    assert reached.statements == (0, 1)
    assert "windSpeed" not in rule.describe() and " or " in rule.describe() and " o " in rule.describe("es")


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ({"none": []}, "/w"),
        ({"all": []}, "/w/all"),
        ({"all": [{"field": "colour", "op": "==", "value": 1}]}, "/w/all/0/field"),
        ({"all": [{"field": "severity", "op": ">=", "value": "Huge"}]}, "/w/all/0/value"),
        ({"all": [{"field": "lead_time_hours", "op": "~", "value": 3}]}, "/w/all/0/op"),
        ({"all": [{"field": "parameter:windSpeed", "op": ">=", "value": "64"}]}, "/w/all/0/value"),
        (
            {"any": [{"all": [{"field": "parameter:x", "op": ">=", "value": 1, "unit": "furlongs"}]}]},
            "/w/any/0/all/0/unit",
        ),
        ({"all": [{"field": "category", "op": ">=", "value": ["Met"]}]}, "/w/all/0/op"),
    ],
)
def test_a_mistake_is_refused_with_its_path(rule, path):
    with pytest.raises(ProgrammeError) as refused:
        parse_rule(rule, "/w")
    assert refused.value.errors[0].pointer == path
