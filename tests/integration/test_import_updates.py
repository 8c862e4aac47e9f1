"""Imports that find probable duplicates before anything is written, and re-imports that update
the registered households they name, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import time
import uuid

import pytest
from sqlalchemy import func, select

from services.registry.adapters.orm import outbox
from services.registry.entrypoints import app as registry_app
from shared.auth import AUDITOR, REGISTRY_OFFICER
from tests.integration.test_api import make_client
from tests.samples import distinct_household, household_body

pytestmark = pytest.mark.integration

HEADER = (
    "Código Hogar;Número de Registro;Departamento;Latitud;Longitud;Nombres;Apellidos;Sexo;Parentesco;"
    "Fecha de Nacimiento;Edad;Número Documento;Techo\n"
)


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    client.runtime = runtime
    client.issuer = issuer
    return client


def auth(registry, roles=(REGISTRY_OFFICER,), jurisdiction=("HN",)):
    return {
        "Authorization": f"Bearer {registry.issuer.mint('user-' + roles[0], list(roles), list(jurisdiction))}"
    }


def register(registry, body):
    answer = registry.post("/v1/households", json=body, headers=auth(registry))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def upload(registry, rows, jurisdiction=("HN",), **form):
    content = (HEADER + "\n".join(rows) + "\n").encode()
    answer = registry.post(
        "/v1/imports",
        data={"file": (io.BytesIO(content), "hogares.csv"), **form},
        headers=auth(registry, jurisdiction=jurisdiction),
        content_type="multipart/form-data",
    )
    assert answer.status_code == 202, answer.get_json()
    return wait(registry, answer.get_json()["id"], {"validated", "failed"})


def wait(registry, import_id, statuses):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = registry.get(f"/v1/imports/{import_id}", headers=auth(registry, (AUDITOR,))).get_json()
        if job["status"] in statuses:
            return job
        time.sleep(0.05)
    pytest.fail(f"import {import_id} still {job['status']}")


def commit(registry, job, jurisdiction=("HN",), **body):
    return registry.post(
        f"/v1/imports/{job['id']}/commit",
        headers=auth(registry, jurisdiction=jurisdiction),
        json=body or None,
    )


def stored(registry):
    """Everything the registry stores that an import could change: households and their versions,
    and how many events it has published."""
    page = registry.get("/v1/households?limit=500", headers=auth(registry, (AUDITOR,))).get_json()["items"]
    with registry.runtime.session_factory() as session:
        published = session.scalar(select(func.count()).select_from(outbox))
    return sorted((h["id"], h["version"]) for h in page), published


def test_the_dry_run_lists_probable_duplicates_and_a_share_above_the_limit_stops_the_commit(registry):
    registered = register(registry, household_body())
    rows = [
        # H1: the registered head again (the same document), with a child born since.
        "H1;;HN-CH;13,30;-87,19;María José;Ordóñez Pérez;F;jefa;14/03/1986;;0601-1986-01234;",
        "H1;;;;;Inés;Ordóñez;F;hija;01/01/2025;;;",
        "H2;;HN-CH;13,40;-87,10;Pedro;Zelaya Cruz;M;jefe;01/01/1970;;;",
        "H3;;HN-CH;13,40;-87,10;Pedro;Zelaya Cruz;M;jefe;01/01/1970;;;",  # H2 again, in the same file
        "H4;;HN-CH;13,20;-87,30;Ana;Mejía;F;jefa;;30;;",
        "H5;;HN-CH;13,10;-87,40;Jorge;Amaya;M;jefe;;52;;",
    ]
    refused = registry.post(
        "/v1/imports",
        data={"file": (io.BytesIO(b"a"), "a.csv"), "max_duplicate_share": "cinco"},
        headers=auth(registry),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error["pointer"] == "/max_duplicate_share" and "proporción" in error["detail_es"]

    job = upload(registry, rows, max_duplicate_share="0.2")
    assert job["status"] == "validated" and job["max_duplicate_share"] == 0.2
    assert job["outcomes"] == {"create": 5, "update": 0, "unchanged": 0, "refused": 0}
    assert (job["households_with_duplicates"], job["duplicate_share"]) == (2, 0.4)
    found = {(d["row"], d["reference"], d["other_household"], d["other_row"]) for d in job["duplicates"]}
    h2 = next(h for h in job["households"] if h["reference"] == "H2")
    assert found == {(2, "H1", registered["id"], None), (5, "H3", h2["household_id"], 4)}
    registry_match = next(d for d in job["duplicates"] if d["row"] == 2)
    assert registry_match["reasons"] == ["same document"] and registry_match["score"] == 1.0
    assert registry_match["other_registration_number"] == registered["registration_number"]
    listed = registry.get(f"/v1/imports/{job['id']}/duplicates.csv", headers=auth(registry, (AUDITOR,)))
    assert [r["row"] for r in csv.DictReader(io.StringIO(listed.get_data(as_text=True)))] == ["2", "5"]

    before = stored(registry)
    stopped = commit(registry, job)
    assert stopped.status_code == 409, stopped.get_json()
    problem = stopped.get_json()
    assert (
        "2 of the 5 households to write (40.0 %)" in problem["detail"]
        and "H1 (row 2), H3 (row 5)" in problem["detail"]
    )
    assert "2 de los 5" in problem["detail_es"] and problem["errors"][0]["pointer"] == "/max_duplicate_share"
    assert [h["reference"] for h in problem["households"]] == ["H1", "H3"]
    assert stored(registry) == before and wait(registry, job["id"], {"validated"})["households_written"] == 0
    assert commit(registry, job, max_duplicate_share=2).status_code == 422

    assert commit(registry, job, max_duplicate_share=0.5).status_code == 202
    done = wait(registry, job["id"], {"committed", "failed"})
    assert done["status"] == "committed" and done["households_written"] == 5
    queue = registry.get("/v1/duplicates?limit=500", headers=auth(registry)).get_json()
    assert {registered["id"], h2["household_id"]} <= {c["household_a"] for c in queue} | {
        c["household_b"] for c in queue
    }


def test_a_re_import_updates_the_households_it_names_and_refuses_what_it_cannot(registry):
    same = register(registry, household_body())
    changing = register(registry, distinct_household(str(uuid.uuid4())))
    elsewhere = register(registry, household_body(admin_code="HN-CR", location={"lat": 15.5, "lon": -87.9}))
    twice = register(registry, distinct_household(str(uuid.uuid4())))
    head = changing["members"][0]
    rows = [
        f"A;{same['registration_number']};HN-CH;13,30;-87,19;María José;Ordóñez Pérez;F;jefa;14/03/1986;;"
        "0601-1986-01234;",
        "A;;;;;Luis;Ordóñez;M;hijo;02/08/2023;;;",
        "A;;;;;Rosa;Pérez;F;madre;;71;;",
        f"B;{changing['id']};HN-CH;{changing['location']['lat']};{changing['location']['lon']};{head['given_names']};"
        f"{head['family_names']};F;jefa;14/03/1986;;;Teja",
        "B;;;;;Nueva;Persona;F;hija;01/02/2024;;;",
        f"C;{elsewhere['registration_number']};HN-CH;13,30;-87,19;Ana;Cruz;F;jefa;;40;;",
        f"D;{twice['registration_number']};HN-CH;13,30;-87,19;Ana;Paz;X;jefa;;40;;",  # and broken
        f"E;{twice['id']};HN-CH;13,30;-87,19;Ana;Paz;F;jefa;;41;;",
        "F;HN-0000000000;HN-CH;13,30;-87,19;Ana;Ruiz;F;jefa;;40;;",
        "G;;HN-CH;13,11;-87,41;Jorge;Amaya;M;jefe;;52;;",
    ]
    before = stored(registry)
    job = upload(registry, rows, jurisdiction=("HN-CH",))
    assert stored(registry) == before  # the dry run writes nothing
    outcome = {h["reference"]: h for h in job["households"]}
    assert {ref: h["outcome"] for ref, h in outcome.items()} == {
        "A": "unchanged",
        "B": "update",
        "C": "refused",
        "D": "refused",
        "E": "refused",
        "F": "refused",
        "G": "create",
    }
    assert outcome["A"]["household_id"] == same["id"] and outcome["B"]["household_id"] == changing["id"]
    assert {"dwelling.roof"} <= set(outcome["B"]["changed"]) and outcome["B"]["rows"] == [5, 6]
    assert any(path.endswith(".given_names") for path in outcome["B"]["changed"])  # the new member
    c, d, f = outcome["C"], outcome["D"], outcome["F"]
    assert c["pointer"] == "/rows/7/Número de Registro" and "outside your jurisdiction" in c["reason"]
    assert "fuera de su jurisdicción" in c["reason_es"]
    assert (
        "ambiguous" in d["reason"]
        and "D (row 8), E (row 9)" in d["reason"]
        and outcome["E"]["reason"] == d["reason"]
    )
    assert "no se sabe" in d["reason_es"] and "no registered household" in f["reason"]
    assert job["outcomes"] == {"create": 1, "update": 1, "unchanged": 1, "refused": 4}
    assert (job["households_valid"], job["households_invalid"]) == (3, 4)

    assert commit(registry, job, jurisdiction=("HN-CH",)).status_code == 202
    assert wait(registry, job["id"], {"committed", "failed"})["households_written"] == 2
    versions = dict(stored(registry)[0])
    assert [versions[h["id"]] for h in (same, changing, elsewhere, twice)] == [1, 2, 1, 1]
    now = registry.get(f"/v1/households/{changing['id']}", headers=auth(registry)).get_json()
    assert now["dwelling"]["roof"] == "tile" and now["size"] == 2 and now["members"][0]["id"] == head["id"]
    assert now["members"][0]["phone"] == head["phone"]  # no phone column: the stored one stays
    results = registry.get(f"/v1/imports/{job['id']}/households.csv", headers=auth(registry, (AUDITOR,)))
    table = {r["reference"]: r for r in csv.DictReader(io.StringIO(results.get_data(as_text=True)))}
    assert {ref: r["result"] for ref, r in table.items()} == {
        "A": "unchanged",
        "B": "updated",
        "C": "refused",
        "D": "refused",
        "E": "refused",
        "F": "refused",
        "G": "created",
    }
    assert table["G"]["registration_number"].startswith("HN-")

    # The same corrected rows imported again: nothing changed since, nothing written.
    again = upload(registry, rows[3:5], jurisdiction=("HN-CH",))
    assert [h["outcome"] for h in again["households"]] == ["unchanged"]
    before = stored(registry)
    assert commit(registry, again, jurisdiction=("HN-CH",)).status_code == 202
    assert wait(registry, again["id"], {"committed"})["households_written"] == 0
    assert stored(registry) == before
