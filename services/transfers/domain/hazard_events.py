"""Hazard events: the incidents that concern one hazard.

One hurricane reaches transfers as several incidents: the civil-protection office's alert and its
updates are one incident, the meteorological office's own alert is another, a river authority's a
third. A household is entitled to at most one payment per programme per *hazard event*, whatever
the number of senders, messages, updates and footprints.

Incidents are linked into one hazard event

* by CAP ``<incidents>``: two messages naming the same incident identifier concern one hazard;
* by ``<references>``: a message referring to another sender's message is already the same
  incident (the alerts service keys an incident by the first message of its chain);
* by a person (civil protection or a programme officer), with a reason, audited.

An incident heard with no link is a hazard event of its own. Unlinked incidents of the same kind of
event whose areas and times overlap are *suggested* for linking; nothing is linked on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.admin_codes import lies_within
from shared.errors import Conflict

FIRST_HEARD, CAP_INCIDENTS, PERSON = "first_heard", "cap_incidents", "person"
#: How long an alert without ``expires`` is taken to last, for suggestions only.
ASSUMED_DURATION = timedelta(hours=72)


class LinkRefused(Conflict):
    slug = "hazard-event-link"
    title = "The incidents cannot be linked that way"


@dataclass(frozen=True)
class Link:
    """An incident's place in a hazard event, and how it came there."""

    incident_id: str
    hazard_event_id: str
    how: str
    linked_by: str
    linked_at: datetime
    note: str | None = None


@dataclass(frozen=True)
class HazardEvent:
    id: str
    name: str
    created_at: datetime
    links: tuple[Link, ...] = ()

    @property
    def incident_ids(self) -> list[str]:
        return sorted(link.incident_id for link in self.links)


def cap_incident_names(summary: Mapping[str, Any]) -> list[str]:
    """The identifiers an alert's CAP ``<incidents>`` names (trimmed, at most 255 characters each)."""
    names = summary.get("incidents") or []
    if isinstance(names, str):
        names = names.split()
    return sorted({str(n).strip()[:255] for n in names if str(n).strip()})


def name_for(summary: Mapping[str, Any], incident_id: str) -> str:
    """What a new hazard event is called: the first alert's event and headline."""
    parts = [str(summary.get(k)) for k in ("event", "headline") if summary.get(k)]
    return (" — ".join(parts) or f"alert {incident_id}")[:255]


@dataclass(frozen=True)
class Linking:
    """What hearing an incident changes: the hazard event it belongs to (``None``: a new one of its
    own), and the hazard events merged into it (their incidents move with them)."""

    hazard_event_id: str | None
    merged: tuple[str, ...]
    note: str | None


def link_heard(current: str | None, sharing: Sequence[tuple[str, str]], names: Sequence[str]) -> Linking:
    """Where a heard incident belongs.

    :param current: its hazard event, if it has one already.
    :param sharing: ``(hazard_event_id, incident_id)`` of other incidents naming one of the same
        CAP ``<incidents>``, oldest hazard event first.
    """
    others = list(dict.fromkeys(event for event, _ in sharing if event != current))
    if not others:
        return Linking(current, (), None)
    target = current or others[0]
    linked_to = sorted({incident for _, incident in sharing})
    note = f"CAP <incidents> {', '.join(names)} shared with alert(s) {', '.join(linked_to)}"
    return Linking(target, tuple(e for e in others if e != target), note)


def check_person_link(first: str | None, second: str | None) -> None:
    """:raise LinkRefused: the two incidents are already one hazard event."""
    if first is not None and first == second:
        raise LinkRefused("the two alerts are already one hazard event")


def _window(summary: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    def moment(name: str) -> datetime | None:
        value = summary.get(name)
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    start = moment("onset") or moment("effective") or moment("sent")
    if start is None:
        return None
    end = moment("expires") or start + ASSUMED_DURATION
    return (start, max(start, end))


def _kinds(summary: Mapping[str, Any]) -> set[str]:
    kinds = {str(c).casefold() for c in summary.get("categories") or []}
    for statement in summary.get("statements") or []:
        kinds |= {str(c).casefold() for c in statement.get("categories") or []}
    return kinds


def _areas_overlap(first: Iterable[str], second: Iterable[str]) -> bool:
    second = list(second)
    return any(lies_within(a, b) or lies_within(b, a) for a in first for b in second)


def overlaps(first: Mapping[str, Any], second: Mapping[str, Any]) -> list[str]:
    """Why two alerts may concern one hazard (same kind of event, areas and times overlapping), or
    nothing when they do not all hold."""
    kinds = _kinds(first) & _kinds(second)
    same_event = (
        bool(first.get("event"))
        and str(first.get("event")).casefold() == str(second.get("event") or "").casefold()
    )
    if not kinds and not same_event:
        return []
    if not _areas_overlap(first.get("admin_codes") or [], second.get("admin_codes") or []):
        return []
    windows = _window(first), _window(second)
    if windows[0] is None or windows[1] is None:
        return []
    (a_start, a_end), (b_start, b_end) = windows  # type: ignore[misc]
    if a_start > b_end or b_start > a_end:
        return []
    what = f"the same event ({first.get('event')})" if same_event else f"category {', '.join(sorted(kinds))}"
    return [what, "areas overlap", "their times overlap"]
