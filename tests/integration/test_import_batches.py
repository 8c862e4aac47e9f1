"""An import's commit writes each batch of households together; the result must be what
registering them one by one gives: households, history, events and the duplicate queue."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from services.registry.adapters.orm import (
    duplicate_candidates,
    household_history,
    households,
    members,
    outbox,
)
from services.registry.domain.model import Location
from services.registry.entrypoints.app import MIGRATIONS
from services.registry.service_layer import facts, imports, registration
from services.registry.service_layer.common import Actor, HouseholdInput
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared import db
from shared.contracts.households import HOUSEHOLD_REVIEW
from shared.events import CloudEvent
from tests.samples import registry_dependencies

pytestmark = pytest.mark.integration

HEADER = (
    "codigo_hogar;departamento;latitud;longitud;nombres;apellidos;sexo;parentesco;"
    "fecha_nacimiento;numero_documento\n"
)
#: Households whose people come back in later ones: by document, by name and birth, by a typo.
ROWS = [
    "H01;HN-CH;13,30;-87,19;María José;Ordóñez Pérez;F;jefe;14/03/1986;0601-1986-01234",
    "H01;HN-CH;13,30;-87,19;Luis;Ordóñez;M;hijo;02/08/2015;",
    "H02;HN-CH;13,31;-87,18;Pedro;Zúñiga Cruz;M;jefe;01/01/1970;",
    "H03;HN-CH;13,30;-87,19;Maria Jose;Ordonez Perez;F;jefe;14/03/1986;",
    "H04;HN-VA;14,00;-87,50;Ana;Mejía;F;jefe;05/05/1990;0601-1986-01234",
    "H05;HN-CH;13,31;-87,18;Pedro;Zuñiga Cruz;M;jefe;01/01/1970;",
    "H05;HN-CH;13,31;-87,18;Luisa;Zuñiga;F;hijo;03/08/2015;",
    "H06;HN-CH;13,40;-87,10;Luis;Ordóñez;M;jefe;02/08/2015;",
    "H07;HN-CH;13,30;-87,19;María José;Ordóñez;F;jefe;14/03/1986;",
    "H08;HN-CR;15,90;-85,90;Carmen;Lagos;F;jefe;09/09/1955;",
    "H09;HN-CH;13,31;-87,18;Pedro;Zuniga Cruz;M;jefe;01/01/1971;",
    "H10;HN-CH;13,30;-87,19;Maria José;Ordóñez Pérez;F;jefe;14/03/1986;0601-1986-01234",
]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def run_import(url: str, path: Path, monkeypatch, *, one_by_one: bool, existing: bool) -> dict:
    engine = db.make_engine(url)
    db.upgrade(MIGRATIONS, engine)
    sessions = db.make_session_factory(engine)
    deps = registry_dependencies()
    deps.now = lambda: NOW
    counter = itertools.count()
    monkeypatch.setattr(facts, "new_member_id", lambda: str(uuid.UUID(int=next(counter))))
    monkeypatch.setattr(imports, "COMMIT_BATCH", 3)  # several batches, each with a few households
    if one_by_one:

        def register_each(uow, registered, blocks=None):  # what register_in does once it has built one
            for household in registered:
                uow.households.add(household)
                registration._store_new_version(uow, household, None)
            return registered

        monkeypatch.setattr(imports, "add_registered", register_each)
    actor = Actor("officer", lambda code: True)

    def factory():
        return RegistryUnitOfWork(sessions, outbox)

    if existing:  # a household registered before the import, sharing a person with it
        registration.register_household(
            registration.RegisterHousehold(
                HouseholdInput(
                    "HN-CH",
                    Location(13.3, -87.2),
                    [
                        {
                            "given_names": "Pedro",
                            "family_names": "Zúñiga Cruz",
                            "sex": "male",
                            "relationship": "head",
                            "birth_date": datetime(1970, 1, 1).date(),
                        }
                    ],
                ),
                actor,
                str(uuid.UUID(int=10**6)),
            ),
            factory(),
            deps,
        )
    import_id = str(uuid.UUID(int=7))
    with factory() as uow:
        uow.imports.create(
            {
                "id": import_id,
                "file_name": "h.csv",
                "format": "csv",
                "mapping": {},
                "status": imports.VALIDATING,
                "created_by": "officer",
                "jurisdiction": ["*"],
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    imports.validate_import(import_id, path, factory, deps, actor)
    imports.start_commit(import_id, factory())
    imports.commit_import(import_id, path, factory, deps, actor)
    with factory() as uow:  # as if cut short: a second commit of the same file writes nothing new
        uow.imports.update(import_id, status=imports.VALIDATED)
    imports.start_commit(import_id, factory())
    imports.commit_import(import_id, path, factory, deps, actor)
    with factory() as uow:
        job = uow.imports.get(import_id)
    with sessions() as session:
        published = [
            CloudEvent.from_json(p)
            for p in session.scalars(select(outbox.c.payload).order_by(outbox.c.position))
        ]
        result = {
            "job": {k: v for k, v in job.items() if "_at" not in k},
            "households": sorted(
                tuple(v for k, v in r._mapping.items() if "encrypted" not in k)
                for r in session.execute(select(households))
            ),
            "members": sorted(
                tuple(v for k, v in r._mapping.items() if "encrypted" not in k and "hash" not in k)
                for r in session.execute(select(members))
            ),
            "history": sorted(
                (
                    r.household_id,
                    r.version,
                    r.changed_by,
                    str([c for c in r.changes if "encrypted" not in str(c) and "document" not in c["path"]]),
                )
                for r in session.execute(select(household_history))
            ),
            "events": sorted(
                (e.type, e.subject, str(e.data), e.time) for e in published if e.type != HOUSEHOLD_REVIEW
            ),
            # A household's review state is its latest review event's (one by one, a household is
            # published again as each new pair joins it; in bulk, once with all of them).
            "reviews": sorted(
                {e.subject: str(e.data) for e in published if e.type == HOUSEHOLD_REVIEW}.items()
            ),
            "duplicates": sorted(
                (r.household_a, r.member_a, r.household_b, r.member_b, r.score, tuple(r.reasons), r.status)
                for r in session.execute(select(duplicate_candidates))
            ),
        }
    engine.dispose()
    return result


@pytest.mark.parametrize("existing", [False, True], ids=["empty-registry", "with-a-household"])
def test_a_bulk_commit_equals_registering_one_by_one(tmp_path, monkeypatch, existing):
    path = tmp_path / "h.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    bulk = run_import(
        f"sqlite:///{tmp_path / 'bulk.db'}", path, monkeypatch, one_by_one=False, existing=existing
    )
    monkeypatch.undo()
    each = run_import(
        f"sqlite:///{tmp_path / 'each.db'}", path, monkeypatch, one_by_one=True, existing=existing
    )
    assert bulk == each
    written = bulk["job"]["households_written"]
    assert written == len(bulk["households"]) - existing == len(bulk["events"]) - existing >= 8
    assert len(bulk["duplicates"]) >= 6  # the file's repeated people were queued
    assert len(bulk["reviews"]) >= 2  # and both households of each pair are held for review
