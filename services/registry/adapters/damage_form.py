"""The damage and needs form for KoboToolbox or ODK (an XLSForm), whose submissions the registry's
import reads as they are exported: each question is named as the import's columns are known, and
each choice as the import reads it (``docs/registry.md``, *Assessments in a file*).

One submission is one household: where it lives, its members (a repeat group), the registration
number if the registry knows it already, and what the visit found.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

#: (type, name, English label, Spanish label, required, relevant)
SURVEY: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("begin_group", "hogar", "Household", "Hogar", "", ""),
    (
        "text",
        "numero_registro",
        "Registration number (if registered)",
        "Número de registro (si ya está)",
        "",
        "",
    ),
    ("text", "codigo_area", "Admin area code (e.g. DO-11)", "Código de área (p. ej. DO-11)", "yes", ""),
    ("geopoint", "ubicacion", "Location", "Ubicación", "yes", ""),
    ("end_group", "", "", "", "", ""),
    ("begin_repeat", "miembros", "Members", "Integrantes", "", ""),
    ("text", "nombres", "Given names", "Nombres", "yes", ""),
    ("text", "apellidos", "Family names", "Apellidos", "yes", ""),
    ("select_one sexo", "sexo", "Sex", "Sexo", "yes", ""),
    (
        "select_one parentesco",
        "parentesco",
        "Relationship to the head",
        "Parentesco con el jefe o la jefa",
        "yes",
        "",
    ),
    ("integer", "edad", "Age (years)", "Edad (años)", "", ""),
    ("text", "numero_documento", "Identity document number", "Número de documento", "", ""),
    ("end_repeat", "", "", "", "", ""),
    ("begin_group", "evaluacion_danos", "Damage and needs", "Daños y necesidades", "", ""),
    (
        "text",
        "evaluacion",
        "Assessment exercise (its name)",
        "Ejercicio de evaluación (su nombre)",
        "yes",
        "",
    ),
    ("select_one dano", "dano_vivienda", "Dwelling damage", "Daño a la vivienda", "yes", ""),
    (
        "select_one desplazamiento",
        "desplazamiento",
        "Where the household sleeps now",
        "Dónde duerme el hogar ahora",
        "yes",
        "",
    ),
    ("text", "albergue", "Which shelter", "Qué albergue", "yes", "${desplazamiento} = 'albergue'"),
    ("select_multiple perdidas", "perdidas", "Livelihood lost", "Medios de vida perdidos", "", ""),
    ("select_multiple necesidades", "necesidades", "Needs now", "Necesidades inmediatas", "", ""),
    ("datetime", "fecha_evaluacion", "Time of the visit", "Fecha y hora de la visita", "yes", ""),
    ("end_group", "", "", "", "", ""),
)

#: (list, name as the import reads it, English label, Spanish label)
CHOICES: tuple[tuple[str, str, str, str], ...] = (
    ("sexo", "femenino", "Female", "Femenino"),
    ("sexo", "masculino", "Male", "Masculino"),
    *(
        ("parentesco", name, en, es)
        for name, en, es in (
            ("jefa", "Head (woman)", "Jefa de hogar"),
            ("jefe", "Head (man)", "Jefe de hogar"),
            ("conyuge", "Spouse or partner", "Cónyuge o pareja"),
            ("hijo_a", "Son or daughter", "Hijo o hija"),
            ("nieto", "Grandchild", "Nieto o nieta"),
            ("padre", "Father", "Padre"),
            ("madre", "Mother", "Madre"),
            ("hermano", "Brother", "Hermano"),
            ("hermana", "Sister", "Hermana"),
            ("otro_pariente", "Other relative", "Otro pariente"),
            ("no_pariente", "Not related", "No pariente"),
        )
    ),
    ("dano", "ninguno", "None", "Ninguno"),
    ("dano", "parcial", "Partial", "Parcial"),
    ("dano", "destruida", "Destroyed", "Destruida"),
    ("desplazamiento", "en_casa", "At home", "En casa"),
    ("desplazamiento", "familia_de_acogida", "With a host family", "Con una familia de acogida"),
    ("desplazamiento", "albergue", "In a shelter", "En un albergue"),
    ("perdidas", "cultivos", "Crops", "Cultivos"),
    ("perdidas", "ganado", "Livestock", "Ganado"),
    ("perdidas", "trabajo", "Work", "Trabajo"),
    ("perdidas", "herramientas", "Tools", "Herramientas"),
    *(
        ("necesidades", name, en, es)
        for name, en, es in (
            ("agua", "Water", "Agua"),
            ("alimentos", "Food", "Alimentos"),
            ("albergue", "Shelter", "Albergue"),
            ("salud", "Health", "Salud"),
            ("higiene", "Hygiene", "Higiene"),
            ("efectivo", "Cash", "Efectivo"),
            ("ropa", "Clothing", "Ropa"),
            ("documentos", "Documents", "Documentos"),
            ("psicosocial", "Psychosocial support", "Apoyo psicosocial"),
            ("otro", "Other", "Otro"),
        )
    ),
)


def write_damage_form(path: Path) -> Path:
    """Write the form as an XLSForm workbook (survey, choices, settings) at ``path``."""
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Español (es)", "required", "relevant"])
    for row in SURVEY:
        survey.append(list(row))
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Español (es)"])
    for choice in CHOICES:
        choices.append(list(choice))
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "default_language", "version"])
    settings.append(["Amparo — daños y necesidades", "amparo_danos_necesidades", "Español (es)", "2026-12"])
    book.save(path)
    return path
