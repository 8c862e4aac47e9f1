"""The decision engine's pieces: every operator on every type, nested groups, explanations in both
languages, statuses, the amount's arithmetic, batch states and result files."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.transfers.adapters.payment_files import pain_001
from services.transfers.domain import deciding
from services.transfers.domain.batches import BatchStateError, FourEyes, batch_state_after_results, review
from services.transfers.domain.benefits import Benefit, amounts, parse_benefit
from services.transfers.domain.eligibility import evaluate, parse_rule
from services.transfers.domain.instructions import (
    FileHeader,
    Instruction,
    PaymentFileError,
    ResultFileError,
    parse_results,
)
from services.transfers.domain.payments import (
    PaymentStateError,
    check_reissue,
    check_result,
)
from services.transfers.domain.programme_errors import ProgrammeError
from services.transfers.domain.programmes import parse_programme

COLUMNS = {
    "size": np.array([1, 4, 7]),
    "vulnerability_score": np.array([10.0, 55.5, np.nan]),
    "children_under_5": np.array([0, 1, 3]),
    "elderly_65_plus": np.array([0, 0, 1]),
    "persons_with_disabilities": np.array([0, 1, 0]),
    "pregnant_members": np.array([0, 0, 1]),
    "female_headed": np.array([False, True, True]),
    "admin_code": np.array(["HN-CH-0601", "HN-CH-0602", "HN-VA-1701"], dtype=object),
    "payment_channel_type": np.array(["bank_account", "mobile_money", ""], dtype=object),
    "band": np.array(["Severe", "Extreme", "Severe"], dtype=object),
    "intensity": np.array([0.2, 1.4, np.nan]),
}


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("size", "==", 4, [False, True, False]),
        ("size", "!=", 4, [True, False, True]),
        ("size", "<", 4, [True, False, False]),
        ("size", "<=", 4, [True, True, False]),
        ("size", ">", 4, [False, False, True]),
        ("size", ">=", 4, [False, True, True]),
        ("size", "in", [1, 7], [True, False, True]),
        ("size", "not in", [1, 7], [False, True, False]),
        # an unknown score satisfies no condition, not even "not in"
        ("vulnerability_score", ">=", 50, [False, True, False]),
        ("vulnerability_score", "not in", [10], [False, True, False]),
        ("intensity", ">", 1.0, [False, True, False]),
        ("admin_code", "==", "HN-CH-0601", [True, False, False]),
        ("admin_code", "!=", "HN-CH-0601", [False, True, True]),
        ("admin_code", "in", ["HN-CH-0602", "HN-VA-1701"], [False, True, True]),
        ("admin_code", "not in", ["HN-CH-0602"], [True, False, True]),
        ("admin_code", "within", "HN-CH", [True, True, False]),
        ("band", "==", "Extreme", [False, True, False]),
        ("payment_channel_type", "in", ["bank_account"], [True, False, False]),
        ("female_headed", "==", True, [False, True, True]),
        ("female_headed", "!=", True, [True, False, False]),
    ],
)
def test_every_operator_on_every_type(field, op, value, expected):
    evaluation = evaluate(parse_rule({"field": field, "op": op, "value": value}), COLUMNS)
    assert evaluation.eligible.tolist() == expected


@pytest.mark.parametrize(
    ("rule", "pointer"),
    [
        ({"field": "female_headed", "op": ">", "value": True}, "/eligibility/op"),
        ({"field": "admin_code", "op": "<", "value": "HN"}, "/eligibility/op"),
        ({"field": "size", "op": "within", "value": "HN"}, "/eligibility/op"),
        ({"field": "size", "op": ">", "value": "4"}, "/eligibility/value"),
        ({"field": "size", "op": ">", "value": True}, "/eligibility/value"),
        ({"field": "size", "op": "in", "value": []}, "/eligibility/value"),
        ({"field": "female_headed", "op": "==", "value": 1}, "/eligibility/value"),
        ({"all": [{"any": [{"field": "size", "op": "~", "value": 1}]}]}, "/eligibility/all/0/any/0/op"),
        ({"all": []}, "/eligibility/all"),
        ({"field": "size", "op": ">", "value": 1, "extra": 1}, "/eligibility"),
    ],
)
def test_a_wrong_operator_or_value_for_the_type_is_refused_with_its_path(rule, pointer):
    with pytest.raises(ProgrammeError) as refused:
        parse_rule(rule)
    assert refused.value.errors[0].pointer == pointer


def test_nested_groups_evaluate_and_read_in_both_languages():
    rule = parse_rule(
        {
            "any": [
                {
                    "all": [
                        {"field": "size", "op": ">=", "value": 4},
                        {"field": "female_headed", "op": "==", "value": True},
                    ]
                },
                {"field": "admin_code", "op": "within", "value": "HN-VA"},
            ]
        }
    )
    assert evaluate(rule, COLUMNS).eligible.tolist() == [False, True, True]
    assert (
        rule.describe() == "(household size ≥ 4 and female head of household) or admin area lies within HN-VA"
    )
    assert rule.describe("es") == (
        "(tamaño del hogar ≥ 4 y hogar con jefatura femenina) o área administrativa está dentro de HN-VA"
    )
    assert [c.field for c in rule.conditions()] == ["size", "female_headed", "admin_code"]


def test_the_arithmetic_shown_is_the_arithmetic_paid():
    benefit = Benefit(
        base=1500,
        per_member=250,
        per_vulnerable_member=100,
        cap=4000,
        band_multipliers={"Extreme": 1.5},
        rounding=50,
    )
    paid = amounts(benefit, COLUMNS).tolist()
    assert paid == [1750.0, 4000.0, 3650.0]
    assert benefit.arithmetic(4, 2, "Extreme", "HNL") == (
        "1500 + 250 × 4 + 100 × 2 = 2700; × 1.5 (Extreme) = 4050; cap 4000 → 4000 HNL"
    )
    assert benefit.arithmetic(7, 4, "Severe", "HNL") == "1500 + 250 × 7 + 100 × 4 = 3650 → 3650 HNL"
    assert benefit.arithmetic(1, 0, None, "HNL") == "1500 + 250 × 1 + 100 × 0 = 1750 → 1750 HNL"
    odd = Benefit(base=1001, rounding=50)
    assert odd.arithmetic(1, 0, None, "HNL") == "1001 = 1001; rounded down to 50 → 1000 HNL"
    assert "redondeado hacia abajo a 50" in benefit.describe("HNL", "es")


@pytest.mark.parametrize(
    ("benefit", "pointer"),
    [
        ({"base": 100, "band_multipliers": {"Extreme": 50}}, "/benefit/band_multipliers/Extreme"),
        ({"base": 5_000_000}, "/benefit"),
        ({"base": 0, "per_member": 0}, "/benefit"),
        ({"base": -1}, "/benefit/base"),
    ],
)
def test_absurd_or_negative_benefits_are_refused(benefit, pointer):
    with pytest.raises(ProgrammeError) as refused:
        parse_benefit(benefit)
    assert refused.value.errors[0].pointer == pointer


def programme(**changes):
    document = {
        "name": "Respuesta inundaciones",
        "institute": "IHSS",
        "currency": "HNL",
        "trigger": {"categories": ["Met"], "areas": ["HN-CH"]},
        "eligibility": {"field": "vulnerability_score", "op": ">=", "value": 20},
        "benefit": {"base": 1000, "per_member": 100},
        "budget": {"per_incident": 100000},
    }
    document.update(changes)
    return parse_programme(document)


def columns_for(count):
    return {name: np.resize(values, count) for name, values in COLUMNS.items()} | {
        "status": np.array(["active"] * count, dtype=object)
    }


def test_every_household_gets_a_status_in_the_order_they_are_checked():
    columns = columns_for(3)
    columns["vulnerability_score"] = np.array([50.0, 10.0, 90.0])
    columns["admin_code"] = np.array(["HN-CH-0601", "HN-CH-0601", "HN-CH-0602"], dtype=object)
    columns = {k: np.concatenate([v, v[:1], v[:1], v[:1]]) for k, v in columns.items()}
    columns["status"][3] = "moved"
    columns["admin_code"][4] = "HN-VA-1701"
    known = np.array([True, True, True, True, True, False])
    entitled = np.array([False, False, True, False, False, False])
    decision = deciding.decide(programme(), columns, known, entitled, None)
    assert decision.status.tolist() == [
        "payable",
        "not_eligible",
        "already_entitled",
        "inactive",
        "outside_programme_areas",
        "unknown_household",
    ]
    assert decision.amount.tolist() == [1100.0, 0, 0, 0, 0, 0]
    assert decision.outcomes[:, 0].tolist() == [True, False, True, True, True, True]


def test_explanations_name_each_condition_and_the_outcome_in_both_languages():
    p = programme()
    assert deciding.explain(p, "0", "not_eligible", 0, None) == [
        "✘ vulnerability score ≥ 20",
        "not eligible under this programme",
    ]
    lines = deciding.explain(p, "1", "payable", 1400, "1000 + 100 × 4 = 1400 → 1400 HNL", "es")
    assert lines[0] == "✔ puntaje de vulnerabilidad ≥ 20" and lines[-1] == "a pagar: 1400 HNL"


def test_a_budget_left_of_zero_pays_nobody_and_says_so():
    decision = deciding.decide(programme(), columns_for(3), np.ones(3, bool), np.zeros(3, bool), 0.0)
    assert set(decision.status.tolist()) <= {"below_cut_off", "not_eligible", "outside_programme_areas"}
    assert decision.amount.sum() == 0


@given(
    scores=st.lists(st.floats(0, 100), min_size=1, max_size=40),
    budget=st.one_of(st.none(), st.floats(0, 50_000)),
    entitled_bits=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_never_more_than_the_budget_and_never_an_entitled_household(scores, budget, entitled_bits):
    count = len(scores)
    columns = columns_for(count)
    columns["vulnerability_score"] = np.array(scores)
    columns["admin_code"] = np.array(["HN-CH-0601"] * count, dtype=object)
    entitled = np.array(entitled_bits[:count])
    decision = deciding.decide(programme(), columns, np.ones(count, bool), entitled, budget)
    assert not (decision.payable & entitled).any()
    if budget is not None:
        assert decision.amount.sum() <= budget + 1e-6
    assert (decision.amount[~decision.payable] == 0).all()


def test_four_eyes_and_batch_states():
    with pytest.raises(FourEyes):
        review("proposed", "ana", "ana", approve=True)
    with pytest.raises(BatchStateError):
        review("approved", "ana", "luis", approve=True)
    assert review("proposed", "ana", "luis", approve=False) == "rejected"
    assert batch_state_after_results("instructed", ["settled", "settled"]) == "settled"
    assert batch_state_after_results("instructed", ["settled", "unknown"]) == "instructed"
    assert batch_state_after_results("instructed", ["settled", "failed"]) == "partly_failed"
    assert batch_state_after_results("instructed", ["reissued", "failed"]) == "failed"
    assert batch_state_after_results("approved", ["settled"]) == "approved"


def test_results_and_reissues_follow_what_is_known():
    assert check_result("instructed", "settled", "e") == "settled"
    assert check_result("settled", "settled", "e") == "settled"
    assert check_result("failed", "settled", "e") == "settled"  # the provider corrects itself
    assert check_result("reissued", "settled", "e") == "settled_after_reissue"
    assert check_result("reissued", "failed", "e") == "reissued"
    with pytest.raises(PaymentStateError):
        check_result("approved", "settled", "e")  # never sent
    with pytest.raises(PaymentStateError):
        check_result("settled", "failed", "e")
    with pytest.raises(PaymentStateError, match="unknown outcome"):
        check_reissue("unknown", "e")
    with pytest.raises(PaymentStateError):
        check_reissue("settled", "e")


def test_result_files_are_read_whole_or_refused_line_by_line():
    read = parse_results(
        b"End_To_End_Id,Status,Reason\nA1,pagado,\nA2,RECHAZADO,AC04\nA3,timeout,\n", "text/csv"
    )
    assert [(r.line, r.end_to_end_id, r.result, r.reason) for r in read] == [
        (2, "A1", "settled", None),
        (3, "A2", "failed", "AC04"),
        (4, "A3", "unknown", None),
    ]
    with pytest.raises(ResultFileError) as columns:
        parse_results(b"id,result\nA1,paid\n", "text/csv")
    assert "end_to_end_id and status" in columns.value.detail
    with pytest.raises(ResultFileError) as empty:
        parse_results(b"end_to_end_id,status\n", "text/csv")
    assert "no results" in empty.value.detail
    with pytest.raises(ResultFileError):
        parse_results(b"<Document><x/></Document>", "application/xml")
    with pytest.raises(ResultFileError):
        parse_results(b"<Document", "application/xml")


def test_a_pain_001_that_breaks_the_schema_is_never_handed_out():
    header = FileHeader("AMPMSG1", datetime(2026, 11, 25, tzinfo=UTC), {"account_number": "1"}, "IHSS", "x")
    bad_currency = Instruction(
        "AMP1", "h", Decimal("10.00"), "hnl", "bank_account", {"identifiers": {"iban": "X"}}
    )
    with pytest.raises(PaymentFileError) as refused:
        pain_001(header, [bad_currency])
    assert refused.value.errors
    with pytest.raises(PaymentFileError) as no_payer:
        pain_001(FileHeader("AMPMSG1", header.created_at, {}, "IHSS", "x"), [])
    assert no_payer.value.errors[0].pointer == "/payer/iban"
