"""Programme rules on plain columns: parsing with paths, vectorised eligibility, amounts, budgets."""

import numpy as np
import pytest

from services.transfers.domain.benefits import amounts, apply_budget, parse_benefit
from services.transfers.domain.eligibility import evaluate, parse_rule
from services.transfers.domain.programme_errors import ProgrammeError
from services.transfers.domain.programmes import explain

RULE = {
    "all": [
        {"field": "vulnerability_score", "op": ">=", "value": 40},
        {
            "any": [
                {"field": "children_under_5", "op": ">", "value": 0},
                {"field": "elderly_65_plus", "op": ">", "value": 0},
            ]
        },
        {"field": "admin_code", "op": "within", "value": "HN-CH"},
    ]
}


def columns():
    return {
        "vulnerability_score": np.array([65.0, 30.0, 55.0, np.nan, 80.0]),
        "children_under_5": np.array([1, 2, 0, 1, 0]),
        "elderly_65_plus": np.array([0, 0, 0, 1, 1]),
        "persons_with_disabilities": np.array([1, 0, 0, 0, 0]),
        "size": np.array([5, 4, 2, 3, 1]),
        "admin_code": np.array(["HN-CH", "HN-CH-0601", "HN-CH", "HN-CH", "HN-VA"], dtype=object),
        "band": np.array(["Severe", "Severe", "Extreme", "Severe", "Extreme"], dtype=object),
    }


def test_rules_read_in_plain_words_and_evaluate_for_everyone_at_once():
    rule = parse_rule(RULE)
    assert rule.describe() == (
        "vulnerability score ≥ 40 and (children under 5 > 0 or people 65 or older > 0) "
        "and admin area lies within HN-CH"
    )
    evaluation = evaluate(rule, columns())
    assert evaluation.eligible.tolist() == [True, False, False, False, False]
    # An unknown score never satisfies a condition; HN-VA is not within HN-CH.
    assert evaluation.outcomes["vulnerability score ≥ 40"].tolist() == [True, False, True, False, True]
    assert evaluation.outcomes["admin area lies within HN-CH"].tolist() == [True, True, True, True, False]


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ({"all": [{"field": "salary", "op": ">", "value": 1}]}, "/eligibility/all/0/field"),
        ({"all": [{"field": "admin_code", "op": ">", "value": "HN"}]}, "/eligibility/all/0/op"),
        ({"any": [{"field": "size", "op": ">=", "value": "five"}]}, "/eligibility/any/0/value"),
        ({"all": []}, "/eligibility/all"),
        ({"all": [{"field": "size", "op": "in", "value": 3}]}, "/eligibility/all/0/value"),
        ({"field": "size", "op": ">", "value": 1, "extra": 2}, "/eligibility"),
    ],
)
def test_mistakes_are_refused_with_their_path(rule, path):
    with pytest.raises(ProgrammeError) as caught:
        parse_rule(rule)
    assert caught.value.errors[0].pointer == path


def test_amounts_follow_the_arithmetic_and_an_impossible_benefit_is_refused():
    benefit = parse_benefit(
        {
            "base": 1500,
            "per_member": 250,
            "per_vulnerable_member": 300,
            "cap": 4000,
            "band_multipliers": {"Extreme": 1.5},
            "rounding": 50,
        }
    )
    got = amounts(benefit, columns()).tolist()
    # 1500 + 5×250 + 2×300 = 3350; 1500 + 4×250 + 2×300 = 3100; (1500 + 2×250) × 1.5 = 3000;
    # 1500 + 3×250 + 2×300 = 2850; (1500 + 250 + 300) × 1.5 = 3075, rounded down to 3050
    assert got == [3350.0, 3100.0, 3000.0, 2850.0, 3050.0]
    with pytest.raises(ProgrammeError, match="below the base"):
        parse_benefit({"base": 1000, "cap": 500})
    with pytest.raises(ProgrammeError, match="always be zero"):
        parse_benefit({"base": 0})


@pytest.mark.parametrize("rounding", [0.001, 0.015, 1e7, 1e307, float("nan")])
def test_a_rounding_step_is_a_whole_number_of_cents_no_larger_than_a_payment(rounding):
    with pytest.raises(ProgrammeError) as caught:
        parse_benefit({"base": 1000, "rounding": rounding})
    assert caught.value.errors[0].pointer == "/benefit/rounding"


def test_a_short_budget_pays_the_most_vulnerable_first_or_everyone_pro_rata():
    requested = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    scores = np.array([50.0, 90.0, 70.0, 10.0])
    ranked = apply_budget(requested, scores, 2500, "rank_by_vulnerability", 50)
    assert ranked.funded.tolist() == [False, True, True, False] and ranked.cut_off_score == 70.0
    assert ranked.paid.sum() == 2000 and ranked.coverage == 0.5
    shared = apply_budget(requested, scores, 2500, "pro_rata", 50)
    assert shared.paid.tolist() == [600.0, 600.0, 600.0, 600.0] and shared.funded.all()
    enough = apply_budget(requested, scores, 10_000, "rank_by_vulnerability", 50)
    assert enough.coverage == 1.0 and enough.cut_off_score is None


def test_every_household_gets_an_explanation():
    rule = parse_rule(RULE)
    data = columns()
    evaluation = evaluate(rule, data)
    benefit = parse_benefit({"base": 1500, "per_member": 250})
    lines = explain(0, evaluation, data, benefit, 2750.0, "HNL")
    assert lines[0] == "✔ vulnerability score ≥ 40" and lines[-1].endswith("→ 2750 HNL")
    refused = explain(1, evaluation, data, benefit, 0.0, "HNL")
    assert "✘ vulnerability score ≥ 40" in refused and refused[-1] == "not eligible under this programme"


def test_a_million_households_evaluate_without_a_python_loop():
    rng = np.random.default_rng(0)
    n = 1_000_000
    big = {
        "vulnerability_score": rng.uniform(0, 100, n),
        "children_under_5": rng.integers(0, 3, n),
        "elderly_65_plus": rng.integers(0, 2, n),
        "persons_with_disabilities": rng.integers(0, 2, n),
        "size": rng.integers(1, 9, n),
        "admin_code": np.where(rng.random(n) < 0.5, "HN-CH", "HN-VA"),
        "band": np.full(n, "Severe"),
    }
    evaluation = evaluate(parse_rule(RULE), big)
    expected = (
        (big["vulnerability_score"] >= 40)
        & ((big["children_under_5"] > 0) | (big["elderly_65_plus"] > 0))
        & (big["admin_code"] == "HN-CH")
    )
    assert np.array_equal(evaluation.eligible, expected)


def test_triggers_fire_only_for_actual_alerts_strong_enough():
    from services.transfers.domain.programmes import Trigger

    trigger = Trigger(
        categories=("Met",), min_severity="Severe", min_certainty="Likely", min_urgency="Expected"
    )
    alert = {
        "status": "Actual",
        "categories": ["Met"],
        "event": "Tormenta",
        "urgency": "Expected",
        "severity": "Extreme",
        "certainty": "Likely",
    }
    assert trigger.fires_for(alert) == (True, ["all trigger conditions hold"])
    fires, why = trigger.fires_for({**alert, "status": "Exercise"})
    assert not fires and "only Actual" in why[0]
    fires, why = trigger.fires_for({**alert, "severity": "Moderate", "categories": ["Geo"]})
    assert not fires and len(why) == 2
