"""Incidents (the alert versions transfers has heard of) and exposures being collected, part by
part, in the transfers service's database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from services.transfers.adapters.orm import (
    decisions,
    evaluations,
    exposed_households,
    exposure_part_chunks,
    exposure_parts,
    exposures,
    household_attributes,
    household_reviews,
    incidents,
    staged_households,
)
from services.transfers.domain.deciding import (
    HELD_DUPLICATE,
    HELD_NO_CONSENT,
    NOT_ELIGIBLE,
    UNKNOWN_HOUSEHOLD,
)
from services.transfers.domain.exposure_parts import Part
from services.transfers.domain.exposures import (
    ACCEPTED,
    COLLECTING,
    DECIDABLE_ALERT_STATES,
    DECIDED,
    OVERLAPPING,
    ExposedHousehold,
    Exposure,
    Incident,
    PartRecord,
)
from shared.columns import columns_from_pages
from shared.contracts.household_groups import COUNTED_GROUPS
from shared.db import as_read, bulk_insert, pages

_INCIDENT_FIELDS = ("incident_id", "version", "state", "summary", "exposed_version", "updated_at")
_EXPOSURE_FIELDS = (
    "exposure_key",
    "incident_id",
    "version",
    "footprint_id",
    "alert_version",
    "kind",
    "status",
    "partition_count",
    "note",
)
#: The household numbers eligibility reads (0 for a household transfers does not know).
NUMBERS = ("size", *COUNTED_GROUPS)


class IncidentRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, incident_id: str, lock: bool = False) -> Incident | None:
        """The incident's latest version as transfers knows it, or ``None``."""
        query = select(incidents).where(incidents.c.incident_id == incident_id)
        row = self.session.execute(query.with_for_update() if lock else query).first()
        if row is None:
            return None
        values = {name: row._mapping[name] for name in _INCIDENT_FIELDS}
        return Incident(**{**values, "summary": values["summary"] or {}})

    def save(self, incident: Incident, new: bool) -> None:
        values = {name: getattr(incident, name) for name in _INCIDENT_FIELDS}
        if new:
            self.session.execute(insert(incidents).values(**values))
        else:
            values.pop("incident_id")
            self.session.execute(
                update(incidents).where(incidents.c.incident_id == incident.incident_id).values(**values)
            )


class ExposureRepository:
    def __init__(self, session: Session):
        self.session = session

    # -- the exposure ---------------------------------------------------------------------------

    def get(self, key: str) -> Exposure | None:
        row = self.session.execute(select(exposures).where(exposures.c.exposure_key == key)).first()
        if row is None:
            return None
        values = {name: row._mapping[name] for name in _EXPOSURE_FIELDS}
        return Exposure(**{**values, "partition_count": values["partition_count"] or 1})

    def add(self, exposure: Exposure, at: datetime) -> None:
        values = {name: getattr(exposure, name) for name in _EXPOSURE_FIELDS}
        self.session.execute(insert(exposures).values(**values, received_at=at))

    def save_status(self, exposure: Exposure, at: datetime) -> None:
        """Keep where the exposure stands (and when it was decided, if it now is)."""
        values: dict[str, Any] = {"status": exposure.status, "note": exposure.note}
        if exposure.status == DECIDED:
            values["decided_at"] = at
        self.session.execute(
            update(exposures).where(exposures.c.exposure_key == exposure.exposure_key).values(**values)
        )

    def keys_of(self, incident_id: str) -> list[str]:
        """Every exposure of the incident (its versions' and its footprints')."""
        return list(
            self.session.scalars(
                select(exposures.c.exposure_key).where(exposures.c.incident_id == incident_id)
            )
        )

    def first_received(self, incident_id: str) -> datetime | None:
        """When transfers first heard of the incident's exposure: when its alert reached it."""
        query = select(func.min(exposures.c.received_at)).where(exposures.c.incident_id == incident_id)
        return as_read(self.session.scalar(query))

    def of_incident(self, incident_id: str) -> list[Any]:
        """The incident's exposures as stored, oldest first (for reading back)."""
        query = select(exposures).where(exposures.c.incident_id == incident_id)
        return list(self.session.execute(query.order_by(exposures.c.received_at)).all())

    def naming(self, incident_id: str, household_id: str) -> list[dict[str, Any]]:
        """Each exposure of the incident (version or footprint) that names the household, with its band."""
        x, e = exposed_households.c, exposures.c
        rows = self.session.execute(
            select(e.exposure_key, e.version, e.footprint_id, x.band, x.area)
            .select_from(exposed_households.join(exposures, e.exposure_key == x.exposure_key))
            .where(e.incident_id == incident_id, x.household_id == household_id)
            .order_by(e.received_at)
        )
        return [dict(r._mapping) for r in rows]

    def decided_footprints(self, incident_id: str) -> list[str]:
        """The incident's footprints that were decided."""
        e = exposures.c
        query = select(e.exposure_key).where(
            e.incident_id == incident_id, e.status == DECIDED, e.footprint_id.is_not(None)
        )
        return list(self.session.scalars(query.order_by(e.exposure_key)))

    def decided_keys(self, incident_id: str, version: int) -> list[str]:
        """The incident's decided exposures that are current at ``version`` (its footprints' too)."""
        e = exposures.c
        return list(
            self.session.scalars(
                select(e.exposure_key).where(
                    e.incident_id == incident_id,
                    e.status == DECIDED,
                    (e.version == version) | e.version.is_(None),
                )
            )
        )

    def current_key(self, incident_id: str, exposed_version: int | None) -> str | None:
        """The exposure of the incident's current version, if transfers holds it."""
        return self.session.scalar(
            select(exposures.c.exposure_key).where(
                exposures.c.incident_id == incident_id, exposures.c.version == exposed_version
            )
        )

    # -- its parts ------------------------------------------------------------------------------

    def part(self, key: str, part_id: str) -> PartRecord | None:
        p = exposure_parts.c
        row = self.session.execute(
            select(p.part, p.partitions, p.chunks, p.households, p.status).where(
                p.exposure_key == key, p.part == part_id
            )
        ).first()
        return None if row is None else PartRecord(*row)

    def parts(self, key: str) -> list[PartRecord]:
        p = exposure_parts.c
        rows = self.session.execute(
            select(p.part, p.partitions, p.chunks, p.households, p.status).where(p.exposure_key == key)
        ).all()
        return [PartRecord(*r) for r in rows]

    def add_part(self, key: str, part: Part, at: datetime) -> None:
        self.session.execute(
            insert(exposure_parts).values(
                exposure_key=key,
                part=part.part_id,
                partitions=part.listed,
                partition_count=part.partition_count,
                status=COLLECTING,
                received_at=at,
            )
        )

    def has_chunk(self, key: str, part_id: str, chunk: int) -> bool:
        c = exposure_part_chunks.c
        found = select(c.chunk).where(c.exposure_key == key, c.part == part_id, c.chunk == chunk)
        return self.session.scalar(found) is not None

    def add_chunk(self, key: str, part_id: str, chunk: int, households: Sequence[ExposedHousehold]) -> None:
        """Hold a chunk's households apart until their part is accepted."""
        self.session.execute(insert(exposure_part_chunks).values(exposure_key=key, part=part_id, chunk=chunk))
        rows = [{"exposure_key": key, "part": part_id, **vars(h)} for h in households]
        bulk_insert(self.session, staged_households, rows)

    def note_part_size(self, key: str, part_id: str, chunks: int, households: int | None) -> None:
        p = exposure_parts.c
        self.session.execute(
            update(exposure_parts)
            .where(p.exposure_key == key, p.part == part_id)
            .values(chunks=chunks, households=households)
        )

    def chunks_received(self, key: str) -> dict[str, int]:
        """How many chunks of each part are here."""
        c = exposure_part_chunks.c
        rows = self.session.execute(
            select(c.part, func.count()).where(c.exposure_key == key).group_by(c.part)
        )
        return {part: count for part, count in rows.all()}

    def refuse_part(self, key: str, part_id: str, note: str) -> None:
        """The part overlaps an accepted one: its households are dropped, and it says why."""
        self._drop_staged(key, part_id)
        p = exposure_parts.c
        self.session.execute(
            update(exposure_parts)
            .where(p.exposure_key == key, p.part == part_id)
            .values(status=OVERLAPPING, note=note)
        )

    def accept_part(self, key: str, part_id: str, declared: int | None) -> None:
        """The part's households become the exposure's (each once), and the exposure's totals
        add up its accepted parts."""
        s, e, p = staged_households.c, exposed_households.c, exposure_parts.c
        staged = (s.exposure_key == key) & (s.part == part_id)
        already = select(e.household_id).where(e.exposure_key == key, e.household_id == s.household_id)
        moved = self.session.execute(
            insert(exposed_households).from_select(
                ["exposure_key", "household_id", "band", "intensity", "area", "statement"],
                select(s.exposure_key, s.household_id, s.band, s.intensity, s.area, s.statement).where(
                    staged, ~already.exists()
                ),
            )
        ).rowcount
        self._drop_staged(key, part_id)
        self.session.execute(
            update(exposure_parts)
            .where(p.exposure_key == key, p.part == part_id)
            .values(status=ACCEPTED, households=declared if declared is not None else moved)
        )
        chunks, households = self.session.execute(
            select(func.sum(p.chunks), func.sum(p.households)).where(
                p.exposure_key == key, p.status == ACCEPTED
            )
        ).one()
        self.session.execute(
            update(exposures)
            .where(exposures.c.exposure_key == key)
            .values(chunks=chunks, households=households)
        )

    def _drop_staged(self, key: str, part_id: str) -> None:
        s = staged_households.c
        self.session.execute(delete(staged_households).where(s.exposure_key == key, s.part == part_id))

    # -- its households -------------------------------------------------------------------------

    def columns(self, key: str) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """The exposed households joined to their attributes: ids, numpy columns, and which are known.

        Read in pages straight into numpy, so that a national exposure never sits in memory as rows.
        """
        a = household_attributes.c
        # Households under review are few, often none: the join is left out when none is.
        reviewing = self.session.execute(
            select(household_reviews.c.household_id).where(household_reviews.c.under_review).limit(1)
        ).first()
        held = func.coalesce(household_reviews.c.under_review, False) if reviewing else literal(False)
        joined = exposed_households.outerjoin(
            household_attributes, a.household_id == exposed_households.c.household_id
        )
        if reviewing:
            joined = joined.outerjoin(
                household_reviews, household_reviews.c.household_id == exposed_households.c.household_id
            )
        query = (
            select(
                exposed_households.c.household_id,
                exposed_households.c.band,
                exposed_households.c.intensity,
                exposed_households.c.statement,
                a.household_id.is_not(None).label("known"),
                func.coalesce(a.status, "unknown"),
                func.coalesce(a.admin_code, ""),
                a.vulnerability_score,
                func.coalesce(a.female_headed, False),
                func.coalesce(a.payment_channel_type, ""),
                *(func.coalesce(a[n], 0) for n in NUMBERS),
                held,
                func.coalesce(a.consent_emergency, True),
                func.coalesce(a.enrolments, ""),
                a.assessments,
            )
            .select_from(joined)
            .where(exposed_households.c.exposure_key == key)
            .order_by(exposed_households.c.household_id)
        )
        names = ("household_id", "band", "intensity", "statement", "known", "status", "admin_code")
        names += ("vulnerability_score",)
        names += ("female_headed", "payment_channel_type", *NUMBERS, "under_review", "consent_ok")
        names += ("enrolments", "assessments")
        kinds: dict[str, Any] = dict.fromkeys(names, object)
        kinds |= {"intensity": float, "vulnerability_score": float, "known": bool, "female_headed": bool}
        kinds |= {"statement": float}  # NaN: no statement (a footprint's household)
        kinds |= {"under_review": bool, "consent_ok": bool}
        kinds |= dict.fromkeys(NUMBERS, int)
        columns = columns_from_pages(pages(self.session, query), kinds)
        known = columns.pop("known")
        return columns.pop("household_id"), columns, known

    def with_late_households(self) -> list[str]:
        """Decided, current exposures of live alerts whose latest evaluation found households
        transfers did not know then and knows now, or held then and released now, or not eligible
        then and assessed since (a dwelling found destroyed after the decision)."""
        e, d, x = evaluations.c, decisions.c, exposures.c
        latest = (
            select(e.exposure_key, e.programme_id, func.max(e.created_at).label("at"))
            .group_by(e.exposure_key, e.programme_id)
            .subquery()
        )
        query = (
            select(x.exposure_key)
            .distinct()
            .select_from(
                exposures.join(incidents, incidents.c.incident_id == x.incident_id)
                .join(evaluations, e.exposure_key == x.exposure_key)
                .join(
                    latest,
                    (latest.c.exposure_key == e.exposure_key)
                    & (latest.c.programme_id == e.programme_id)
                    & (latest.c.at == e.created_at),
                )
                .join(decisions, d.evaluation_id == e.id)
                .join(household_attributes, household_attributes.c.household_id == d.household_id)
                .outerjoin(household_reviews, household_reviews.c.household_id == d.household_id)
            )
            .where(
                x.status == DECIDED,
                incidents.c.state.in_(DECIDABLE_ALERT_STATES),
                x.version.is_(None) | (x.version == incidents.c.exposed_version),
                # Unknown then and known now; or held then and released now.
                (d.status == UNKNOWN_HOUSEHOLD)
                | ((d.status == HELD_DUPLICATE) & ~func.coalesce(household_reviews.c.under_review, False))
                | (
                    (d.status == HELD_NO_CONSENT)
                    & func.coalesce(household_attributes.c.consent_emergency, True)
                ),
            )
        )
        return sorted(set(self.session.scalars(query)) | set(self._assessed_since(latest)))

    def _assessed_since(self, latest: Any) -> list[str]:
        """Decided, current exposures whose latest evaluation found not eligible a household whose
        assessments changed since: read from the few households ever assessed (an index), never by
        going through every decision."""
        e, d, x, a = evaluations.c, decisions.c, exposures.c, household_attributes.c
        query = (
            select(x.exposure_key)
            .distinct()
            .select_from(
                household_attributes.join(decisions, d.household_id == a.household_id)
                .join(evaluations, e.id == d.evaluation_id)
                .join(
                    latest,
                    (latest.c.exposure_key == e.exposure_key)
                    & (latest.c.programme_id == e.programme_id)
                    & (latest.c.at == e.created_at),
                )
                .join(exposures, x.exposure_key == e.exposure_key)
                .join(incidents, incidents.c.incident_id == x.incident_id)
            )
            .where(
                a.assessed_at.is_not(None),
                d.status == NOT_ELIGIBLE,
                a.assessed_at > e.created_at,
                x.status == DECIDED,
                incidents.c.state.in_(DECIDABLE_ALERT_STATES),
                x.version.is_(None) | (x.version == incidents.c.exposed_version),
            )
        )
        return list(self.session.scalars(query))

    def incidents_of(self, keys: Iterable[str]) -> dict[str, str]:
        """Each exposure's incident."""
        keys = list(keys)
        if not keys:
            return {}
        x = exposures.c
        rows = self.session.execute(select(x.exposure_key, x.incident_id).where(x.exposure_key.in_(keys)))
        return {key: incident for key, incident in rows.all()}
