"""Programmes over HTTP: defined, versioned, refused with the path of the mistake, read in words."""

from __future__ import annotations

import copy

import pytest

from services.transfers.entrypoints import app as transfers_app
from shared.auth import APPROVER, CIVIL_PROTECTION, PROGRAMME_OFFICER
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration

TORMENTA = {
    "name": "Tormenta — early cash",
    "institute": "IHSS",
    "currency": "HNL",
    "trigger": {
        "categories": ["Met"],
        "min_urgency": "Expected",
        "min_severity": "Severe",
        "min_certainty": "Likely",
        "mode": "anticipatory",
    },
    "eligibility": {
        "all": [
            {"field": "vulnerability_score", "op": ">=", "value": 40},
            {
                "any": [
                    {"field": "children_under_5", "op": ">", "value": 0},
                    {"field": "elderly_65_plus", "op": ">", "value": 0},
                ]
            },
        ]
    },
    "benefit": {
        "base": 1500,
        "per_member": 250,
        "cap": 4000,
        "band_multipliers": {"Extreme": 1.5},
        "rounding": 50,
    },
    "budget": {"per_incident": 1000000, "overall": 5000000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True, "pre_approved_ceiling": 200000},
}


@pytest.fixture
def transfers(tmp_path, broker, issuer, database_url):
    client, _ = make_client(transfers_app, "transfers", tmp_path, broker.bootstrap_server, database_url)
    return client


def auth(issuer, role):
    return {"Authorization": f"Bearer {issuer.mint('u-' + role, [role], ['HN'])}"}


def test_a_programme_is_stored_versioned_and_read_in_plain_words(transfers, issuer):
    created = transfers.post("/v1/programmes", json=TORMENTA, headers=auth(issuer, PROGRAMME_OFFICER))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["version"] == 1
    assert body["rules"]["eligibility"] == (
        "vulnerability score ≥ 40 and (children under 5 > 0 or people 65 or older > 0)"
    )
    assert (
        "anticipatory programme" in body["rules"]["trigger"]
        and "Actual alerts only" in body["rules"]["trigger"]
    )
    assert body["rules"]["benefit"].startswith("1500 HNL + 250 per member")
    changed = copy.deepcopy(TORMENTA)
    changed["benefit"]["base"] = 2000
    second = transfers.put(
        f"/v1/programmes/{body['id']}", json=changed, headers=auth(issuer, PROGRAMME_OFFICER)
    )
    assert second.get_json()["version"] == 2
    first = transfers.get(f"/v1/programmes/{body['id']}?version=1", headers=auth(issuer, APPROVER)).get_json()
    assert first["programme"]["benefit"]["base"] == 1500
    latest = transfers.get(f"/v1/programmes/{body['id']}", headers=auth(issuer, APPROVER)).get_json()
    assert latest["version"] == 2


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda p: p.update(colour="red"), "/colour"),
        (
            lambda p: p["eligibility"]["all"].append({"field": "salary", "op": ">", "value": 1}),
            "/eligibility/all/2/field",
        ),
        (lambda p: p["eligibility"]["all"][0].update(op="within"), "/eligibility/all/0/op"),
        (lambda p: p["benefit"].update(cap=100), "/benefit/cap"),
        (lambda p: p["benefit"].update(per_member=-5), "/benefit/per_member"),
        (lambda p: p["trigger"].update(min_severity="Terrible"), "/trigger/min_severity"),
        (lambda p: p["approval"].update(four_eyes=False), "/approval/four_eyes"),
        (lambda p: p["budget"].update(per_incident=9_000_000), "/budget/per_incident"),
        (lambda p: p.update(currency="lempiras"), "/currency"),
    ],
)
def test_mistakes_are_refused_with_their_path_and_nothing_is_stored(transfers, issuer, change, pointer):
    programme = copy.deepcopy(TORMENTA)
    change(programme)
    response = transfers.post("/v1/programmes", json=programme, headers=auth(issuer, PROGRAMME_OFFICER))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_only_programme_officers_define_programmes(transfers, issuer):
    assert transfers.post("/v1/programmes", json=TORMENTA, headers=auth(issuer, APPROVER)).status_code == 403
    assert transfers.get("/v1/programmes/nope", headers=auth(issuer, CIVIL_PROTECTION)).status_code == 403
    assert transfers.get("/v1/programmes/nope", headers=auth(issuer, APPROVER)).status_code == 404


def test_what_if_a_draft_programme_over_an_area_without_storing_anything(
    tmp_path, broker, issuer, database_url
):
    import uuid

    from services.transfers.entrypoints.consumer import apply_household_event
    from shared.contracts.households import HOUSEHOLD_REGISTERED
    from shared.events import CloudEvent

    client, runtime = make_client(transfers_app, "transfers", tmp_path, broker.bootstrap_server, database_url)
    people = [
        (80.0, 1, 0),
        (60.0, 0, 1),
        (50.0, 0, 0),
        (20.0, 2, 0),
        (90.0, 1, 1),
    ]  # score, children, elderly
    with runtime.session_factory.begin() as session:
        for score, children, elderly in people:
            household_id = str(uuid.uuid4())
            apply_household_event(
                session,
                CloudEvent(
                    type=HOUSEHOLD_REGISTERED,
                    source="/t",
                    subject=household_id,
                    data={
                        "household_id": household_id,
                        "version": 1,
                        "status": "active",
                        "admin_code": "HN-CH-0601",
                        "size": 4,
                        "location": None,
                        "vulnerability": {"score": score, "index_version": "v1"},
                        "members_by_age_band": {"0_4": children, "65_plus": elderly},
                    },
                ),
            )
    draft = copy.deepcopy(TORMENTA)
    draft["budget"] = {"per_incident": 5000, "policy": "rank_by_vulnerability"}
    draft["approval"] = {"four_eyes": True}  # a ceiling is at most a quarter of the budget
    response = client.post(
        "/v1/programmes/what-if",
        json={"programme": draft, "area": "HN-CH", "band": "Extreme"},
        headers=auth(issuer, PROGRAMME_OFFICER),
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    # Eligible: score ≥ 40 with a child or an elder → 80, 60 and 90 (not 50: neither; not 20: score).
    assert (result["households"], result["eligible"], result["people_eligible"]) == (5, 3, 12)
    # (1500 + 4×250) × 1.5 = 3750 each → 11 250 requested; 5 000 pays the most vulnerable one (90).
    assert result["requested"] == 11250 and result["paid"] == 3750 and result["funded"] == 1
    assert result["cut_off_score"] == 90 and result["coverage"] == pytest.approx(0.3333, abs=1e-4)
    assert result["conditions"]["vulnerability score ≥ 40"] == 4
    listed = client.post(
        "/v1/programmes/what-if",
        json={"programme": draft, "area": "HN-VA"},
        headers=auth(issuer, PROGRAMME_OFFICER),
    ).get_json()
    assert listed["households"] == 0 and listed["paid"] == 0


def test_a_draft_reads_in_words_with_every_mistakes_path_and_nothing_is_stored(transfers, issuer):
    officer = auth(issuer, PROGRAMME_OFFICER)
    whole = transfers.post("/v1/programmes/render?lang=es", json={"programme": TORMENTA}, headers=officer)
    assert whole.status_code == 200, whole.get_json()
    assert whole.get_json()["valid"] and whole.get_json()["problems"] == []
    assert whole.get_json()["rules"]["eligibility"] == (
        "puntaje de vulnerabilidad ≥ 40 y "
        "(niñas y niños menores de 5 años > 0 o personas de 65 años o más > 0)"
    )
    # The same words as the stored version's, in the language Accept-Language asks for.
    stored = transfers.post("/v1/programmes", json=TORMENTA, headers=officer).get_json()
    spanish = transfers.get(f"/v1/programmes/{stored['id']}?lang=es", headers=officer).get_json()
    asked = transfers.post(
        "/v1/programmes/render", json={"programme": TORMENTA}, headers={**officer, "Accept-Language": "es"}
    ).get_json()
    assert asked["rules"] == spanish["rules"] == whole.get_json()["rules"]

    wrong = copy.deepcopy(TORMENTA)
    wrong["currency"] = "pesos"  # the API's own check
    wrong["eligibility"]["all"][1]["any"][0]["op"] = "within"  # the domain's
    wrong["benefit"]["rounding"] = -1
    answer = transfers.post("/v1/programmes/render", json={"programme": wrong}, headers=officer).get_json()
    assert not answer["valid"]
    assert sorted(p["pointer"] for p in answer["problems"]) == [
        "/benefit/rounding",
        "/currency",
        "/eligibility/all/1/any/0/op",
    ]
    assert set(answer["rules"]) == {"trigger", "approval", "entitlement"}
    assert len(transfers.get("/v1/programmes", headers=officer).get_json()) == 1
    denied = transfers.post(
        "/v1/programmes/render", json={"programme": TORMENTA}, headers=auth(issuer, CIVIL_PROTECTION)
    )
    assert denied.status_code == 403


def test_a_drafts_mistakes_and_a_refusal_read_in_spanish_with_their_pointers_unchanged(transfers, issuer):
    spanish = {**auth(issuer, PROGRAMME_OFFICER), "Accept-Language": "es"}
    wrong = copy.deepcopy(TORMENTA)
    wrong["currency"] = "pesos"  # the API's own check
    wrong["eligibility"]["all"][1]["any"][0]["op"] = "within"  # the domain's
    wrong["benefit"]["rounding"] = -1
    answer = transfers.post("/v1/programmes/render", json={"programme": wrong}, headers=spanish).get_json()
    said = {p["pointer"]: p["detail"] for p in answer["problems"]}
    assert sorted(said) == ["/benefit/rounding", "/currency", "/eligibility/all/1/any/0/op"]
    assert said["/currency"] == "un código ISO 4217"
    assert said["/eligibility/all/1/any/0/op"] == (
        "'within' no se aplica al campo 'children_under_5', cuyo valor es un número; "
        "use ==, !=, <, <=, >, >=, in, not in"
    )
    assert said["/benefit/rounding"] == "Debe ser mayor que 0."  # marshmallow's
    # Refused when stored: the problem document's title, detail and field in Spanish too.
    capped = copy.deepcopy(TORMENTA)
    capped["benefit"]["cap"] = 100
    refused = transfers.post("/v1/programmes", json=capped, headers=spanish)
    assert refused.status_code == 422 and refused.headers["Content-Language"] == "es"
    problem = refused.get_json()
    assert problem["title"] == "Programa no válido"
    assert problem["detail"] == "/benefit/cap: el tope 100 es menor que el monto base 1500"
    assert problem["errors"] == [
        {"pointer": "/benefit/cap", "detail": "el tope 100 es menor que el monto base 1500"}
    ]
