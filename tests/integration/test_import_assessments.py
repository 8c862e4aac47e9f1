"""Imports take post-event assessments: a family registered and assessed in one row, a registered
family assessed through its registration number, findings in the words forms use, and refusals
pointed at the cell; the same visit imported again changes nothing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from shared.auth import AUDITOR, REGISTRY_OFFICER
from tests.integration.test_import_updates import auth, commit, register, registry, wait  # noqa: F401
from tests.samples import household_body

pytestmark = pytest.mark.integration

HEADER = (
    "Código Hogar;Número de Registro;Departamento;Latitud;Longitud;Nombres;Apellidos;Sexo;Parentesco;"
    "Edad;Evaluación;Daño Vivienda;Desplazamiento;Albergue;Pérdidas;Necesidades;Fecha Evaluación\n"
)


def upload(registry, rows):  # noqa: F811
    answer = registry.post(
        "/v1/imports",
        data={"file": (io.BytesIO((HEADER + "\n".join(rows) + "\n").encode()), "evaluacion.csv")},
        headers=auth(registry),
        content_type="multipart/form-data",
    )
    assert answer.status_code == 202, answer.get_json()
    return wait(registry, answer.get_json()["id"], {"validated", "failed"})


def test_an_import_registers_and_assesses_and_refuses_a_visit_by_its_cell(registry):  # noqa: F811
    exercise = registry.post(
        "/v1/assessment-events",
        json={"name": "Eta — Choluteca", "incidents": ["ETA-2020"], "admin_codes": ["HN-CH"]},
        headers=auth(registry),
    ).get_json()
    known = register(registry, household_body())
    today = exercise["opened_at"][:10]
    rows = [
        f"N1;;HN-CH;13,30;-87,19;Rosa;Flores Paz;F;jefa;40;Eta — Choluteca;destruida;albergue;"
        f"Escuela Central;cultivos ganado;agua alimentos;{today}",
        f"K1;{known['registration_number']};;;;;;;;;{exercise['id']};parcial;en casa;;;agua;{today}",
        f"B1;;HN-CH;13,31;-87,18;Luis;Reyes Cruz;M;jefe;33;Eta — Choluteca;volada;en casa;;;;{today}",
        f"B2;;HN-CH;13,32;-87,17;Ana;Pineda Rivas;F;jefa;29;Mitch — 1998;parcial;en casa;;;;{today}",
        f"B3;;HN-CH;13,33;-87,16;Jorge;Amaya Paz;M;jefe;61;Eta — Choluteca;parcial;albergue;;;;{today}",
    ]
    job = upload(registry, rows)
    assert job["status"] == "validated", job.get("error")
    outcomes = {h["reference"]: h["outcome"] for h in job["households"]}
    assert outcomes == {"N1": "create", "K1": "update", "B1": "refused", "B2": "refused", "B3": "refused"}
    reasons = {h["reference"]: h["reason"] for h in job["households"] if h["outcome"] == "refused"}
    problems = registry.get(f"/v1/imports/{job['id']}/problems.csv", headers=auth(registry, (AUDITOR,)))
    text = problems.get_data(as_text=True)
    assert "Daño Vivienda" in text and "volada" in text
    assert "Evaluación" in reasons["B2"] and "Mitch" in reasons["B2"]
    assert "Albergue" in reasons["B3"]

    assert commit(registry, job).status_code == 202
    assert wait(registry, job["id"], {"committed", "failed"})["status"] == "committed"
    reader = auth(registry, (AUDITOR,))
    updated = registry.get(f"/v1/households/{known['id']}", headers=reader).get_json()
    assert updated["version"] == 2 and updated["assessments"][0]["dwelling_damage"] == "partial"
    page = registry.get("/v1/households?limit=50", headers=reader).get_json()["items"]
    new_id = next(h["id"] for h in page if h["head_name"] == "Rosa Flores Paz")
    new = registry.get(f"/v1/households/{new_id}", headers=reader).get_json()
    (visit,) = new["assessments"]
    assert new["version"] == 1 and visit["shelter"] == "Escuela Central"
    assert visit["livelihood_losses"] == ["crops", "livestock"] and visit["needs"] == ["water", "food"]
    assert visit["assessed_by"] == "user-" + REGISTRY_OFFICER

    again = upload(registry, rows[1:2])
    assert {h["reference"]: h["outcome"] for h in again["households"]} == {"K1": "unchanged"}


def test_a_kobotoolbox_export_of_the_damage_form_is_imported_as_it_is(registry, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    from services.registry.adapters.damage_form import write_damage_form

    registry.post(
        "/v1/assessment-events",
        json={"name": "Eta — Choluteca", "incidents": ["ETA-2020"], "admin_codes": ["HN-CH"]},
        headers=auth(registry),
    )
    survey = load_workbook(write_damage_form(tmp_path / "form.xlsx"))["survey"]
    # Each question's export key is its group path, as KoboToolbox writes it.
    keys, groups = {}, []
    for kind, name, *_ in survey.iter_rows(min_row=2, values_only=True):
        if kind in ("begin_group", "begin_repeat"):
            groups.append(name)
        elif kind in ("end_group", "end_repeat"):
            groups.pop()
        else:
            keys[name] = "/".join([*groups, name])
    answers = {
        "codigo_area": "HN-CH",
        "evaluacion": "Eta — Choluteca",
        "dano_vivienda": "destruida",
        "desplazamiento": "albergue",
        "albergue": "Escuela Central",
        "perdidas": "cultivos herramientas",
        "necesidades": "agua salud",
        "fecha_evaluacion": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }
    person = {
        "nombres": "Rosa",
        "apellidos": "Flores Paz",
        "sexo": "femenino",
        "parentesco": "jefa",
        "edad": 40,
    }
    submission = {keys[k]: v for k, v in answers.items()} | {
        "_uuid": "b7c1e2d4-0000-4000-8000-000000000001",
        "_geolocation": [13.3, -87.19],
        "hogar/miembros": [{keys[k]: v for k, v in person.items()}],
    }
    answer = registry.post(
        "/v1/imports",
        data={"file": (io.BytesIO(json.dumps({"results": [submission]}).encode()), "danos.json")},
        headers=auth(registry),
        content_type="multipart/form-data",
    )
    job = wait(registry, answer.get_json()["id"], {"validated", "failed"})
    assert job["status"] == "validated" and job["outcomes"]["create"] == 1, job
    assert commit(registry, job).status_code == 202
    assert wait(registry, job["id"], {"committed", "failed"})["status"] == "committed"
    page = registry.get("/v1/households?limit=50", headers=auth(registry, (AUDITOR,))).get_json()["items"]
    found = registry.get(f"/v1/households/{page[0]['id']}", headers=auth(registry, (AUDITOR,))).get_json()
    (visit,) = found["assessments"]
    assert (visit["dwelling_damage"], visit["displacement"], visit["shelter"]) == (
        "destroyed",
        "shelter",
        "Escuela Central",
    )
    assert visit["livelihood_losses"] == ["crops", "tools"] and visit["needs"] == ["water", "health"]
    assert found["registration_source"] == "kobotoolbox"
