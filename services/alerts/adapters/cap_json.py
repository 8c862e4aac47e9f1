"""CAP's JSON equivalent: the same elements as JSON members (``{"alert": {"identifier": …,
"info": [{…, "area": [{"polygon": ["lat,lon …"]}]}]}}``), turned into CAP XML so that one path
validates it against the official schema and reads it."""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

from services.alerts.adapters.cap_schema_order import SCHEMA_ORDER
from services.alerts.adapters.cap_xml import NS
from services.alerts.domain.cap import CapError
from shared.errors import FieldProblem

#: The CAP 1.2 element order the schema requires, per parent element.
ORDER = SCHEMA_ORDER


def cap_json_to_xml(raw: bytes) -> bytes:
    """The CAP XML document a CAP-JSON message stands for.

    :raise CapError: not JSON, or a member that is not a CAP element (naming it).
    """
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise CapError(f"not JSON: {exc}", errors=[FieldProblem("/", "not JSON")]) from exc
    alert = document.get("alert", document) if isinstance(document, dict) else None
    if not isinstance(alert, dict):
        raise CapError("expected a CAP alert object", errors=[FieldProblem("/", "not an object")])
    return b'<?xml version="1.0" encoding="UTF-8"?>' + _element("alert", alert, "/alert", root=True).encode()


def _element(name: str, value: Any, path: str, root: bool = False) -> str:
    attributes = f' xmlns="{NS}"' if root else ""
    if isinstance(value, dict):
        order = ORDER.get(name)
        if order is None:
            raise CapError(
                f"{path}: {name} holds text, not an object", errors=[FieldProblem(path, "not text")]
            )
        unknown = set(value) - set(order)
        if unknown:
            raise CapError(
                f"{path}: not CAP elements: {', '.join(sorted(unknown))}",
                errors=[FieldProblem(f"{path}/{sorted(unknown)[0]}", "not a CAP element")],
            )
        children = "".join(
            _children(child, value[child], f"{path}/{child}") for child in order if child in value
        )
        return f"<{name}{attributes}>{children}</{name}>"
    if isinstance(value, bool) or value is None or isinstance(value, list):
        raise CapError(f"{path}: expected text", errors=[FieldProblem(path, "expected text")])
    return f"<{name}>{escape(str(value))}</{name}>"


def _children(name: str, value: Any, path: str) -> str:
    items = value if isinstance(value, list) else [value]
    return "".join(
        _element(name, item, f"{path}/{n}" if isinstance(value, list) else path)
        for n, item in enumerate(items)
    )
