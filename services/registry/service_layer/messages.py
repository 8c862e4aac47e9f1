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
from datetime import datetime
from typing import Any, Protocol

from services.registry.domain import messages as rules
from services.registry.domain.erasure import ERASED
from services.registry.domain.members import Relationship
from services.registry.domain.model import Household
from services.registry.service_layer.common import Dependencies, check_visible
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork

log = logging.getLogger(__name__)
#: Messages sent per round of the worker (one request to the provider, one transaction).
ROUND = 200


class Provider(Protocol):
    def send_many(self, messages: list[tuple[str, str, str]]) -> dict[str, Any]: ...

    def known(self, message_id: str) -> Any: ...


def head_phone(household: Household, deps: Dependencies) -> str | None:
    """The phone of the head of household, else of the first member with one, in clear."""
    members = sorted(household.facts.members, key=lambda m: m.relationship != Relationship.HEAD)
    for member in members:
        if member.phone_encrypted:
            return deps.protector.decrypt(member.phone_encrypted)
    return None


def recipients(
    household_ids: Sequence[str], uow: RegistryUnitOfWork, deps: Dependencies
) -> dict[str, rules.Recipient]:
    """What the registry knows of each household that exists, read in a few queries for all."""
    ids = sorted(set(household_ids))
    found: dict[str, rules.Recipient] = {}
    for start in range(0, len(ids), 500):
        page = ids[start : start + 500]
        opted_out = uow.messages.opted_out_among(page)
        changed = uow.messages.phones_changed_at(page)
        for household, _ in uow.households.get_many(page):
            facts = household.facts
            found[household.id] = rules.Recipient(
                household_id=household.id,
                admin_code=facts.admin_code,
                language=facts.language,
                purposes=tuple(facts.consent.purposes) if facts.consent else (),
                phone=_international(head_phone(household, deps), facts.admin_code),
                phone_changed_at=changed.get(household.id),
                opted_out=household.id in opted_out,
            )
    return found


def keep_requests(requests: Sequence[Mapping[str, Any]], uow: RegistryUnitOfWork, deps: Dependencies) -> int:
    """Keep each new request as a message, queued or ``not_sent`` with why (in the caller's
    transaction); a request made again changes nothing. Returns how many were new."""
    known = uow.messages.known([str(r["message_id"]) for r in requests])
    fresh = {str(r["message_id"]): r for r in requests if str(r["message_id"]) not in known}
    to = recipients([r["household_id"] for r in fresh.values()], uow, deps)
    now = deps.now()
    kept = []
    for request in fresh.values():
        base = {
            "id": request["message_id"],
            "household_id": request["household_id"],
            "payment_id": str(request["payment_id"]),
            "incident_id": request.get("incident_id"),
            "programme_id": str(request["programme_id"]),
            "kind": request["kind"],
            "requested_at": now,
            "decided_at": request["decided_at"],
            "updated_at": now,
        }
        whom = to.get(request["household_id"])
        if whom is None:
            why = "no such household in the registry"
            kept.append(rules.Message(**base, language="es", text="", status=rules.NOT_SENT, reason=why))
            continue
        language = rules.language_of(whom)
        why = rules.refusal(whom, request["decided_at"])
        kept.append(
            rules.Message(
                **base,
                language=language,
                text=rules.wording(request, language),
                status=rules.NOT_SENT if why else rules.QUEUED,
                reason=why,
                to_masked=rules.masked(whom.phone) if whom.phone else None,
            )
        )
    uow.messages.add_all(kept)
    return len(kept)


def _international(phone: str | None, admin_code: str) -> str | None:
    return rules.international(phone, admin_code) if phone else None


def phone_hash(phone: str | None, deps: Dependencies) -> str | None:
    """The number's keyed hash (how a reply finds the households written to at it)."""
    return deps.protector.document_hash("phone", rules.normalized_phone(phone)) if phone else None


def send_due(new_uow: Callable[[], RegistryUnitOfWork], provider: Provider, deps: Dependencies) -> int:
    """Send a round of the messages whose time has come; returns how many were looked at.

    Read in one transaction; each message to send is first *claimed* (its attempt counted) and
    committed, then sent in one request to the provider outside any transaction (the registry is
    never held while the provider answers), then kept. A message with an attempt counted is looked
    up at the provider before it is sent again, so one sent but not kept (a crash, a failed write)
    is never sent twice. One whose household may no longer be written to is not sent, with why.
    What a delivery report or an erasure wrote meanwhile is kept (one sender runs at a time).
    """
    with new_uow().reading() as reader:
        due = reader.messages.due(deps.now(), ROUND)
        whom = recipients([m.household_id for m in due], reader, deps) if due else {}
    if not due:
        return 0
    now = deps.now()
    outcome: dict[str, rules.Message] = {}
    sending: list[tuple[rules.Message, str]] = []
    for message in due:
        to = whom.get(message.household_id)
        why = rules.refusal(to, message.decided_at) if to else "no such household in the registry"
        if why or to is None or not to.phone:
            outcome[message.id] = replace(message, status=rules.NOT_SENT, reason=why, updated_at=now)
        else:
            sending.append((message, to.phone))
    sending = _claim(new_uow, sending, now)
    outcome |= _send(sending, provider, now, lambda phone: phone_hash(phone, deps))
    with new_uow() as uow:
        current = {m.id: m for m in uow.messages.get_many(sorted(outcome), lock=True)}
        uow.messages.save_all([_kept(m, current.get(m.id)) for m in outcome.values()])
    return len(due)


def _claim(
    new_uow: Callable[[], RegistryUnitOfWork], sending: list[tuple[rules.Message, str]], now: datetime
) -> list[tuple[rules.Message, str]]:
    """Count each attempt before it is made (only messages still queued are sent)."""
    if not sending:
        return []
    with new_uow() as uow:
        current = {m.id: m for m in uow.messages.get_many(sorted(m.id for m, _ in sending), lock=True)}
        claimed = [
            (m, phone) for m, phone in sending if (c := current.get(m.id)) and c.status == rules.QUEUED
        ]
        uow.messages.save_all([rules.claimed(m, now) for m, _ in claimed])
    return claimed


def _kept(sent: rules.Message, current: rules.Message | None) -> rules.Message:
    """What a round keeps, with what a delivery report or an erasure wrote meanwhile left as it said."""
    if current is None:
        return sent
    if current.text == ERASED:  # erased (or past its period) while the round was sending
        sent = replace(sent, text=ERASED, to_masked=None, to_hash=None)
    if current.status in (rules.DELIVERED, rules.UNDELIVERED):
        return replace(sent, status=current.status, delivered_at=current.delivered_at, reason=current.reason)
    return sent


def _send(
    sending: list[tuple[rules.Message, str]],
    provider: Provider,
    now: datetime,
    hashed: Callable[[str], str | None],
) -> dict[str, rules.Message]:
    """Send what may be sent, after asking the provider of each message tried before (so none is
    sent twice); a provider that does not answer leaves them all for another attempt."""
    outcome: dict[str, rules.Message] = {}
    fresh: list[tuple[rules.Message, str]] = []
    try:
        for message, phone in sending:
            earlier = provider.known(message.id) if message.attempts else None
            if earlier is None:
                fresh.append((message, phone))
                continue
            kept = message.attempted(now, earlier.accepted, earlier.reason, final=True)
            outcome[message.id] = replace(kept, to_masked=rules.masked(phone), to_hash=hashed(phone))
        answers = _answers(provider, [(m.id, phone, m.text) for m, phone in fresh])
    except rules.ProviderUnreachable as exc:
        for message, _ in sending:
            outcome.setdefault(message.id, message.attempted(now, False, str(exc), final=False))
        return outcome
    for message, phone in fresh:
        sent = answers.get(message.id)
        if sent is None:
            outcome[message.id] = message.attempted(
                now, False, "the provider said nothing of it", final=False
            )
            continue
        kept = message.attempted(now, sent.accepted, sent.reason, final=not sent.accepted)
        outcome[message.id] = replace(
            kept, provider_id=sent.provider_id, to_masked=rules.masked(phone), to_hash=hashed(phone)
        )
    return outcome


def _answers(provider: Provider, batch: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The provider's answer for each message: a request it refused as a whole is sent again one
    message at a time, so one bad message refuses only itself."""
    if not batch:
        return {}
    try:
        return dict(provider.send_many(batch))
    except rules.RequestRefused:
        if len(batch) == 1:
            raise
    answers: dict[str, Any] = {}
    for one in batch:
        try:
            answers |= provider.send_many([one])
        except rules.RequestRefused as exc:
            answers[one[0]] = rules.Sent(False, str(exc))
    return answers


def apply_reports(
    reports: Sequence[tuple[str, bool | None, str | None]], uow: RegistryUnitOfWork, deps: Dependencies
) -> int:
    """The provider's delivery reports, each ``(message id, delivered, why not)`` (``None``: still
    on its way); returns how many named a message of ours."""
    outcomes = {
        message_id: (delivered, why) for message_id, delivered, why in reports if delivered is not None
    }
    with uow:
        found = uow.messages.get_many(sorted(outcomes), lock=True)  # in id order, as the sender locks
        uow.messages.save_all([m.reported(outcomes[m.id][0], deps.now(), outcomes[m.id][1]) for m in found])
    return len(found)


def household_messages(
    household_id: str, covers: Callable[[str], bool], uow: RegistryUnitOfWork
) -> tuple[list[rules.Message], bool]:
    """A household's messages, oldest first, and whether it opted out.

    :raise HouseholdNotFound: no such household in the caller's jurisdiction.
    """
    with uow.reading() as reader:
        check_visible(reader.households.get(household_id), household_id, covers)
        return reader.messages.of_household(household_id), reader.messages.opted_out(household_id)


def message_counts(covers: Callable[[str], bool], uow: RegistryUnitOfWork) -> dict[str, dict[str, int]]:
    """Messages inside the caller's jurisdiction by kind and status."""
    counts: dict[str, dict[str, int]] = {}
    with uow.reading() as reader:
        for admin_code, kind, status, count in reader.messages.counts():
            if covers(admin_code):
                by_status = counts.setdefault(kind, {})
                by_status[status] = by_status.get(status, 0) + count
    return counts


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
                while self.run_once() == ROUND and not stop.is_set():
                    pass  # more are due: no wait between full rounds
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
