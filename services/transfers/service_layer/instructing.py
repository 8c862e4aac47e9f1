"""Payment files: putting a batch's approved payments on one channel into a file, writing the file
on download, and moving payments not yet in a file to another channel.

Account details are read from the registry when a file is made and when it is downloaded; they
exist only in the answer, never in transfers' database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from services.transfers.adapters.payment_files import pain_001
from services.transfers.domain import instructions as files
from services.transfers.domain.batches import BatchStateError
from services.transfers.domain.payments import APPROVED, FORMATS, Payment, PaymentFile, file_format, money
from services.transfers.domain.programmes import Programme
from services.transfers.service_layer.batches import (
    find_batch,
    now,
    publish_payments,
    role_of,
    write_steps,
)
from services.transfers.service_layer.commands import ChangeChannel, WritePaymentFile
from services.transfers.service_layer.reading import BatchReport, report
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.auth import Principal
from shared.errors import FieldProblem, InvalidInput, NotFound


class PaymentDetailsSource(Protocol):
    """Where account details come from for an export (the registry); never stored here."""

    def fetch(self, household_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]: ...


@dataclass(frozen=True)
class FileWritten:
    """A payment file, and the payments left out of it for lack of an account (by id, why)."""

    file: PaymentFile
    not_included: dict[str, str]


@dataclass(frozen=True)
class RenderedFile:
    body: bytes
    content_type: str
    name: str


def check_channel(channel_type: str) -> str:
    """:raise InvalidInput: not a payment channel Amparo writes files for."""
    if channel_type not in FORMATS:
        raise InvalidInput(
            f"unknown channel {channel_type!r}",
            errors=[FieldProblem("/channel_type", f"one of {', '.join(FORMATS)}")],
        )
    return channel_type


def _format(channel_type: str, wanted: str | None) -> str:
    try:
        return file_format(check_channel(channel_type), wanted)
    except ValueError as exc:
        allowed = FORMATS[channel_type]
        raise InvalidInput(
            str(exc), errors=[FieldProblem("/format", f"one of {', '.join(allowed)}")]
        ) from exc


def _programme(uow: TransfersUnitOfWork, programme_id: str, version: int) -> Programme:
    found = uow.programmes.get(programme_id, version)
    if found is None:
        raise NotFound(f"no programme {programme_id} at version {version}")
    return found.programme


def _instructions(
    payments: Sequence[Payment], found: Mapping[str, Mapping[str, Any]]
) -> list[files.Instruction]:
    return [
        files.Instruction(
            p.end_to_end_id,
            p.household_id,
            money(p.amount),
            p.currency,
            p.channel_type,
            found.get(p.household_id) or {},
        )
        for p in payments
    ]


def write_payment_file(
    command: WritePaymentFile, details: PaymentDetailsSource, uow: TransfersUnitOfWork
) -> FileWritten:
    """Put the batch's approved payments on one channel into a payment file and mark them instructed.

    Payments whose registry record lacks the account the channel needs stay approved, named in the
    answer. The file itself is written on download, with the account details read then.

    :raise BatchStateError: the batch is not approved, is flagged for review, or has no payment
        ready for a file; :raise PaymentFileError: a pain.001 without payer account, or one that
        would fail its schema (nothing moves then).
    """
    chosen = _format(command.channel_type, command.format)
    with uow.reading() as reader:
        batch = find_batch(reader, command.batch_id, command.by.covers)
        batch.check_payable()
        programme = _programme(reader, batch.programme_id, batch.programme_version)
        if chosen == "pain.001" and not (
            programme.payer.get("iban") or programme.payer.get("account_number")
        ):
            raise files.PaymentFileError(
                "the programme names no payer account for bank transfers; define a new version with one",
                errors=[FieldProblem("/payer/iban", "the IBAN or account number debited by the transfers")],
            )
        waiting = reader.payments.of_batch(batch.id, APPROVED, command.channel_type)
    # The registry is asked outside any transaction: it may take a while for a national batch.
    found = details.fetch([p.household_id for p in waiting]) if waiting else {}
    lacking = {
        p.id: why
        for p in waiting
        if (why := files.missing_account(p.channel_type, found.get(p.household_id)))
    }
    ready = [p for p in waiting if p.id not in lacking]
    if chosen == "pain.001" and ready:
        # Write the file once now: a file that would fail its schema moves nothing.
        header = files.FileHeader("AMPMSGCHECK", now(), programme.payer, programme.institute, programme.name)
        pain_001(header, _instructions(ready, found))
    return _take_into_file(command, chosen, {p.id for p in ready}, lacking, uow)


def _take_into_file(
    command: WritePaymentFile, chosen: str, ready: set[str], lacking: dict[str, str], uow: TransfersUnitOfWork
) -> FileWritten:
    """The writing half of :func:`write_payment_file`: the batch read again, locked, and only the
    payments still approved and ready taken."""
    person = command.by
    with uow:
        batch = find_batch(uow, command.batch_id, person.covers, lock=True)
        batch.check_payable()
        taken = [p for p in uow.payments.of_batch(batch.id, APPROVED, command.channel_type) if p.id in ready]
        if not taken:
            raise BatchStateError(
                f"batch {batch.id} has no approved {command.channel_type} payments ready for a file",
                lacking={k: v for k, v in list(lacking.items())[:50]},
            )
        file = PaymentFile.new(batch.id, command.channel_type, chosen, taken, person.subject, now())
        uow.files.add(file)
        uow.waited("instruction", batch.decided_at, file.created_at)
        uow.payments.put_in_file(taken, file.id, now())
        uow.payments.note_reasons(lacking)
        publish_payments(uow, batch.id, taken)
        comment = (
            f"{chosen} file {file.id}: {len(taken)} {command.channel_type} payments, "
            f"{file.control_sum:.2f} {batch.currency}"
        )
        still_approved = uow.payments.count(batch.id, APPROVED)
        batch.file_written(
            still_approved, person.subject, role_of(person, "payments_officer"), comment, now()
        )
        uow.batches.save(batch)
        write_steps(uow, batch)
        return FileWritten(file, lacking)


def render_file(
    file_id: str, person: Principal, details: PaymentDetailsSource, uow: TransfersUnitOfWork
) -> RenderedFile:
    """The payment file's bytes, content type and file name; account details are read from the
    registry now and exist only in the answer. Each download is in the audit log.

    :raise PaymentFileError: the file cannot be written (no payer account, a schema failure).
    """
    with uow.reading() as reader:
        file = reader.files.get(file_id)
        if file is None:
            raise NotFound(f"no payment file {file_id}")
        batch = find_batch(reader, file.batch_id, person.covers)
        programme = _programme(reader, batch.programme_id, batch.programme_version)
        items = reader.payments.in_file(file_id)
    found = details.fetch([p.household_id for p in items])
    problems = [
        FieldProblem(f"payment {p.end_to_end_id}", why)
        for p in items
        if (why := files.missing_account(p.channel_type, found.get(p.household_id)))
    ]
    if problems:
        raise files.PaymentFileError(
            f"the file cannot be written: {len(problems)} payment(s) have no usable account details now",
            errors=problems[:200],
        )
    header = files.FileHeader(
        file.message_id, file.created_at, programme.payer, programme.institute, programme.name
    )
    if file.format == "pain.001":
        rendered = RenderedFile(
            pain_001(header, _instructions(items, found)), "application/xml", f"{file.message_id}.xml"
        )
    else:
        rendered = RenderedFile(
            files.provider_csv(header, _instructions(items, found)), "text/csv", f"{file.message_id}.csv"
        )
    digest = hashlib.sha256(rendered.body).hexdigest()[:16]
    with uow:
        comment = f"{file.format} file {file_id} ({file.transactions} payments, sha256 {digest})"
        batch.note(
            "file_downloaded", person.subject, role_of(person, "payments_officer"), comment, states=False
        )
        write_steps(uow, batch)
    return rendered


def change_channel(command: ChangeChannel, uow: TransfersUnitOfWork) -> BatchReport:
    """Move approved payments not yet in a file to another channel (an account missing in the
    registry, say), keeping their end-to-end ids.

    :raise PaymentStateError: a named payment is not approved (already in a file, say).
    """
    check_channel(command.channel_type)
    person = command.by
    with uow:
        batch = find_batch(uow, command.batch_id, person.covers, lock=True)
        batch.check_payable()
        moving = uow.payments.named(batch.id, command.payment_ids)
        missing = sorted(set(command.payment_ids) - {p.id for p in moving})
        if missing:
            raise NotFound(f"payments not in batch {batch.id}: {', '.join(missing[:20])}")
        for p in moving:
            p.check_channel_change()
        for p in moving:
            p.channel_type, p.reason, p.updated_at = command.channel_type, None, now()
        uow.payments.save_all(moving)
        publish_payments(uow, batch.id, moving)
        comment = f"{len(moving)} payments to {command.channel_type}: {command.comment}"
        batch.note("channel_changed", person.subject, role_of(person, "payments_officer"), comment)
        write_steps(uow, batch)
        return report(uow, batch)
