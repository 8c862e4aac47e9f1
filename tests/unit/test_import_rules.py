from datetime import date, datetime

import pytest

from services.registry.domain.imports.cells import RowProblems, read_row
from services.registry.domain.imports.columns import MappingError, normalise, resolve_mapping
from services.registry.domain.imports.households import group_households, household_document

SPANISH = [
    "Código Hogar",
    "Departamento",
    "Latitud",
    "Longitud",
    "Nombres",
    "Apellidos",
    "Sexo",
    "Parentesco",
    "Fecha de Nacimiento",
    "Edad",
    "Número Documento",
    "Embarazada",
    "Techo",
]


def test_headers_are_normalised_and_spanish_aliases_recognised():
    assert normalise("Fecha de Nacimiento") == "fecha_de_nacimiento"
    assert normalise("hogar/Número Documento") == "numero_documento"
    columns = resolve_mapping(SPANISH, None)
    assert columns["Código Hogar"] == "household_ref" and columns["Sexo"] == "sex"
    assert columns["Techo"] == "roof" and columns["Número Documento"] == "document_number"


def test_an_explicit_mapping_wins_and_mistakes_are_named():
    columns = resolve_mapping(
        ["HH", "area", "n", "a", "s", "p"],
        {
            "household_ref": "HH",
            "admin_code": "area",
            "given_names": "n",
            "family_names": "a",
            "sex": "s",
            "relationship": "p",
        },
    )
    assert columns == {
        "HH": "household_ref",
        "area": "admin_code",
        "n": "given_names",
        "a": "family_names",
        "s": "sex",
        "p": "relationship",
    }
    with pytest.raises(MappingError) as caught:
        resolve_mapping(["HH", "n"], {"household_ref": "HH", "colour": "n", "sex": "missing column"})
    assert caught.value.problems["mapping.colour"] == "not a field Amparo imports"
    assert "no column 'missing column'" in caught.value.problems["mapping.sex"]
    assert caught.value.problems["mapping.admin_code"] == "required: map a column to it"


def test_cells_are_read_the_way_people_write_them():
    columns = resolve_mapping(SPANISH, None)
    problems = RowProblems()
    row = {
        "Código Hogar": "H-1",
        "Departamento": "hn-ch",
        "Latitud": "13,30",
        "Longitud": -87.19,
        "Nombres": " María José ",
        "Apellidos": "Ordóñez",
        "Sexo": "Femenino",
        "Parentesco": "Jefa de hogar",
        "Fecha de Nacimiento": "14/03/1986",
        "Embarazada": "Sí",
        "Techo": "Lámina",
    }
    values = read_row(2, row, columns, problems)
    assert (
        values["admin_code"] == "HN-CH" and values["lat"] == 13.30 and values["given_names"] == "María José"
    )
    assert values["sex"] == "female" and values["relationship"] == "head"
    assert values["birth_date"] == date(1986, 3, 14) and values["pregnant"] is True
    assert values["roof"] == "sheet_metal"
    assert problems.items == []
    assert read_row(3, {"Fecha de Nacimiento": 31120}, columns, problems)["birth_date"] == date(1985, 3, 14)
    assert read_row(3, {"Fecha de Nacimiento": datetime(2020, 1, 2)}, columns, problems)[
        "birth_date"
    ] == date(2020, 1, 2)
    read_row(4, {"Sexo": "X", "Edad": "doce", "Fecha de Nacimiento": "30/02/2020"}, columns, problems)
    assert {(r, c) for r, c, _ in problems.items} == {(4, "Sexo"), (4, "Edad"), (4, "Fecha de Nacimiento")}


def test_rows_are_grouped_into_households_and_a_scattered_household_is_reported():
    rows = [
        (2, {"household_ref": "A", "given_names": "x"}),
        (3, {"household_ref": "A", "given_names": "y"}),
        (4, {}),
        (5, {"household_ref": "B"}),
        (6, {"household_ref": "A"}),
        (7, {"given_names": "z"}),
    ]
    problems = RowProblems()
    groups = list(group_households(iter(rows), problems))
    assert [(g.ref, g.first_row, len(g.rows)) for g in groups] == [("A", 2, 2), ("B", 5, 1)]
    assert [(r, c) for r, c, _ in problems.items] == [(6, "household_ref"), (7, "household_ref")]
    document = household_document(groups[0])
    assert [m["given_names"] for m in document["members"]] == ["x", "y"]


def test_how_a_household_is_paid_is_read_from_its_first_row():
    headers = ["Código Hogar", "Departamento", "Nombres", "Apellidos", "Sexo", "Parentesco"]
    headers += ["Medio de pago", "Banco", "Número de cuenta", "Billetera", "Punto de retiro"]
    columns = resolve_mapping(headers, None)
    assert resolve_mapping([*headers, "Dificultad para caminar"], None)["Dificultad para caminar"] == (
        "disability_walking"
    )
    assert columns["Medio de pago"] == "payment_type" and columns["Banco"] == "payment_provider"
    assert columns["Número de cuenta"] == "account_number" and columns["Billetera"] == "wallet_number"
    problems = RowProblems()
    rows = [
        {
            "Código Hogar": "H1",
            "Departamento": "do-11",
            "Nombres": "Ana",
            "Apellidos": "Rijo",
            "Sexo": "F",
            "Parentesco": "Jefa",
            "Medio de pago": "Cuenta bancaria",
            "Banco": "Banreservas",
            "Número de cuenta": "0012345678",
        },
        {
            "Código Hogar": "H2",
            "Departamento": "DO-11",
            "Nombres": "Luis",
            "Apellidos": "Rijo",
            "Sexo": "M",
            "Parentesco": "Jefe",
            "Medio de pago": "Billetera móvil",
            "Billetera": "8095551234",
        },
        {
            "Código Hogar": "H3",
            "Departamento": "DO-11",
            "Nombres": "Rosa",
            "Apellidos": "Rijo",
            "Sexo": "F",
            "Parentesco": "Jefa",
            "Medio de pago": "trueque",
        },
    ]
    read = [(n, read_row(n, raw, columns, problems)) for n, raw in enumerate(rows, start=2)]
    assert [(row, column) for row, column, _ in problems.items] == [(4, "Medio de pago")]
    assert "'trueque' is not a known payment channel" in problems.items[0][2]
    bank, wallet = (household_document(g) for g in group_households(read[:2], problems))
    assert bank["payment"] == {
        "type": "bank_account",
        "provider": "Banreservas",
        "identifiers": {"account_number": "0012345678"},
    }
    assert wallet["payment"] == {
        "type": "mobile_money",
        "provider": None,
        "identifiers": {"wallet_number": "8095551234"},
    }
