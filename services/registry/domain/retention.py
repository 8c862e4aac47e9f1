"""How long the registry keeps each kind of record holding personal data, and what keeping it no
longer means. A daily pass applies the periods (see :mod:`services.registry.service_layer.retention`).

==================  ===============================================================================
kind                after its period
==================  ===============================================================================
``messages``        a message's text and number (last digits and keyed hash) are blanked; its kind,
                    status and times stay (what was sent when is accounted for)
``imports``         an import's file is deleted and the rows, problems and duplicates it found are
                    emptied; its counts stay
``sync``            a device batch's record (which device sent which household) is deleted
``inactive``        a household inactive (moved, dissolved, deactivated) for this long is erased as
                    on request (see :mod:`services.registry.domain.erasure`)
==================  ===============================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

#: The pass that applies them, as the audit log names it.
PASS = "amparo (retention)"


@dataclass(frozen=True)
class RetentionPeriods:
    """Days each kind of record is kept (the defaults follow common LAC data-protection practice
    for social registries: set the country's own with ``AMPARO_REGISTRY_RETENTION_DAYS``)."""

    messages: int = 180
    imports: int = 90
    sync: int = 90
    inactive: int = 5 * 365

    @classmethod
    def parse(cls, text: str) -> RetentionPeriods:
        """``messages=180,imports=90,sync=90,inactive=1825`` (any of them; the rest keep their default).

        :raise ValueError: naming what is wrong.
        """
        known = {f.name for f in fields(cls)}
        values: dict[str, int] = {}
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, _, days = part.partition("=")
            if name.strip() not in known:
                raise ValueError(f"{name.strip()!r} is not a kind of record: {', '.join(sorted(known))}")
            if not days.strip().isdigit() or int(days) < 1:
                raise ValueError(f"{part!r}: the days must be a whole number from 1")
            values[name.strip()] = int(days)
        return cls(**values)

    def cutoff(self, kind: str, now: datetime) -> datetime:
        """Records of ``kind`` older than this are past their period."""
        return now - timedelta(days=int(getattr(self, kind)))
