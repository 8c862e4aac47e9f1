"""Every answer of every service is documented: each operation's success responses in
``/openapi.json`` carry a schema for every content type they declare (a file answer says its
content type and that it is a string), so a client knows what comes back before calling."""

from __future__ import annotations

from typing import Any

import pytest

from services.alerts.entrypoints import app as alerts_app
from services.registry.entrypoints import app as registry_app
from services.transfers.entrypoints import app as transfers_app
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration
SERVICES = {"registry": registry_app, "alerts": alerts_app, "transfers": transfers_app}
METHODS = ("get", "post", "put", "patch", "delete")


def undocumented(spec: dict[str, Any]) -> list[str]:
    """Each success answer without a schema, as ``METHOD path status``."""
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            answers = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            if not answers:
                missing.append(f"{method.upper()} {path}: no success answer")
            for code, answer in answers.items():
                if code == "204":
                    continue
                content = answer.get("content") or {}
                if not content:
                    missing.append(f"{method.upper()} {path} {code}: no content")
                missing += [
                    f"{method.upper()} {path} {code} {kind}: no schema"
                    for kind, media in content.items()
                    if not media.get("schema")
                ]
    return missing


@pytest.mark.parametrize("name", list(SERVICES))
def test_every_success_answer_of_every_operation_declares_its_schema(name, tmp_path):
    client, runtime = make_client(SERVICES[name], name, tmp_path, "127.0.0.1:1")
    spec = client.get("/openapi.json").get_json()
    runtime.engine.dispose()
    assert len(spec["paths"]) > 5
    assert undocumented(spec) == []


def test_the_walk_finds_an_answer_without_a_schema():
    spec = {
        "paths": {
            "/v1/x": {
                "get": {"responses": {"200": {"description": "OK"}}},
                "post": {
                    "responses": {"201": {"content": {"application/json": {"schema": {"type": "object"}}}}}
                },
                "put": {"responses": {"200": {"content": {"text/csv": {}}}}},
            }
        }
    }
    assert undocumented(spec) == ["GET /v1/x 200: no content", "PUT /v1/x 200 text/csv: no schema"]
