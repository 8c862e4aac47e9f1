"""Reading CAP 1.2 XML safely: defusedxml (no DTDs, no entities), the official schema, and the
elements Amparo needs, keeping the original document byte for byte elsewhere.

Real agencies bend the schema in ways whose meaning is clear; those are read, with a warning that
names the place and the repair, because refusing a real warning over its notation would help no
one:

* times written with ``Z`` (CAP wants an offset) are read as UTC;
* a CAP 1.1 message is read as CAP 1.2 (the elements Amparo reads are the same in both);
* elements out of the schema's order inside ``<alert>``, ``<info>``, ``<area>`` or ``<resource>``
  (``<polygon>`` after ``<geocode>``, as one of the largest producers writes) are read in order.

Anything else the schema refuses is refused, naming the element.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import xmlschema
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from services.alerts.adapters.cap_schema_order import SCHEMA_ORDER
from services.alerts.domain.cap import (
    Area,
    CapError,
    CapMessage,
    Circle,
    Info,
    MsgType,
    Reference,
    check_message,
)
from shared.errors import FieldProblem

NS = "urn:oasis:names:tc:emergency:cap:1.2"
NS_1_1 = "urn:oasis:names:tc:emergency:cap:1.1"
SCHEMA = Path(__file__).resolve().parent.parent / "schemas" / "CAP-v1.2.xsd"
MAX_BYTES = 5 * 1024 * 1024
_Z_TIME = re.compile(
    rb"(<(?:\w+:)?(?:sent|effective|onset|expires)>\s*\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z(\s*<)"
)


@lru_cache(maxsize=1)
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA))


def parse_cap_xml(raw: bytes) -> CapMessage:
    """Parse, validate and read a CAP 1.2 XML message.

    :raise CapError: naming what is wrong: too large, not XML, a DTD or entity (refused, never
        resolved), not CAP 1.2, a schema violation (with its path), or a CAP rule broken.
    """
    if len(raw) > MAX_BYTES:
        raise CapError(
            f"the message is {len(raw):,} bytes; CAP messages over {MAX_BYTES:,} bytes are refused",
            errors=[FieldProblem("/", "too large")],
        )
    warnings: list[str] = []
    if _Z_TIME.search(raw):
        warnings.append(
            "the feed writes times with 'Z', which CAP 1.2 forbids (it wants an offset such as "
            "+00:00); they were read as UTC"
        )
        raw = _Z_TIME.sub(rb"\1+00:00\2", raw)
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapError(
            f"refused: the document declares a DTD or entities ({type(exc).__name__}); CAP needs neither",
            errors=[FieldProblem("/", "DTD or entity declaration")],
        ) from exc
    except SafeET.ParseError as exc:
        raise CapError(f"not well-formed XML: {exc}", errors=[FieldProblem("/", str(exc))]) from exc
    if root.tag == f"{{{NS_1_1}}}alert":
        _renamespace(root, NS_1_1, NS)
        warnings.append("/alert: a CAP 1.1 message; it was read as CAP 1.2")
    if root.tag != f"{{{NS}}}alert":
        raise CapError(
            f"not a CAP 1.2 alert (root element {root.tag!r}; expected alert in {NS})",
            errors=[FieldProblem("/", "root element")],
        )
    errors = list(_schema().iter_errors(root))
    if errors:
        reordered = _in_schema_order(root, "/alert")
        if not reordered or list(_schema().iter_errors(root)):
            problems = [FieldProblem(_path(e.path), e.reason or str(e)) for e in errors[:20]]
            raise CapError(
                "the message is not valid CAP 1.2: "
                + "; ".join(f"{p.pointer}: {p.detail}" for p in problems[:3]),
                errors=problems,
            )
        warnings += reordered
    message = _read(root, warnings)
    check_message(message)
    return message


def _renamespace(root: Any, old: str, new: str) -> None:
    """Every element of namespace ``old`` moved to ``new``, in place."""
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{old}}}"):
            element.tag = f"{{{new}}}" + element.tag[len(old) + 2 :]


def _local(element: Any) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _in_schema_order(element: Any, where: str) -> list[str]:
    """Put the children of ``element`` and its descendants in the schema's order, in place;
    return one warning per element whose children moved, naming it and what came out of order."""
    moved = []
    order = SCHEMA_ORDER.get(_local(element))
    if order is not None:
        children = list(element)
        rank = {name: n for n, name in enumerate(order)}
        ordered = sorted(children, key=lambda child: rank.get(_local(child), len(order)))
        if ordered != children:
            late = next(
                (a, b)
                for a, b in zip(children, children[1:], strict=False)
                if rank.get(_local(a), len(order)) > rank.get(_local(b), len(order))
            )
            element[:] = ordered
            moved.append(
                f"{where}: <{_local(late[1])}> came after <{_local(late[0])}>; "
                "the elements were read in the schema's order"
            )
    seen: dict[str, int] = {}
    for child in element:
        name = _local(child)
        if name in SCHEMA_ORDER:
            number = seen.get(name, 0)
            seen[name] = number + 1
            moved += _in_schema_order(child, f"{where}/{name}/{number}")
    return moved


def _path(path: str | None) -> str:
    return re.sub(r"\{[^}]*\}", "", path or "/")


def _text(element: Any, name: str) -> str | None:
    child = element.find(f"{{{NS}}}{name}")
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _all(element: Any, name: str) -> list[str]:
    return [c.text.strip() for c in element.findall(f"{{{NS}}}{name}") if c.text and c.text.strip()]


def _time(value: str | None) -> datetime | None:
    """:raise CapError: a time the schema lets through but no calendar has (``T24:00:00``)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise CapError(
            f"{value!r} is not a time: {exc}", errors=[FieldProblem("/alert", f"time {value!r}")]
        ) from exc


def _pairs(element: Any, name: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        ((_text(p, "valueName") or ""), (_text(p, "value") or "")) for p in element.findall(f"{{{NS}}}{name}")
    )


def _read(root: Any, warnings: list[str]) -> CapMessage:
    references = tuple(_reference(r) for r in " ".join(_all(root, "references")).split())
    infos = tuple(_info(i, n, warnings) for n, i in enumerate(root.findall(f"{{{NS}}}info")))
    sent = _time(_text(root, "sent"))
    assert sent is not None  # required by the schema
    return CapMessage(
        identifier=_text(root, "identifier") or "",
        sender=_text(root, "sender") or "",
        sent=sent,
        status=_text(root, "status") or "",
        msg_type=MsgType(_text(root, "msgType")),
        scope=_text(root, "scope") or "",
        infos=infos,
        references=references,
        incidents=tuple(" ".join(_all(root, "incidents")).split()),
        note=_text(root, "note"),
        warnings=tuple(warnings),
    )


def _reference(text: str) -> Reference:
    parts = text.split(",")
    if len(parts) != 3:
        raise CapError(
            f"reference {text!r} is not sender,identifier,sent", errors=[FieldProblem("/references", text)]
        )
    return Reference(*parts)


def _info(element: Any, number: int, warnings: list[str]) -> Info:
    return Info(
        language=_text(element, "language") or "en-US",
        categories=tuple(_all(element, "category")),
        event=_text(element, "event") or "",
        urgency=_text(element, "urgency") or "Unknown",
        severity=_text(element, "severity") or "Unknown",
        certainty=_text(element, "certainty") or "Unknown",
        response_types=tuple(_all(element, "responseType")),
        onset=_time(_text(element, "onset")),
        effective=_time(_text(element, "effective")),
        expires=_time(_text(element, "expires")),
        headline=_text(element, "headline"),
        description=_text(element, "description"),
        instruction=_text(element, "instruction"),
        sender_name=_text(element, "senderName"),
        parameters=_pairs(element, "parameter"),
        event_codes=_pairs(element, "eventCode"),
        areas=tuple(_area(a, number, k, warnings) for k, a in enumerate(element.findall(f"{{{NS}}}area"))),
    )


def _area(element: Any, info: int, number: int, warnings: list[str]) -> Area:
    where = f"/info/{info}/area/{number}"
    polygons = []
    for k, text in enumerate(_all(element, "polygon")):
        points = []
        for pair in text.split():
            try:
                lat, lon = (float(v) for v in pair.split(","))
            except ValueError as exc:
                raise CapError(
                    f"{where}/polygon/{k}: {pair!r} is not a 'lat,lon' pair",
                    errors=[FieldProblem(f"{where}/polygon/{k}", f"{pair!r} is not lat,lon")],
                ) from exc
            points.append((lat, lon))
        polygons.append(tuple(points))
    circles = []
    for k, text in enumerate(_all(element, "circle")):
        try:
            centre, radius = text.split()
            lat, lon = (float(v) for v in centre.split(","))
            circles.append(Circle(lat, lon, float(radius)))
        except ValueError as exc:
            raise CapError(
                f"{where}/circle/{k}: {text!r} is not 'lat,lon radius-km'",
                errors=[FieldProblem(f"{where}/circle/{k}", f"{text!r} is not lat,lon radius")],
            ) from exc
    altitude, ceiling = _text(element, "altitude"), _text(element, "ceiling")
    return Area(
        description=_text(element, "areaDesc") or "",
        polygons=tuple(polygons),
        circles=tuple(circles),
        geocodes=_pairs(element, "geocode"),
        altitude=float(altitude) if altitude else None,
        ceiling=float(ceiling) if ceiling else None,
    )
