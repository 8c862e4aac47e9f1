"""A regular programme's roster read into the registry: each row matched by reference or by
document, a dry run that changes nothing, a commit that enrols, a full roster that ends the
enrolment of those no longer on it, and what the published snapshot then says."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pytest
from sqlalchemy import select

from services.registry.adapters.orm import households, outbox
from shared.auth import AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from shared.events import CloudEvent
from tests.integration.test_registry_api import auth, register, registry  # noqa: F401
from tests.samples import distinct_household

pytestmark = pytest.mark.integration


def send_roster(registry, issuer, text, jurisdiction=("HN",), **form):  # noqa: F811
    data = {"programme": "bono-vida", "roster_date": "2026-12-01", **form}
    data["file"] = (io.BytesIO(text.encode()), "padron-bono-vida.csv")
    return registry.post(
        "/v1/rosters",
        data=data,
        content_type="multipart/form-data",
        headers=auth(issuer, [REGISTRY_OFFICER], list(jurisdiction)),
    )


def versions(registry):  # noqa: F811
    with registry.runtime.session_factory() as session:
        return dict(session.execute(select(households.c.id, households.c.version)).all())


def latest_snapshot(registry, household_id):  # noqa: F811
    with registry.runtime.session_factory() as session:
        payload = session.scalars(
            select(outbox.c.payload).where(outbox.c.key == household_id).order_by(outbox.c.position.desc())
        ).first()
    return CloudEvent.from_json(payload).data


@pytest.fixture
def four(registry, issuer):  # noqa: F811
    """Three households of HN-CH and one of HN-CR, as registered."""
    homes = []
    for code, lat, lon in (("HN-CH",) * 1 + (13.3, -87.19),) * 3 + (("HN-CR", 15.5, -88.0),):
        body = distinct_household(str(uuid.uuid4()))
        if code == "HN-CR":
            body |= {"admin_code": code, "location": {"lat": lat, "lon": lon}}
        homes.append(register(registry, issuer, body))
    return homes


def test_a_dry_run_says_what_each_row_would_do_and_changes_nothing(registry, issuer, four):  # noqa: F811
    a, b, c, elsewhere = four
    head_b = distinct_household(b["id"])["members"][0]["document"]["number"]
    text = "\n".join(
        [
            "referencia_hogar,tipo_documento,numero_documento,fecha_ingreso,referencia_beneficiario",
            f"{a['registration_number']},,,2024-03-01,BV-1",
            f",national_id,{head_b[:4]}-{head_b[4:]},01/06/2025,BV-2",  # written with a dash
            f"{a['id']},,,2024-03-01,BV-1",  # the same household again
            f"{elsewhere['id']},,,2024-03-01,BV-9",
            "HN-0000000000,,,2024-03-01,BV-3",
            f"{c['id']},,,2027-01-01,BV-4",
            ",,,2024-01-01,BV-5",
        ]
    )
    before = versions(registry)
    report = send_roster(registry, issuer, text, jurisdiction=["HN-CH"])
    assert report.status_code == 201, report.get_json()
    roster = report.get_json()
    outcomes = {r["row"]: (r["outcome"], r.get("household_id")) for r in roster["rows"]}
    assert outcomes[2] == ("enrol", a["id"]) and outcomes[3] == ("enrol", b["id"])
    assert outcomes[4] == ("repeated", a["id"])
    assert outcomes[5][0] == "outside_jurisdiction" and outcomes[6][0] == "not_found"
    assert outcomes[7][0] == outcomes[8][0] == "invalid"
    reasons = {r["row"]: r["reason"] for r in roster["rows"] if r.get("reason")}
    assert "after the roster's date" in reasons[7] and "names no household" in reasons[8]
    assert roster["programme"] == "BONO-VIDA" and roster["status"] == "validated"
    assert roster["counts"] == {
        "enrol": 2,
        "repeated": 1,
        "outside_jurisdiction": 1,
        "not_found": 1,
        "invalid": 2,
    }
    assert versions(registry) == before
    assert not any("document" in key for row in roster["rows"] for key in row)  # kept without them


def test_a_commit_enrols_and_a_full_roster_later_ends_those_left_off_in_its_areas(
    registry,  # noqa: F811
    issuer,
    four,
):
    a, b, c, elsewhere = four
    first = "household_reference,enrolled_since\n" + "\n".join(
        f"{h['id']},2024-03-01" for h in (a, b, c, elsewhere)
    )
    roster = send_roster(registry, issuer, first).get_json()
    assert roster["counts"] == {"enrol": 4}
    officer = auth(issuer, [REGISTRY_OFFICER])
    committed = registry.post(f"/v1/rosters/{roster['id']}/commit", headers=officer)
    assert committed.status_code == 200 and committed.get_json()["status"] == "committed"
    assert registry.post(f"/v1/rosters/{roster['id']}/commit", headers=officer).status_code == 409
    assert latest_snapshot(registry, a["id"])["enrolments"] == ["BONO-VIDA"]
    shown = registry.get(f"/v1/households/{a['id']}", headers=auth(issuer, [AUDITOR])).get_json()
    assert shown["enrolments"][0] | {"source": None} == {
        "programme": "BONO-VIDA",
        "since": "2024-03-01",
        "until": None,
        "reference": None,
        "source": None,
    }

    # December's full roster for HN-CH lists a only: b and c leave; HN-CR's household is not touched.
    again = send_roster(
        registry,
        issuer,
        f"household_reference,enrolled_since\n{a['id']},2024-03-01\n",
        full="true",
        areas="HN-CH",
    ).get_json()
    assert again["counts"] == {"unchanged": 1, "end": 2}
    assert {r["household_id"] for r in again["rows"] if r["outcome"] == "end"} == {b["id"], c["id"]}
    before = versions(registry)
    registry.post(f"/v1/rosters/{again['id']}/commit", headers=officer)
    after = versions(registry)
    assert {h for h in after if after[h] != before[h]} == {b["id"], c["id"]}
    assert latest_snapshot(registry, b["id"])["enrolments"] == []
    ended = registry.get(f"/v1/households/{b['id']}", headers=auth(issuer, [AUDITOR])).get_json()
    assert ended["enrolments"][0]["until"] == "2026-12-01"
    assert latest_snapshot(registry, elsewhere["id"])["enrolments"] == ["BONO-VIDA"]


def test_rosters_are_for_registry_officers_in_their_own_areas(registry, issuer, four):  # noqa: F811
    text = f"household_reference\n{four[0]['id']}\n"
    full_elsewhere = send_roster(registry, issuer, text, jurisdiction=["HN-CH"], full="true", areas="HN-CR")
    assert full_elsewhere.status_code == 403
    roster = send_roster(registry, issuer, text, jurisdiction=["HN-CH"]).get_json()
    for headers, status in (
        (auth(issuer, [FIELD_STAFF]), 403),
        (auth(issuer, [AUDITOR], ["HN-CR"]), 403),
        (auth(issuer, [AUDITOR], ["HN"]), 200),
    ):
        assert registry.get(f"/v1/rosters/{roster['id']}", headers=headers).status_code == status
    outsider = auth(issuer, [REGISTRY_OFFICER], ["HN-CR"])
    assert registry.post(f"/v1/rosters/{roster['id']}/commit", headers=outsider).status_code == 403
    for bad, pointer in (
        ({"programme": "x"}, "/programme"),
        ({"roster_date": "yesterday"}, "/roster_date"),
        ({"full": "true"}, "/areas"),
        ({"roster_date": "2099-01-01"}, "/roster_date"),
    ):
        refused = send_roster(registry, issuer, text, **bad)
        assert refused.status_code == 422 and pointer in [e["pointer"] for e in refused.get_json()["errors"]]
    no_key = send_roster(registry, issuer, "name,age\nAna,3\n")
    assert no_key.status_code == 422 and no_key.get_json()["errors"][0]["pointer"] == "/file"
    assert date.fromisoformat(roster["roster_date"]) == date(2026, 12, 1)
