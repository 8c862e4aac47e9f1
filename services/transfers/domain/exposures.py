"""Incidents as transfers knows them, and exposures being collected until they can be decided.

An incident is the latest version of an alert that reached transfers. An exposure (an alert
version's, or a hazard footprint's) arrives in parts and chunks; it is decided once it is whole and
the alert version it belongs to is known, whichever comes last. Until then it says what it waits
for; once decided, superseded or not decided, it never changes again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.transfers.domain.exposure_parts import missing_partitions, parse_listed, partitions_note
from shared.contracts import alerts as alert_contract
from shared.errors import InvalidInput

COLLECTING, WAITING_FOR_ALERT = "collecting", "waiting_for_alert"
DECIDED, SUPERSEDED, NOT_DECIDED = "decided", "superseded", "not_decided"
#: An exposure in one of these states is never looked at again.
FINAL = (DECIDED, SUPERSEDED, NOT_DECIDED)
#: A part is ``collecting`` until complete, then ``accepted`` or ``overlapping`` (never counted).
ACCEPTED, OVERLAPPING = "accepted", "overlapping"
#: Alert states in which an exposure may still lead to payments.
DECIDABLE_ALERT_STATES = ("active", "expired")
#: The event types whose version brings areas of its own (and so an exposure of its own).
WITH_AREAS = (alert_contract.ALERT_ISSUED, alert_contract.ALERT_UPDATED)


@dataclass(frozen=True)
class Incident:
    """An alert's latest version as transfers heard it; ``exposed_version`` is the latest version
    with areas of its own (an expiry or cancellation keeps the one before)."""

    incident_id: str
    version: int
    state: str
    summary: Mapping[str, Any]
    exposed_version: int | None
    updated_at: datetime | None = None

    @staticmethod
    def named_by(event_id: str, data: Mapping[str, Any]) -> str:
        """The incident an ``alerts.alerts`` event is about.

        :raise InvalidInput: the event names no incident or integer version.
        """
        incident_id, version = data.get("incident_id"), data.get("version")
        if not isinstance(incident_id, str) or not isinstance(version, int) or isinstance(version, bool):
            raise InvalidInput(f"alert event {event_id} has no incident_id and integer version")
        return incident_id

    @staticmethod
    def heard(
        stored: Incident | None, event_id: str, event_type: str, data: Mapping[str, Any], at: datetime
    ) -> Incident | None:
        """The incident after an ``alerts.alerts`` event, or ``None`` if the event is not newer.

        :raise InvalidInput: the event names no incident or integer version.
        """
        incident_id = Incident.named_by(event_id, data)
        version: int = data["version"]
        if stored is not None and stored.version >= version:
            return None
        exposed = version if event_type in WITH_AREAS else (stored.exposed_version if stored else None)
        return Incident(incident_id, version, str(data.get("state", "active")), dict(data), exposed, at)


def exposure_key(data: Mapping[str, Any]) -> str:
    """The name an exposure is stored under: its footprint's, its alert version's, or a supplement's
    of either (households that came into its areas after it was matched).

    :raise InvalidInput: the event names neither, or a supplement that is not a short name.
    """
    if data.get("footprint_id"):
        key = f"footprint:{data['footprint_id']}"
    elif isinstance(data.get("incident_id"), str) and isinstance(data.get("version"), int):
        key = f"alert:{data['incident_id']}:{data['version']}"
    else:
        raise InvalidInput("an exposure event names neither a footprint nor an incident and version")
    supplement = data.get("supplement")
    if supplement is None:
        return key
    if not isinstance(supplement, str) or not 0 < len(supplement) <= 16:
        raise InvalidInput("an exposure event's supplement must be a name of at most 16 characters")
    return f"{key}:late-{supplement}"


@dataclass(frozen=True)
class ExposedHousehold:
    household_id: str
    band: str
    intensity: float | None
    area: str | None
    #: The statement (of the alert version's) that exposes it; ``None`` for a footprint.
    statement: int | None = None


def households_of_chunk(event_id: str, households: Sequence[Any]) -> list[ExposedHousehold]:
    """The households one chunk names.

    :raise InvalidInput: one has no id or band, naming it (``/households/3``).
    """
    found = []
    for n, household in enumerate(households):
        if not isinstance(household, dict) or not household.get("household_id") or not household.get("band"):
            raise InvalidInput(f"exposure chunk {event_id}: /households/{n} needs household_id and band")
        intensity, statement = household.get("intensity"), household.get("statement")
        found.append(
            ExposedHousehold(
                str(household["household_id"]),
                str(household["band"])[:64],
                float(intensity) if isinstance(intensity, int | float) else None,
                (household.get("area") or None) and str(household["area"])[:255],
                statement if isinstance(statement, int) and not isinstance(statement, bool) else None,
            )
        )
    return found


@dataclass(frozen=True)
class PartRecord:
    """One part of an exposure as collected so far."""

    part: str
    partitions: str
    chunks: int | None
    households: int | None
    status: str

    def complete(self, chunks_received: int) -> bool:
        """Its completion and every chunk are here, and it was neither accepted nor refused yet."""
        return self.status == COLLECTING and self.chunks is not None and chunks_received >= self.chunks


def still_collecting(
    parts: Iterable[PartRecord], received: Mapping[str, int], partition_count: int
) -> str | None:
    """What the exposure still waits for, or ``None`` when its accepted parts cover every partition."""
    parts = sorted(parts, key=lambda p: p.partitions)
    accepted = [parse_listed(p.partitions) for p in parts if p.status == ACCEPTED]
    missing = missing_partitions(accepted, partition_count)
    if not missing:
        return None
    progress = [
        (p.partitions, f"{received.get(p.part, 0)} of {p.chunks or '?'} chunks received")
        for p in parts
        if p.status == COLLECTING
    ]
    if partition_count == 1:
        return progress[0][1] if progress else "0 of ? chunks received"
    notes = [partitions_note(missing, partition_count)]
    notes += [f"part of partitions {listed}: {chunks}" for listed, chunks in progress]
    return "; ".join(notes)


@dataclass(frozen=True)
class Exposure:
    """An alert version's (``version``) or a footprint's exposure, as transfers collects it."""

    exposure_key: str
    incident_id: str | None
    version: int | None
    footprint_id: str | None
    alert_version: int | None
    kind: str
    status: str
    partition_count: int
    note: str | None = None

    @classmethod
    def first_heard(cls, key: str, data: Mapping[str, Any], partition_count: int) -> Exposure:
        """The exposure as its first event (of any part) makes it known."""
        alert_version = data.get("alert_version")
        footprint = data.get("footprint_id")
        return cls(
            exposure_key=key,
            incident_id=data.get("incident_id"),
            version=None if footprint else data.get("version"),
            footprint_id=footprint,
            alert_version=alert_version if isinstance(alert_version, int) else None,
            kind=data.get("kind") or "alert_area",
            status=COLLECTING,
            partition_count=partition_count,
        )

    def noting(self, note: str) -> Exposure:
        """The same step, saying what came of it."""
        return replace(self, note=note)

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def next_step(self, waiting: str | None, incident: Incident | None) -> Exposure:
        """Where the exposure stands once nothing is collecting (``waiting``: what still is) and
        its alert is ``incident``: it is ready to decide when the answer's status is ``decided``
        (the caller decides, then keeps it); otherwise the answer says what it waits for or why it
        is never decided. An exposure for an alert never seen waits, visibly; it is never dropped."""
        if waiting is not None:
            return replace(self, status=COLLECTING, note=waiting)
        if self.incident_id is None:
            return replace(
                self, status=NOT_DECIDED, note="a footprint tied to no alert cannot trigger transfers"
            )
        wanted = self.version or self.alert_version or 1
        if incident is None or incident.version < wanted:
            note = f"waiting for alert {self.incident_id} version {wanted}, not seen by transfers yet"
            return replace(self, status=WAITING_FOR_ALERT, note=note)
        # Only a later version with areas of its own replaces an exposure (an expiry does not).
        if self.version is not None and (incident.exposed_version or 0) > self.version:
            return replace(
                self, status=SUPERSEDED, note=f"alert version {incident.exposed_version} replaced it"
            )
        if incident.state not in DECIDABLE_ALERT_STATES:
            return replace(self, status=NOT_DECIDED, note=f"the alert is {incident.state}")
        return replace(self, status=DECIDED, note=None)
