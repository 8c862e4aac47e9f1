"""Calls the services as one of the demo's people, asking a busy service again when it says to."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from services.stack import Stack

Say = Callable[[str], None]


class DemoError(RuntimeError):
    """A step of the demo did not give the expected answer."""


@dataclass
class Client:
    """Calls one service as one person of the demo (a token from the stack's local issuer)."""

    base: str
    token: str

    def call(self, method: str, path: str, expected: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> Any:
        """The answer's JSON (or bytes); a busy service (503) is asked again when it says, for up
        to two minutes.

        :raise DemoError: any answer but ``expected``.
        """
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        deadline = time.monotonic() + 120
        while True:
            response = requests.request(method, f"{self.base}{path}", headers=headers, timeout=300, **kwargs)
            if response.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(float(response.headers.get("Retry-After", 5)))
        if response.status_code not in expected:
            raise DemoError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if "json" in response.headers.get("Content-Type", "") else response.content


def client(stack: Stack, service: str, subject: str, roles: list[str], jurisdiction: list[str]) -> Client:
    return Client(stack.url(service), stack.issuer.mint(subject, roles, jurisdiction, ttl_seconds=6 * 3600))
