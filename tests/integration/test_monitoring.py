"""Monitoring: the figures served for an alert, its hazard event and its programme, checked against
a plain recount from the registrations sent and the rows stored (exposures, decisions, payments,
batches, payment files), and who may read them where."""

from __future__ import annotations

import csv
import io
import math
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from services.transfers.adapters.orm import (
    batches,
    decisions,
    evaluations,
    exposed_households,
    exposures,
    instruction_files,
    payments,
)
from shared.auth import AUDITOR, FIELD_STAFF, PAYMENTS_OFFICER, PROGRAMME_OFFICER, REGISTRY_OFFICER
from tests.samples import distinct_household
from tests.transfers_world import BANK

pytestmark = pytest.mark.integration
BANDS = (("0_5", 0, 5), ("6_11", 6, 11), ("12_17", 12, 17), ("18_59", 18, 59), ("60_plus", 60, 200))


def varied_body(rng: random.Random, consent: list[str]) -> dict:
    """A registration whose three members differ in sex, age and disability from household to household."""
    body = distinct_household(str(uuid.uuid4()))
    head, child, parent = body["members"]
    head["sex"] = rng.choice(("female", "male"))
    head["birth_date"] = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    child["sex"] = rng.choice(("female", "male"))
    child["birth_date"] = date(rng.randint(2009, 2025), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    parent["age_estimate"] = rng.randint(40, 90)
    parent["disability"] = rng.choice(({"walking": 3}, {"seeing": 2}, {}, {"hearing": 4}))
    body["payment"] = dict(BANK)
    body["consent"] = {**body["consent"], "purposes": consent}
    return body


def recount_people(bodies: list[dict], on: date) -> dict[tuple[str, str], list[int]]:
    """People by (sex, band) with disability, counted from the registration bodies themselves."""
    cells = {(sex, band): [0, 0] for sex in ("female", "male") for band, _, _ in BANDS}
    for body in bodies:
        for member in body["members"]:
            if "birth_date" in member:
                born = date.fromisoformat(member["birth_date"])
                age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
            else:
                age = member["age_estimate"]
            band = [b for b, low, high in BANDS if low <= age <= high][0]
            cells[(member["sex"], band)][0] += 1
            cells[(member["sex"], band)][1] += any(v >= 3 for v in (member.get("disability") or {}).values())
    return cells


def stored(world, incident: str) -> dict[str, list]:
    """The rows as stored, read plainly."""
    with world.runtime.session_factory() as session:
        exposed = session.execute(
            select(exposed_households.c.household_id)
            .join(exposures, exposures.c.exposure_key == exposed_households.c.exposure_key)
            .where(exposures.c.incident_id == incident)
        ).all()
        decided = session.execute(
            select(decisions.c.household_id, decisions.c.eligible, decisions.c.status)
            .join(evaluations, evaluations.c.id == decisions.c.evaluation_id)
            .where(evaluations.c.incident_id == incident)
        ).all()
        paid = session.execute(
            select(
                payments,
                batches.c.proposed_at,
                batches.c.decided_at,
                instruction_files.c.created_at.label("filed"),
            )
            .join(batches, batches.c.id == payments.c.batch_id)
            .outerjoin(instruction_files, instruction_files.c.id == payments.c.instruction_file_id)
            .where(payments.c.incident_id == incident)
        ).all()
        first = min(
            session.scalars(select(exposures.c.received_at).where(exposures.c.incident_id == incident))
        )
    return {"exposed": exposed, "decided": decided, "paid": paid, "alerted_at": first}


def shown(count: int) -> int | None:
    """1 and 2 are never shown."""
    return None if count in (1, 2) else count


def hidden_with_their_complement(values: list[int]) -> list[int | None]:
    """1s and 2s hidden; then, as long as the hidden ones add up to 1 or 2, the smallest shown one."""
    kept: list[int | None] = [shown(v) for v in values]
    while True:
        hidden_sum = sum(v for v, k in zip(values, kept, strict=True) if k is None)
        visible = sorted(
            (v, i) for i, (v, k) in enumerate(zip(values, kept, strict=True)) if k is not None and v > 0
        )
        if not (0 < hidden_sum < 3) or not visible:
            return kept
        kept[visible[0][1]] = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    rank = math.ceil(share * len(ordered))  # the smallest rank with that share at or below it
    return ordered[rank - 1]


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.fixture
def paid_alert(world):
    """An alert over 16 registered households (3 without consent for emergency transfers) and one
    transfers never heard of; its batch approved, filed, and settled, failed or left unknown, one
    failure re-issued."""
    rng = random.Random(7)
    programme = world.define()
    consenting = [varied_body(rng, ["registry", "emergency_transfers"]) for _ in range(13)]
    refusing = [varied_body(rng, ["registry"]) for _ in range(3)]
    for body in consenting + refusing:
        response = world.registry.post("/v1/households", json=body, headers=world.auth(REGISTRY_OFFICER))
        assert response.status_code == 201, response.get_json()
    world.sync_registry()
    incident = world.new_incident()
    onset = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ids = [b["id"] for b in consenting + refusing]
    world.issue(incident, 1, [*ids, str(uuid.uuid4())], onset=onset, admin_codes=["HN-CH"])
    [batch] = world.batches(incident)
    assert world.approve(batch["id"]).status_code == 200
    assert world.instruct(batch["id"], "bank_account").status_code == 200
    listed = world.payments(batch["id"])
    outcome = ["paid"] * 9 + ["rejected"] * 3 + ["timeout"]
    text = "end_to_end_id,status,reason\n" + "".join(
        f"{p['end_to_end_id']},{o},{'AC04' if o == 'rejected' else ''}\n"
        for p, o in zip(listed, outcome, strict=True)
    )
    assert world.results(text).status_code == 200
    failed = [p["id"] for p in world.payments(batch["id"]) if p["state"] == "failed"]
    again = world.post(
        f"/v1/batches/{batch['id']}/reissue",
        PAYMENTS_OFFICER,
        json={"payment_ids": failed[:1], "channel_type": "cash_pickup", "comment": "cuenta cerrada"},
    )
    assert again.status_code == 200, again.get_json()
    return incident, programme, consenting, refusing


def test_an_alerts_figures_equal_a_plain_recount_of_what_was_stored(world, paid_alert):
    incident, programme, consenting, refusing = paid_alert
    answer = world.client.get(f"/v1/monitoring/alerts/{incident}", headers=world.auth(AUDITOR))
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    rows = stored(world, incident)
    bodies = {b["id"]: b for b in consenting + refusing}

    exposed = {r.household_id for r in rows["exposed"]}
    eligible = {r.household_id for r in rows["decided"] if r.eligible}
    held = {r.household_id for r in rows["decided"] if r.status.startswith("held")}
    by_state: dict[str, set[str]] = {}
    for p in rows["paid"]:
        by_state.setdefault(p.state, set()).add(p.household_id)
    proposed = {p.household_id for p in rows["paid"]}
    approved = {p.household_id for p in rows["paid"] if p.state not in ("proposed", "rejected", "withdrawn")}
    instructed = {p.household_id for p in rows["paid"] if p.instruction_file_id}
    expected = {
        "exposed": exposed,
        "eligible": eligible,
        "held": held,
        "proposed": proposed,
        "approved": approved,
        "instructed": instructed,
        "paid": by_state.get("settled", set()),
        "failed": by_state.get("failed", set()),
        "reissued": by_state.get("reissued", set()),
    }
    assert (len(exposed), len(held), len(expected["paid"]), len(expected["failed"])) == (17, 3, 9, 2)
    for stage, households in expected.items():
        size = sum(len(bodies[h]["members"]) for h in households if h in bodies)
        counted = shown(len(households))
        assert found["stages"][stage] == {
            "households": counted,
            "people": shown(size) if counted else None,
        }, stage

    # People by sex and band, with disability: from the registrations sent, not from any snapshot;
    # what subtraction from the total would tell is hidden too.
    for stage in ("exposed", "paid"):
        recount = recount_people([bodies[h] for h in expected[stage] if h in bodies], date.today())
        table = found["people"][stage]["by_sex_and_age"]
        cells = list(recount)
        people = hidden_with_their_complement([recount[c][0] for c in cells])
        disabled = hidden_with_their_complement([recount[c][1] for c in cells])
        for n, (sex, band) in enumerate(cells):
            assert table[sex][band] == {"people": people[n], "with_disability": disabled[n]}, (
                stage,
                sex,
                band,
            )
    # The household transfers never heard of has no members to count: one, so not shown.
    assert found["people"]["exposed"]["households_not_counted"] is None
    assert found["people"]["paid"]["households_not_counted"] == 0

    assert found["coverage"]["paid_of_eligible"]["households"] == round(9 / len(eligible), 4)
    assert found["coverage"]["paid_of_exposed"]["households"] == round(9 / 17, 4)
    [money] = found["cost"]
    settled = [p for p in rows["paid"] if p.state == "settled"]
    assert money["currency"] == "HNL" and float(money["paid"]) == float(sum(p.amount for p in settled))
    assert float(money["approved"]) == float(
        sum(
            p.amount
            for p in rows["paid"]
            if p.state in ("approved", "instructed", "settled", "failed", "unknown")
        )
    )

    alerted = utc(rows["alerted_at"])
    minutes = [(utc(p.updated_at) - alerted).total_seconds() / 60 for p in settled]
    wait = found["waits"]["alert_to_settlement"]
    assert wait["households"] == 9
    assert wait["median_minutes"] == round(percentile(minutes, 0.5), 2)
    assert wait["p90_minutes"] == round(percentile(minutes, 0.9), 2)
    to_approval = [(utc(p.decided_at) - alerted).total_seconds() / 60 for p in rows["paid"] if p.decided_at]
    assert found["waits"]["alert_to_approval"]["median_minutes"] == round(percentile(to_approval, 0.5), 2)
    assert found["paid_before_onset"] == {"households": 9, "of_paid_with_onset": 9}
    assert [a["area"] for a in found["by_area"]] == sorted(
        {"-".join(b["admin_code"].split("-")[:2]) for b in bodies.values()} | {"unknown"}
    )

    # The same figures as CSV, one per line.
    table = world.client.get(f"/v1/monitoring/alerts/{incident}/figures.csv", headers=world.auth(AUDITOR))
    assert table.status_code == 200 and table.mimetype == "text/csv"
    lines = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    paid_line = [
        r for r in lines if (r["section"], r["stage"], r["measure"]) == ("stages", "paid", "households")
    ]
    assert [r["value"] for r in paid_line] == ["9"]
    assert any(r["section"] == "waits" and r["group"] == "alert_to_settlement" for r in lines)

    # The programme's report and the hazard event's count the same households here.
    by_programme = world.client.get(
        f"/v1/monitoring/programmes/{programme['id']}", headers=world.auth(PROGRAMME_OFFICER)
    ).get_json()
    assert by_programme["stages"] == found["stages"] and by_programme["scope"]["alerts"] == [incident]
    [event] = world.client.get("/v1/hazard-events", headers=world.auth(AUDITOR)).get_json()
    by_event = world.client.get(f"/v1/monitoring/hazard-events/{event['id']}", headers=world.auth(AUDITOR))
    assert by_event.get_json()["stages"] == found["stages"]


SQLITE_ONLY = pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)


@SQLITE_ONLY  # reads no SQL of its own: the figures' SQL is checked on both by the test above
def test_monitoring_is_for_auditors_and_programme_officers_inside_their_jurisdiction(world, paid_alert):
    incident = paid_alert[0]
    path = f"/v1/monitoring/alerts/{incident}"
    for role in (FIELD_STAFF, PAYMENTS_OFFICER, REGISTRY_OFFICER):
        assert world.client.get(path, headers=world.auth(role)).status_code == 403, role
    assert world.client.get(path).status_code == 401
    elsewhere = world.client.get(path, headers=world.auth(AUDITOR, jurisdiction=("GT",))).get_json()
    assert all(counts == {"households": 0, "people": 0} for counts in elsewhere["stages"].values())
    assert elsewhere["by_area"] == [] and elsewhere["cost"] == []
    home = world.client.get(path, headers=world.auth(AUDITOR, jurisdiction=("HN",))).get_json()
    assert home["stages"]["exposed"]["households"] == 16  # the household transfers never heard of has no area
    unknown = world.client.get(f"/v1/monitoring/alerts/{uuid.uuid4()}", headers=world.auth(AUDITOR))
    assert unknown.status_code == 404
    bad = world.client.get(f"{path}?level=7", headers=world.auth(AUDITOR))
    assert bad.status_code == 422 and "level" in str(bad.get_json())


@SQLITE_ONLY  # a process's histograms, whatever the database
def test_the_pipeline_waits_are_prometheus_histograms_of_the_steps_that_committed(world, paid_alert):
    text = world.client.get("/metrics").get_data(as_text=True)
    counts = {
        line.split('step="')[1].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("amparo_pipeline_wait_seconds_count")
    }
    # One batch proposed from the alert (the re-issue is a person's step, not the pipeline's),
    # approved once, filed once; nine payments settled.
    assert counts == {
        "proposal": 1.0,
        "approval": 1.0,
        "instruction": 1.0,
        "settlement": 9.0,
        "alert_to_settlement": 9.0,
    }
    refused = world.approve(world.batches(paid_alert[0])[0]["id"])  # approved already: rolled back
    assert refused.status_code == 409
    assert "amparo_pipeline_wait_seconds_bucket" in text and 'le="604800.0"' in text
    again = world.client.get("/metrics").get_data(as_text=True)
    assert 'amparo_pipeline_wait_seconds_count{step="approval"} 1.0' in again
