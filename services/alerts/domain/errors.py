"""What the alerts service refuses or cannot find, in its users' words (no HTTP status here:
``shared.web`` maps each kind to one)."""

from __future__ import annotations

from shared.errors import Conflict, NotFound


class IncidentNotFound(NotFound):
    """No alert (incident) by that id."""


class LayerNotFound(NotFound):
    """No reference layer of that scheme is loaded."""


class FootprintNotFound(NotFound):
    """No hazard footprint by that id."""


class PartAlreadyMatched(Conflict):
    """Another instance claimed a partition of this exposure first (while its consumer group
    rebalanced, two instances both held it for a moment)."""


class HouseholdNotFound(NotFound):
    """No household by that id in the location index, or none the caller may see (told alike, so
    that a household outside one's jurisdiction is not known to exist)."""
