"""The rules of post-event assessments and enrolments, on both sides: what the registry records
and what transfers reads from it for one hazard event."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from services.registry.domain import enrolments as roster
from services.registry.domain.assessments import AssessmentEvent, assess, with_assessment
from services.registry.domain.errors import InvalidHousehold
from services.transfers.domain.assessments import assessment_text, enrolment_key, finding, with_findings
from services.transfers.domain.benefits import amounts, parse_benefit
from services.transfers.domain.eligibility import evaluate, parse_rule
from services.transfers.domain.programme_errors import ProgrammeError

NOW = datetime(2022, 9, 20, 15, tzinfo=UTC)
EXERCISE = AssessmentEvent(
    "e1", "Fiona — este", ("FIONA-2022",), ("DO-11", "DO-23"), NOW - timedelta(days=1), "o"
)


def visit(**values):
    base = {"dwelling_damage": "partial", "displacement": "at_home", "assessed_at": NOW}
    return assess(
        base | values, EXERCISE, admin_code="DO-11-01", by="ana", received_at=NOW + timedelta(hours=1)
    )


def test_a_visit_is_checked_against_its_exercise_and_names_each_mistake():
    assert visit().incidents == ("FIONA-2022",) and visit().needs == ()
    for values, field in (
        ({"displacement": "shelter"}, "assessment.shelter"),
        ({"shelter": "Escuela"}, "assessment.shelter"),
        ({"dwelling_damage": "gone"}, "assessment.dwelling_damage"),
        ({"needs": ["water", "boats"]}, "assessment.needs.1"),
        ({"assessed_at": NOW + timedelta(days=1)}, "assessment.assessed_at"),
        ({"assessed_at": NOW - timedelta(days=3)}, "assessment.assessed_at"),
        ({"assessed_at": datetime(2022, 9, 20, 15)}, "assessment.assessed_at"),
    ):
        with pytest.raises(InvalidHousehold) as caught:
            visit(**values)
        assert field in caught.value.problems, values
    with pytest.raises(InvalidHousehold) as caught:
        assess(
            {"dwelling_damage": "none", "displacement": "at_home", "assessed_at": NOW},
            EXERCISE,
            admin_code="DO-01",
            by="ana",
            received_at=NOW,
        )
    assert "assessment.event_id" in caught.value.problems


def test_a_later_visit_for_the_same_exercise_replaces_the_earlier():
    first, second = visit(), visit(dwelling_damage="destroyed", assessed_at=NOW + timedelta(minutes=30))
    other = AssessmentEvent("e2", "Ian", ("IAN-2022",), ("DO",), NOW - timedelta(days=1), "o")
    third = assess(
        {"dwelling_damage": "none", "displacement": "at_home", "assessed_at": NOW},
        other,
        admin_code="DO-11",
        by="ana",
        received_at=NOW,
    )
    kept = with_assessment(with_assessment(with_assessment((), first), third), second)
    assert [a.dwelling_damage for a in kept] == ["destroyed", "none"]


def test_a_roster_row_enrols_changes_or_leaves_alone_and_a_full_roster_ends():
    held = ()
    outcome, held = roster.on_roster(held, "BONO", date(2024, 3, 1), "R1", "r")
    assert outcome == roster.ENROL and roster.enrolled_on(held, date(2024, 3, 1)) == ["BONO"]
    assert roster.on_roster(held, "BONO", date(2024, 3, 1), "R1", "other roster")[0] == roster.UNCHANGED
    outcome, moved = roster.on_roster(held, "BONO", date(2024, 5, 1), "R1", "r")
    assert outcome == roster.UPDATE and len(moved) == 1 and moved[0].since == date(2024, 5, 1)
    ended = roster.off_roster(held, "BONO", date(2026, 12, 1))
    assert (
        roster.enrolled_on(ended, date(2026, 11, 30)) == ["BONO"]
        and roster.enrolled_on(ended, date(2026, 12, 1)) == []
    )
    assert roster.on_roster(ended, "BONO", date(2026, 12, 5), None, "r")[0] == roster.ENROL


def test_roster_rows_are_read_liberally_and_refused_by_column():
    columns = roster.roster_columns(["Cédula", "Tipo_Documento", "FECHA_INGRESO"])
    row, problems = roster.read_roster_row(
        2,
        {"Cédula": " 001-1 ", "Tipo_Documento": "National_ID", "FECHA_INGRESO": "01/03/2024"},
        columns,
        date(2026, 1, 1),
    )
    assert problems == {} and row.document == ("national_id", "001-1") and row.since == date(2024, 3, 1)
    _, problems = roster.read_roster_row(
        3, {"Cédula": "9", "Tipo_Documento": "card", "FECHA_INGRESO": "March"}, columns, date(2026, 1, 1)
    )
    assert set(problems) == {"document_type", "enrolled_since"}
    with pytest.raises(InvalidHousehold):
        roster.roster_columns(["name", "age"])


def stored(*assessments):
    return assessment_text(
        [
            {"incidents": i, "dwelling_damage": d, "displacement": m, "livelihood_losses": lost}
            for i, d, m, lost in assessments
        ]
    )


def test_transfers_reads_the_worst_finding_of_this_hazard_only():
    text = stored(
        (["IOTA"], "destroyed", "shelter", ["crops"]),
        (["ETA", "x"], "partial", "at_home", []),
        (["ETA"], "none", "host_family", ["crops", "tools"]),
    )
    assert finding(text, {"ETA"}) == {
        "dwelling_damage": "partial",
        "displacement": "host_family",
        "livelihood_losses": 2,
    }
    assert finding(text, {"MARIA"}) == {"dwelling_damage": "", "displacement": "", "livelihood_losses": 0}
    assert finding(text, None)["dwelling_damage"] == "destroyed"  # the newest, whatever it followed
    ids = np.array(["a", "b"], dtype=object)
    _, columns, _ = with_findings(
        (ids, {"assessments": np.array([text, None], dtype=object)}, np.ones(2, bool)), {"ETA"}
    )
    assert columns["dwelling_damage"].tolist() == ["partial", ""] and "assessments" not in columns


def test_the_enrolled_top_up_matches_a_household_by_household_computation():
    rng = random.Random(7)
    benefit = parse_benefit(
        {
            "base": 1000,
            "per_member": 100,
            "band_multipliers": {"Extreme": 1.5},
            "per_enrolment": {"bono": 700, "PENSION": 300},
            "cap": 2800,
            "rounding": 50,
        }
    )
    n = 400
    columns = {
        "size": np.array([rng.randint(1, 9) for _ in range(n)]),
        "children_under_5": np.zeros(n, int),
        "elderly_65_plus": np.zeros(n, int),
        "persons_with_disabilities": np.zeros(n, int),
        "band": np.array([rng.choice(["Severe", "Extreme"]) for _ in range(n)], dtype=object),
        "enrolments": np.array(
            [
                enrolment_key(rng.sample(["BONO", "PENSION", "OTRO"], rng.randint(0, 2))) or ""
                for _ in range(n)
            ],
            dtype=object,
        ),
    }
    got = amounts(benefit, columns)
    for i in range(n):
        amount = (1000 + 100 * int(columns["size"][i])) * (1.5 if columns["band"][i] == "Extreme" else 1.0)
        amount += 700 * (",BONO," in columns["enrolments"][i]) + 300 * (
            ",PENSION," in columns["enrolments"][i]
        )
        expected = (min(amount, 2800) // 50) * 50
        assert got[i] == expected, i
        said = benefit.arithmetic(
            int(columns["size"][i]), 0, columns["band"][i], "DOP", enrolled=columns["enrolments"][i]
        )
        assert said.endswith(f"→ {expected:g} DOP"), said


def test_enrolment_conditions_read_whole_codes():
    rule = parse_rule({"field": "enrolled_in", "op": "includes", "value": ["bono"]})
    data = {"enrolments": np.array([",BONO,", ",BONO-VIDA,", "", ",A,BONO,"], dtype=object)}
    assert evaluate(rule, data).eligible.tolist() == [True, False, False, True]
    excluded = parse_rule({"field": "enrolled_in", "op": "excludes", "value": "BONO"})
    assert evaluate(excluded, data).eligible.tolist() == [False, True, True, False]
    with pytest.raises(ProgrammeError):
        parse_rule({"field": "displacement", "op": "==", "value": "evacuated"})
