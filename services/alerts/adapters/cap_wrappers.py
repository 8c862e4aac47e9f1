"""Envelopes that hold several CAP alerts: an ``<alerts>`` list, as some national services send,
or an OASIS EDXL-DE distribution (1.0 or 2.0) whose content objects embed CAP alerts. Each alert
inside is taken out as a document of its own, to be read like any other."""

from __future__ import annotations

from xml.etree import ElementTree

from defusedxml import ElementTree as SafeET

from services.alerts.adapters.cap_xml import MAX_BYTES, NS, NS_1_1
from services.alerts.domain.cap import CapError
from shared.errors import FieldProblem

#: Root elements (by local name) that are envelopes of alerts, not alerts.
ENVELOPES = ("alerts", "EDXLDistribution")
#: An envelope is posted like a message, within the same limit.
MAX_WRAPPER_BYTES = MAX_BYTES


def unwrap(raw: bytes) -> list[bytes] | None:
    """The alerts an envelope holds, each as its own document; ``None`` when ``raw`` is not an
    envelope (a single alert, or something the CAP reader will name the fault of).

    :raise CapError: an envelope too large, or holding no CAP alert.
    """
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except Exception:  # noqa: BLE001 - not for here to say why: the CAP reader does
        return None
    if str(root.tag).rsplit("}", 1)[-1] not in ENVELOPES:
        return None
    if len(raw) > MAX_WRAPPER_BYTES:
        raise CapError(
            f"the envelope is {len(raw):,} bytes; envelopes over {MAX_WRAPPER_BYTES:,} bytes are refused",
            errors=[FieldProblem("/", "too large")],
        )
    try:
        alerts = [
            ElementTree.tostring(element, encoding="utf-8")
            for element in root.iter()
            if element.tag in (f"{{{NS}}}alert", f"{{{NS_1_1}}}alert")
        ]
    except RecursionError as exc:
        raise CapError(
            "the envelope nests elements too deeply", errors=[FieldProblem("/", "too deep")]
        ) from exc
    if not alerts:
        raise CapError(
            f"the {str(root.tag).rsplit('}', 1)[-1]} envelope holds no CAP alert",
            errors=[FieldProblem("/", "no alert inside")],
        )
    return [bytes(a) for a in alerts]
