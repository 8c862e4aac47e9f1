"""Reading other people's spreadsheets: column mapping, Spanish values, rows grouped into households.

An import file has one row per member; the rows of one household share a household reference
and stand together. Household-level fields (place, dwelling, services) are read from the
household's first row. Every problem is reported as (row, column, problem); nothing here writes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

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
)
MEMBER_FIELDS = (
    *PLAIN_ATTRIBUTES,
    "document_type",
    "document_number",
    "phone",
    *(f"disability_{d}" for d in WG_DOMAINS),
)
FIELDS = HOUSEHOLD_FIELDS + MEMBER_FIELDS
REQUIRED = ("household_ref", "admin_code", "given_names", "family_names", "sex", "relationship")

#: Headers commonly seen in LAC registry spreadsheets and KoboToolbox forms, normalised.
ALIASES = {
    "codigo_hogar": "household_ref",
    "id_hogar": "household_ref",
    "hogar": "household_ref",
    "uuid": "household_ref",
    "id": "household_ref",
    "instanceid": "household_ref",
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
}

SEX = {
    "f": "female",
    "femenino": "female",
    "mujer": "female",
    "female": "female",
    "m": "male",
    "masculino": "male",
    "hombre": "male",
    "male": "male",
}
RELATIONSHIP = {
    "jefe": "head",
    "jefa": "head",
    "jefe_de_hogar": "head",
    "jefa_de_hogar": "head",
    "head": "head",
    "esposo": "spouse",
    "esposa": "spouse",
    "conyuge": "spouse",
    "pareja": "spouse",
    "spouse": "spouse",
    "hijo": "child",
    "hija": "child",
    "hijo_a": "child",
    "child": "child",
    "nieto": "grandchild",
    "nieta": "grandchild",
    "grandchild": "grandchild",
    "padre": "parent",
    "madre": "parent",
    "parent": "parent",
    "hermano": "sibling",
    "hermana": "sibling",
    "sibling": "sibling",
    "otro_pariente": "other_relative",
    "other_relative": "other_relative",
    "no_pariente": "not_related",
    "not_related": "not_related",
}
#: Spanish words for dwelling materials, water, sanitation and livelihoods, normalised.
VALUE_ALIASES = {
    "lamina": "sheet_metal",
    "zinc": "sheet_metal",
    "lamina_de_zinc": "sheet_metal",
    "teja": "tile",
    "paja": "thatch",
    "palma": "thatch",
    "manaca": "thatch",
    "concreto": "concrete",
    "losa": "concrete",
    "bloque": "concrete_block",
    "bloque_de_concreto": "concrete_block",
    "ladrillo": "brick",
    "madera": "wood",
    "adobe": "adobe",
    "bahareque": "bahareque",
    "plastico": "plastic_or_cardboard",
    "carton": "plastic_or_cardboard",
    "ceramica": "tile",
    "cemento": "cement",
    "tierra": "earth",
    "propia": "owned",
    "alquilada": "rented",
    "prestada": "borrowed",
    "ocupada": "occupied",
    "pozo": "well",
    "cisterna": "truck",
    "rio": "river_or_rain",
    "lluvia": "river_or_rain",
    "llave_publica": "public_tap",
    "tuberia_en_casa": "piped_dwelling",
    "alcantarillado": "sewer",
    "fosa_septica": "septic_tank",
    "letrina": "latrine",
    "ninguno": "none",
    "ninguna": "none",
    "agricultura": "agriculture",
    "pesca": "fishing",
    "ganaderia": "livestock",
    "empleo": "wage_employment",
    "comercio": "trade",
    "trabajo_domestico": "domestic_work",
    "remesas": "remittances",
    "formal": "formal",
    "informal": "informal",
    "transferencias": "transfers",
}
YES = {"si", "yes", "true", "1", "x", "s", "y", "verdadero"}
NO = {"no", "false", "0", "n", "falso", ""}
EXCEL_EPOCH = date(1899, 12, 30)


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


@dataclass
class RowProblems:
    """Problems found while reading rows: (row, column, problem) triples."""

    items: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, row: int, column: str, problem: str) -> None:
        self.items.append((row, column, problem))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return EXCEL_EPOCH + timedelta(days=int(value))  # an Excel serial day number
    text = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    if text.isdigit():
        return EXCEL_EPOCH + timedelta(days=int(text))
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")


def _number(value: Any, kind: type) -> Any:
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
    number = float(value)
    if kind is int:
        if not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(number)
    return number


def _flag(value: Any) -> bool:
    text = normalise(str(value)) if value is not None else ""
    if text in YES:
        return True
    if text in NO:
        return False
    raise ValueError(f"{value!r} is not yes/no (sí, no, 1, 0)")


def _choice(value: Any, table: Mapping[str, str], what: str) -> str:
    key = normalise(str(value))
    if key in table:
        return table[key]
    raise ValueError(f"{value!r} is not a known {what}")


#: Payment channels in the words registries use.
PAYMENT_TYPE = {
    "cuenta_bancaria": "bank_account",
    "transferencia_bancaria": "bank_account",
    "banco": "bank_account",
    "bank_account": "bank_account",
    "billetera_movil": "mobile_money",
    "dinero_movil": "mobile_money",
    "mobile_money": "mobile_money",
    "efectivo": "cash_pickup",
    "retiro_en_efectivo": "cash_pickup",
    "cash_pickup": "cash_pickup",
}
CONVERTERS: dict[str, Any] = {
    "lat": lambda v: _number(v, float),
    "lon": lambda v: _number(v, float),
    "accuracy_m": lambda v: _number(v, float),
    "rooms": lambda v: _number(v, int),
    "age_estimate": lambda v: _number(v, int),
    "birth_date": _date,
    "sex": lambda v: _choice(v, SEX, "sex (F/M, femenino/masculino)"),
    "relationship": lambda v: _choice(v, RELATIONSHIP, "relationship (jefe/a, esposo/a, hijo/a, …)"),
    "pregnant": _flag,
    "chronic_illness": _flag,
    "attends_school": _flag,
    "payment_type": lambda v: _choice(
        v, PAYMENT_TYPE, "payment channel (cuenta bancaria, billetera móvil, efectivo)"
    ),
    **{f"disability_{d}": lambda v: _number(v, int) for d in WG_DOMAINS},
}
CODES = {"admin_code": str.upper}


def read_row(
    row_number: int, raw: Mapping[str, Any], columns: Mapping[str, str], problems: RowProblems
) -> dict[str, Any]:
    """Convert one row's mapped cells; each unreadable cell is reported by row and column."""
    values: dict[str, Any] = {}
    for header, target in columns.items():
        cell = raw.get(header)
        if _text(cell) is None:
            continue
        try:
            if target in CONVERTERS:
                values[target] = CONVERTERS[target](cell)
            else:
                text = _text(cell) or ""
                values[target] = CODES[target](text) if target in CODES else text
                if target not in (
                    "given_names",
                    "family_names",
                    "address",
                    "document_number",
                    "phone",
                    "household_ref",
                    "admin_code",
                    "document_type",
                    *PAYMENT_FIELDS,
                ):
                    values[target] = VALUE_ALIASES.get(normalise(values[target]), normalise(values[target]))
        except (ValueError, TypeError, OverflowError) as exc:
            problems.add(row_number, header, str(exc))
    return values


@dataclass
class HouseholdRows:
    """The rows of one household in the file."""

    ref: str
    first_row: int
    rows: list[tuple[int, dict[str, Any]]]


def group_households(
    rows: Iterable[tuple[int, dict[str, Any]]], problems: RowProblems
) -> Iterator[HouseholdRows]:
    """Group consecutive rows by ``household_ref``; a reference seen again later is an error.

    Only the references seen so far are remembered, not the rows, so a file of any length is
    read in constant memory per household.
    """
    seen: set[str] = set()
    current: HouseholdRows | None = None
    for number, values in rows:
        if not values:
            continue  # an empty row
        ref = values.get("household_ref")
        if not ref:
            problems.add(number, "household_ref", "missing: every row needs its household reference")
            continue
        if current is not None and ref == current.ref:
            current.rows.append((number, values))
            continue
        if current is not None:
            yield current
        if ref in seen:
            problems.add(
                number,
                "household_ref",
                f"household {ref} appeared earlier in the file; keep each household's rows together",
            )
            current = None
            continue
        seen.add(ref)
        current = HouseholdRows(ref, number, [(number, values)])
    if current is not None:
        yield current


def household_document(group: HouseholdRows) -> dict[str, Any]:
    """The household as a registration body (the shape of ``POST /v1/households``)."""
    first = group.rows[0][1]
    members = []
    for _, values in group.rows:
        member: dict[str, Any] = {k: values[k] for k in (*PLAIN_ATTRIBUTES, "phone") if k in values}
        if values.get("document_number"):
            member["document"] = {
                "type": values.get("document_type") or "national_id",
                "number": values["document_number"],
            }
        disability = {d: values[f"disability_{d}"] for d in WG_DOMAINS if f"disability_{d}" in values}
        if disability:
            member["disability"] = disability
        members.append(member)
    body: dict[str, Any] = {"admin_code": first.get("admin_code"), "members": members}
    if "lat" in first or "lon" in first:
        body["location"] = {
            "lat": first.get("lat"),
            "lon": first.get("lon"),
            "accuracy_m": first.get("accuracy_m"),
            "source": "gps",
        }
    if first.get("address"):
        body["address"] = first["address"]
    body["dwelling"] = {k: first[k] for k in ("wall", "roof", "floor", "tenure", "rooms") if k in first}
    body["services"] = {k: first[k] for k in ("water_source", "sanitation") if k in first}
    livelihood = {"main": first.get("livelihood"), "income_source": first.get("income_source")}
    body["livelihood"] = {k: v for k, v in livelihood.items() if v is not None}
    if first.get("payment_type"):
        body["payment"] = {
            "type": first["payment_type"],
            "provider": first.get("payment_provider"),
            "identifiers": {k: first[k] for k in PAYMENT_IDENTIFIERS if first.get(k)},
        }
    return body
