"""Imports over HTTP: dry run first, nothing written until commit; CSV, XLSX and KoboToolbox."""

from __future__ import annotations

import io
import json
import time
from datetime import date

import pytest

from services.registry.entrypoints import app as registry_app
from shared.auth import AUDITOR, FIELD_STAFF, REGISTRY_OFFICER
from tests.integration.test_api import make_client

pytestmark = pytest.mark.integration

HEADER = (
    "Código Hogar;Departamento;Latitud;Longitud;Nombres;Apellidos;Sexo;Parentesco;"
    "Fecha de Nacimiento;Edad;Número Documento;Techo;Cuartos\n"
)
ROWS = [
    "H-001;HN-CH;13,30;-87,19;María José;Ordóñez Pérez;Femenino;Jefa;14/03/1986;;0601-1986-01234;Lámina;2",
    "H-001;;;;Luis;Ordóñez;M;Hijo;02/08/2023;;;;",
    "",
    "H-002;HN-CH;13,31;-87,18;Pedro;Zúñiga;Masculino;Jefe;;45;;Teja;3",
    "H-003;HN-CH;13,32;-87,17;Ana;López;F;Hija;;30;;;",  # no head of household
    "H-004;HN-CH;13,33;-87,16;Rosa;Díaz;X;Jefa;31/02/1990;;;;",  # unknown sex, impossible date
    "H-005;HN-ZZ;13,34;-87,15;Julia;Mejía;F;Jefa;;50;;;",  # unknown admin code
]


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    return client


def auth(issuer, roles, jurisdiction=("HN",)):
    return {"Authorization": f"Bearer {issuer.mint('user-' + roles[0], roles, jurisdiction)}"}


def upload(registry, issuer, content: bytes, name: str, **form):
    data = {"file": (io.BytesIO(content), name), **form}
    return registry.post(
        "/v1/imports", data=data, headers=auth(issuer, [REGISTRY_OFFICER]), content_type="multipart/form-data"
    )


def wait_for(registry, issuer, import_id, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = registry.get(f"/v1/imports/{import_id}", headers=auth(issuer, [AUDITOR])).get_json()
        if job["status"] in statuses:
            return job
        time.sleep(0.1)
    pytest.fail(f"import still {job['status']} after {timeout}s")


def households(registry, issuer):
    return registry.get("/v1/households?limit=500", headers=auth(issuer, [AUDITOR])).get_json()["items"]


def test_csv_dry_run_reports_every_problem_and_writes_nothing_until_commit(registry, issuer):
    content = (HEADER + "\n".join(ROWS) + "\n").encode("latin-1")  # saved by an old Excel in Spanish
    response = upload(registry, issuer, content, "../../padrón hogares.csv")
    assert response.status_code == 202, response.get_json()
    job = response.get_json()
    assert job["file_name"] == "padr_n hogares.csv" and job["format"] == "csv"

    job = wait_for(registry, issuer, job["id"], {"validated", "failed"})
    assert job["status"] == "validated", job
    assert (job["households_total"], job["households_valid"], job["households_invalid"]) == (5, 2, 3)
    problems = {(p["row"], p["column"]) for p in job["problems"]}
    assert (6, "Parentesco") in problems  # H-003 has no head
    assert {(7, "Sexo"), (7, "Fecha de Nacimiento")} <= problems
    assert (8, "Departamento") in problems
    report = registry.get(f"/v1/imports/{job['id']}/problems.csv", headers=auth(issuer, [AUDITOR]))
    assert report.status_code == 200 and report.get_data(as_text=True).startswith("row,column,problem")
    assert households(registry, issuer) == []  # a dry run writes nothing

    commit = registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    assert commit.status_code == 202
    done = wait_for(registry, issuer, job["id"], {"committed", "failed"})
    assert done["status"] == "committed" and done["households_written"] == 2
    stored = households(registry, issuer)
    assert sorted(h["head_name"] for h in stored) == ["María José Ordóñez Pérez", "Pedro Zúñiga"]
    first = next(h for h in stored if h["head_name"].startswith("María"))
    detail = registry.get(
        f"/v1/households/{first['id']}", headers=auth(issuer, [REGISTRY_OFFICER])
    ).get_json()
    assert detail["registration_source"] == "import" and detail["size"] == 2
    assert detail["dwelling"]["roof"] == "sheet_metal"
    assert detail["members"][1]["birth_date"] == "2023-08-02"
    log = registry.get("/v1/audit-log?outcome=done", headers=auth(issuer, [AUDITOR])).get_json()["items"]
    assert [(e["subject_id"], e["comment"]) for e in log if e["action"] == "import_committed"] == [
        (job["id"], "2 households written from csv file")
    ]

    again = registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert len(households(registry, issuer)) == 2


def test_xlsx_with_excel_dates_and_empty_rows(registry, issuer):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append([])  # a blank line above the header, as people leave them
    sheet.append(
        [
            "codigo_hogar",
            "departamento",
            "latitud",
            "longitud",
            "nombres",
            "apellidos",
            "sexo",
            "parentesco",
            "fecha_nacimiento",
            "telefono",
        ]
    )
    sheet.append(
        ["X1", "HN-CH", 13.3, -87.19, "Gabriela", "Núñez", "F", "jefa", date(1979, 5, 1), "+504 8888-1111"]
    )
    sheet.append([None] * 10)
    sheet.append(["X1", None, None, None, "Tomás", "Núñez", "M", "hijo", 44197, None])  # an Excel serial date
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = upload(registry, issuer, buffer.getvalue(), "hogares.xlsx").get_json()
    job = wait_for(registry, issuer, job["id"], {"validated", "failed"})
    assert (job["status"], job["households_valid"], job["rows_read"]) == ("validated", 1, 3), job
    registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    wait_for(registry, issuer, job["id"], {"committed"})
    stored = households(registry, issuer)
    detail = registry.get(
        f"/v1/households/{stored[0]['id']}", headers=auth(issuer, [REGISTRY_OFFICER])
    ).get_json()
    assert [m["birth_date"] for m in detail["members"]] == ["1979-05-01", "2021-01-01"]
    assert detail["members"][0]["phone"] == "+504 8888-1111"


def test_kobotoolbox_submissions(registry, issuer):
    submissions = {
        "results": [
            {
                "_id": 101,
                "_uuid": "5d1c-aa",
                "hogar/departamento": "HN-CH",
                "_geolocation": [13.3, -87.19],
                "hogar/techo": "paja",
                "miembros": [
                    {
                        "miembros/nombres": "Elena",
                        "miembros/apellidos": "Cruz",
                        "miembros/sexo": "femenino",
                        "miembros/parentesco": "jefa",
                        "miembros/edad": "62",
                    },
                    {
                        "miembros/nombres": "Raúl",
                        "miembros/apellidos": "Cruz",
                        "miembros/sexo": "masculino",
                        "miembros/parentesco": "nieto",
                        "miembros/edad": "4",
                    },
                ],
            },
        ]
    }
    job = upload(registry, issuer, json.dumps(submissions).encode(), "kobo.json").get_json()
    job = wait_for(registry, issuer, job["id"], {"validated", "failed"})
    assert (job["status"], job["households_valid"]) == ("validated", 1), job
    registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    wait_for(registry, issuer, job["id"], {"committed"})
    stored = households(registry, issuer)
    assert len(stored) == 1 and stored[0]["size"] == 2 and stored[0]["children_under_5"] == 1
    detail = registry.get(f"/v1/households/{stored[0]['id']}", headers=auth(issuer, [AUDITOR])).get_json()
    assert detail["registration_source"] == "kobotoolbox" and detail["dwelling"]["roof"] == "thatch"


def test_odk_central_submissions_with_nested_groups_and_geopoints(registry, issuer):
    submissions = {
        "value": [
            {
                "__id": "uuid:0a1b",
                "hogar": {
                    "departamento": "HN-CH",
                    "ubicacion": {"type": "Point", "coordinates": [-87.19, 13.3, 12.0]},
                    "piso": "tierra",
                },
                "miembros": [
                    {"nombres": "Lidia", "apellidos": "Paz", "sexo": "F", "parentesco": "jefa", "edad": 44}
                ],
            }
        ]
    }
    job = upload(registry, issuer, json.dumps(submissions).encode(), "odk.json").get_json()
    job = wait_for(registry, issuer, job["id"], {"validated", "failed"})
    assert (job["status"], job["households_valid"]) == ("validated", 1), job
    registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    wait_for(registry, issuer, job["id"], {"committed"})
    stored = households(registry, issuer)
    assert len(stored) == 1 and stored[0]["head_name"] == "Lidia Paz"


def test_imports_cut_short_by_a_restart_can_be_finished(registry, issuer):
    from services.registry.service_layer.imports import recover_interrupted
    from services.registry.service_layer.unit_of_work import RegistryUnitOfWork

    content = (HEADER + ROWS[0] + "\n").encode()
    job = upload(registry, issuer, content, "uno.csv").get_json()
    wait_for(registry, issuer, job["id"], {"validated"})
    runtime = registry.application.extensions["amparo.runtime"]
    with RegistryUnitOfWork(runtime.session_factory, runtime.outbox) as uow:
        uow.imports.update(job["id"], status="committing")  # as if the process died mid-commit
    assert recover_interrupted(RegistryUnitOfWork(runtime.session_factory, runtime.outbox)) == 1
    again = registry.get(f"/v1/imports/{job['id']}", headers=auth(issuer, [AUDITOR])).get_json()
    assert again["status"] == "validated" and "commit again" in again["error"]
    registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    assert wait_for(registry, issuer, job["id"], {"committed"})["households_written"] == 1


@pytest.mark.parametrize(
    ("content", "name", "form", "error"),
    [
        (b"PK\x03\x04 not really a workbook", "roto.xlsx", {}, "not a readable XLSX"),
        (b"", "vacio.csv", {}, "empty"),
        (b"[1, 2]", "kobo.json", {}, "list of submissions"),
        (b"a;b\n1;2\n", "otra.csv", {"mapping": json.dumps({"colour": "a"})}, "could not be mapped"),
    ],
)
def test_unreadable_files_fail_with_a_clear_reason(registry, issuer, content, name, form, error):
    job = upload(registry, issuer, content, name, **form).get_json()
    job = wait_for(registry, issuer, job["id"], {"validated", "failed"})
    assert job["status"] == "failed" and error in job["error"]
    commit = registry.post(f"/v1/imports/{job['id']}/commit", headers=auth(issuer, [REGISTRY_OFFICER]))
    assert commit.status_code == 409


def test_upload_limits_roles_and_fields(registry, issuer, monkeypatch):
    from services.registry.entrypoints import imports_api

    monkeypatch.setattr(imports_api, "MAX_UPLOAD_BYTES", 1024)
    big = upload(registry, issuer, b"x" * 4096, "grande.csv")
    assert big.status_code == 413 and big.mimetype == "application/problem+json"
    none = registry.post(
        "/v1/imports", data={}, headers=auth(issuer, [REGISTRY_OFFICER]), content_type="multipart/form-data"
    )
    assert none.status_code == 422 and none.get_json()["errors"][0]["pointer"] == "/file"
    odd = upload(registry, issuer, b"a", "datos.txt")
    assert odd.status_code == 422 and "/format" in str(odd.get_json())
    staff = registry.post(
        "/v1/imports",
        data={"file": (io.BytesIO(b"a"), "a.csv")},
        headers=auth(issuer, [FIELD_STAFF]),
        content_type="multipart/form-data",
    )
    assert staff.status_code == 403


def test_a_field_sent_twice_is_refused_not_half_read(registry, issuer):
    twice = upload(
        registry, issuer, b"a,b\n1,2\n", "datos.csv", mapping=['{"address": "a"}', '{"address": "b"}']
    )
    assert twice.status_code == 422 and twice.mimetype == "application/problem+json"
    assert [e["pointer"] for e in twice.get_json()["errors"]] == ["/mapping"]
