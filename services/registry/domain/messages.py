"""Messages to households: whether one may be sent, what it says, and where it stands.

A message is sent only to a household that consented to be contacted (the ``contact`` purpose),
has not opted out, and has a phone; never to a number that changed after the payment was decided
(it is kept, not sent, and says why: whoever changed the number may not be the household). It is
written in the household's language (else its country's) from the programme's wording or the
default, and always says how to stop.

A message moves ``queued`` → ``sent`` (the provider accepted it) → ``delivered`` or
``undelivered`` (the provider's delivery report), or ``failed`` once the provider refused it or
every attempt was used. ``not_sent`` says why it never left.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.contracts.messages import DEFAULT_TEMPLATES, OPT_OUT

QUEUED, SENT, DELIVERED, UNDELIVERED, FAILED, NOT_SENT = (
    "queued",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "not_sent",
)
STATUSES = (QUEUED, SENT, DELIVERED, UNDELIVERED, FAILED, NOT_SENT)
#: The consent purpose that covers messages to the household's phone.
MESSAGING_PURPOSE = "contact"
#: Attempts before a message the provider never answered is given up; the wait doubles each time.
ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)
#: Replies that stop messages (whatever the case and accents).
STOP_WORDS = ("stop", "baja", "alto", "no mas", "cancelar", "unsubscribe")
#: Countries whose households are written to in English unless they chose otherwise.
ENGLISH_COUNTRIES = ("BZ",)


class ProviderUnreachable(Exception):
    """The provider gave no answer, or said to try later: the message may or may not have left."""


class RequestRefused(Exception):
    """The provider refused a request as a whole (its shape, not a message's number)."""


@dataclass(frozen=True)
class Sent:
    """The provider's answer to one message: accepted (on its way), or refused for good with why."""

    accepted: bool
    reason: str | None = None
    provider_id: str | None = None


@dataclass(frozen=True)
class Recipient:
    """What the registry knows of the household a request names."""

    household_id: str
    admin_code: str
    language: str | None
    purposes: tuple[str, ...]
    phone: str | None
    phone_changed_at: datetime | None
    opted_out: bool


@dataclass(frozen=True)
class Message:
    id: str
    household_id: str
    payment_id: str
    programme_id: str
    kind: str
    language: str
    text: str
    status: str
    requested_at: datetime
    decided_at: datetime
    to_masked: str | None = None
    to_hash: str | None = None
    reason: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    provider_id: str | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    updated_at: datetime | None = None
    #: The alert the payment or the readiness notice answers (a reply is filed under it).
    incident_id: str | None = None

    def attempted(self, at: datetime, accepted: bool, reason: str | None, final: bool) -> Message:
        """After a send: sent when accepted; failed when refused for good or out of attempts;
        else queued again after a longer wait."""
        attempts = self.attempts + 1
        if accepted:
            return replace(self, status=SENT, attempts=attempts, sent_at=at, reason=None, updated_at=at)
        if final or attempts >= ATTEMPTS:
            return replace(self, status=FAILED, attempts=attempts, reason=reason, updated_at=at)
        wait = FIRST_RETRY * (2 ** (attempts - 1))
        return replace(self, attempts=attempts, reason=reason, next_attempt_at=at + wait, updated_at=at)

    def reported(self, delivered: bool, at: datetime, reason: str | None) -> Message:
        """The provider's delivery report (a later report never undoes a delivery)."""
        if self.status == DELIVERED:
            return self
        status = DELIVERED if delivered else UNDELIVERED
        return replace(
            self, status=status, delivered_at=at if delivered else None, reason=reason, updated_at=at
        )


def claimed(message: Message, at: datetime) -> Message:
    """The message with its coming attempt counted (and due again if nothing is heard of it)."""
    return replace(
        message,
        attempts=message.attempts + 1,
        next_attempt_at=at + FIRST_RETRY * (2**message.attempts),
        updated_at=at,
    )


def language_of(recipient: Recipient) -> str:
    """The household's language, else its country's.

    Examples
    --------
    >>> base = dict(household_id="h", purposes=(), phone=None, phone_changed_at=None, opted_out=False)
    >>> language_of(Recipient(admin_code="BZ-CY", language=None, **base))
    'en'
    >>> language_of(Recipient(admin_code="HN-CR", language=None, **base))
    'es'
    """
    if recipient.language:
        return recipient.language
    return "en" if recipient.admin_code.split("-")[0] in ENGLISH_COUNTRIES else "es"


def refusal(recipient: Recipient, decided_at: datetime) -> str | None:
    """Why no message may go to the household (``None``: one may)."""
    if MESSAGING_PURPOSE not in recipient.purposes:
        return "no consent for messages (the contact purpose)"
    if recipient.opted_out:
        return "the household asked for no more messages"
    if not recipient.phone:
        return "no phone recorded"
    if recipient.phone_changed_at is not None and recipient.phone_changed_at > decided_at:
        return (
            f"the phone number changed on {recipient.phone_changed_at.date().isoformat()}, after the "
            "payment was decided: confirm it with the household before anything is sent to it"
        )
    return None


def wording(request: Mapping[str, Any], language: str) -> str:
    """The message in ``language``: the programme's wording if it has some, else the default, and
    always how to stop."""
    own = request.get("templates") or {}
    kind = request["kind"]
    cash = request.get("channel_type") == "cash_pickup" and kind == "sent"
    template = own.get(language) or DEFAULT_TEMPLATES["sent_cash_pickup" if cash else kind][language]
    amount = Decimal(str(request["amount"]))
    values: dict[str, str] = {
        "programme": request["programme"],
        "amount": f"{amount:,.2f}",
        "currency": request["currency"],
        "place": request.get("place") or ("el punto de pago" if language == "es" else "the pay point"),
        "code": request.get("code") or "",
    }
    # Only plain {name} places are filled (no format specs): a template is text, never code.
    filled = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)
    return filled + OPT_OUT[language]


def normalized_phone(text: str) -> str:
    """Digits only, with the country code as entered (``+504 9988-7766`` → ``50499887766``).

    Examples
    --------
    >>> normalized_phone("+504 9988-7766")
    '50499887766'
    """
    return re.sub(r"\D", "", text)


#: Each served country's calling code and the length of its national numbers.
NATIONAL = {"HN": ("504", 8), "GT": ("502", 8), "SV": ("503", 8), "BZ": ("501", 7), "DO": ("1", 10)}


def international(phone: str, admin_code: str) -> str:
    """The number as a provider needs it, with its country code: written with ``+`` or ``00`` it
    is taken as it is; a national number (``9988-7766`` in Honduras) gets its country's code.

    Examples
    --------
    >>> international("9988-7766", "HN-CR"), international("+504 9988 7766", "GT")
    ('50499887766', '50499887766')
    >>> international("809 555 0101", "DO-01"), international("0050499887766", "DO-01")
    ('18095550101', '50499887766')
    """
    text = phone.strip()
    digits = normalized_phone(text)
    if text.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    code, length = NATIONAL.get(admin_code[:2], ("", 0))
    return code + digits if len(digits) == length else digits


def masked(phone: str) -> str:
    """The last four digits, for logs read by officers.

    Examples
    --------
    >>> masked("+504 9988-7766")
    '…7766'
    """
    return "…" + normalized_phone(phone)[-4:]


def asks_to_stop(text: str) -> bool:
    """Whether a reply asks for no more messages: a stop word alone, or with a word or two ("BAJA
    por favor"); a longer reply says something else, and is not taken as a stop.

    Examples
    --------
    >>> asks_to_stop(" Baja. "), asks_to_stop("NO MÁS!"), asks_to_stop("BAJA por favor")
    (True, True, True)
    >>> asks_to_stop("gracias"), asks_to_stop("stopper"), asks_to_stop("No más, no recibí el pago")
    (False, False, False)
    """
    plain = " ".join(re.sub(r"[^\w\s]", " ", text.casefold().replace("á", "a")).split())
    stop = next((word for word in STOP_WORDS if plain == word or plain.startswith(word + " ")), None)
    return stop is not None and len(plain.split()) <= len(stop.split()) + 2
