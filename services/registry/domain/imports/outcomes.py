"""What an import does with each household of its file, and when its commit is stopped.

A household of the file names the registered household it updates in the ``registration_number``
column (the registration number, ``HN-3F2A9C01D4``, or the household id): its rows may repeat the
reference or leave it blank after the first. Without one, the household is created. Every refusal
says which row and field, in English and Spanish.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from services.registry.domain.imports.households import HouseholdRows
from shared.errors import Bilingual

#: The registry's human-quotable number: a country code and ten hexadecimal digits.
REGISTRATION_NUMBER = re.compile(r"^[A-Z]{2}-[0-9A-F]{10}$")


class Outcome(StrEnum):
    """What the dry run says a household of the file becomes."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


#: Outcomes whose household the commit writes.
WRITTEN = (Outcome.CREATE, Outcome.UPDATE)


@dataclass(frozen=True)
class Refusal:
    """Why a household of the file is refused: the row and field at fault, in both languages."""

    row: int
    field: str
    reason: Bilingual


class Refused(ValueError):
    """A household of the file cannot be imported; ``refusal`` says where and why."""

    def __init__(self, refusal: Refusal):
        super().__init__(str(refusal.reason))
        self.refusal = refusal


@dataclass(frozen=True)
class Reference:
    """A registered household named by the file: by id or by registration number."""

    text: str
    household_id: str | None = None
    registration_number: str | None = None


def read_reference(text: str) -> Reference | None:
    """The household a cell names; ``None`` for something that is neither an id nor a number.

    >>> read_reference(" hn-3f2a9c01d4 ").registration_number
    'HN-3F2A9C01D4'
    """
    cleaned = "".join(str(text).split()).upper()
    try:
        return Reference(text, household_id=str(uuid.UUID(cleaned)))
    except ValueError:
        pass
    if REGISTRATION_NUMBER.match(cleaned):
        return Reference(text, registration_number=cleaned)
    return None


def reference_of(group: HouseholdRows) -> Reference | None:
    """The registered household the rows of ``group`` update, ``None`` when they name none.

    :raise Refused: a reference that is neither an id nor a registration number, or rows that
        name two different households.
    """
    named: dict[str, tuple[int, Reference]] = {}
    for row, values in group.rows:
        text = values.get("registration_number")
        if not text:
            continue
        reference = read_reference(text)
        if reference is None:
            raise Refused(
                Refusal(
                    row,
                    "registration_number",
                    Bilingual(
                        f"{text!r} is neither a registration number (such as HN-3F2A9C01D4) "
                        "nor a household id",
                        f"{text!r} no es un número de registro (como HN-3F2A9C01D4) ni un id de hogar",
                    ),
                )
            )
        named.setdefault(reference.household_id or reference.registration_number or "", (row, reference))
    if len(named) > 1:
        (_, first), (row, second) = list(named.values())[:2]
        raise Refused(
            Refusal(
                row,
                "registration_number",
                Bilingual(
                    f"the rows of household {group.ref} name two registered households, "
                    f"{first.text} and {second.text}: which one they update is ambiguous",
                    f"las filas del hogar {group.ref} nombran dos hogares registrados, "
                    f"{first.text} y {second.text}: no se sabe cuál actualizan",
                ),
            )
        )
    return next(iter(named.values()))[1] if named else None


def named_twice(household_id: str, first_rows: list[tuple[int, str]]) -> Bilingual:
    """Why households of the file that name the same registered household are all refused."""
    where = ", ".join(f"{ref} (row {row})" for row, ref in first_rows)
    donde = ", ".join(f"{ref} (fila {row})" for row, ref in first_rows)
    return Bilingual(
        f"household {household_id} is named by several households of the file, {where}: "
        "which one updates it is ambiguous",
        f"el hogar {household_id} está nombrado por varios hogares del archivo, {donde}: "
        "no se sabe cuál lo actualiza",
    )


def duplicate_share(with_duplicates: int, households: int) -> float:
    """The share of the households a commit would write that have a probable duplicate."""
    return with_duplicates / households if households else 0.0


def too_many_duplicates(with_duplicates: int, households: int, limit: float | None) -> Bilingual | None:
    """Why a commit is stopped, if the share of households with a probable duplicate is above
    ``limit`` (0 to 1); ``None`` when it may go ahead.

    >>> str(too_many_duplicates(3, 20, 0.05))
    '3 of the 20 households to write (15.0 %) have a probable duplicate, above the 5.0 % allowed'
    >>> too_many_duplicates(1, 20, 0.05) is None
    True
    """
    if limit is None or with_duplicates <= limit * households + 1e-9:  # exactly at the limit goes ahead
        return None
    share = duplicate_share(with_duplicates, households)
    return Bilingual(
        f"{with_duplicates} of the {households} households to write ({share * 100:.1f} %) have a "
        f"probable duplicate, above the {limit * 100:.1f} % allowed",
        f"{with_duplicates} de los {households} hogares por escribir ({share * 100:.1f} %) tienen un "
        f"probable duplicado, por encima del {limit * 100:.1f} % permitido",
    )
