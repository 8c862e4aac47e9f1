"""Where a civil-protection officer may alert: every area of a message inside their jurisdiction.

An area given by geocodes is inside when each code lies within one of the officer's areas
(``HN`` holds ``HN-CH`` and ``HN-CH-0601``). An area drawn as polygons or circles is inside when it
covers no reference area outside the jurisdiction: a drawing may stray over a border by a little
(:data:`STRAY` of its own area, or of the neighbouring area), since CAP polygons are drawn by hand at
national scale; more than that covers the neighbour. A drawn area over no reference area at all
(open sea, say) is not refused for it: it holds nobody's households.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import shapely
from shapely.geometry.base import BaseGeometry

from services.alerts.domain.admin_layer import AdminLayer
from services.alerts.domain.geometry import AreaShape
from shared.admin_codes import lies_within
from shared.errors import FieldProblem, Forbidden

EVERYWHERE = "*"
#: How far a drawn area may stray over a border, as a share of its own area or the neighbour's.
STRAY = 0.01


class OutsideJurisdiction(Forbidden):
    slug = "outside-jurisdiction"
    title = "An area lies outside your jurisdiction"


def covers(jurisdiction: Sequence[str], code: str) -> bool:
    """Whether ``code`` lies inside ``jurisdiction``.

    >>> covers(("HN",), "HN-CH-0601"), covers(("HN-CH",), "HN-EP"), covers(("*",), "DO-01")
    (True, False, True)
    """
    return any(area == EVERYWHERE or lies_within(code, area) for area in jurisdiction)


def _meeting(layers: Iterable[AdminLayer], shape: BaseGeometry) -> list[tuple[str, BaseGeometry, float]]:
    """The reference areas ``shape`` overlaps, with the area of the overlap (in degrees²)."""
    found = []
    for layer in layers:
        for code, area in layer.areas.items():
            if not shapely.intersects(area, shape):
                continue
            found.append((code, area, shapely.area(shapely.intersection(area, shape))))
    return found


def _own_union(layers: Iterable[AdminLayer], jurisdiction: Sequence[str]) -> BaseGeometry | None:
    """The officer's own areas, as the reference layers draw them (``None``: none is loaded)."""
    own = [area for layer in layers for code, area in layer.areas.items() if covers(jurisdiction, code)]
    return shapely.union_all(own) if own else None


def check_within(
    shapes: Iterable[AreaShape], layers: Mapping[str, AdminLayer], jurisdiction: Sequence[str], what: str
) -> None:
    """Refuse ``what`` (issuing, updating, cancelling) unless every area lies inside ``jurisdiction``.

    Only what a drawn area reaches beyond the officer's own areas is measured (reference layers
    may overlap at borders), and what all the message's areas reach of each neighbour is added up,
    so splitting a drawing into many small strays covers the neighbour all the same.

    :raise OutsideJurisdiction: naming each area outside (``/info/0/area/1``) and why.
    """
    if EVERYWHERE in jurisdiction:
        return
    shapes = list(shapes)
    problems = [
        FieldProblem(f"/info/{s.info}/area/{s.area}", f"{s.description!r} names {', '.join(outside)}")
        for s in shapes
        if s.codes and (outside := [code for code in s.codes if not covers(jurisdiction, code)])
    ]
    drawn = [s for s in shapes if not s.codes]
    own = _own_union(layers.values(), jurisdiction)
    reached: dict[str, float] = {}
    sizes: dict[str, float] = {}
    by: dict[str, list[int]] = {}
    for n, shape in enumerate(drawn):
        beyond = shape.drawn if own is None else shapely.difference(shape.drawn, own)
        for code, area, overlap in _meeting(layers.values(), beyond):
            if overlap > 0 and not covers(jurisdiction, code):
                reached[code] = reached.get(code, 0.0) + overlap
                sizes[code] = shapely.area(area)
                by.setdefault(code, []).append(n)
    total = sum(shapely.area(s.drawn) for s in drawn)
    covered = sorted(c for c, o in reached.items() if o > STRAY * total or o > STRAY * sizes[c])
    for n, shape in enumerate(drawn):
        mine = [c for c in covered if n in by[c]]
        if mine:
            where = f"/info/{shape.info}/area/{shape.area}"
            problems.append(FieldProblem(where, f"{shape.description!r} covers {', '.join(mine)}"))
    if problems:
        problems.sort(key=lambda p: [int(part) if part.isdigit() else part for part in p.pointer.split("/")])
        raise OutsideJurisdiction(
            f"{what} is refused: {len(problems)} area(s) lie outside your jurisdiction "
            f"({', '.join(jurisdiction)})",
            errors=problems,
        )


def covered_codes(shapes: Iterable[AreaShape], layers: Mapping[str, AdminLayer]) -> list[str]:
    """The reference areas a message's areas reach (those given by geocodes, and those a drawn
    area overlaps), sorted: whose alert it is."""
    found: set[str] = set()
    for shape in shapes:
        if shape.codes:
            found.update(shape.codes)
        else:
            found.update(code for code, _, overlap in _meeting(layers.values(), shape.drawn) if overlap > 0)
    return sorted(found)


def visible(codes: Sequence[str] | None, jurisdiction: Sequence[str]) -> bool:
    """Whether an alert reaching ``codes`` is within sight of ``jurisdiction``: it reaches one of
    its areas. An alert reaching no known area is seen only by those whose jurisdiction is
    everywhere; one stored before its areas were kept (``None``) by everyone.

    >>> visible(["HN-CH", "HN-VA"], ("HN-CH",)), visible(["DO-01"], ("HN",)), visible([], ("*",))
    (True, False, True)
    """
    if EVERYWHERE in jurisdiction or codes is None:
        return True
    return any(covers(jurisdiction, code) for code in codes)


def check_visible(codes: Sequence[str] | None, jurisdiction: Sequence[str], what: str) -> None:
    """:raise OutsideJurisdiction: ``what`` (an alert, a footprint) lies outside ``jurisdiction``."""
    if not visible(codes, jurisdiction):
        raise OutsideJurisdiction(
            f"{what} lies outside your jurisdiction ({', '.join(jurisdiction)})",
            errors=[FieldProblem("/", f"reaches {', '.join(codes or []) or 'no area you hold'}")],
        )


def check_all_within(codes: Sequence[str] | None, jurisdiction: Sequence[str], what: str) -> None:
    """:raise OutsideJurisdiction: ``what`` reaches an area outside ``jurisdiction``, naming it."""
    if EVERYWHERE in jurisdiction:
        return
    outside = [code for code in codes or [] if not covers(jurisdiction, code)]
    if outside or codes is None:
        raise OutsideJurisdiction(
            f"{what} reaches areas outside your jurisdiction ({', '.join(jurisdiction)})",
            errors=[FieldProblem("/incident_id", f"reaches {', '.join(outside) or 'areas not known'}")],
        )
