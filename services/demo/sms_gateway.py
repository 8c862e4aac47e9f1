"""An SMS provider on this machine, speaking the part of Infobip's SMS API v3 Amparo uses: no real
provider can be reached from a demo or a test, so this one stands in, as documented:

- ``POST /sms/3/messages`` (``Authorization: App <key>``): each destination's message accepted
  (``PENDING_ACCEPTED``) and, a moment later, reported ``DELIVERED_TO_HANDSET`` (or
  ``UNDELIVERABLE`` for a number set as unreachable) to the message's ``webhooks.delivery.url``,
  else to the account's subscription URL;
- ``GET /sms/3/logs?messageId=…``: what became of a message;
- :meth:`SmsGateway.reply`: a household's reply forwarded to the account's inbound URL.

Whatever it receives is kept, duplicates included, so a test can count what a phone got.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

ACCEPTED = {
    "groupId": 1,
    "groupName": "PENDING",
    "id": 26,
    "name": "PENDING_ACCEPTED",
    "description": "Message sent to next instance",
}
DELIVERED = {
    "groupId": 3,
    "groupName": "DELIVERED",
    "id": 5,
    "name": "DELIVERED_TO_HANDSET",
    "description": "Message delivered to handset",
}
UNDELIVERABLE = {
    "groupId": 2,
    "groupName": "UNDELIVERABLE",
    "id": 9,
    "name": "UNDELIVERABLE_NOT_DELIVERED",
    "description": "Message sent not delivered",
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class SmsGateway:
    """The provider, on ``127.0.0.1``, with the API key it accepts."""

    def __init__(self, api_key: str, report_delay: float = 0.2) -> None:
        self.api_key = api_key
        self.report_delay = report_delay
        self.received: list[dict[str, Any]] = []
        self.statuses: dict[str, dict[str, Any]] = {}
        self.unreachable: set[str] = set()
        self.report_url: str | None = None
        #: The token the registry's webhooks expect (set by :func:`attach_to`).
        self.token = ""
        self.inbound_url: str | None = None
        #: The next answers to give instead of accepting: ``"503"`` (a message accepted, then a
        #: "try later" answer, as a busy provider may), ``"500"`` (refused, nothing kept), ``"400"``
        #: (a request of several messages refused as a whole).
        self.troubles: list[str] = []
        self._lock = threading.Lock()
        self._reports: list[tuple[dict[str, Any], str | None]] = []
        self._stopped = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                if not gateway._authorised(self.headers.get("Authorization")):
                    return self._answer(
                        401, {"requestError": {"serviceException": {"text": "Invalid login details"}}}
                    )
                if urlparse(self.path).path != "/sms/3/messages":
                    return self._answer(404, {})
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                status, answer = gateway._send(body)
                self._answer(status, answer)

            def do_GET(self) -> None:  # noqa: N802
                if not gateway._authorised(self.headers.get("Authorization")):
                    return self._answer(401, {})
                url = urlparse(self.path)
                if url.path != "/sms/3/logs":
                    return self._answer(404, {})
                wanted = parse_qs(url.query).get("messageId", [None])[0]
                with gateway._lock:
                    found = [dict(gateway.statuses[wanted])] if wanted in gateway.statuses else []
                self._answer(200, {"results": found})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, name="sms-gateway", daemon=True).start()
        threading.Thread(target=self._report_loop, name="sms-gateway-reports", daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self.server.shutdown()
        self.server.server_close()

    def stop(self) -> None:
        """Stop with the stack it stands beside."""
        self.close()

    def _authorised(self, header: str | None) -> bool:
        return header == f"App {self.api_key}"

    def _send(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            trouble = self.troubles.pop(0) if self.troubles else None
        if trouble == "500":
            return 500, {"requestError": {"serviceException": {"text": "Internal error"}}}
        if trouble == "400" and len(body.get("messages") or []) > 1:
            return 400, {
                "requestError": {"serviceException": {"text": "Bad request: one message is malformed"}}
            }
        answers = []
        for message in body.get("messages") or []:
            for destination in message.get("destinations") or []:
                kept = {
                    "messageId": destination.get("messageId"),
                    "to": destination.get("to"),
                    "text": (message.get("content") or {}).get("text"),
                    "sender": message.get("sender"),
                    "sentAt": _now(),
                    "status": ACCEPTED,
                }
                with self._lock:
                    self.received.append(kept)
                    self.statuses[str(kept["messageId"])] = kept
                url = ((message.get("webhooks") or {}).get("delivery") or {}).get("url") or self.report_url
                with self._lock:
                    self._reports.append((kept, url))
                answers.append(
                    {"messageId": kept["messageId"], "status": ACCEPTED, "destination": kept["to"]}
                )
        if trouble == "503":
            return 503, {"requestError": {"serviceException": {"text": "Service temporarily unavailable"}}}
        return 200, {"bulkId": f"bulk-{len(self.received)}", "messages": answers}

    def _report_loop(self) -> None:
        """Every ``report_delay`` seconds, the outcomes of what was accepted since, posted to each
        URL in buckets of up to 100 reports (as Infobip sends them by default)."""
        while not self._stopped.wait(self.report_delay):
            with self._lock:
                due, self._reports = self._reports, []
            by_url: dict[str | None, list[dict[str, Any]]] = {}
            for kept, url in due:
                by_url.setdefault(url, []).append(self._outcome(kept))
            for url, results in by_url.items():
                for start in range(0, len(results), 100) if url else ():
                    # A provider tries again later; the logs keep the outcome meanwhile.
                    with contextlib.suppress(requests.RequestException):
                        requests.post(url, json={"results": results[start : start + 100]}, timeout=10)

    def _outcome(self, kept: dict[str, Any]) -> dict[str, Any]:
        status = UNDELIVERABLE if kept["to"] in self.unreachable else DELIVERED
        with self._lock:
            kept["status"], kept["doneAt"] = status, _now()
        return {
            "messageId": kept["messageId"],
            "to": kept["to"],
            "sentAt": kept["sentAt"],
            "doneAt": kept["doneAt"],
            "status": status,
        }

    def reply(self, sender: str, text: str) -> requests.Response:
        """A household's reply, forwarded to the account's inbound URL as Infobip forwards them."""
        if not self.inbound_url:
            raise RuntimeError("no inbound URL set")
        result = {
            "messageId": f"mo-{time.monotonic_ns()}",
            "from": sender,
            "to": "Amparo",
            "text": text,
            "cleanText": text,
            "receivedAt": _now(),
        }
        return requests.post(self.inbound_url, json={"results": [result]}, timeout=10)

    def sent_to(self, number: str) -> list[dict[str, Any]]:
        """Every message received for a number (twice if sent twice)."""
        with self._lock:
            return [dict(m) for m in self.received if m["to"] == number]

    def duplicates(self) -> dict[str, int]:
        """Message ids received more than once."""
        with self._lock:
            counts = Counter(str(m["messageId"]) for m in self.received)
        return {k: n for k, n in counts.items() if n > 1}


def attach_to(stack: Any) -> SmsGateway:
    """An SMS provider beside a stack not yet started: the registry is told to send through it
    (with a key and a webhook token made for this run) and it stops with the stack."""
    import secrets

    key, token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    gateway = SmsGateway(key)
    gateway.token = token
    stack.extra_env = {
        **stack.extra_env,
        "AMPARO_SMS_URL": gateway.url,
        "AMPARO_SMS_API_KEY": key,
        "AMPARO_SMS_WEBHOOK_TOKEN": token,
    }
    stack.companions.append(gateway)
    return gateway


def connect(gateway: SmsGateway, registry_url: str) -> None:
    """Once the registry runs: its delivery reports and households' replies go to it."""
    gateway.report_url = f"{registry_url}/v1/messages/delivery-reports?token={gateway.token}"
    gateway.inbound_url = f"{registry_url}/v1/messages/replies?token={gateway.token}"


def demo_sms_provider(stack: Any, say: Callable[[str], None]) -> Callable[[], None]:
    """A local provider for the demo's messages, beside a stack not yet started; returns what
    connects it to the registry once the stack runs."""
    gateway = attach_to(stack)

    def connect_once_running() -> None:
        connect(gateway, stack.url("registry"))
        say(f"sms        a provider speaking Infobip's SMS API on {gateway.url} (households' phones)")

    return connect_once_running
