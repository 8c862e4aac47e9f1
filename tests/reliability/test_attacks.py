"""Attacks on the running services over real sockets: forged tokens, hostile XML, oversized bodies and
password guessing. Each is refused with a problem document, writes nothing and leaves the service
answering."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, PAYMENTS_OFFICER, PROGRAMME_OFFICER
from tests.one_household import DEMO_ALERT, DEMO_PROGRAMME
from tests.reliability.attack_kit import (
    CONSOLE_PASSWORD,
    Canary,
    LiveStack,
    authorization_headers,
    forged_tokens,
    hostile_prologues,
    problem_of,
    start_canary,
    start_live_stack,
)
from tests.samples import distinct_household

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CONSOLE_USERS = [(f"person{n}", [AUDITOR]) for n in range(1, 5)] + [("guarded", [AUDITOR])]


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveStack]:
    running = start_live_stack(tmp_path_factory.mktemp("attacks"), CONSOLE_USERS)
    yield running
    running.stack.stop()


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = start_canary()
    yield server
    server.server.shutdown()


def cap_alert(headline: str = "Alerta roja: costa de Choluteca") -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    return DEMO_ALERT.format(
        identifier=uuid.uuid4().hex[:8], sent=now.isoformat(), expires=(now + timedelta(days=2)).isoformat()
    ).replace("Alerta roja: costa de Choluteca (datos de demostración)", headline)


# -- authentication -------------------------------------------------------------------------------


class Operation:
    """One protected operation: how to call it, which role may, and which table a write would grow."""

    def __init__(self, service: str, method: str, path: str, roles: list[str], table: str, body: Any = None):
        self.service, self.method, self.path, self.roles, self.table = service, method, path, roles, table
        self.body = body

    def __repr__(self) -> str:
        return f"{self.method} {self.service}{self.path}"

    def call(self, live: LiveStack, headers: dict[str, str]) -> requests.Response:
        url = f"{live.url(self.service)}{self.path}"
        if isinstance(self.body, str):
            headers = {**headers, "Content-Type": "application/cap+xml"}
            return requests.request(self.method, url, data=self.body.encode(), headers=headers, timeout=30)
        return requests.request(self.method, url, json=self.body, headers=headers, timeout=30)


def operations() -> list[Operation]:
    household = distinct_household(str(uuid.uuid4()))
    return [
        Operation("registry", "GET", "/v1/households", [FIELD_STAFF], "households"),
        Operation("registry", "POST", "/v1/households", [FIELD_STAFF], "households", household),
        Operation("registry", "POST", "/v1/households", [FIELD_STAFF], "households", {"members": "x"}),
        Operation("alerts", "GET", "/v1/alerts", [CIVIL_PROTECTION], "incidents"),
        Operation("alerts", "POST", "/v1/alerts", [CIVIL_PROTECTION], "incidents", cap_alert()),
        Operation("transfers", "GET", "/v1/programmes", [PROGRAMME_OFFICER], "programmes"),
        Operation("transfers", "POST", "/v1/programmes", [PROGRAMME_OFFICER], "programmes", DEMO_PROGRAMME),
        Operation("transfers", "POST", "/v1/programmes", [PROGRAMME_OFFICER], "programmes", {"name": 1}),
    ]


def test_forged_missing_and_malformed_tokens_are_refused_on_every_service(live, canary, figures):
    tried = 0
    for operation in operations():
        before = live.rows(operation.service, operation.table)
        attempts = {
            name: {"Authorization": f"Bearer {token}"}
            for name, token in forged_tokens(live.stack, operation.roles, canary.url).items()
        }
        attempts.update(authorization_headers(live.token(operation.roles)))
        for name, headers in attempts.items():
            response = operation.call(live, headers)
            problem = problem_of(response, 401)
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), (operation, name)
            assert problem["type"].endswith("/not-authenticated"), (operation, name, problem)
            tried += 1
        assert live.rows(operation.service, operation.table) == before, operation
    assert canary.requests == []
    figures.add("attacks", "tried", tried)
    figures.add("attacks", "refused", tried)
    figures.add("attacks", "token forgeries tried", tried)


def test_the_same_calls_with_a_genuine_token_go_through(live):
    """The control: only the forgery made the difference above."""
    for operation in operations():
        if operation.method == "GET":
            response = operation.call(live, {"Authorization": f"Bearer {live.token(operation.roles)}"})
            assert response.status_code == 200, (operation, response.text[:300])


def test_a_token_for_the_wrong_role_is_forbidden_not_unauthenticated(live):
    response = requests.get(
        f"{live.url('transfers')}/v1/programmes",
        headers={"Authorization": f"Bearer {live.token([FIELD_STAFF])}"},
        timeout=10,
    )
    problem_of(response, 403)


# -- XML ------------------------------------------------------------------------------------------


def hostile_documents(root: str, body: str, canary: Canary) -> dict[str, bytes]:
    """``body`` (an XML document without prologue, holding ``{x}`` where an entity may be used)
    behind each hostile prologue."""
    documents = {}
    for name, prologue in hostile_prologues(root, canary.url).items():
        use = "&x;" if "ENTITY x" in prologue else ""
        documents[name] = (prologue + "\n" + body.replace("{x}", use)).encode()
    return documents


def cap_body() -> str:
    return cap_alert("{x}").split("\n", 1)[1]


def test_hostile_cap_xml_is_refused_without_expanding_or_fetching_anything(live, canary, figures):
    before = live.rows("alerts", "incidents")
    token = live.token([CIVIL_PROTECTION])
    documents = hostile_documents("alert", cap_body(), canary)
    documents["XInclude of a local file"] = cap_alert(
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>'
    ).encode()
    documents["deep nesting"] = cap_alert("<a>" * 50_000 + "</a>" * 50_000).encode()
    for path, content_type in (
        ("/v1/alerts", "application/cap+xml"),
        ("/v1/alerts", "text/xml"),
        ("/v1/alerts/what-if", "application/cap+xml"),
    ):
        for name, document in documents.items():
            response = requests.post(
                f"{live.url('alerts')}{path}",
                data=document,
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                timeout=60,
            )
            problem = problem_of(response, 422)
            assert "root:" not in response.text and "canary" not in response.text, name
            assert problem["errors"], (name, problem)
    assert canary.requests == []
    assert live.rows("alerts", "incidents") == before
    assert live.answering()
    tried = 3 * len(documents)
    for name in ("tried", "refused", "xml tried", "xml refused"):
        figures.add("attacks", name, tried)


def test_deeply_nested_cap_json_is_refused(live, figures):
    token = live.token([CIVIL_PROTECTION])
    attempts = [
        (path, content_type, document)
        for path, content_type in (
            ("/v1/alerts", "application/cap+json"),
            ("/v1/alerts/what-if", "application/cap+json"),
            ("/v1/alerts/what-if", "application/geo+json"),
        )
        for document in ("[" * 100_000 + "]" * 100_000, '{"alert":' * 50_000 + "1" + "}" * 50_000)
    ]
    for path, content_type, document in attempts:
        response = requests.post(
            f"{live.url('alerts')}{path}",
            data=document,
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
            timeout=60,
        )
        problem_of(response, 422)
    assert live.answering()
    figures.add("attacks", "tried", len(attempts))
    figures.add("attacks", "refused", len(attempts))


PAIN_002 = """<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>{x}</OrgnlEndToEndId><TxSts>ACSC</TxSts>
</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"""


def test_hostile_payment_status_reports_are_refused_without_expanding_or_fetching(live, canary, figures):
    token = live.token([PAYMENTS_OFFICER])
    documents = hostile_documents("Document", PAIN_002, canary)
    for name, document in documents.items():
        response = requests.post(
            f"{live.url('transfers')}/v1/payment-results",
            data=document,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/xml",
                "Idempotency-Key": f"attack-{uuid.uuid4()}",
            },
            timeout=60,
        )
        problem = problem_of(response, 422)
        assert "root:" not in response.text and "canary" not in response.text, name
        assert "DTD" in problem["detail"] or "entit" in problem["detail"], (name, problem["detail"])
    assert canary.requests == []
    assert live.answering()
    for name in ("tried", "refused", "xml tried", "xml refused"):
        figures.add("attacks", name, len(documents))


# -- oversized bodies -----------------------------------------------------------------------------


#: (service, path, content type, roles, table, limit): a body of limit + 1 bytes is sent to each.
OVERSIZED = [
    ("registry", "/v1/households", "application/json", [FIELD_STAFF], "households", 16 * 2**20),
    ("alerts", "/v1/alerts", "application/cap+xml", [CIVIL_PROTECTION], "incidents", 5 * 2**20),
    ("transfers", "/v1/programmes", "application/json", [PROGRAMME_OFFICER], "programmes", 16 * 2**20),
]


def padded(content_type: str, size: int) -> bytes:
    if "json" in content_type:
        prefix = b'{"padding": "'
        return prefix + b"a" * (size - len(prefix) - 2) + b'"}'
    document = cap_alert("{x}").encode()
    return document.replace(b"{x}", b"a" * (size - len(document) + 3))


def test_bodies_over_the_limit_are_refused_with_413(live, figures):
    tried = 0
    for service, path, content_type, roles, table, limit in OVERSIZED:
        before = live.rows(service, table)
        size = limit + 1
        body = padded(content_type, size)
        assert len(body) == size
        headers = {"Authorization": f"Bearer {live.token(roles)}", "Content-Type": content_type}
        url = f"{live.url(service)}{path}"
        problem = problem_of(requests.post(url, data=body, headers=headers, timeout=60), 413)
        assert f"{limit:,} bytes" in problem["detail"], problem
        # Without a Content-Length (chunked), the limit holds while reading.
        problem_of(
            requests.post(
                url,
                data=iter([body[i : i + 2**20] for i in range(0, size, 2**20)]),
                headers=headers,
                timeout=60,
            ),
            413,
        )
        assert live.rows(service, table) == before
        tried += 2
    assert live.answering()
    figures.add("attacks", "tried", tried)
    figures.add("attacks", "refused", tried)


def test_bodies_over_the_consoles_limit_are_refused_there_with_413(live, figures):
    console = live.url("console")
    before = live.rows("registry", "households")
    headers = {"Authorization": f"Bearer {live.token([FIELD_STAFF])}", "Content-Type": "application/json"}
    sizes = {"over the service's limit": 16 * 2**20 + 1, "over the console's limit": 64 * 2**20 + 1}
    for size in sizes.values():
        response = requests.post(
            f"{console}/api/registry/v1/households", data=padded("json", size), headers=headers, timeout=60
        )
        problem_of(response, 413)
    assert live.rows("registry", "households") == before
    assert requests.get(f"{console}/healthz", timeout=5).status_code == 200
    figures.add("attacks", "tried", len(sizes))
    figures.add("attacks", "refused", len(sizes))


# -- password guessing ----------------------------------------------------------------------------


class FromAddress(HTTPAdapter):
    """Connect from another loopback address, as another client of the console would."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client_at(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


def sign_in(live: LiveStack, client: requests.Session, username: str, password: str) -> requests.Response:
    return client.post(
        f"{live.url('console')}/auth/sign-in", json={"username": username, "password": password}, timeout=30
    )


def test_guessing_one_persons_password_is_throttled_for_everyone_guessing_it(live, figures):
    guesser, other = client_at("127.0.0.2"), client_at("127.0.0.3")
    statuses = [sign_in(live, guesser, "guarded", f"guess-{n}-guess").status_code for n in range(5)]
    assert statuses == [401] * 5
    for client in (guesser, other):
        throttled = sign_in(live, client, "guarded", CONSOLE_PASSWORD)
        problem = problem_of(throttled, 429)
        assert 0 < int(throttled.headers["Retry-After"]) <= 300, problem
        assert "token" not in throttled.json()
    # Someone else, from elsewhere, signs in as usual.
    assert sign_in(live, other, "person1", CONSOLE_PASSWORD).status_code == 200
    figures.add("attacks", "tried", 7)
    figures.add("attacks", "refused", 7)
    figures.add("attacks", "sign-in guesses before the throttle", 5)


def test_spraying_passwords_from_one_address_is_throttled_and_a_success_does_not_lift_it(live, figures):
    sprayer, colleague = client_at("127.0.0.4"), client_at("127.0.0.5")
    assert [sign_in(live, sprayer, f"nobody{n}", "guess-guess-x").status_code for n in range(4)] == [401] * 4
    assert sign_in(live, sprayer, "person2", CONSOLE_PASSWORD).status_code == 200
    assert sign_in(live, sprayer, "nobody9", "guess-guess-x").status_code == 401
    throttled = sign_in(live, sprayer, "person3", CONSOLE_PASSWORD)
    problem_of(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    # The address is held back, not the people it tried: they sign in from their own desks.
    assert sign_in(live, colleague, "person3", CONSOLE_PASSWORD).status_code == 200
    assert sign_in(live, colleague, "person4", CONSOLE_PASSWORD).status_code == 200
    figures.add("attacks", "tried", 6)
    figures.add("attacks", "refused", 6)


def test_parallel_guesses_cannot_slip_past_the_throttle(live, figures):
    from concurrent.futures import ThreadPoolExecutor

    guesser = "127.0.0.6"

    def guess(n: int) -> int:
        return sign_in(live, client_at(guesser), "person4", f"parallel-{n}-guess").status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(guess, range(32)))
    assert statuses.count(401) == 5 and statuses.count(429) == 27, statuses
    figures.add("attacks", "tried", 32)
    figures.add("attacks", "refused", 32)
    figures.add("attacks", "parallel sign-in guesses let through", statuses.count(401))
