"""Payment files out (provider CSV, ISO 20022 pain.001.001.09) and result files in (provider CSV,
ISO 20022 pain.002 status reports).

Pure: bytes in, bytes out. Account details arrive from the registry for the export only and are
never kept. A pain.001 built here is checked against the official schema before anyone receives
it: :func:`services.transfers.adapters.payment_files.pain_001` builds and validates it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from shared.errors import FieldProblem, InvalidInput
from shared.spreadsheet import safe_cell

PAIN_001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Za-z0-9]{1,30}")


@dataclass(frozen=True)
class Instruction:
    """One payment as a file carries it."""

    end_to_end_id: str
    household_id: str
    amount: Decimal
    currency: str
    channel_type: str
    #: From the registry for this export only: provider, identifiers, the head's name.
    details: Mapping[str, Any]


@dataclass(frozen=True)
class FileHeader:
    message_id: str
    created_at: datetime
    payer: Mapping[str, Any]
    institute: str
    purpose: str


class PaymentFileError(InvalidInput):
    slug = "invalid-payment-file"
    title = "The payment file cannot be written"


class ResultFileError(InvalidInput):
    slug = "invalid-result-file"
    title = "The result file is refused"


def control_sum(instructions: Sequence[Instruction]) -> Decimal:
    return sum((i.amount for i in instructions), Decimal("0.00"))


def missing_account(channel_type: str, details: Mapping[str, Any] | None) -> str | None:
    """Why the registry's details (``None``: it gave none) cannot carry a payment on
    ``channel_type``; ``None`` when they can."""
    if details is None:
        return "not found in the registry (or outside your jurisdiction)"
    ids = details.get("identifiers") or {}
    if channel_type == "bank_account":
        if not (ids.get("iban") or ids.get("account_number")):
            return "no IBAN or account number registered"
        if ids.get("iban") and not IBAN.fullmatch(ids["iban"]):
            return "the registered IBAN is not well formed"
        if not ids.get("iban") and len(ids["account_number"]) > 34:
            return "the registered account number is longer than 34 characters"
    if channel_type == "mobile_money" and not ids.get("wallet_number"):
        return "no wallet number registered"
    return None


CSV_COLUMNS = (
    "end_to_end_id",
    "household_id",
    "beneficiary",
    "channel",
    "provider",
    "account",
    "pickup_point",
    "amount",
    "currency",
    "reference",
)


def provider_csv(header: FileHeader, instructions: Sequence[Instruction]) -> bytes:
    """A provider's payment list: one line per payment, spreadsheet-safe cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i in instructions:
        ids = i.details.get("identifiers") or {}
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    i.end_to_end_id,
                    i.household_id,
                    i.details.get("beneficiary") or "",
                    i.channel_type,
                    i.details.get("provider") or "",
                    ids.get("wallet_number") or ids.get("iban") or ids.get("account_number") or "",
                    ids.get("pickup_point") or "",
                    f"{i.amount:.2f}",
                    i.currency,
                    f"{header.purpose} {header.message_id}",
                )
            ]
        )
    return out.getvalue().encode("utf-8")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{PAIN_001}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _account(parent: ET.Element, tag: str, iban: str | None, number: str | None) -> None:
    account_id = _sub(_sub(parent, tag), "Id")
    if iban:
        _sub(account_id, "IBAN", iban)
    else:
        _sub(_sub(account_id, "Othr"), "Id", str(number))


def _agent(parent: ET.Element, tag: str, code: str | None) -> None:
    institution = _sub(_sub(parent, tag), "FinInstnId")
    if code and len(code) in (8, 11) and code.isalnum() and code.isupper():
        _sub(institution, "BICFI", code)
    elif code:
        _sub(_sub(institution, "Othr"), "Id", code[:35])
    else:
        _sub(_sub(institution, "Othr"), "Id", "NOTPROVIDED")


def pain_001_document(header: FileHeader, instructions: Sequence[Instruction]) -> bytes:
    """An ISO 20022 ``pain.001.001.09`` credit transfer initiation, not yet checked against its
    schema (hand out only what :func:`services.transfers.adapters.payment_files.pain_001` returns).

    :raise PaymentFileError: the programme has no payer account.
    """
    payer = header.payer
    if not (payer.get("iban") or payer.get("account_number")):
        raise PaymentFileError(
            "the programme names no payer account for bank transfers",
            errors=[FieldProblem("/payer/iban", "set the payer's IBAN or account number in the programme")],
        )
    ET.register_namespace("", PAIN_001)
    document = ET.Element(f"{{{PAIN_001}}}Document")
    initiation = _sub(document, "CstmrCdtTrfInitn")
    group = _sub(initiation, "GrpHdr")
    _sub(group, "MsgId", header.message_id)
    _sub(group, "CreDtTm", header.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(group, "NbOfTxs", str(len(instructions)))
    _sub(group, "CtrlSum", f"{control_sum(instructions):.2f}")
    _sub(_sub(group, "InitgPty"), "Nm", header.institute[:140])
    information = _sub(initiation, "PmtInf")
    _sub(information, "PmtInfId", header.message_id)
    _sub(information, "PmtMtd", "TRF")
    _sub(information, "NbOfTxs", str(len(instructions)))
    _sub(information, "CtrlSum", f"{control_sum(instructions):.2f}")
    _sub(_sub(information, "ReqdExctnDt"), "Dt", header.created_at.date().isoformat())
    _sub(_sub(information, "Dbtr"), "Nm", str(payer.get("name") or header.institute)[:140])
    _account(information, "DbtrAcct", payer.get("iban"), payer.get("account_number"))
    _agent(information, "DbtrAgt", payer.get("bic"))
    for i in instructions:
        ids = i.details.get("identifiers") or {}
        transaction = _sub(information, "CdtTrfTxInf")
        _sub(_sub(transaction, "PmtId"), "EndToEndId", i.end_to_end_id)
        _sub(_sub(transaction, "Amt"), "InstdAmt", f"{i.amount:.2f}", Ccy=i.currency)
        _agent(transaction, "CdtrAgt", ids.get("bank_code"))
        _sub(_sub(transaction, "Cdtr"), "Nm", str(i.details.get("beneficiary") or i.household_id)[:140])
        _account(transaction, "CdtrAcct", ids.get("iban"), ids.get("account_number"))
        _sub(_sub(transaction, "RmtInf"), "Ustrd", f"{header.purpose}"[:140])
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One line of a result file: the payment it names, settled / failed / unknown, and why."""

    line: int
    end_to_end_id: str
    result: str
    reason: str | None


#: What providers write, mapped to Amparo's results.
CSV_RESULTS = {
    "settled": "settled",
    "paid": "settled",
    "pagado": "settled",
    "failed": "failed",
    "rejected": "failed",
    "rechazado": "failed",
    "fallido": "failed",
    "unknown": "unknown",
    "timeout": "unknown",
    "pending": "unknown",
    "pendiente": "unknown",
}
#: ISO 20022 transaction statuses (ExternalPaymentTransactionStatus1Code).
ISO_RESULTS = {
    "ACSC": "settled",
    "ACCC": "settled",
    "ACSP": "unknown",
    "ACTC": "unknown",
    "ACCP": "unknown",
    "ACWC": "unknown",
    "PDNG": "unknown",
    "RCVD": "unknown",
    "RJCT": "failed",
    "CANC": "failed",
}


def parse_results(raw: bytes, content_type: str) -> list[Result]:
    """Read a provider's result CSV (``end_to_end_id,status,reason``) or a pain.002 status report.

    Every line is checked before any is used: an unknown status, a line without an id or the same
    payment twice refuses the whole file, naming each line.

    :raise ResultFileError: with one problem per faulty line.
    """
    text = raw.lstrip()
    results = _parse_pain_002(raw) if text.startswith(b"<") or "xml" in content_type else _parse_csv(raw)
    problems = []
    seen: dict[str, int] = {}
    for r in results:
        if r.end_to_end_id in seen:
            problems.append(
                FieldProblem(
                    f"line {r.line}", f"payment {r.end_to_end_id} already on line {seen[r.end_to_end_id]}"
                )
            )
        seen.setdefault(r.end_to_end_id, r.line)
    if problems:
        raise ResultFileError("the result file names a payment twice", errors=problems)
    if not results:
        raise ResultFileError("the result file holds no results")
    return results


def _parse_csv(raw: bytes) -> list[Result]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResultFileError(f"the result file is not UTF-8 (byte {exc.start})") from exc
    reader = csv.DictReader(io.StringIO(text))
    columns = {(c or "").strip().lower() for c in reader.fieldnames or []}
    if not {"end_to_end_id", "status"} <= columns:
        raise ResultFileError(
            "a result CSV needs the columns end_to_end_id and status (and optionally reason)",
            errors=[FieldProblem("line 1", f"found columns {sorted(columns)}")],
        )
    results, problems = [], []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        status = row.get("status", "").lower()
        if not row.get("end_to_end_id"):
            problems.append(FieldProblem(f"line {line}", "no end_to_end_id"))
        elif status not in CSV_RESULTS:
            problems.append(
                FieldProblem(
                    f"line {line}", f"status {status!r} is not one of {', '.join(sorted(CSV_RESULTS))}"
                )
            )
        else:
            results.append(Result(line, row["end_to_end_id"], CSV_RESULTS[status], row.get("reason") or None))
    if problems:
        raise ResultFileError("the result file has lines that cannot be read", errors=problems)
    return results


def _parse_pain_002(raw: bytes) -> list[Result]:
    """The transaction statuses of an ISO 20022 pain.002 (any version): OrgnlEndToEndId, TxSts and
    the reason code or text."""
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ResultFileError(
            f"refused: the status report declares a DTD or entities ({type(exc).__name__}); "
            "pain.002 needs neither",
            errors=[FieldProblem("/", "DTD or entity declaration")],
        ) from exc
    except (ET.ParseError, ValueError) as exc:
        raise ResultFileError(
            f"the status report is not well-formed XML: {exc}", errors=[FieldProblem("/", str(exc))]
        ) from exc
    if "pain.002" not in root.tag:
        raise ResultFileError(f"expected an ISO 20022 pain.002 status report, found {root.tag}")
    namespace = root.tag.split("}")[0] + "}"
    results, problems = [], []
    for n, transaction in enumerate(root.iter(f"{namespace}TxInfAndSts"), start=1):
        e2e = transaction.findtext(f"{namespace}OrgnlEndToEndId")
        status = transaction.findtext(f"{namespace}TxSts")
        reason = transaction.findtext(f".//{namespace}StsRsnInf/{namespace}Rsn/{namespace}Cd") or ""
        extra = transaction.findtext(f".//{namespace}StsRsnInf/{namespace}AddtlInf") or ""
        if not e2e:
            problems.append(FieldProblem(f"transaction {n}", "no OrgnlEndToEndId"))
        elif status not in ISO_RESULTS:
            problems.append(FieldProblem(f"transaction {n}", f"TxSts {status!r} is not a known status"))
        else:
            text = " ".join(p for p in (reason, extra) if p) or None
            results.append(Result(n, e2e, ISO_RESULTS[status], text))
    if problems:
        raise ResultFileError("the status report has transactions that cannot be read", errors=problems)
    return results
