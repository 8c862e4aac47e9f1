"""Whether one household lies inside an alert's current areas and, when it does not, which area
is nearest and how far (:mod:`services.alerts.domain.distances` measures).

Transfers asks this to explain a grievance. Inside is decided by the same matching that built the
alert's exposure, over the same areas (those its exposure request keeps), so a household the
exposure counted is inside here, and a household that moved since is told where it lies now.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from services.alerts.domain.distances import Nearest, may_cover, nearest_area
from services.alerts.domain.errors import HouseholdNotFound, IncidentNotFound
from services.alerts.domain.geometry import AreaShape
from services.alerts.domain.jurisdiction import EVERYWHERE, check_visible
from services.alerts.domain.locations import HouseholdLocation, columns_of
from services.alerts.domain.statements import statement_of_info, statements
from services.alerts.service_layer.areas import area_shapes, parse_cap
from services.alerts.service_layer.exposures import alert_exposure_key, compute_exposure
from services.alerts.service_layer.parts import read_stored_areas
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork


@dataclass(frozen=True)
class HouseholdDistance:
    """Ask how far a household lies from an alert's current areas."""

    incident_id: str
    household_id: str
    #: Where the caller may look: the alert must reach it, as every alert read decides.
    jurisdiction: tuple[str, ...] = (EVERYWHERE,)
    #: Whether the caller's jurisdiction holds an admin code (``Principal.covers``).
    covers: Callable[[str], bool] = lambda code: True


@dataclass(frozen=True)
class AreaAway:
    """The area nearest a household outside them all."""

    #: The statement the area belongs to, numbered as in the alert's summary (``None`` for an
    #: exposure kept before statements were).
    statement: int | None
    #: The area's CAP ``areaDesc``.
    area: str
    distance_m: float
    bearing_deg: float | None


@dataclass(frozen=True)
class Distance:
    """Where a household lies against an alert's current areas (never its coordinates)."""

    incident_id: str
    alert_version: int
    household_id: str
    located: bool
    active: bool
    inside: bool
    nearest: AreaAway | None
    areas_considered: int


def household_distance(query: HouseholdDistance, uow: AlertsUnitOfWork) -> Distance:
    """Whether the household lies inside the alert's current areas, and which is nearest if not.

    A household without coordinates is inside when its admin code lies in an area given by
    geocodes (as the matching takes it), and is measured from nothing.

    :raise IncidentNotFound: unknown alert. :raise OutsideJurisdiction: the alert reaches none of
        the caller's areas. :raise HouseholdNotFound: the household is not in the location index,
        or lies outside the caller's jurisdiction (told alike).
    """
    with uow:
        incident = uow.alerts.incident(query.incident_id)
        if incident is None:
            raise IncidentNotFound(f"no alert {query.incident_id}")
        current = uow.alerts.message(incident["current_message_id"])
        assert current is not None
        check_visible(current["summary"].get("admin_codes"), query.jurisdiction, f"alert {query.incident_id}")
        location = uow.locations.get(query.household_id)
        if location is None or not query.covers(location.admin_code):
            raise HouseholdNotFound(f"no household {query.household_id} in the location index")
        areas, said = _current_areas(uow, incident, current)
    located = location.lon is not None and location.lat is not None
    considered = [
        n for n, area in enumerate(areas) if (may_cover(area, location.admin_code) if located else area.codes)
    ]
    inside = _inside(location, areas)
    nearest = None
    if located and not inside:
        assert location.lon is not None and location.lat is not None
        found = nearest_area(location.lon, location.lat, [areas[n] for n in considered])
        nearest = None if found is None else _away(found, [said[n] for n in considered])
    return Distance(
        incident_id=incident["id"],
        alert_version=incident["version"],
        household_id=location.household_id,
        located=located,
        active=location.indexed,
        inside=inside,
        nearest=nearest,
        areas_considered=len(considered),
    )


def _current_areas(
    uow: AlertsUnitOfWork, incident: dict[str, Any], current: dict[str, Any]
) -> tuple[list[AreaShape], list[int | None]]:
    """The alert's current areas, each with its statement: those its exposure was matched with
    when it was matched (geocodes resolved as they were then), the current message's read again
    otherwise (a cancellation, an alert already expired when it arrived)."""
    version = incident.get("exposure_version")
    request = (
        None if version is None else uow.alerts.exposure_request(alert_exposure_key(incident["id"], version))
    )
    if request is not None and request["areas"] is not None:
        areas, _, said = read_stored_areas(request)
        return areas, said
    message = parse_cap(current["original"], current["content_type"])
    areas = area_shapes(message, uow.admin.layers(), [])
    of_info = statement_of_info(statements(message))
    return areas, [of_info[a.info].number if a.info in of_info else None for a in areas]


def _inside(location: HouseholdLocation, areas: Sequence[AreaShape]) -> bool:
    """Whether the matching takes the household into one of ``areas`` — by its place, whatever its
    status (an inactive household is matched by no alert, but its place is the question here)."""
    if not areas:
        return False
    columns = columns_of([replace(location, status="active")])
    return len(compute_exposure(columns, list(areas))["positions"]) > 0


def _away(found: Nearest, said: Sequence[int | None]) -> AreaAway:
    return AreaAway(
        statement=said[found.position],
        area=found.area.description,
        distance_m=found.distance_m,
        bearing_deg=found.bearing_deg,
    )
