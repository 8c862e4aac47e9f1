"""CAP 1.2 alerts as Amparo understands them: the elements that matter for decisions.

Parsing (XML or JSON) lives in the adapters; here are the shapes and the rules that do not
depend on a wire format: what makes a message an update of which incident, which messages may
trigger transfers, and when an alert is over.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from shared.errors import FieldProblem, InvalidInput

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")


class MsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class CapError(InvalidInput):
    """A CAP message that cannot be accepted; ``errors`` names the element (``/info/0/area/1/polygon/0``)."""

    slug = "invalid-cap"
    title = "Invalid CAP message"


@dataclass(frozen=True)
class Reference:
    """``sender,identifier,sent`` of an earlier message this one updates or cancels."""

    sender: str
    identifier: str
    sent: str


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class Area:
    """One ``<area>``: polygons as (lat, lon) points as CAP writes them, circles, geocodes."""

    description: str
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[tuple[str, str], ...] = ()
    altitude: float | None = None
    ceiling: float | None = None


@dataclass(frozen=True)
class Info:
    """One ``<info>`` block (there is one per language)."""

    language: str
    categories: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    response_types: tuple[str, ...] = ()
    onset: datetime | None = None
    effective: datetime | None = None
    expires: datetime | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    sender_name: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    event_codes: tuple[tuple[str, str], ...] = ()
    areas: tuple[Area, ...] = ()


@dataclass(frozen=True)
class CapMessage:
    """A parsed CAP message, with the warnings raised while reading it."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: MsgType
    scope: str
    infos: tuple[Info, ...]
    references: tuple[Reference, ...] = ()
    incidents: tuple[str, ...] = ()
    note: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """``sender,identifier``: how other messages refer to this one."""
        return f"{self.sender},{self.identifier}"

    @property
    def may_trigger_transfers(self) -> bool:
        """Only real-world (``Actual``) messages can lead to payments; tests and exercises never do."""
        return self.status == "Actual"

    def expires(self) -> datetime | None:
        """The latest ``expires`` of its info blocks (``None`` when none says)."""
        moments = [i.expires for i in self.infos if i.expires is not None]
        return max(moments) if moments else None


def check_message(message: CapMessage) -> None:
    """Rules the schema cannot express.

    :raise CapError: an Update or Cancel without references, an alert without any info, or an
        identifier or sender holding spaces, commas, ``<`` or ``&`` (they could not be referenced
        as ``sender,identifier,sent``).
    """
    problems = []
    for name, value in (("identifier", message.identifier), ("sender", message.sender)):
        if not value or any(c.isspace() or c in ",<&" for c in value):
            problems.append(
                FieldProblem(f"/alert/{name}", f"the {name} {value!r} must not hold spaces, commas, < or &")
            )
    if message.msg_type in (MsgType.UPDATE, MsgType.CANCEL) and not message.references:
        problems.append(
            FieldProblem("/references", f"a {message.msg_type.value} must name the messages it replaces")
        )
    if message.msg_type in (MsgType.ALERT, MsgType.UPDATE) and not message.infos:
        problems.append(FieldProblem("/info", "an alert needs at least one <info> block"))
    if problems:
        raise CapError(
            "the CAP message breaks CAP 1.2 rules: " + "; ".join(p.detail for p in problems), errors=problems
        )
