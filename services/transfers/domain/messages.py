"""What transfers asks the registry to tell a household when its payment moves: one request per
payment and state that a household hears of, with the programme's own wording when it has some.

A household is told when it is entitled (its payment proposed), approved, sent (in a payment file),
paid (settled) or not paid (failed). A payment collected in cash carries a collection code: the
last eight characters of its end-to-end id, which the payer's agent finds in the payment file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from shared.contracts.messages import KINDS, READINESS, message_id, notice_id

CASH_PICKUP = "cash_pickup"


def collection_code(end_to_end_id: str) -> str:
    """The code a household gives to collect cash: the end-to-end id's last eight characters.

    Examples
    --------
    >>> collection_code("AMP0123456789abcdef0123456789abcdef")
    '89ABCDEF'
    """
    return end_to_end_id[-8:].upper()


def message_requests(
    changes: Sequence[Mapping[str, Any]],
    programme_id: str,
    programme: Mapping[str, Any],
    decided_at: datetime,
    reissue: bool = False,
    incident_id: str | None = None,
) -> list[dict[str, Any]]:
    """The requests for payments whose new state a household hears of (the rest are left out; a
    payment re-issued after a failure is not announced as a new entitlement: the household was told
    it failed and will hear when it is approved)."""
    wording = programme.get("messages") or {}
    requests = []
    for change in changes:
        kind = KINDS.get(str(change["state"]))
        if kind is None or (reissue and kind == "entitled"):
            continue
        cash = change["channel_type"] == CASH_PICKUP
        template = (wording.get("templates") or {}).get(
            f"{kind}_{CASH_PICKUP}" if cash and kind == "sent" else kind
        )
        requests.append(
            _request(
                message_id(str(change["payment_id"]), kind),
                str(change["payment_id"]),
                change,
                kind,
                (programme_id, programme["name"], incident_id),
                decided_at,
                dict(template or {}),
                place=wording.get("pickup_place") if cash else None,
                code=collection_code(str(change["end_to_end_id"])) if cash else None,
            )
        )
    return requests


def readiness_requests(
    ready: Sequence[Mapping[str, Any]],
    programme_id: str,
    programme: Mapping[str, Any],
    incident_id: str,
    decided_at: datetime,
) -> list[dict[str, Any]]:
    """The requests telling households the programme would pay now (``household_id``, ``amount``,
    ``currency``, ``channel_type`` each) to get ready: no payment exists yet, so each notice's id,
    one per household, programme and alert, stands in its place."""
    templates = dict(((programme.get("messages") or {}).get("templates") or {}).get(READINESS) or {})
    notices = []
    for household in ready:
        notice = notice_id(programme_id, incident_id, str(household["household_id"]))
        scope = (programme_id, programme["name"], incident_id)
        notices.append(_request(notice, notice, household, READINESS, scope, decided_at, templates))
    return notices


def _request(
    said_id: str,
    payment_id: str,
    about: Mapping[str, Any],
    kind: str,
    scope: tuple[str, str, str | None],
    decided_at: datetime,
    templates: dict[str, str],
    place: str | None = None,
    code: str | None = None,
) -> dict[str, Any]:
    """One request as ``transfers.messages`` carries it: the household, its money and channel
    (``about``), the programme and alert (``scope``), when it was decided, the wording."""
    programme_id, programme, incident_id = scope
    return {
        "message_id": said_id,
        "household_id": about["household_id"],
        "kind": kind,
        "payment_id": payment_id,
        "incident_id": incident_id,
        "programme_id": programme_id,
        "programme": programme,
        "amount": about["amount"],
        "currency": about["currency"],
        "channel_type": about["channel_type"],
        "decided_at": decided_at.isoformat(),
        "place": place,
        "code": code,
        "templates": templates,
    }
