"""The services' HTTP contracts: OpenAPI, problem documents, auth, health and metrics."""

from __future__ import annotations

import uuid

import pytest

from services.alerts.entrypoints import app as alerts_app
from services.registry.entrypoints import app as registry_app
from services.settings import settings_for
from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, DevIssuer
from tests.samples import household_body, registry_keys

pytestmark = pytest.mark.integration


def make_client(module, service, tmp_path, broker_address, database_url=None, **extra_env):
    env = {
        "AMPARO_DATA_DIR": str(tmp_path),
        "AMPARO_KAFKA_BOOTSTRAP_SERVERS": broker_address,
        **registry_keys(),
        **extra_env,
    }
    if database_url:
        env[f"AMPARO_{service.upper()}_DATABASE_URL"] = database_url
    settings = settings_for(service, env)
    runtime = module.bootstrap(settings)  # wires workers too; the tests never start them
    return module.create_app(runtime).test_client(), runtime


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, _ = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    return client


def bearer(issuer, roles, jurisdiction=("*",)):
    return {"Authorization": f"Bearer {issuer.mint('tester', roles, jurisdiction)}"}


def household(**overrides):
    return household_body(**overrides)


def test_openapi_document_and_docs_page(registry):
    spec = registry.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/v1/households" in spec["paths"]
    assert spec["paths"]["/v1/households"]["post"]["security"] == [{"bearerAuth": []}]
    page = registry.get("/docs")
    assert page.status_code == 200 and b"swagger" in page.data.lower()
    assert b"cdn" not in page.data.lower()
    assert registry.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_register_and_read_back(registry, issuer):
    response = registry.post(
        "/v1/households", json=household(), headers=bearer(issuer, [FIELD_STAFF], ["HN-CH"])
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 1 and body["status"] == "active" and body["registered_by"] == "tester"
    assert response.headers["ETag"] == '"1"'
    again = registry.get(response.headers["Location"], headers=bearer(issuer, [AUDITOR]))
    assert again.get_json()["id"] == body["id"]


def test_correlation_id_is_echoed_or_created(registry):
    assert (
        registry.get("/healthz", headers={"X-Correlation-ID": "abc-1"}).headers["X-Correlation-ID"] == "abc-1"
    )
    assert len(registry.get("/healthz").headers["X-Correlation-ID"]) == 36


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (household(location={"lat": 123, "lon": -87.19}), "/location/lat"),
        (household(location={"lat": 13.3}), "/location/lon"),
        (household(members=[]), "/members"),
        (household(members=[{"given_names": "Ana"}]), "/members/0/family_names"),
        (
            household(members=[{**household_body()["members"][0], "birth_date": "2030-01-01"}]),
            "/members/0/birth_date",
        ),
        (household(members=[{**household_body()["members"][0], "sex": "x"}]), "/members/0/sex"),
        (household(dwelling={"wall": "marble"}), "/dwelling/wall"),
        (household(admin_code="Choluteca"), "/admin_code"),
        ({k: v for k, v in household().items() if k != "admin_code"}, "/admin_code"),
        (household(colour="blue"), "/colour"),
    ],
)
def test_bad_input_is_a_problem_document_naming_the_field(registry, issuer, body, pointer):
    response = registry.post("/v1/households", json=body, headers=bearer(issuer, [FIELD_STAFF]))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == 422 and problem["title"]
    assert pointer.split("/")[-1] in problem["detail"]
    assert pointer in [e["pointer"] for e in problem["errors"]]


def test_bad_input_stores_nothing(registry, issuer, tmp_path):
    registry.post("/v1/households", json=household(members=[]), headers=bearer(issuer, [FIELD_STAFF]))
    registry.post(
        "/v1/households",
        data="{broken",
        headers={**bearer(issuer, [FIELD_STAFF]), "Content-Type": "application/json"},
    )
    listing = registry.get("/metrics").data.decode()
    assert 'amparo_http_requests_total{endpoint="/v1/households",method="POST",status="422"}' in listing


def test_missing_or_bad_token_is_401_problem(registry, issuer):
    response = registry.post("/v1/households", json=household())
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    expired = issuer.mint("x", [FIELD_STAFF], ttl_seconds=-100)
    response = registry.post(
        "/v1/households", json=household(), headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401 and "expired" in response.get_json()["detail"]


def test_wrong_role_or_place_is_403(registry, issuer):
    response = registry.post("/v1/households", json=household(), headers=bearer(issuer, [CIVIL_PROTECTION]))
    assert response.status_code == 403 and "field_staff" in response.get_json()["detail"]
    response = registry.post(
        "/v1/households", json=household(), headers=bearer(issuer, [FIELD_STAFF], ["HN-CR"])
    )
    assert response.status_code == 403 and "HN-CH" in response.get_json()["detail"]


def test_reading_outside_jurisdiction_is_refused_and_unknown_is_not_found(registry, issuer):
    created = registry.post(
        "/v1/households", json=household(), headers=bearer(issuer, [FIELD_STAFF])
    ).get_json()
    elsewhere = registry.get(
        f"/v1/households/{created['id']}", headers=bearer(issuer, [FIELD_STAFF], ["HN-CR"])
    )
    assert elsewhere.status_code == 403 and elsewhere.mimetype == "application/problem+json"
    missing = registry.get(f"/v1/households/{uuid.uuid4()}", headers=bearer(issuer, [AUDITOR]))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_health_readiness_and_metrics(registry):
    assert registry.get("/healthz").get_json() == {"status": "ok"}
    ready = registry.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok", "broker": "ok"}
    metrics = registry.get("/metrics")
    assert metrics.status_code == 200 and b"amparo_http_requests_total" in metrics.data


def test_not_ready_when_the_broker_is_unreachable(tmp_path):
    from shared.broker import free_port

    client, _ = make_client(alerts_app, "alerts", tmp_path, f"127.0.0.1:{free_port()}")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["broker"].startswith("unavailable")
    assert response.headers["Retry-After"]


def test_unknown_route_is_a_problem_document(registry):
    response = registry.get("/v1/nothing-here")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_civil_protection_sees_counts_per_area_never_homes(tmp_path, broker, issuer, database_url):
    from services.alerts.entrypoints.consumer import apply_household_event
    from shared.contracts.households import HOUSEHOLD_REGISTERED
    from shared.events import CloudEvent

    client, runtime = make_client(alerts_app, "alerts", tmp_path, broker.bootstrap_server, database_url)
    ids = []
    for code in ("HN-CH", "HN-CH", "HN-CR"):
        household_id = str(uuid.uuid4())
        ids.append(household_id)
        event = CloudEvent(
            type=HOUSEHOLD_REGISTERED,
            source="/t",
            subject=household_id,
            data={
                "household_id": household_id,
                "version": 1,
                "status": "active",
                "admin_code": code,
                "size": 2,
                "location": {"lat": 13.3, "lon": -87.2, "accuracy_m": None, "source": "gps"},
            },
        )
        with runtime.session_factory.begin() as session:
            assert apply_household_event(session, event)
    summary = client.get(
        "/v1/household-locations/summary", headers=bearer(issuer, [CIVIL_PROTECTION], ["HN-CH"])
    )
    assert summary.get_json() == {"total": 2, "areas": [{"admin_code": "HN-CH", "households": 2}]}
    national = client.get(
        "/v1/household-locations/summary", headers=bearer(issuer, [CIVIL_PROTECTION], ["HN"])
    )
    assert national.get_json()["total"] == 3
    home = client.get(f"/v1/household-locations/{ids[0]}", headers=bearer(issuer, [CIVIL_PROTECTION]))
    assert home.status_code == 403
    assert (
        client.get(f"/v1/household-locations/{ids[0]}", headers=bearer(issuer, [AUDITOR])).status_code == 200
    )


def test_malformed_json_is_a_problem_document_not_a_crash(registry, issuer):
    response = registry.post(
        "/v1/households",
        data="{broken",
        headers={**bearer(issuer, [FIELD_STAFF]), "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422) and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][0]["pointer"] == "/"


def test_wrong_method_names_the_allowed_ones(registry):
    response = registry.delete("/v1/households")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]


def test_readiness_does_not_reveal_connection_details(tmp_path):
    from shared.broker import free_port

    client, _ = make_client(alerts_app, "alerts", tmp_path, f"127.0.0.1:{free_port()}")
    body = client.get("/readyz").get_json()
    assert body["checks"]["broker"] == "unavailable" and "127.0.0.1" not in str(body)


def test_an_unusable_key_in_the_jwks_does_not_lock_everyone_out(tmp_path):
    import json as _json

    from shared.auth import JwksSource, TokenVerifier

    issuer = DevIssuer(tmp_path / "issuer").ensure_keys()
    document = _json.loads(issuer.jwks_path.read_text())
    document["keys"].append({"kty": "RSA", "kid": "enc-1", "alg": "RSA-OAEP", "n": "AQAB", "e": "AQAB"})
    document["keys"].append({"kty": "weird", "kid": "odd"})
    issuer.jwks_path.write_text(_json.dumps(document))
    verifier = TokenVerifier(JwksSource(issuer.jwks_url), issuer="amparo-dev", audience="amparo")
    assert verifier.verify(issuer.mint("ana", [AUDITOR])).subject == "ana"
