"""Hazard footprints: intensities (flood depth, wind speed, rainfall) at each home, and the severity
band each intensity falls in.

Thresholds map intensity to bands: ``[{"band": "moderate", "min": 0.5}, {"band": "severe", "min": 1.5}]``
means below 0.5 no band (not exposed), 0.5 up to 1.5 moderate, 1.5 and above severe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shared.errors import FieldProblem, InvalidInput

KINDS = {"flood_depth": "m", "wind_speed": "kt", "rainfall": "mm"}


class FootprintError(InvalidInput):
    slug = "invalid-footprint"
    title = "Invalid hazard footprint"


@dataclass(frozen=True)
class Bands:
    """Named bands, each from its minimum intensity up to the next band's."""

    names: tuple[str, ...]
    minimums: np.ndarray

    @classmethod
    def from_thresholds(cls, thresholds: Sequence[Mapping[str, Any]]) -> Bands:
        """:raise FootprintError: naming a threshold without a band name or a numeric minimum."""
        if not thresholds:
            raise FootprintError("give at least one threshold", errors=[FieldProblem("/thresholds", "empty")])
        rows = []
        for n, item in enumerate(thresholds):
            name, minimum = item.get("band"), item.get("min")
            if (
                not isinstance(name, str)
                or not name
                or not isinstance(minimum, int | float)
                or not np.isfinite(minimum)
            ):
                raise FootprintError(
                    f"threshold {n} needs a band name and a numeric min",
                    errors=[FieldProblem(f"/thresholds/{n}", "band and min required")],
                )
            rows.append((float(minimum), name))
        rows.sort()
        if len({m for m, _ in rows}) != len(rows):
            raise FootprintError(
                "two thresholds share a minimum", errors=[FieldProblem("/thresholds", "duplicate min")]
            )
        return cls(tuple(n for _, n in rows), np.array([m for m, _ in rows]))

    def classify(self, intensity: np.ndarray) -> np.ndarray:
        """The band index of each intensity (-1 below every threshold or unknown)."""
        index = np.searchsorted(self.minimums, intensity, side="right") - 1
        return np.where(np.isfinite(intensity), index, -1)


def band_summary(bands: Bands, band_index: np.ndarray, sizes: np.ndarray) -> list[dict[str, Any]]:
    """Households and people per band, most severe last."""
    return [
        {
            "band": name,
            "min": float(bands.minimums[i]),
            "households": int((band_index == i).sum()),
            "people": int(sizes[band_index == i].sum()),
        }
        for i, name in enumerate(bands.names)
    ]
