"""Second-level boundary layers as loaded, one country's at a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import shapely.geometry
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from services.registry.adapters.orm import admin_boundaries
from services.registry.domain.boundaries import BoundaryLayer, Municipality
from shared.db import as_read


class BoundaryRepository:
    """Municipal layers inside the caller's session."""

    def __init__(self, session: Session):
        self.session = session

    def replace(self, layer: BoundaryLayer, by: str, at: datetime) -> int:
        """Put ``layer`` in place of its country's; return how many municipalities it replaced."""
        c = admin_boundaries.c
        replaced = self.session.execute(delete(admin_boundaries).where(c.country == layer.country)).rowcount
        self.session.execute(
            insert(admin_boundaries),
            [
                {
                    "code": m.code,
                    "country": layer.country,
                    "name": m.name,
                    "geometry": shapely.geometry.mapping(m.shape),
                    "tolerance_m": layer.tolerance_m,
                    "source": layer.source,
                    "loaded_by": by,
                    "loaded_at": at,
                }
                for m in layer.municipalities.values()
            ],
        )
        return int(replaced or 0)

    def layers(self) -> dict[str, BoundaryLayer]:
        """Every country's layer."""
        found: dict[str, dict[str, Any]] = {}
        for row in self.session.execute(select(admin_boundaries)):
            layer = found.setdefault(row.country, {"municipalities": {}, "tolerance_m": row.tolerance_m})
            layer["source"] = row.source
            layer["municipalities"][row.code] = Municipality(
                row.code, row.name, shapely.geometry.shape(row.geometry)
            )
        return {country: BoundaryLayer(country, **parts) for country, parts in found.items()}

    def summary(self) -> list[dict[str, Any]]:
        """Each country's layer: how many municipalities, its tolerance, source, who loaded it when."""
        c = admin_boundaries.c
        rows = self.session.execute(
            select(
                c.country,
                func.count(),
                func.max(c.tolerance_m),
                func.max(c.source),
                func.max(c.loaded_by),
                func.max(c.loaded_at),
            )
            .group_by(c.country)
            .order_by(c.country)
        )
        return [
            {
                "country": country,
                "municipalities": count,
                "tolerance_m": tolerance,
                "source": source,
                "loaded_by": by,
                "loaded_at": as_read(at),
            }
            for country, count, tolerance, source, by, at in rows
        ]

    def fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever a layer is loaded (to know when a kept copy is stale)."""
        c = admin_boundaries.c
        return tuple(self.session.execute(select(func.count(), func.max(c.loaded_at))).one())
