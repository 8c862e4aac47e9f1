"""The figures the reliability suite reports: events lost and doubled, payments doubled, attacks
tried and refused, fuzz cases and server errors, recovery times.

Each test records what it measured under a section; at the end of the session the figures are
written to ``test-artifacts/reliability-figures.json`` and printed after pytest's summary, so a
run's numbers can be copied into ``docs/reliability.md`` as they were measured.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

ARTIFACT = Path("test-artifacts") / "reliability-figures.json"


class Figures:
    """Figures by section, in the order they were recorded."""

    def __init__(self) -> None:
        self._sections: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record(self, section: str, **values: Any) -> None:
        """Record ``values`` (name → number or short text) under ``section``."""
        with self._lock:
            self._sections.setdefault(section, {}).update(values)

    def add(self, section: str, name: str, amount: int) -> None:
        """Add ``amount`` to a running count (attacks tried, cases run …)."""
        with self._lock:
            values = self._sections.setdefault(section, {})
            values[name] = values.get(name, 0) + amount

    @property
    def sections(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: dict(values) for name, values in self._sections.items()}

    def write(self, path: Path = ARTIFACT) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.sections, indent=2, default=str) + "\n")

    def lines(self) -> list[str]:
        lines = []
        for section, values in self.sections.items():
            shown = ", ".join(f"{name} {value}" for name, value in values.items())
            lines.append(f"{section}: {shown}")
        return lines


#: The session's figures (one process runs the whole suite).
FIGURES = Figures()
