"""What the registry officer's screens read: earlier imports, and households found by the head's
name or registration number — always inside the caller's jurisdiction."""

from __future__ import annotations

import pytest

from services.registry.entrypoints import app as registry_app
from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, REGISTRY_OFFICER
from tests.integration.test_api import make_client
from tests.integration.test_imports import HEADER, ROWS, upload, wait_for
from tests.samples import household_body

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, _ = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    return client


def auth(issuer, roles, jurisdiction=("HN",)):
    return {"Authorization": f"Bearer {issuer.mint('user-' + roles[0], roles, jurisdiction)}"}


def test_earlier_imports_are_listed_newest_first_within_the_jurisdiction(registry, issuer):
    content = (HEADER + "\n".join(ROWS) + "\n").encode("latin-1")
    first = upload(registry, issuer, content, "primero.csv").get_json()
    wait_for(registry, issuer, first["id"], {"validated"})
    second = upload(registry, issuer, content, "segundo.csv").get_json()
    wait_for(registry, issuer, second["id"], {"validated"})

    listed = registry.get("/v1/imports", headers=auth(issuer, [REGISTRY_OFFICER])).get_json()
    assert [i["file_name"] for i in listed] == ["segundo.csv", "primero.csv"]
    assert listed[0]["households_invalid"] == 3 and listed[0]["status"] == "validated"
    assert "problems" not in listed[0] and "households" not in listed[0]
    one = registry.get("/v1/imports?limit=1", headers=auth(issuer, [AUDITOR])).get_json()
    assert [i["id"] for i in one] == [second["id"]]

    elsewhere = auth(issuer, [REGISTRY_OFFICER], ["HN-CR"])  # the imports were made for all of HN
    assert registry.get("/v1/imports", headers=elsewhere).get_json() == []
    assert registry.get("/v1/imports", headers=auth(issuer, [FIELD_STAFF])).status_code == 403
    assert registry.get("/v1/imports?limit=0", headers=auth(issuer, [AUDITOR])).status_code == 422


def test_households_are_found_by_the_heads_name_or_registration_number(registry, issuer):
    officer = auth(issuer, [FIELD_STAFF])
    head = {
        "given_names": "Zoila Rosa",
        "family_names": "Cárcamo 50%",
        "sex": "female",
        "relationship": "head",
    }
    zoila = registry.post(
        "/v1/households", json=household_body(members=[{**head, "age_estimate": 41}]), headers=officer
    ).get_json()
    other = registry.post(
        "/v1/households",
        json=household_body(admin_code="HN-CR", location={"lat": 15.5, "lon": -87.9}),
        headers=officer,
    ).get_json()

    def found(text, roles=(REGISTRY_OFFICER,), jurisdiction=("HN",)):
        response = registry.get(
            "/v1/households", query_string={"text": text}, headers=auth(issuer, list(roles), jurisdiction)
        )
        assert response.status_code == 200, response.get_json()
        return [i["id"] for i in response.get_json()["items"]]

    assert found("zoila cárcamo") == [zoila["id"]]  # words of given and family names, any case
    assert found("cárcamo ZOILA") == [zoila["id"]]  # (SQLite folds the case of A–Z only)
    assert found("50%") == [zoila["id"]]  # wildcards are plain characters
    assert found("5_%") == []
    number = other["registration_number"]
    assert found(number.lower().replace("-", "- ")) == [other["id"]]  # spaces and case ignored
    assert found(zoila["id"]) == [zoila["id"]]
    assert found("María José") == [other["id"]]
    assert found("María José", jurisdiction=("HN-CH",)) == []  # the other lies in HN-CR
    assert found(number, roles=(AUDITOR,), jurisdiction=("HN-CH",)) == []

    short = registry.get("/v1/households?text=Z", headers=auth(issuer, [REGISTRY_OFFICER]))
    assert short.status_code == 422 and short.get_json()["errors"][0]["pointer"] == "/query/text"
    assert (
        registry.get("/v1/households?text=Zoila", headers=auth(issuer, [CIVIL_PROTECTION])).status_code == 403
    )
