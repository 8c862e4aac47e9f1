"""Households' replies to messages that ask for help: a grievance, filed in transfers with what it
seems to be about. The words stay in the registry.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

#: A reply that starts with one of these asks for help (the messages say so in both languages).
HELP_WORDS = ("reclamo", "queja", "complaint", "no recibi", "not received")
#: What a reply says it is about, by a word in it (the rest: what the last message was about).
ABOUT = (
    (("no recibi", "not received", "no me llego", "no llego"), "not_received"),
    (("monto", "amount", "cantidad", "menos"), "wrong_amount"),
    (("datos", "data", "nombre", "name", "direccion", "address"), "data_wrong"),
    (("no soy duplicado", "not a duplicate", "duplicado", "duplicate"), "not_a_duplicate"),
)


def _plain(text: str) -> str:
    folded = text.casefold()
    for accented, bare in (("á", "a"), ("é", "e"), ("í", "i"), ("ó", "o"), ("ú", "u"), ("ñ", "n")):
        folded = folded.replace(accented, bare)
    return " ".join(re.sub(r"[^\w\s]", " ", folded).split())


def complaint_about(text: str) -> str | None:
    """``None`` when the reply asks for no help; else what it is about: a grievance kind, or ``""``
    when it does not say.

    Examples
    --------
    >>> complaint_about("RECLAMO"), complaint_about("Reclamo: no recibí el pago")
    ('', 'not_received')
    >>> complaint_about("queja, el monto es menor"), complaint_about("gracias")
    ('wrong_amount', None)
    >>> complaint_about("Complaint - my name is wrong")
    'data_wrong'
    """
    plain = _plain(text)
    if not any(plain == word or plain.startswith(word + " ") for word in HELP_WORDS):
        return None
    for words, kind in ABOUT:
        if any(f" {word} " in f" {plain} " for word in words):
            return kind
    return ""


@dataclass(frozen=True)
class Reply:
    """A household's reply asking for help, as kept."""

    id: str
    household_id: str
    received_at: datetime
    text: str
    kind: str | None
    payment_id: str | None = None
    programme_id: str | None = None


def reply_id(provider_id: str | None, sender: str, text: str, received: str, household_id: str) -> str:
    """The same however often the provider forwards the reply (its own id when it gives one)."""
    said = provider_id or f"{sender}|{received}|{text}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"amparo:reply:{said}:{household_id}"))
