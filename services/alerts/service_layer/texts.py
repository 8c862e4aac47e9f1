"""What an alert says in words, statement by statement and language by language: its headline,
description, instruction and sender's name, read again from the message as it was received.

An officer updating an alert starts from these: the summary an incident keeps holds only what
matching and deciding need, while the message kept byte for byte holds every text it carried.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.alerts.domain.errors import IncidentNotFound
from services.alerts.domain.jurisdiction import EVERYWHERE, check_visible
from services.alerts.domain.statements import statements
from services.alerts.service_layer.areas import parse_cap
from services.alerts.service_layer.unit_of_work import AlertsUnitOfWork

#: The texts of an ``<info>`` block (``sender_name`` is CAP's ``senderName``).
TEXTS = ("headline", "description", "instruction", "sender_name")


def statement_texts(
    incident_id: str, uow: AlertsUnitOfWork, jurisdiction: Sequence[str] = (EVERYWHERE,)
) -> list[dict[str, Any]]:
    """For each statement of the alert's current message, its texts in each of its languages, in
    the order of the message's ``<info>`` blocks.

    :raise IncidentNotFound: unknown alert.
    :raise OutsideJurisdiction: the alert reaches none of ``jurisdiction``'s areas.
    """
    with uow:
        incident = uow.alerts.incident(incident_id)
        if incident is None:
            raise IncidentNotFound(f"no alert {incident_id}")
        current = uow.alerts.message(incident["current_message_id"])
        assert current is not None
    check_visible(current["summary"].get("admin_codes"), jurisdiction, f"alert {incident_id}")
    message = parse_cap(current["original"], current["content_type"])
    return [
        {
            "statement": statement.number,
            "texts": [
                {"language": message.infos[i].language}
                | {name: getattr(message.infos[i], name) for name in TEXTS}
                for i in statement.infos
            ],
        }
        for statement in statements(message)
    ]
