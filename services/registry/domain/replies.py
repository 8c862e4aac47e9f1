"""Households' replies to messages that ask for help: a grievance, filed in transfers with what it
seems to be about. The words stay in the registry.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

#: A reply with one of these words asks for help (every message says so in both languages), and
#: one with one of these phrases too (a complaint in a reply that also says stop is a complaint).
HELP_WORDS = ("reclamo", "queja", "complaint")
HELP_OPENINGS = ("no recibi", "not received", "no me llego", "did not receive")
#: What a reply says it is about, by a word in it; otherwise it does not say (transfers reads the
#: message it answers).
ABOUT = (
    (("no recibi", "not received", "no me llego", "no llego", "pago", "payment"), "not_received"),
    (("monto", "amount"), "wrong_amount"),
    (("datos", "data"), "data_wrong"),
    (("duplicado", "duplicate"), "not_a_duplicate"),
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
    >>> complaint_about("Hola, RECLAMO por favor"), complaint_about("No más, no recibí el pago")
    ('', 'not_received')
    >>> complaint_about("no recibí nada"), complaint_about("Complaint - my name is Ana")
    ('not_received', '')
    """
    plain = _plain(text)
    said = plain.split()
    if not any(word in said for word in HELP_WORDS) and not any(
        f" {o} " in f" {plain} " for o in HELP_OPENINGS
    ):
        return None
    for phrases, kind in ABOUT:
        if any(f" {phrase} " in f" {plain} " for phrase in phrases):
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
