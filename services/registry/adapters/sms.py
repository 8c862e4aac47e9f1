"""The SMS provider: Infobip's SMS API v3, as Infobip documents it.

- send: ``POST {base}/sms/3/messages`` with ``Authorization: App {key}``, one message with our
  ``messageId`` (so a report or a log names our message), the text and the delivery-report URL;
- what became of a message whose send went unanswered: ``GET {base}/sms/3/logs?messageId=…``;
- delivery reports and replies are pushed to us (see :mod:`services.registry.entrypoints.messages_api`).

Statuses come in groups: ``PENDING`` (accepted, on its way), ``DELIVERED``, ``UNDELIVERABLE``,
``EXPIRED``, ``REJECTED``.
"""

from __future__ import annotations

from typing import Any

import requests

from services.registry.domain.messages import ProviderUnreachable, RequestRefused, Sent

PENDING, DELIVERED = "PENDING", "DELIVERED"
NOT_DELIVERED = ("UNDELIVERABLE", "EXPIRED", "REJECTED")


def _why(status: dict[str, Any]) -> str:
    return str(status.get("description") or status.get("name") or status.get("groupName") or "refused")


class InfobipSms:
    def __init__(
        self, base_url: str, api_key: str, sender: str, report_url: str | None, timeout: float = 10.0
    ):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"App {api_key}", "Accept": "application/json"}
        self.sender = sender
        self.report_url = report_url
        self.timeout = timeout

    def send_many(self, messages: list[tuple[str, str, str]]) -> dict[str, Sent]:
        """Send messages ``(our id, number, text)`` in one request; what the provider said of each.

        :raise ProviderUnreachable: no answer, a 429 or a 5xx (some may have left: ask
            :meth:`known` before sending any again).
        """
        body = {"messages": [self._message(*m) for m in messages]}
        try:
            response = requests.post(
                f"{self.base_url}/sms/3/messages", json=body, headers=self.headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ProviderUnreachable(f"no answer from the SMS provider: {type(exc).__name__}") from exc
        if response.status_code in (401, 403, 429) or response.status_code >= 500:
            # Our credentials or the provider's load: nothing is wrong with the messages.
            raise ProviderUnreachable(f"the SMS provider answered {response.status_code}")
        if response.status_code >= 400:
            raise RequestRefused(
                f"the SMS provider refused the request ({response.status_code}): {response.text[:200]}"
            )
        found = {}
        for answer in response.json().get("messages") or []:
            status = answer.get("status") or {}
            message_id = str(answer.get("messageId"))
            refused = status.get("groupName") in NOT_DELIVERED
            found[message_id] = Sent(not refused, _why(status) if refused else None, message_id)
        return found

    def _message(self, message_id: str, to: str, text: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "sender": self.sender,
            "destinations": [{"to": to, "messageId": message_id}],
            "content": {"text": text},
        }
        if self.report_url:
            message["webhooks"] = {"delivery": {"url": self.report_url}}
        return message

    def known(self, message_id: str) -> Sent | None:
        """What the provider's logs say of a message (``None``: it never received it).

        :raise ProviderUnreachable: the logs could not be read.
        """
        try:
            response = requests.get(
                f"{self.base_url}/sms/3/logs",
                params={"messageId": message_id},
                headers=self.headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ProviderUnreachable(f"no answer from the SMS provider: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise ProviderUnreachable(f"the SMS provider's logs answered {response.status_code}")
        results = response.json().get("results") or []
        if not results:
            return None
        status = results[0].get("status") or {}
        if status.get("groupName") in NOT_DELIVERED:
            return Sent(False, _why(status), message_id)
        return Sent(True, None, message_id)


def report_outcome(result: dict[str, Any]) -> tuple[str, bool | None, str | None]:
    """One delivery report's message id, whether it was delivered (``None``: still pending) and why not.

    Examples
    --------
    >>> report_outcome({"messageId": "m1", "status": {"groupName": "DELIVERED"}})
    ('m1', True, None)
    >>> report_outcome({"messageId": "m2", "status": {"groupName": "UNDELIVERABLE", "description": "Absent"}})
    ('m2', False, 'Absent')
    """
    status = result.get("status") or {}
    group = status.get("groupName")
    if group == DELIVERED:
        return str(result.get("messageId")), True, None
    if group in NOT_DELIVERED:
        return str(result.get("messageId")), False, _why(status)
    return str(result.get("messageId")), None, None
