"""Reading the cells of an import file as people write them: Spanish words, yes/no in many
forms, dates typed or from Excel; every unreadable cell is reported by row and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.registry.domain.imports.columns import PAYMENT_FIELDS, normalise
from services.registry.domain.members import WG_DOMAINS

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
#: A visit's findings in the words forms use (KoboToolbox writes a multiple choice as its choices
#: separated by spaces; spreadsheets by commas or semicolons).
DAMAGE = {
    "none": "none",
    "ninguno": "none",
    "ninguna": "none",
    "sin_dano": "none",
    "no": "none",
    "partial": "partial",
    "parcial": "partial",
    "danada": "partial",
    "dano_parcial": "partial",
    "destroyed": "destroyed",
    "destruida": "destroyed",
    "total": "destroyed",
    "dano_total": "destroyed",
}
DISPLACEMENT = {
    "at_home": "at_home",
    "en_casa": "at_home",
    "en_la_vivienda": "at_home",
    "en_su_vivienda": "at_home",
    "host_family": "host_family",
    "familia_de_acogida": "host_family",
    "con_familiares": "host_family",
    "casa_de_familiares": "host_family",
    "shelter": "shelter",
    "albergue": "shelter",
    "refugio": "shelter",
}
LOSSES = {
    "crops": "crops",
    "cultivos": "crops",
    "cosecha": "crops",
    "livestock": "livestock",
    "ganado": "livestock",
    "animales": "livestock",
    "work": "work",
    "trabajo": "work",
    "empleo": "work",
    "tools": "tools",
    "herramientas": "tools",
}
NEEDS = {
    **{n: n for n in ("water", "food", "shelter", "health", "hygiene", "cash", "clothing", "documents")},
    **{n: n for n in ("psychosocial", "other")},
    "agua": "water",
    "alimentos": "food",
    "comida": "food",
    "albergue": "shelter",
    "techo": "shelter",
    "salud": "health",
    "higiene": "hygiene",
    "efectivo": "cash",
    "dinero": "cash",
    "ropa": "clothing",
    "documentos": "documents",
    "apoyo_psicosocial": "psychosocial",
    "psicosocial": "psychosocial",
    "otro": "other",
    "otra": "other",
}


def _choices(value: Any, table: Mapping[str, str], what: str) -> list[str]:
    words = [w for w in re.split(r"[;,\s]+", str(value).strip()) if w]
    return list(dict.fromkeys(_choice(w, table, what) for w in words))


def _moment(value: Any) -> datetime | date:
    """A visit's time with its zone (ISO 8601), or its day alone (a ``date``: the visit's import
    places it within the exercise on that day)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    try:
        if len(text) <= 10:
            raise ValueError(text)  # a day alone
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _date(value)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone: write 2022-09-20T15:00-04:00 or the day alone")
    return moment


#: Consent purposes in the words registries use.
PURPOSES = {
    "registry": "registry",
    "registro": "registry",
    "emergency_transfers": "emergency_transfers",
    "transferencias": "emergency_transfers",
    "transferencias_de_emergencia": "emergency_transfers",
    "data_sharing_civil_protection": "data_sharing_civil_protection",
    "proteccion_civil": "data_sharing_civil_protection",
    "contact": "contact",
    "contacto": "contact",
    "mensajes": "contact",
}

CONVERTERS |= {
    "consent": lambda v: _choices(
        v, PURPOSES, "consent purpose (registro, transferencias, proteccion_civil, contacto)"
    ),
    "consent_date": _date,
    "dwelling_damage": lambda v: _choice(v, DAMAGE, "dwelling damage (ninguno, parcial, destruida)"),
    "displacement": lambda v: _choice(
        v, DISPLACEMENT, "displacement (en casa, familia de acogida, albergue)"
    ),
    "livelihood_losses": lambda v: _choices(
        v, LOSSES, "livelihood loss (cultivos, ganado, trabajo, herramientas)"
    ),
    "needs": lambda v: _choices(v, NEEDS, "need (agua, alimentos, albergue, salud, higiene, efectivo, …)"),
    "assessed_at": _moment,
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
                    "registration_number",
                    "admin_code",
                    "document_type",
                    "assessment_event",
                    "shelter",
                    *PAYMENT_FIELDS,
                ):
                    values[target] = VALUE_ALIASES.get(normalise(values[target]), normalise(values[target]))
        except (ValueError, TypeError, OverflowError) as exc:
            problems.add(row_number, header, str(exc))
    return values
