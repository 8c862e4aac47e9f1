"""The daily retention pass: past their periods, messages lose their text and number, import files
and the rows read from them are gone, device batch records are deleted, and households inactive for
years are erased as on request; what is within its period is untouched, and each step is audited.
An imported file's consent columns become the household's consent."""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from services.registry.adapters.import_files import remove_import_folder
from services.registry.adapters.orm import audit, erasures, household_messages, household_replies
from services.registry.domain.replies import Reply
from services.registry.domain.retention import RetentionPeriods
from services.registry.service_layer.retention import apply_retention
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, REGISTRY_OFFICER
from tests.samples import distinct_household

pytestmark = pytest.mark.integration
CSV = (
    "Código Hogar;Departamento;Latitud;Longitud;Nombres;Apellidos;Sexo;Parentesco;Edad;Teléfono;"
    "Consentimiento;Fecha de consentimiento\n"
    "R-1;HN-CH;13,30;-87,19;Marta Lidia;Suazo Cerrato;F;Jefa;41;+504 9700-1111;"
    "registro, transferencias, contacto;2026-03-02\n"
    "R-1;;;;Kevin;Suazo;M;Hijo;9;;;\n"
)


def imported(world) -> tuple[str, str]:
    """A two-person household read from a CSV with its consent columns (the import, the household)."""
    officer = world.auth(REGISTRY_OFFICER, jurisdiction=("HN",))
    data = {"file": (io.BytesIO(CSV.encode()), "padron.csv")}
    job = world.registry.post("/v1/imports", data=data, headers=officer, content_type="multipart/form-data")
    assert job.status_code == 202, job.get_json()
    import_id = job.get_json()["id"]
    deadline = time.monotonic() + 60
    while world.registry.get(f"/v1/imports/{import_id}", headers=officer).get_json()["status"] != "validated":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert world.registry.post(f"/v1/imports/{import_id}/commit", headers=officer).status_code in (200, 202)
    while world.registry.get(f"/v1/imports/{import_id}", headers=officer).get_json()["status"] != "committed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    listed = world.registry.get("/v1/households?limit=50", headers=world.auth(AUDITOR)).get_json()["items"]
    [household] = [h for h in listed if h["size"] == 2]
    return import_id, household["id"]


def test_records_past_their_period_are_blanked_emptied_or_erased_and_the_rest_untouched(world):
    import_id, from_file = imported(world)
    shown = world.registry.get(f"/v1/households/{from_file}", headers=world.auth(REGISTRY_OFFICER)).get_json()
    assert shown["consent"]["purposes"] == ["registry", "emergency_transfers", "contact"]
    assert (
        shown["consent"]["given_at"].startswith("2026-03-02")
        and "Marta Lidia" in shown["consent"]["given_by"]
    )
    folder = world.registry_runtime.settings.data_dir / "imports" / import_id
    assert folder.is_dir()

    # A household told of its payment (its message waits, queued) and one that moved away.
    world.define()
    staying = distinct_household(str(uuid.uuid4()))
    staying["consent"]["purposes"] = ["registry", "emergency_transfers", "contact"]
    officer = world.auth(REGISTRY_OFFICER)
    assert world.registry.post("/v1/households", json=staying, headers=officer).status_code == 201
    moving = distinct_household(str(uuid.uuid4()))
    assert world.registry.post("/v1/households", json=moving, headers=officer).status_code == 201
    moved = {k: v for k, v in moving.items() if k != "id"} | {"status": "moved"}
    answer = world.registry.put(
        f"/v1/households/{moving['id']}", json=moved, headers={**officer, "If-Match": '"1"'}
    )
    assert answer.status_code == 200, answer.get_json()
    world.sync_registry()
    world.issue(world.new_incident(), 1, [staying["id"]])
    world.sync_messages()
    with world.registry_runtime.session_factory() as session, session.begin():  # its reply asking for help
        reply = Reply(
            str(uuid.uuid4()), staying["id"], datetime.now(UTC), "RECLAMO no recibí", "not_received"
        )
        session.execute(insert(household_replies).values(**asdict(reply)))

    deps = world.registry_runtime.extensions["amparo.registry"]

    def new_uow() -> RegistryUnitOfWork:
        return RegistryUnitOfWork(world.registry_runtime.session_factory, world.registry_runtime.outbox)

    # Tomorrow nothing is past its period.
    tomorrow = replace(deps, now=lambda: datetime.now(UTC) + timedelta(days=1))
    nothing = apply_retention(
        new_uow, tomorrow, RetentionPeriods(), lambda i: remove_import_folder(folder.parent.parent, i)
    )
    assert (nothing.messages_blanked, nothing.imports_emptied, nothing.households_erased) == (0, [], [])

    # Six years on, everything is.
    later = replace(deps, now=lambda: datetime.now(UTC) + timedelta(days=6 * 365))
    report = apply_retention(
        new_uow, later, RetentionPeriods(), lambda i: remove_import_folder(folder.parent.parent, i)
    )
    assert report.messages_blanked == 2 and report.imports_emptied == [import_id]  # the message, the reply
    assert report.households_erased == [moving["id"]]
    assert not folder.exists()
    with world.registry_runtime.session_factory() as session:
        [message] = session.execute(select(household_messages)).all()
        assert (
            message.text == "(erased)" and message.to_hash is None and message.status == "failed"
        )  # never sent blank
        assert [r.text for r in session.execute(select(household_replies))] == ["(erased)"]
        [erasure] = session.execute(select(erasures)).all()
        assert erasure.household_id == moving["id"] and erasure.by == "amparo (retention)"
        actions = [
            r.action
            for r in session.execute(
                select(audit.entries).where(audit.entries.c.by == "amparo (retention)")
            ).all()
        ]
    assert actions.count("retention_applied") == 2 and "erased" in actions
    kept = world.registry.get(f"/v1/households/{staying['id']}", headers=officer).get_json()
    assert kept["members"][0]["given_names"] == staying["members"][0]["given_names"]  # active: untouched
    job = world.registry.get(f"/v1/imports/{import_id}", headers=officer).get_json()
    assert job["status"] == "expired" and job["households_written"] == 1  # its counts stay


def test_retention_periods_are_read_with_what_is_wrong_named():
    assert RetentionPeriods.parse("messages=30, inactive=3650") == RetentionPeriods(
        messages=30, inactive=3650
    )
    assert RetentionPeriods.parse("") == RetentionPeriods()
    for bad, said in (
        ("mesages=30", "'mesages' is not a kind"),
        ("sync=0", "whole number from 1"),
        ("imports=x", "whole number"),
    ):
        with pytest.raises(ValueError, match=said):
            RetentionPeriods.parse(bad)
