"""Households' replies to messages, as the SMS provider forwards them: one asking to stop opts the
household out; one asking for help is kept (with its words) and filed as a grievance in transfers
through an event that carries no words and no number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from services.registry.domain import messages as rules
from services.registry.domain.replies import Reply, complaint_about, reply_id
from services.registry.service_layer.common import Dependencies
from services.registry.service_layer.messages import phone_hash, recipients
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry
from shared.contracts import households as contract
from shared.events import CloudEvent
from shared.kafka import HOUSEHOLDS

#: Who acts when a household replies.
HOUSEHOLD = "household (reply)"


def apply_replies(results: Sequence[Mapping[str, Any]], uow: RegistryUnitOfWork, deps: Dependencies) -> int:
    """Each reply applied to every household written to at its number (audited, without the
    number). Returns how many households opted out or complained."""
    applied = 0
    with uow:
        for result in results:
            text = str(result.get("text") or result.get("cleanText") or "")
            sender = str(result.get("from") or "")
            about = complaint_about(text)  # asking for help first: a complaint is never an opt-out
            stop = about is None and rules.asks_to_stop(text)
            if not sender or not (stop or about is not None):
                continue
            written = still_at(phone_hash(sender, deps) or "", uow, deps)
            if stop:
                applied += sum(_opt_out(uow, household_id, text, deps) for household_id in written)
                continue
            for household_id in written:
                said = reply_id(
                    str(result.get("messageId") or "") or None,
                    sender,
                    text,
                    str(result.get("receivedAt") or ""),
                    household_id,
                )
                applied += _complain(uow, household_id, said, text, about or None, deps)
    return applied


def still_at(said: str, uow: RegistryUnitOfWork, deps: Dependencies) -> list[str]:
    """The households written to at the number whose keyed hash is ``said``, and whose phone is that
    number still (a number that changed hands speaks for its new holder, not for the household it
    once was)."""
    written = uow.messages.households_written_at(said)
    return [h for h, r in sorted(recipients(written, uow, deps).items()) if phone_hash(r.phone, deps) == said]


def _opt_out(uow: RegistryUnitOfWork, household_id: str, text: str, deps: Dependencies) -> bool:
    if uow.messages.opted_out(household_id):
        return False
    uow.messages.opt_out(household_id, text, deps.now())
    uow.record(
        AuditEntry(
            by=HOUSEHOLD,
            action="messages_opted_out",
            subject_type="household",
            subject_id=household_id,
            comment="replied asking for no more messages",
        )
    )
    return True


def _complain(
    uow: RegistryUnitOfWork, household_id: str, said: str, text: str, kind: str | None, deps: Dependencies
) -> bool:
    """Keep the reply and publish it as a complaint, once however often it is forwarded."""
    if uow.messages.reply_known(said):
        return False
    last = uow.messages.last_written(household_id)
    reply = Reply(
        id=said,
        household_id=household_id,
        received_at=deps.now(),
        text=text[:480],
        kind=kind,
        payment_id=last.payment_id if last else None,
        programme_id=last.programme_id if last else None,
    )
    uow.messages.add_reply(reply)
    uow.record(
        AuditEntry(
            by=HOUSEHOLD,
            action="grievance_replied",
            subject_type="household",
            subject_id=household_id,
            comment=f"replied asking for help ({kind or 'not said'}); filed in transfers",
        )
    )
    uow.publish(
        HOUSEHOLDS.name,
        CloudEvent(
            type=contract.HOUSEHOLD_COMPLAINT,
            source=contract.SOURCE,
            # Its own record key: on the compacted topic it never replaces the household's snapshot.
            subject=f"complaint:{said}",
            data={
                "household_id": household_id,
                "reply_id": said,
                "kind": kind,
                "payment_id": reply.payment_id,
                "programme_id": reply.programme_id,
                "incident_id": last.incident_id if last else None,
                "message_kind": last.kind if last else None,
                "received_at": reply.received_at.isoformat(),
            },
            time=reply.received_at,
        ),
    )
    return True
