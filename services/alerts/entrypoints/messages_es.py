"""Spanish for the messages the alerts service refuses with, by the English template each is
written from (:mod:`shared.messages_es` says why templates and not keys, and holds what every
service says: tokens, roles, marshmallow's messages, HTTP's refusals).

For now it holds what a household-level read can answer (an alert and a household not found, an
alert outside the caller's jurisdiction): those are read by people who take a family's complaint.
The other messages of the alerts service (CAP's schema, feeds, footprints) are read by civil
protection's operators and stay English until they are written here.
"""

from __future__ import annotations

from shared.languages import Catalogue
from shared.messages_es import PARTS as SHARED_PARTS
from shared.messages_es import SHARED

#: The kinds of error of the alerts service (``domain/``).
TITLES = {
    "An area lies outside your jurisdiction": "Un área queda fuera de su jurisdicción",
}

#: What an alert read answers when it cannot (``service_layer/alerts.py``, ``distances.py``).
READS = {
    "no alert {incident}": "no existe la alerta {incident}",
    "alert {incident} lies outside your jurisdiction ({jurisdiction})": (
        "la alerta {incident} queda fuera de su jurisdicción ({jurisdiction})"
    ),
    "reaches {codes}": "alcanza {codes}",
    "reaches no area you hold": "no alcanza ninguna de sus áreas",
    "no household {household} in the location index": (
        "no existe el hogar {household} en el índice de ubicaciones"
    ),
}

#: The alerts service's own messages.
ALERTS = {**TITLES, **READS}
#: What :func:`shared.web.build_app` is given: the alerts service's messages and every service's.
CATALOGUE = Catalogue(SHARED, ALERTS, parts=SHARED_PARTS)
