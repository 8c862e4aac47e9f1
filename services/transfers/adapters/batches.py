"""Batches, payments and payment files in the transfers service's database.

Money moves in large sets (a national batch approved in one step), so the repositories move
payments with set-based statements; the domain says which state they move to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import audit_log, batches, instruction_files, payments
from services.transfers.domain.batches import PRE_APPROVED, Batch, BatchStateError
from services.transfers.domain.deciding import Holding
from services.transfers.domain.payments import (
    LIVE_PAYMENT_STATES,
    WITHDRAWN,
    Payment,
    PaymentFile,
    ProposedPayments,
)
from shared.db import as_read, bulk_insert_columns

#: Ids per ``IN (…)`` list: well under every database's limit on bound parameters.
CHUNK = 1000
_BATCH_FIELDS = tuple(f.name for f in fields(Batch) if f.name != "changes")
_PAYMENT_FIELDS = tuple(f.name for f in fields(Payment))


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _batch(row: Any) -> Batch:
    values = {name: row._mapping[name] for name in _BATCH_FIELDS}
    for name in ("proposed_at", "decided_at", "updated_at"):
        values[name] = as_read(values[name])
    return Batch(**values)


def _payment(row: Any) -> Payment:
    return Payment(**{name: row._mapping[name] for name in _PAYMENT_FIELDS})


class BatchRepository:
    def __init__(self, session: Session):
        self.session = session
        #: The state each batch had when read: a save moves it only from there.
        self._read: dict[str, tuple[str, str | None]] = {}

    def _seen(self, batch: Batch) -> Batch:
        self._read[batch.id] = (batch.state, batch.first_approved_by)
        return batch

    def get(self, batch_id: str, lock: bool = False) -> Batch | None:
        """The batch, or ``None``; ``lock`` holds its row until the transaction ends."""
        query = select(batches).where(batches.c.id == batch_id)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        return None if row is None else self._seen(_batch(row))

    def of_incident(self, incident_id: str) -> list[Batch]:
        """Every batch of an incident, locked, in one order (so two writers never wait in a circle)."""
        query = select(batches).where(batches.c.incident_id == incident_id).order_by(batches.c.id)
        return [self._seen(_batch(r)) for r in self.session.execute(query.with_for_update()).all()]

    def newest(self, incident_ids: Sequence[str] | None, state: str | None, limit: int = 200) -> list[Batch]:
        """The newest batches, of the incidents (``None``: of any) and in the state (``None``: any)."""
        query = select(batches).order_by(batches.c.proposed_at.desc()).limit(limit)
        if incident_ids is not None:
            query = query.where(batches.c.incident_id.in_(list(incident_ids)))
        if state:
            query = query.where(batches.c.state == state)
        return [_batch(r) for r in self.session.execute(query).all()]

    def count_for(self, programme_id: str, incident_id: str) -> int:
        """How many batches the programme already proposed for the incident."""
        return self.session.scalar(
            select(func.count())
            .select_from(batches)
            .where(batches.c.programme_id == programme_id, batches.c.incident_id == incident_id)
        )

    def scopes_holding(self, end_to_end_ids: Sequence[str]) -> dict[str, str]:
        """The admin scope of every batch holding one of the payments, the batches locked first (the
        order every writer locks batches and payments in)."""
        held = select(payments.c.batch_id)
        return {
            row.id: row.admin_scope
            for ids in _chunks(end_to_end_ids)
            for row in self.session.execute(
                select(batches.c.id, batches.c.admin_scope)
                .where(batches.c.id.in_(held.where(payments.c.end_to_end_id.in_(ids))))
                .with_for_update()
            ).all()
        }

    def add(self, batch: Batch) -> None:
        values = {name: getattr(batch, name) for name in _BATCH_FIELDS}
        self.session.execute(batches.insert().values(**values))
        self._seen(batch)

    def save(self, batch: Batch) -> None:
        """Write what changed of a batch read here.

        :raise BatchStateError: it changed state meanwhile (nothing is written then).
        """
        read_state, read_first = self._read.get(batch.id, (batch.state, batch.first_approved_by))
        moved = self.session.execute(
            update(batches)
            .where(
                batches.c.id == batch.id,
                batches.c.state == read_state,
                func.coalesce(batches.c.first_approved_by, "") == (read_first or ""),
            )
            .values(
                state=batch.state,
                first_approved_by=batch.first_approved_by,
                decided_by=batch.decided_by,
                decided_at=batch.decided_at,
                review_reason=batch.review_reason,
                updated_at=batch.updated_at,
            )
        )
        if moved.rowcount != 1:
            raise BatchStateError(f"batch {batch.id} changed while this was being done; read it again")
        self._seen(batch)

    def counts(self, batch_id: str) -> tuple[dict[str, int], dict[str, int]]:
        """How many of its payments are in each state, and on each channel."""
        by: dict[str, dict[str, int]] = {}
        for column in (payments.c.state, payments.c.channel_type):
            rows = self.session.execute(
                select(column, func.count()).where(payments.c.batch_id == batch_id).group_by(column)
            ).all()
            by[column.name] = {value: count for value, count in rows}
        return by["state"], by["channel_type"]

    def trail(self, batch_id: str) -> list[dict[str, Any]]:
        """The batch's lines of the audit log, in order."""
        rows = self.session.execute(
            select(audit_log)
            .where(audit_log.c.subject_type == "batch", audit_log.c.subject_id == batch_id)
            .order_by(audit_log.c.position)
        ).all()
        return [{**r._mapping, "at": as_read(r.at)} for r in rows]


class PaymentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_proposed(self, proposed: ProposedPayments) -> None:
        """A new batch's payments, written by column (a national batch holds a hundred thousand)."""
        count = len(proposed)
        bulk_insert_columns(
            self.session,
            payments,
            {
                "id": proposed.ids,
                "end_to_end_id": proposed.end_to_end_ids(),
                "batch_id": [proposed.batch_id] * count,
                "programme_id": [proposed.programme_id] * count,
                "incident_id": [proposed.incident_id] * count,
                "household_id": proposed.household_ids,
                "amount": proposed.amounts,
                "currency": [proposed.currency] * count,
                "channel_type": proposed.channel_types,
                "state": [proposed.state] * count,
                "replaces": proposed.replaces,
                "created_at": [proposed.at] * count,
                "updated_at": [proposed.at] * count,
                "entitlement_part": proposed.parts,
            },
        )

    def of_batch(
        self, batch_id: str, state: str | None = None, channel_type: str | None = None, lock: bool = False
    ) -> list[Payment]:
        query = select(payments).where(payments.c.batch_id == batch_id)
        if state is not None:
            query = query.where(payments.c.state == state)
        if channel_type is not None:
            query = query.where(payments.c.channel_type == channel_type)
        return [_payment(r) for r in self.session.execute(query.with_for_update() if lock else query).all()]

    def named(self, batch_id: str, payment_ids: Sequence[str], lock: bool = False) -> list[Payment]:
        """The batch's payments among ``payment_ids`` (those of other batches are not found)."""
        query = select(payments).where(payments.c.batch_id == batch_id, payments.c.id.in_(list(payment_ids)))
        return [_payment(r) for r in self.session.execute(query.with_for_update() if lock else query).all()]

    def page(self, batch_id: str, state: str | None, offset: int, limit: int) -> list[Payment]:
        query = select(payments).where(payments.c.batch_id == batch_id)
        if state:
            query = query.where(payments.c.state == state)
        query = query.order_by(payments.c.created_at, payments.c.id).offset(offset).limit(limit)
        return [_payment(r) for r in self.session.execute(query).all()]

    def in_file(self, file_id: str) -> list[Payment]:
        query = select(payments).where(payments.c.instruction_file_id == file_id)
        return [_payment(r) for r in self.session.execute(query.order_by(payments.c.end_to_end_id)).all()]

    def by_end_to_end_id(self, end_to_end_ids: Sequence[str]) -> dict[str, Payment]:
        """The payments named, locked, by end-to-end id."""
        return {
            r.end_to_end_id: _payment(r)
            for ids in _chunks(end_to_end_ids)
            for r in self.session.execute(
                select(payments).where(payments.c.end_to_end_id.in_(ids)).with_for_update()
            ).all()
        }

    def live_successor(self, payment_id: str) -> Payment | None:
        """The live payment that re-issued ``payment_id``, locked, if any."""
        row = self.session.execute(
            select(payments)
            .where(payments.c.replaces == payment_id, payments.c.state.in_(LIVE_PAYMENT_STATES))
            .with_for_update()
        ).first()
        return None if row is None else _payment(row)

    def of_household(self, household_id: str) -> list[Payment]:
        query = (
            select(payments).where(payments.c.household_id == household_id).order_by(payments.c.created_at)
        )
        return [_payment(r) for r in self.session.execute(query).all()]

    def households_holding(
        self,
        programme_id: str,
        incident_ids: Sequence[str],
        states: Sequence[str],
        since: datetime | None = None,
    ) -> dict[str, Holding]:
        """Households with a payment of the programme in one of ``states``, for one of the
        incidents (a hazard event's) or, with ``since``, for any incident from that moment on: the
        payment that holds each (its earliest), and what its live payments for the incidents add
        up to (what a top-up is measured against)."""
        p = payments.c
        query = select(p.household_id, p.id, p.amount, p.state, p.entitlement_part, p.incident_id).where(
            p.programme_id == programme_id, p.state.in_(list(states))
        )
        if since is not None:
            query = query.where(
                (payments.c.incident_id.in_(list(incident_ids))) | (payments.c.created_at >= since)
            )
        else:
            query = query.where(payments.c.incident_id.in_(list(incident_ids)))
        wanted = set(incident_ids)
        first: dict[str, str] = {}
        amount: dict[str, float] = {}
        part: dict[str, int] = {}
        for household_id, payment_id, paid, state, entitlement_part, incident_id in self.session.execute(
            query.order_by(payments.c.created_at.desc(), payments.c.id.desc())
        ):
            first[household_id] = payment_id
            if state in LIVE_PAYMENT_STATES and incident_id in wanted:
                amount[household_id] = amount.get(household_id, 0.0) + float(paid)
                part[household_id] = max(part.get(household_id, 0), entitlement_part + 1)
        return {
            h: Holding(payment_id, round(amount.get(h, 0.0), 2), part.get(h, 1))
            for h, payment_id in first.items()
        }

    def committed(self, programme_id: str, incident_ids: Sequence[str] | None) -> Decimal:
        """What the programme's live payments add up to (for some incidents, or all)."""
        query = select(func.coalesce(func.sum(payments.c.amount), 0)).where(
            payments.c.programme_id == programme_id, payments.c.state.in_(LIVE_PAYMENT_STATES)
        )
        if incident_ids is not None:
            query = query.where(payments.c.incident_id.in_(list(incident_ids)))
        return Decimal(str(self.session.scalar(query)))

    def pre_approved_so_far(self, programme_id: str, incident_ids: Sequence[str]) -> Decimal:
        """What the pre-approved ceiling already let through for the incidents (their live payments)."""
        spent = self.session.scalar(
            select(func.coalesce(func.sum(payments.c.amount), 0))
            .select_from(payments.join(batches, batches.c.id == payments.c.batch_id))
            .where(
                batches.c.programme_id == programme_id,
                batches.c.incident_id.in_(list(incident_ids)),
                batches.c.decided_by == PRE_APPROVED,
                payments.c.state.in_(LIVE_PAYMENT_STATES),
            )
        )
        return Decimal(str(spent))

    def held_twice(self, incident_ids: Sequence[str]) -> list[tuple[str, str, list[Payment]]]:
        """Households holding more than one live payment of one programme across the incidents
        (a hazard event linked after each was paid): ``(programme_id, household_id, payments)``,
        earliest payment first."""
        rows = self.session.execute(
            select(payments)
            .where(payments.c.incident_id.in_(list(incident_ids)), payments.c.state.in_(LIVE_PAYMENT_STATES))
            .order_by(payments.c.programme_id, payments.c.household_id, payments.c.created_at, payments.c.id)
        ).all()
        by: dict[tuple[str, str], list[Payment]] = {}
        for row in rows:
            by.setdefault((row.programme_id, row.household_id), []).append(_payment(row))
        return [(p, h, found) for (p, h), found in by.items() if len(found) > 1]

    def states_in(self, batch_id: str) -> list[str]:
        """The states of the batch's payments, the withdrawn ones left out."""
        return list(
            self.session.scalars(
                select(payments.c.state).where(payments.c.batch_id == batch_id, payments.c.state != WITHDRAWN)
            )
        )

    def count(self, batch_id: str, state: str) -> int:
        return self.session.scalar(
            select(func.count()).where(payments.c.batch_id == batch_id, payments.c.state == state)
        )

    def move(
        self, batch_id: str, from_state: str, to_state: str, reason: str | None, at: datetime
    ) -> list[Payment]:
        """Move the batch's payments in ``from_state`` to ``to_state`` (with ``reason`` when given).

        :return: the payments as they are now.
        """
        moving = self.of_batch(batch_id, from_state)
        values: dict[str, Any] = {"state": to_state, "updated_at": at}
        if reason is not None:
            values["reason"] = reason
        self.session.execute(
            update(payments)
            .where(payments.c.batch_id == batch_id, payments.c.state == from_state)
            .values(**values)
        )
        for p in moving:
            p.state, p.updated_at = to_state, at
            if reason is not None:
                p.reason = reason
        return moving

    def save(self, payment: Payment) -> None:
        """Write a payment's state, reason and channel."""
        self.save_all([payment])

    def save_all(self, many: Sequence[Payment]) -> None:
        """:meth:`save` for many payments, with one statement."""
        if not many:
            return
        self.session.execute(
            update(payments)
            .where(payments.c.id == bindparam("payment_id"))
            .values(
                state=bindparam("new_state"),
                reason=bindparam("new_reason"),
                channel_type=bindparam("new_channel"),
                updated_at=bindparam("at"),
            ),
            [
                {
                    "payment_id": p.id,
                    "new_state": p.state,
                    "new_reason": p.reason,
                    "new_channel": p.channel_type,
                    "at": p.updated_at,
                }
                for p in many
            ],
        )

    def put_in_file(self, many: Sequence[Payment], file_id: str, at: datetime) -> None:
        """Mark approved payments instructed in the file ``file_id``.

        :raise BatchStateError: one of them is no longer approved (another file took it meanwhile).
        """
        self.session.execute(
            update(payments)
            .where(payments.c.id == bindparam("payment_id"), payments.c.state == "approved")
            .values(state="instructed", instruction_file_id=file_id, updated_at=at),
            [{"payment_id": p.id} for p in many],
        )
        in_file = self.session.scalar(select(func.count()).where(payments.c.instruction_file_id == file_id))
        if in_file != len(many):
            batch_id = many[0].batch_id if many else "?"
            raise BatchStateError(f"payments of batch {batch_id} changed while the file was being written")
        for p in many:
            p.state, p.instruction_file_id, p.updated_at = "instructed", file_id, at

    def note_reasons(self, reasons: Mapping[str, str]) -> None:
        """Say on each payment (by id) why it was left out of a file."""
        if reasons:
            self.session.execute(
                update(payments)
                .where(payments.c.id == bindparam("payment_id"))
                .values(reason=bindparam("why")),
                [{"payment_id": k, "why": v} for k, v in reasons.items()],
            )


class FileRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, file: PaymentFile) -> None:
        self.session.execute(instruction_files.insert().values(**asdict(file)))

    def get(self, file_id: str) -> PaymentFile | None:
        found = self._where(instruction_files.c.id == file_id)
        return found[0] if found else None

    def of_batch(self, batch_id: str) -> list[PaymentFile]:
        """A batch's payment files, oldest first."""
        return self._where(instruction_files.c.batch_id == batch_id)

    def _where(self, condition: Any) -> list[PaymentFile]:
        query = select(instruction_files).where(condition).order_by(instruction_files.c.created_at)
        rows = self.session.execute(query).mappings()
        return [PaymentFile(**{**row, "created_at": as_read(row["created_at"])}) for row in rows]
