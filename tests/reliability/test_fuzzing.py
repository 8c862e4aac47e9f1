"""Property-based fuzzing of every service's OpenAPI document with schemathesis.

Each service's app is built by its own factory around a bootstrapped runtime (database migrated the
normal way: a SQLite file by default, PostgreSQL too under ``--soak``) and called **in-process
through WSGI** by schemathesis, which keeps thousands of cases inside a minute. Every operation of
``/openapi.json`` gets schema-valid and schema-breaking requests from a user holding every role over
the whole country, so they reach the handlers; shorter passes come from a field worker of one
department (every 403 must be in the audit log) and from a caller without a token (every answer a
401, whatever the body). The token is ours, never generated: breaking it is the third pass's job.

Every response is held to the same promises: no server error; every 4xx and 5xx is a problem
document (``application/problem+json`` with ``type``, ``title`` and the response's ``status``);
the status code is one the document declares; a 2xx body matches its declared schema; and a request
that breaks the schema is refused with a 4xx. Generation is derandomised, so a run is reproducible.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from services.alerts.entrypoints import app as alerts_app
from services.registry.entrypoints import app as registry_app
from services.transfers.entrypoints import app as transfers_app
from shared.auth import AUDITOR, FIELD_STAFF, ROLES, DevIssuer
from shared.errors import PROBLEM_CONTENT_TYPE
from tests.integration.test_api import make_client
from tests.reliability.figures import Figures
from tests.samples import household_body

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICES: dict[str, ModuleType] = {
    "registry": registry_app,
    "alerts": alerts_app,
    "transfers": transfers_app,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: Examples per operation and generation mode (schema-valid, schema-breaking), by caller: (default, soak).
EXAMPLES = {"authorised": (8, 60), "field worker": (3, 20), "anonymous": (2, 10)}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "storage" in metafunc.fixturenames:
        soak = metafunc.config.getoption("--soak")
        metafunc.parametrize("storage", ["sqlite", "postgresql"] if soak else ["sqlite"])


@dataclass
class Findings:
    """What a fuzzing pass saw: cases sent, server errors, and each distinct broken promise once."""

    cases: int = 0
    server_errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    broken: dict[tuple[str, str, int], str] = field(default_factory=dict)

    def note(self, operation: str, what: str, status: int, detail: str) -> None:
        self.broken.setdefault((operation, what, status), detail)

    def report(self) -> str:
        return "\n\n".join(
            f"{label} [{what}, {status}]\n{detail}" for (label, what, status), detail in self.broken.items()
        )


@dataclass
class Service:
    """One service under fuzzing: its OpenAPI loaded by schemathesis, its app's test client, and the
    issuer its tokens verify against."""

    name: str
    schema: Any
    client: Any
    issuer: DevIssuer

    def bearer(
        self, roles: tuple[str, ...] = ROLES, jurisdiction: tuple[str, ...] = ("*",)
    ) -> dict[str, str]:
        return bearer(self.issuer, "fuzzer", roles, jurisdiction)


def bearer(
    issuer: DevIssuer, subject: str, roles: tuple[str, ...] = ROLES, jurisdiction: tuple[str, ...] = ("*",)
) -> dict[str, str]:
    """A bearer header; by default of a user holding every role over the whole country."""
    return {"Authorization": f"Bearer {issuer.mint(subject, roles, jurisdiction)}"}


@pytest.fixture(params=list(SERVICES))
def service(request: pytest.FixtureRequest, tmp_path: Path, broker: Any, storage: str) -> Iterator[Service]:
    """One service's app on its own migrated database, its OpenAPI loaded by schemathesis."""
    name = request.param
    database_url = None
    if storage == "postgresql":
        database_url = request.getfixturevalue("postgres").new_database()
    client, runtime = make_client(SERVICES[name], name, tmp_path, broker.bootstrap_server, database_url)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", client.application)
    # Query strings may carry parameters an operation does not know; they are ignored, not refused.
    schema.config.generation.update(allow_extra_parameters=False, with_security_parameters=False)
    yield Service(name, schema, client, DevIssuer(tmp_path / "dev-issuer").ensure_keys())
    runtime.engine.dispose()


def problem_promise_broken(response: Any) -> str | None:
    """Why an error response is not a proper problem document, or ``None`` if it is."""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if media_type != PROBLEM_CONTENT_TYPE:
        return f"error answered as {media_type or 'no content type'}: {response.text[:300]}"
    try:
        problem = json.loads(response.text)
    except ValueError:
        return f"problem document is not JSON: {response.text[:300]}"
    if not isinstance(problem, dict) or not {"type", "title", "status"} <= problem.keys():
        return f"problem document without type, title and status: {response.text[:300]}"
    if problem["status"] != response.status_code:
        return f"problem says status {problem['status']}, response is {response.status_code}"
    return None


def can_be_broken(operation: Any) -> bool:
    """Whether a request can break the operation's schema: a body, or a parameter that is more than
    a non-empty string (any such string is valid, so schemathesis would search in vain)."""
    if len(operation.body):
        return True
    parameters = [*operation.path_parameters, *operation.query, *operation.headers]
    schemas = [p.definition.get("schema", {}) for p in parameters]
    return any(schema.get("type") != "string" or set(schema) - {"type", "minLength"} for schema in schemas)


def fuzz(
    service: Service,
    figures: Figures,
    *,
    examples: int,
    headers: dict[str, str],
    expect: Callable[[Case, Any], str | None] | None = None,
) -> Findings:
    """Send ``examples`` schema-valid and as many schema-breaking requests to every operation, note
    what broke without stopping, record the figures, then fail with every broken promise at once."""
    findings = Findings()
    operations = [result.ok() for result in service.schema.get_all_operations()]
    # A generated id can spell another operation's fixed path (household "summary"): that is the other one.
    fixed = {(op.method.upper(), op.path) for op in operations if "{" not in op.path}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not can_be_broken(operation):
                continue

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def send(case: Case) -> None:
                assume(
                    "{" not in case.operation.path or (case.method.upper(), case.formatted_path) not in fixed
                )
                response = case.call(headers=headers)
                findings.cases += 1
                findings.statuses[response.status_code] += 1
                if response.status_code >= 500:
                    findings.server_errors += 1
                broken = problem_promise_broken(response)
                if broken:
                    findings.note(case.operation.label, "problem document", response.status_code, broken)
                if expect is not None and (unexpected := expect(case, response)):
                    findings.note(case.operation.label, "expected answer", response.status_code, unexpected)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except* Failure as group:
                    for failure in group.exceptions:
                        findings.note(case.operation.label, failure.title, response.status_code, str(failure))

            try:
                send()
            except Unsatisfiable:
                findings.note(
                    operation.label, f"no {mode.value} request", 0, "schemathesis found none to make"
                )

    figures.add("fuzzing", "cases", findings.cases)
    figures.add("fuzzing", "server errors", findings.server_errors)
    figures.add("fuzzing", f"{service.name} cases", findings.cases)
    assert not findings.broken, f"{len(findings.broken)} broken promises:\n\n{findings.report()}"
    return findings


def test_the_openapi_document_is_valid_openapi(service: Service) -> None:
    service.schema.validate()  # against the OpenAPI 3.0 schema; raises naming the faulty place
    assert all(result.ok() for result in service.schema.get_all_operations())


def test_every_operation_keeps_its_promises_to_an_authorised_user(
    service: Service, figures: Figures, soak: bool
) -> None:
    examples = EXAMPLES["authorised"][soak]
    findings = fuzz(service, figures, examples=examples, headers=service.bearer())
    assert findings.statuses[200] + findings.statuses[201] > 0, findings.statuses


def test_every_refusal_of_a_field_worker_is_a_problem_and_is_audited(
    service: Service, figures: Figures, soak: bool
) -> None:
    examples = EXAMPLES["field worker"][soak]
    findings = fuzz(service, figures, examples=examples, headers=service.bearer((FIELD_STAFF,), ("HN-CH",)))
    assert findings.statuses[403] > 0, findings.statuses
    assert len(denied_entries(service)) == findings.statuses[403]


def denied_entries(service: Service) -> list[dict[str, Any]]:
    """Every refusal in the service's audit log, read a page at a time as an auditor."""
    entries: list[dict[str, Any]] = []
    after = ""
    while True:
        page = service.client.get(
            f"/v1/audit-log?outcome=denied&limit=500{after}", headers=service.bearer((AUDITOR,))
        ).get_json()
        entries.extend(page["items"])
        if page["next_after"] is None:
            return entries
        after = f"&after={page['next_after']}"


def _refused_without_token(case: Case, response: Any) -> str | None:
    secured = case.operation.definition.raw.get("security")
    if secured and response.status_code != 401:
        return f"answered {response.status_code} to a request without a token"
    return None


def test_every_operation_refuses_a_caller_without_a_token(
    service: Service, figures: Figures, soak: bool
) -> None:
    examples = EXAMPLES["anonymous"][soak]
    findings = fuzz(service, figures, examples=examples, headers={}, expect=_refused_without_token)
    assert findings.statuses[401] > 0, findings.statuses


# What fuzzing found, kept as plain requests on SQLite and PostgreSQL.


@pytest.fixture
def clients(tmp_path: Path, broker: Any, new_database: Callable[[], str]) -> Iterator[dict[str, Any]]:
    """A test client per service, each on its own new database."""
    made = {
        name: make_client(module, name, tmp_path, broker.bootstrap_server, new_database())
        for name, module in SERVICES.items()
    }
    yield {name: client for name, (client, _) in made.items()}
    for _, runtime in made.values():
        runtime.engine.dispose()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM_CONTENT_TYPE
    problem: dict[str, Any] = response.get_json()
    return problem


def test_a_nul_character_is_refused_where_it_stands(clients: dict[str, Any], tmp_path: Path) -> None:
    everyone = bearer(DevIssuer(tmp_path / "dev-issuer").ensure_keys(), "fuzzer")
    registry, alerts, transfers = clients["registry"], clients["alerts"], clients["transfers"]
    body = household_body(address="Colonia\x00Las Palmas")
    refused = _problem(registry.post("/v1/households", json=body, headers=everyone), 422)
    assert [e["pointer"] for e in refused["errors"]] == ["/address"]
    assert registry.get("/v1/households", headers=everyone).get_json()["items"] == []
    lookup = {"household_ids": ["a\x00b"]}
    assert _problem(registry.post("/v1/households/payment-details", json=lookup, headers=everyone), 422)[
        "errors"
    ] == [{"pointer": "/household_ids/0", "detail": "contains the NUL character (U+0000)"}]
    listed = _problem(alerts.get("/v1/footprints?incident_id=a%00b", headers=everyone), 422)
    assert listed["errors"][0]["pointer"] == "/query/incident_id"
    read = _problem(transfers.get("/v1/programmes/a%00b", headers=everyone), 422)
    assert read["errors"][0]["pointer"] == "/path"


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        (f"/v1/programmes/any?version={2**40}", "/query/version"),
        (f"/v1/batches/any/payments?offset={2**70}", "/query/offset"),
    ],
)
def test_a_number_beyond_what_is_stored_is_refused(
    clients: dict[str, Any], tmp_path: Path, path: str, pointer: str
) -> None:
    everyone = bearer(DevIssuer(tmp_path / "dev-issuer").ensure_keys(), "fuzzer")
    problem = _problem(clients["transfers"].get(path, headers=everyone), 422)
    assert [e["pointer"] for e in problem["errors"]] == [pointer]


def test_a_refusal_with_a_nul_character_in_its_path_is_still_audited(
    clients: dict[str, Any], tmp_path: Path
) -> None:
    issuer = DevIssuer(tmp_path / "dev-issuer").ensure_keys()
    field_staff, auditor = bearer(issuer, "curious", (FIELD_STAFF,)), bearer(issuer, "auditor", (AUDITOR,))
    transfers = clients["transfers"]
    _problem(transfers.get("/v1/programmes/a%00b", headers=field_staff), 403)
    denied = transfers.get("/v1/audit-log?outcome=denied", headers=auditor).get_json()["items"]
    assert [(e["by"], e["subject_id"]) for e in denied] == [("curious", "/v1/programmes/a\\u0000b")]
