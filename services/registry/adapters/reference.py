"""The weight sets and boundary layers in force, read from the database and kept between requests.

Every instance of the registry keeps a copy and asks the database, at most every few seconds,
whether it changed. A weight set takes effect only from a day after its approval and a layer
loaded on another instance is seen within seconds, so the copy is never stale where it matters.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.registry.adapters.boundaries import BoundaryRepository
from services.registry.adapters.weights import WeightSetRepository
from services.registry.domain.areas import AdminReference
from services.registry.domain.boundaries import Places
from services.registry.domain.vulnerability import VulnerabilityIndex
from services.registry.domain.weights import WeightSets
from shared.db import reading


class StoredReference:
    """Picks a household's weights and checks its place against what is stored now
    (a :class:`~services.registry.domain.vulnerability.Weighting` and an
    :class:`~services.registry.domain.areas.AreaCheck`)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        default: VulnerabilityIndex,
        reference: AdminReference,
        recheck_seconds: float = 5.0,
    ):
        self.sessions, self.default, self.reference = sessions, default, reference
        self.recheck_seconds = recheck_seconds
        self._lock = threading.Lock()
        self._checked = -float("inf")
        self._fingerprint: Any = None
        self._current = (WeightSets(default), Places(reference, {}))

    def choose(self, admin_code: str, on: date) -> VulnerabilityIndex:
        return self.current()[0].choose(admin_code, on)

    def problems(self, admin_code: str, lat: float, lon: float) -> dict[str, str]:
        return self.current()[1].problems(admin_code, lat, lon)

    def forget(self) -> None:
        """Read everything again at the next use (after a change made here)."""
        with self._lock:
            self._checked, self._fingerprint = -float("inf"), None

    def current(self) -> tuple[WeightSets, Places]:
        """The weight sets and places as stored (read again if they changed)."""
        with self._lock:
            if time.monotonic() - self._checked < self.recheck_seconds:
                return self._current
            with reading(self.sessions) as session:
                weights, boundaries = WeightSetRepository(session), BoundaryRepository(session)
                fingerprint = (weights.fingerprint(), boundaries.fingerprint())
                if fingerprint != self._fingerprint:
                    self._current = (
                        WeightSets(self.default, tuple(weights.approved())),
                        Places(self.reference, boundaries.layers()),
                    )
                    self._fingerprint = fingerprint
            self._checked = time.monotonic()
            return self._current
