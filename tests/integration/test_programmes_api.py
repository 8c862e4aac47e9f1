"""Programmes over HTTP: defined, versioned, refused with the path of the mistake, read in words."""

from __future__ import annotations

import copy

import pytest

from services.transfers.entrypoints import app as transfers_app
from shared.auth import APPROVER, CIVIL_PROTECTION, PROGRAMME_OFFICER, DevIssuer
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
def issuer(tmp_path):
    return DevIssuer(tmp_path / "dev-issuer").ensure_keys()


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
