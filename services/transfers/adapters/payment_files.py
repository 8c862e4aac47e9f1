"""Payment files checked against the official ISO 20022 schema, read once from the package's
``schemas/`` folder."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources

import xmlschema

from services.transfers.domain.instructions import (
    FileHeader,
    Instruction,
    PaymentFileError,
    pain_001_document,
)
from shared.errors import FieldProblem


def pain_001(header: FileHeader, instructions: Sequence[Instruction]) -> bytes:
    """An ISO 20022 ``pain.001.001.09`` credit transfer initiation, validated against its schema.

    :raise PaymentFileError: the programme has no payer account, or the file fails the schema.
    """
    body = pain_001_document(header, instructions)
    errors = list(pain_001_schema().iter_errors(body))
    if errors:
        raise PaymentFileError(
            "the payment file does not pass the pain.001.001.09 schema",
            errors=[FieldProblem(str(e.path or "/"), e.reason or str(e)) for e in errors[:20]],
        )
    return body


@cache
def pain_001_schema() -> xmlschema.XMLSchema:
    """The official ``pain.001.001.09`` schema (see ``schemas/SOURCE.md``)."""
    source = resources.files("services.transfers") / "schemas" / "pain.001.001.09.xsd"
    with resources.as_file(source) as path:
        return xmlschema.XMLSchema(str(path))
