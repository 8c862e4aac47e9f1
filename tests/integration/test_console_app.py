"""The console's server: sign-in against the local accounts, throttling, forwarding to a service."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.console.accounts import AccountError, new_account, read_accounts, write_accounts
from services.console.app import ConsoleSettings, create_app
from shared.auth import APPROVER, FIELD_STAFF, DevIssuer, JwksSource, TokenVerifier
from shared.broker import free_port

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery"


class Echo(BaseHTTPRequestHandler):
    """A stand-in service that answers with what it received (method, path, headers, body)."""

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        payload = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "accept_language": self.headers.get("Accept-Language"),
                "cookie": self.headers.get("Cookie"),
                "body": body.decode(),
            }
        ).encode()
        self.send_response(201 if self.command == "POST" else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Disposition", 'attachment; filename="x.json"')
        self.send_header("Set-Cookie", "tracking=1")
        self.send_header("Location", "/v1/things/1")
        self.send_header("Content-Language", "es")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def echo():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def console(tmp_path, echo):
    issuer = DevIssuer(tmp_path / "dev-issuer").ensure_keys()
    accounts = tmp_path / "console-accounts.json"
    write_accounts(
        accounts,
        [
            new_account("ana", "Ana", [APPROVER], ["DO"], PASSWORD),
            new_account("carla", "Carla", [FIELD_STAFF], ["DO-11"], PASSWORD),
        ],
    )
    settings = ConsoleSettings(
        host="127.0.0.1",
        port=0,
        services={"registry": echo, "alerts": echo, "transfers": f"http://127.0.0.1:{free_port()}"},
        accounts_file=accounts,
        issuer_dir=issuer.folder,
    )
    client = create_app(settings).test_client()
    client.issuer = issuer
    return client


def test_sign_in_gives_a_token_the_services_accept_with_the_accounts_roles(console):
    answer = console.post("/auth/sign-in", json={"username": "carla", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["roles"] == [FIELD_STAFF] and body["jurisdiction"] == ["DO-11"]
    verifier = TokenVerifier(JwksSource(console.issuer.jwks_url), issuer="amparo-dev", audience="amparo")
    principal = verifier.verify(body["token"])
    assert principal.subject == "carla" and principal.roles == {FIELD_STAFF}
    assert principal.covers("DO-11") and not principal.covers("DO-32")


def test_wrong_passwords_are_refused_then_throttled_even_with_the_right_one(console):
    for _ in range(5):
        refused = console.post("/auth/sign-in", json={"username": "ana", "password": "guess-guess-guess"})
        assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    throttled = console.post("/auth/sign-in", json={"username": "ana", "password": PASSWORD})
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    # Another person from another address is not held back by Ana's failures.
    other = console.post(
        "/auth/sign-in",
        json={"username": "carla", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 200


def test_many_people_behind_one_address_sign_in_all_day(console):
    for _ in range(12):
        assert (
            console.post("/auth/sign-in", json={"username": "carla", "password": PASSWORD}).status_code == 200
        )


def test_one_address_spraying_passwords_is_throttled_and_a_success_does_not_reset_it(console):
    address = {"REMOTE_ADDR": "10.0.0.7"}

    def sign_in(username: str, password: str) -> int:
        answer = console.post(
            "/auth/sign-in", json={"username": username, "password": password}, environ_base=address
        )
        return answer.status_code

    assert [sign_in(f"user{n}", "guess-guess") for n in range(4)] == [401] * 4
    assert sign_in("carla", PASSWORD) == 200  # signing in as oneself wipes nothing of the guesses
    assert sign_in("user9", "guess-guess") == 401
    assert sign_in("ana", PASSWORD) == 429


def test_sign_in_names_what_is_missing(console):
    answer = console.post("/auth/sign-in", json={"username": "ana"})
    assert answer.status_code == 400
    assert answer.get_json()["errors"] == [{"field": "/password"}]
    assert console.post("/auth/sign-in", data="not json").status_code == 400


def test_calls_are_forwarded_with_the_callers_token_and_nothing_else(console):
    answer = console.post(
        "/api/registry/v1/households/sync?x=1&x=2",
        data=b'{"device": "d"}',
        headers={
            "Authorization": "Bearer abc",
            "Idempotency-Key": "k-1",
            "Content-Type": "application/json",
            "Cookie": "session=secret",
            "Accept-Language": "es-HN",
        },
    )
    assert answer.status_code == 201
    echoed = answer.get_json()
    assert echoed["accept_language"] == "es-HN" and answer.headers["Content-Language"] == "es"
    assert echoed["method"] == "POST" and echoed["path"] == "/v1/households/sync?x=1&x=2"
    assert echoed["authorization"] == "Bearer abc" and echoed["idempotency_key"] == "k-1"
    assert echoed["cookie"] is None and echoed["body"] == '{"device": "d"}'
    assert answer.headers["Content-Disposition"] == 'attachment; filename="x.json"'
    assert "Set-Cookie" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"  # personal data never in the browser's cache
    assert answer.headers["Location"] == "/api/registry/v1/things/1"


def test_only_a_services_v1_api_is_reachable_through_the_console(console):
    for path in (
        "/api/registry/metrics",
        "/api/registry/docs",
        "/api/registry/../../metrics",
        "/api/registry/v1/../metrics",
        "/api/registry/v1/%2e%2e/%2e%2e/metrics",
        "/api/registry/v1/./households",
    ):
        answer = console.get(path, headers={"Authorization": "Bearer abc"})
        assert answer.status_code == 404, path
    quoted = console.get("/api/registry/v1/households/a%3Fb", headers={"Authorization": "Bearer abc"})
    assert quoted.get_json()["path"] == "/v1/households/a%3Fb"


def test_an_unknown_or_unreachable_service_is_a_clear_problem(console):
    unknown = console.get("/api/payroll/v1/things")
    assert unknown.status_code == 404 and "payroll" in unknown.get_json()["detail"]
    down = console.get("/api/transfers/v1/batches")
    assert down.status_code == 503 and down.headers["Retry-After"] == "5"
    assert "transfers did not answer" in down.get_json()["detail"]


def test_pages_and_the_map_library_are_served_from_here_under_a_strict_policy(console):
    page = console.get("/")
    assert page.status_code == 200 and b"/vendor/leaflet/leaflet.js" in page.data
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "form-action 'self'" in policy and "unsafe-inline" not in policy
    assert console.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert console.get("/field/").status_code == 200
    worker = console.get("/field/sw.js")
    assert worker.headers["Service-Worker-Allowed"] == "/field/"
    assert console.get("/static/../app.py").status_code == 404


def test_account_files_refuse_unknown_roles_and_short_passwords(tmp_path):
    with pytest.raises(AccountError, match="unknown roles superuser"):
        new_account("x", "X", ["superuser"], ["DO"], PASSWORD)
    with pytest.raises(AccountError, match="at least 12 characters"):
        new_account("x", "X", [APPROVER], ["DO"], "short")
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps(
            [
                {
                    "username": "x",
                    "name": "X",
                    "roles": ["root"],
                    "jurisdiction": ["DO"],
                    "password_hash": "a$b",
                }
            ]
        )
    )
    with pytest.raises(AccountError, match="account x has unknown roles root"):
        read_accounts(path)
    assert read_accounts(tmp_path / "missing.json") == {}
