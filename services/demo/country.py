"""The demo's country, the Dominican Republic: its code and currency, the bundled data the demo
reads, and the people who sign in to its console."""

from __future__ import annotations

from importlib import resources

from shared.auth import (
    APPROVER,
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    HOTLINE_OPERATOR,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)

DATA = resources.files("services") / "demo_data"
COUNTRY = "DO"
CURRENCY = "DOP"

#: Who signs in to the demo's console: (username, name, roles, jurisdiction).
PEOPLE = (
    ("coe-ana", "Ana Castillo", [CIVIL_PROTECTION], [COUNTRY]),
    ("ids-luis", "Luis Peña", [PROGRAMME_OFFICER], [COUNTRY]),
    ("ids-maria", "María Rosario", [APPROVER], [COUNTRY]),
    ("ids-jose", "José Almonte", [APPROVER], [COUNTRY]),
    ("ids-rosa", "Rosa Guzmán", [PAYMENTS_OFFICER], [COUNTRY]),
    ("campo-carla", "Carla Féliz", [FIELD_STAFF], ["DO-11"]),
    ("reg-marta", "Marta Jiménez", [REGISTRY_OFFICER], [COUNTRY]),
    ("aud-pedro", "Pedro Núñez", [AUDITOR], [COUNTRY]),
    ("linea-lucia", "Lucía Batista", [HOTLINE_OPERATOR], [COUNTRY]),
)
