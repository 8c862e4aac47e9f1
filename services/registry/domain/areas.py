"""The admin areas the registry serves: which codes exist, and roughly where each area lies."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from shared.admin_codes import first_level

BoundingBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


class AreaCheck(Protocol):
    """Whatever checks an admin code and a place together (first-level boxes, boundary layers)."""

    def problems(self, admin_code: str, lat: float, lon: float) -> dict[str, str]:
        """What is wrong with this code and these coordinates together (empty when nothing)."""
        ...


@dataclass(frozen=True)
class AdminReference:
    """First-level areas (``HN-CH``) with generous bounding boxes, by ISO 3166-2 code."""

    areas: Mapping[str, BoundingBox]

    @functools.cached_property  # asked for each household checked
    def countries(self) -> set[str]:
        return {code[:2] for code in self.areas}

    def problems(self, admin_code: str, lat: float, lon: float) -> dict[str, str]:
        """What is wrong with this code and these coordinates together (empty when nothing).

        Codes deeper than the first level (``HN-CH-0601``) are checked through their first-level
        parent; deeper levels are the country's own and not known here.
        """
        country = admin_code[:2]
        if country not in self.countries:
            served = ", ".join(sorted(self.countries))
            return {"admin_code": f"country {country} is not served by this registry (served: {served})"}
        area = first_level(admin_code)
        if area == country:
            example = sorted(c for c in self.areas if c.startswith(country))[0]
            return {"admin_code": f"{admin_code} is a country; give its first-level area, e.g. {example}"}
        box = self.areas.get(area)
        if box is None:
            return {"admin_code": f"unknown admin code {area}"}
        if self._inside(box, lat, lon):
            return {}
        hint = " (latitude and longitude look swapped)" if self._inside(box, lon, lat) else ""
        return {"location": f"({lat}, {lon}) lies outside {area}{hint}"}

    @staticmethod
    def _inside(box: BoundingBox, lat: float, lon: float) -> bool:
        min_lon, min_lat, max_lon, max_lat = box
        return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
