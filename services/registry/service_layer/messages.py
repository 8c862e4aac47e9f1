"""Messages to households: transfers' requests kept and written, sent through the provider by one
worker, delivery reports and replies applied, and each household's log read back.

The phone number never leaves the registry but to the provider; transfers asks, the registry
decides whether the household may be written to (see :mod:`services.registry.domain.messages`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from services.registry.domain import messages as rules
from services.registry.domain.members import Relationship
from services.registry.domain.model import Household
from services.registry.service_layer.common import Dependencies, check_visible
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry

log = logging.getLogger(__name__)
#: Messages sent per round of the worker.
ROUND = 50


class Provider(Protocol):
    def send(self, message_id: str, to: str, text: str) -> Any: ...

    def known(self, message_id: str) -> Any: ...


def head_phone(household: Household, deps: Dependencies) -> str | None:
    """The phone of the head of household, else of the first member with one, in clear."""
    members = sorted(household.facts.members, key=lambda m: m.relationship != Relationship.HEAD)
    for member in members:
        if member.phone_encrypted:
            return deps.protector.decrypt(member.phone_encrypted)
    return None


def recipient(household: Household, uow: RegistryUnitOfWork, deps: Dependencies) -> rules.Recipient:
    facts = household.facts
    return rules.Recipient(
        household_id=household.id,
        admin_code=facts.admin_code,
        language=facts.language,
        purposes=tuple(facts.consent.purposes) if facts.consent else (),
        phone=head_phone(household, deps),
        phone_changed_at=uow.messages.phone_changed_at(household.id),
        opted_out=uow.messages.opted_out(household.id),
    )


def keep_requests(requests: Sequence[Mapping[str, Any]], uow: RegistryUnitOfWork, deps: Dependencies) -> int:
    """Keep each new request as a message, queued or ``not_sent`` with why (in the caller's
    transaction); a request made again changes nothing. Returns how many were new."""
    known = uow.messages.known([str(r["message_id"]) for r in requests])
    now = deps.now()
    added = 0
    for request in requests:
        if request["message_id"] in known:
            continue
        known.add(request["message_id"])
        household = uow.households.get(request["household_id"])
        decided_at = request["decided_at"]
        base = {
            "id": request["message_id"],
            "household_id": request["household_id"],
            "payment_id": str(request["payment_id"]),
            "programme_id": str(request["programme_id"]),
            "kind": request["kind"],
            "requested_at": now,
            "decided_at": decided_at,
            "updated_at": now,
        }
        if household is None:
            message = rules.Message(
                **base,
                language="es",
                text="",
                status=rules.NOT_SENT,
                reason="no such household in the registry",
            )
        else:
            to = recipient(household, uow, deps)
            language = rules.language_of(to)
            why = rules.refusal(to, decided_at)
            message = rules.Message(
                **base,
                language=language,
                text=rules.wording(request, language),
                status=rules.NOT_SENT if why else rules.QUEUED,
                reason=why,
                to_masked=rules.masked(to.phone) if to.phone else None,
                to_hash=_phone_hash(to.phone, deps),
            )
        uow.messages.add(message)
        added += 1
    return added


def _phone_hash(phone: str | None, deps: Dependencies) -> str | None:
    return deps.protector.document_hash("phone", rules.normalized_phone(phone)) if phone else None


def send_due(new_uow: Callable[[], RegistryUnitOfWork], provider: Provider, deps: Dependencies) -> int:
    """Send the messages whose time has come, each in its own transaction; returns how many were
    tried. A message tried before is first looked up at the provider: if it arrived, it is not
    sent again. One whose household may no longer be written to is not sent, with why."""
    with new_uow().reading() as reader:
        due = reader.messages.due(deps.now(), ROUND)
    for message in due:
        with new_uow() as uow:
            current = uow.messages.get(message.id, lock=True)
            if current is None or current.status != rules.QUEUED:
                continue
            uow.messages.save(_attempt(current, uow, provider, deps))
    return len(due)


def _attempt(
    message: rules.Message, uow: RegistryUnitOfWork, provider: Provider, deps: Dependencies
) -> rules.Message:
    now = deps.now()
    household = uow.households.get(message.household_id)
    to = recipient(household, uow, deps) if household else None
    why = rules.refusal(to, message.decided_at) if to else "no such household in the registry"
    if why or to is None or not to.phone:
        return replace(message, status=rules.NOT_SENT, reason=why, updated_at=now)
    try:
        if message.attempts:
            earlier = provider.known(message.id)
            if earlier is not None:
                return message.attempted(now, earlier.accepted, earlier.reason, final=True)
        sent = provider.send(message.id, rules.normalized_phone(to.phone), message.text)
    except rules.ProviderUnreachable as exc:
        return message.attempted(now, False, str(exc), final=False)
    kept = message.attempted(now, sent.accepted, sent.reason, final=not sent.accepted)
    return replace(kept, provider_id=sent.provider_id, to_masked=rules.masked(to.phone))


def apply_reports(
    reports: Sequence[tuple[str, bool | None, str | None]], uow: RegistryUnitOfWork, deps: Dependencies
) -> int:
    """The provider's delivery reports, each ``(message id, delivered, why not)`` (``None``: still
    on its way); returns how many named a message of ours."""
    applied = 0
    with uow:
        for message_id, delivered, why in reports:
            message = uow.messages.get(message_id, lock=True)
            if message is None or delivered is None:
                continue
            uow.messages.save(message.reported(delivered, deps.now(), why))
            applied += 1
    return applied


def apply_replies(results: Sequence[Mapping[str, Any]], uow: RegistryUnitOfWork, deps: Dependencies) -> int:
    """Households' replies: one asking to stop opts out every household written to at that number
    (audited, without the number). Returns how many households opted out."""
    stopped = 0
    with uow:
        for result in results:
            text = str(result.get("cleanText") or result.get("text") or "")
            sender = str(result.get("from") or "")
            if not sender or not rules.asks_to_stop(text):
                continue
            for household_id in uow.messages.households_written_at(_phone_hash(sender, deps) or ""):
                if uow.messages.opted_out(household_id):
                    continue
                uow.messages.opt_out(household_id, text, deps.now())
                uow.record(
                    AuditEntry(
                        by="household (reply)",
                        action="messages_opted_out",
                        subject_type="household",
                        subject_id=household_id,
                        comment=f"replied {text[:40]!r}",
                    )
                )
                stopped += 1
    return stopped


def household_messages(
    household_id: str, covers: Callable[[str], bool], uow: RegistryUnitOfWork
) -> tuple[list[rules.Message], bool]:
    """A household's messages, oldest first, and whether it opted out.

    :raise HouseholdNotFound: no such household in the caller's jurisdiction.
    """
    with uow.reading() as reader:
        check_visible(reader.households.get(household_id), household_id, covers)
        return reader.messages.of_household(household_id), reader.messages.opted_out(household_id)


class MessageSender:
    """Sends due messages every ``tick`` seconds while this instance holds the sender's lease (one
    sender for the whole registry: two would race to send one message)."""

    def __init__(
        self,
        units_of_work: Callable[[], RegistryUnitOfWork],
        provider: Provider,
        deps: Dependencies,
        lease: Any,
        tick: float = 2.0,
    ):
        self.units_of_work, self.provider, self.deps, self.lease, self.tick = (
            units_of_work,
            provider,
            deps,
            lease,
            tick,
        )

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(self.tick):
                self.run_once()
        finally:
            self.lease.release()

    def run_once(self) -> int:
        try:
            if not self.lease.held():
                return 0
            return send_due(self.units_of_work, self.provider, self.deps)
        except Exception:  # noqa: BLE001 - a database down, say: the next round tries again
            log.warning("sending messages failed; trying again", exc_info=True)
            return 0
