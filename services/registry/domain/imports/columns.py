"""Which column of an import file holds which field: the user's mapping first, then the
column's own name or a header registries commonly use (Spanish, KoboToolbox).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

from services.registry.domain.members import PLAIN_ATTRIBUTES, WG_DOMAINS

#: How the household is paid: the channel, its provider and the account, wallet or pickup point.
PAYMENT_FIELDS = (
    "payment_type",
    "payment_provider",
    "account_number",
    "iban",
    "bank_code",
    "wallet_number",
    "pickup_point",
)
PAYMENT_IDENTIFIERS = ("account_number", "iban", "bank_code", "wallet_number", "pickup_point")
HOUSEHOLD_FIELDS = (
    "household_ref",
    "registration_number",  # the registered household the rows update (its number or its id)
    "admin_code",
    "lat",
    "lon",
    "accuracy_m",
    "address",
    "wall",
    "roof",
    "floor",
    "tenure",
    "rooms",
    "water_source",
    "sanitation",
    "livelihood",
    "income_source",
    *PAYMENT_FIELDS,
    #: The household's consent, on its first row: the purposes, and the day it was given.
    "consent",
    "consent_date",
)
#: A visit's assessment after a hazard, on the household's first row that has one (see
#: ``docs/registry.md``): the exercise (its id or its exact name) and what the visit found.
ASSESSMENT_FIELDS = (
    "assessment_event",
    "dwelling_damage",
    "displacement",
    "shelter",
    "livelihood_losses",
    "needs",
    "assessed_at",
)
MEMBER_FIELDS = (
    *PLAIN_ATTRIBUTES,
    "document_type",
    "document_number",
    "phone",
    *(f"disability_{d}" for d in WG_DOMAINS),
)
FIELDS = HOUSEHOLD_FIELDS + MEMBER_FIELDS + ASSESSMENT_FIELDS
REQUIRED = ("household_ref", "admin_code", "given_names", "family_names", "sex", "relationship")

#: Headers commonly seen in LAC registry spreadsheets and KoboToolbox forms, normalised.
ALIASES = {
    "codigo_hogar": "household_ref",
    "id_hogar": "household_ref",
    "hogar": "household_ref",
    "uuid": "household_ref",
    "id": "household_ref",
    "instanceid": "household_ref",
    "numero_de_registro": "registration_number",
    "numero_registro": "registration_number",
    "no_registro": "registration_number",
    "nro_registro": "registration_number",
    "registro": "registration_number",
    "id_registro": "registration_number",
    "household_id": "registration_number",
    "registration_no": "registration_number",
    "codigo_admin": "admin_code",
    "codigo_area": "admin_code",
    "departamento": "admin_code",
    "latitud": "lat",
    "latitude": "lat",
    "longitud": "lon",
    "longitude": "lon",
    "precision_m": "accuracy_m",
    "direccion": "address",
    "nombres": "given_names",
    "nombre": "given_names",
    "apellidos": "family_names",
    "apellido": "family_names",
    "sexo": "sex",
    "parentesco": "relationship",
    "fecha_nacimiento": "birth_date",
    "fecha_de_nacimiento": "birth_date",
    "edad": "age_estimate",
    "tipo_documento": "document_type",
    "numero_documento": "document_number",
    "dni": "document_number",
    "identidad": "document_number",
    "telefono": "phone",
    "consentimiento": "consent",
    "fecha_consentimiento": "consent_date",
    "fecha_de_consentimiento": "consent_date",
    "celular": "phone",
    "paredes": "wall",
    "techo": "roof",
    "piso": "floor",
    "tenencia": "tenure",
    "cuartos": "rooms",
    "habitaciones": "rooms",
    "fuente_agua": "water_source",
    "agua": "water_source",
    "saneamiento": "sanitation",
    "medio_de_vida": "livelihood",
    "fuente_ingreso": "income_source",
    "embarazada": "pregnant",
    "enfermedad_cronica": "chronic_illness",
    "asiste_escuela": "attends_school",
    "dificultad_para_ver": "disability_seeing",
    "dificultad_para_oir": "disability_hearing",
    "dificultad_para_caminar": "disability_walking",
    "dificultad_para_recordar": "disability_cognition",
    "dificultad_para_el_cuidado_personal": "disability_self_care",
    "dificultad_para_comunicarse": "disability_communication",
    "medio_de_pago": "payment_type",
    "tipo_de_pago": "payment_type",
    "forma_de_pago": "payment_type",
    "proveedor_de_pago": "payment_provider",
    "banco": "payment_provider",
    "numero_de_cuenta": "account_number",
    "cuenta": "account_number",
    "codigo_de_banco": "bank_code",
    "billetera": "wallet_number",
    "numero_de_billetera": "wallet_number",
    "punto_de_pago": "pickup_point",
    "punto_de_retiro": "pickup_point",
    "evaluacion": "assessment_event",
    "ejercicio_de_evaluacion": "assessment_event",
    "dano_vivienda": "dwelling_damage",
    "danos_vivienda": "dwelling_damage",
    "dano_a_la_vivienda": "dwelling_damage",
    "desplazamiento": "displacement",
    "albergue": "shelter",
    "perdidas_medios_de_vida": "livelihood_losses",
    "perdidas": "livelihood_losses",
    "necesidades": "needs",
    "necesidades_inmediatas": "needs",
    "fecha_evaluacion": "assessed_at",
    "fecha_de_evaluacion": "assessed_at",
}


@functools.lru_cache(maxsize=4096)  # a file repeats its few answers (sexes, relationships, roofs)
def normalise(text: str) -> str:
    """``Fecha de Nacimiento`` → ``fecha_de_nacimiento`` (accents folded, lowercase, underscores)."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower().strip()
    folded = folded.rsplit("/", 1)[-1]  # KoboToolbox group prefixes: "hogar/departamento"
    return re.sub(r"[^a-z0-9]+", "_", folded).strip("_")


class MappingError(ValueError):
    """The column mapping names unknown fields or leaves required ones unmapped."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def resolve_mapping(headers: Iterable[str], mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Return ``{header: field}`` for the file's headers.

    ``mapping`` is ``{field: header}`` as the user gave it; headers it does not name are matched by
    their own name or a known alias.

    :raise MappingError: naming unknown fields, headers missing from the file and unmapped
        required fields.
    """
    headers = [h for h in headers if h is not None and str(h).strip()]
    problems: dict[str, str] = {}
    by_header: dict[str, str] = {}
    given = dict(mapping or {})
    for target, header in given.items():
        if target not in FIELDS:
            problems[f"mapping.{target}"] = "not a field Amparo imports"
        elif header not in headers:
            problems[f"mapping.{target}"] = f"the file has no column {header!r}"
        else:
            by_header[header] = target
    taken = set(by_header.values())
    for header in headers:
        if header in by_header:
            continue
        key = normalise(header)
        found = key if key in FIELDS else ALIASES.get(key)
        if found and found not in taken:
            by_header[header] = found
            taken.add(found)
    for target in REQUIRED:
        if target not in taken:
            problems.setdefault(f"mapping.{target}", "required: map a column to it")
    if problems:
        raise MappingError(problems)
    return by_header
