"""A programme being written, read in words part by part while it still has mistakes."""

from __future__ import annotations

from services.transfers.domain.programme_drafts import read_draft
from services.transfers.domain.programmes import parse_programme
from shared.errors import FieldProblem

DRAFT = {
    "name": "Lluvias — respuesta",
    "institute": "IDSS",
    "currency": "DOP",
    "trigger": {"categories": ["Met"], "min_severity": "Severe"},
    "eligibility": {
        "all": [
            {"field": "vulnerability_score", "op": ">=", "value": 40},
            {"field": "enrolled_in", "op": "excludes", "value": ["SUPERATE"]},
        ]
    },
    "benefit": {"base": 3000, "per_member": 500, "cap": 7000},
    "budget": {"per_incident": 1_000_000},
}


def test_a_whole_draft_reads_as_the_stored_programme_would():
    for lang in ("en", "es"):
        reading = read_draft(DRAFT, lang)
        assert reading.problems == ()
        assert dict(reading.rules) == parse_programme(DRAFT).describe(lang)
    assert read_draft(DRAFT, "es").rules["eligibility"] == (
        "puntaje de vulnerabilidad ≥ 40 y inscrito en ninguno de SUPERATE"
    )


def test_each_parts_mistake_is_found_and_the_other_parts_still_read():
    draft = {
        **DRAFT,
        "eligibility": {"any": [{"field": "size", "op": "within", "value": 3}]},
        "benefit": {"base": 3000, "cap": 100},
        "budget": {"per_incident": -5},
    }
    reading = read_draft(draft, "en")
    assert sorted(p.pointer for p in reading.problems) == [
        "/benefit/cap",
        "/budget/per_incident",
        "/eligibility/any/0/op",
    ]
    assert set(reading.rules) == {"trigger", "approval", "entitlement"}
    assert reading.rules["trigger"].startswith("response programme; Actual alerts only; categories Met")


def test_mistakes_found_before_set_their_part_aside():
    known = [FieldProblem("/currency", "an ISO 4217 code")]
    reading = read_draft({**DRAFT, "currency": "pesos"}, "en", known)
    assert [p.pointer for p in reading.problems] == ["/currency"]
    assert "benefit" not in reading.rules and "budget" not in reading.rules
    assert reading.rules["eligibility"].startswith("vulnerability score ≥ 40")


def test_a_part_not_written_yet_is_not_read_and_is_no_mistake_here():
    reading = read_draft({"name": "x", "institute": "y", "currency": "DOP", "benefit": {"base": 10}}, "en")
    assert reading.problems == ()
    assert set(reading.rules) == {"benefit", "budget", "approval", "entitlement"}
    assert reading.rules["benefit"] == "10 DOP"


def test_a_large_budget_reads_as_written_not_in_exponent_notation():
    assert read_draft(DRAFT, "en").rules["budget"] == (
        "1000000 DOP per incident; policy when short: rank by vulnerability"
    )
