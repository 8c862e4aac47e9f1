"""A registry officer's decisions on probable duplicates over HTTP, on SQLite and PostgreSQL: a
merge moves the members kept, a pair judged not duplicates never comes back (through a change or
a re-import), a person living in two households is removed from one."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from services.registry.adapters.orm import outbox
from services.registry.entrypoints import app as registry_app
from shared.auth import AUDITOR, REGISTRY_OFFICER
from shared.events import CloudEvent
from tests.integration.test_api import make_client
from tests.samples import household_body

pytestmark = pytest.mark.integration


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    client.runtime = runtime
    client.officer = {"Authorization": f"Bearer {issuer.mint('ofelia', [REGISTRY_OFFICER], ['HN'])}"}
    client.auditor = {"Authorization": f"Bearer {issuer.mint('auditora', [AUDITOR], ['HN'])}"}
    return client


def register(registry, body):
    answer = registry.post("/v1/households", json=body, headers=registry.officer)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def read(registry, household):
    return registry.get(f"/v1/households/{household['id']}", headers=registry.officer).get_json()


def pairs(registry, a, b, status="open"):
    listed = registry.get(f"/v1/duplicates?status={status}&limit=500", headers=registry.officer).get_json()
    return [c for c in listed if {c["household_a"], c["household_b"]} == {a["id"], b["id"]}]


def decide(registry, candidate, **body):
    return registry.post(f"/v1/duplicates/{candidate['id']}/decision", headers=registry.officer, json=body)


def events(registry, key):
    with registry.runtime.session_factory() as session:
        payloads = session.scalars(
            select(outbox.c.payload).where(outbox.c.key == key).order_by(outbox.c.position)
        )
        return [CloudEvent.from_json(p) for p in payloads]


def said(registry, household):
    """The latest history entry of a household, and what it says as (path, new value) pairs."""
    entry = registry.get(f"/v1/households/{household['id']}/history", headers=registry.officer).get_json()[-1]
    return entry, {(c["path"], c["new"]) for c in entry["changes"] if isinstance(c["new"], str | None)}


def member(given, family, relationship, **extra):
    sex = "male" if given in ("Pedro", "Jorge", "Luis") else "female"
    return {"given_names": given, "family_names": family, "sex": sex, "relationship": relationship, **extra}


def ids(household):
    return {f"{m['given_names']}": m["id"] for m in household["members"]}


def test_a_merge_moves_the_members_the_officer_keeps(registry):
    first = register(registry, household_body())
    again = household_body(address="Barrio Nuevo")  # the family registered a second time
    again["members"][0]["phone"] = "+504 3333-4444"
    again["members"][2] = member("Carla", "Ordóñez", "child", birth_date="2019-05-05")
    second = register(registry, again)
    # Another family whose child is Carla too: their pair must follow Carla into the kept household.
    neighbours = register(
        registry,
        household_body(
            members=[
                member("Marta", "Reyes", "head", birth_date="1980-01-01"),
                member("Carla", "Ordóñez", "child", birth_date="2019-05-05"),
            ]
        ),
    )
    a, b = ids(first), ids(second)
    [carla_pair] = pairs(registry, second, neighbours)
    candidate = pairs(registry, first, second)[0]
    before = len(events(registry, first["id"])) + len(events(registry, second["id"]))

    # Refused: no word on the other household's members; then two heads in the merged household.
    missing = decide(registry, candidate, decision="merge", keep=first["id"])
    assert missing.status_code == 422 and [e["pointer"] for e in missing.get_json()["errors"]] == ["/members"]
    two_heads = decide(
        registry, candidate, decision="merge", keep=first["id"], members=[{"id": b["María José"]}]
    )
    assert two_heads.status_code == 422, two_heads.get_json()
    [error] = two_heads.get_json()["errors"]
    assert error["pointer"] == "/members" and "head" in error["detail"] and "jefe" in error["detail_es"]
    assert "fusionado" in two_heads.get_json()["detail_es"]
    assert (read(registry, first)["version"], read(registry, second)["version"]) == (1, 1)  # nothing stored
    assert len(events(registry, first["id"])) + len(events(registry, second["id"])) == before
    assert all(c["status"] == "open" for c in pairs(registry, first, second))

    merged = decide(
        registry,
        candidate,
        decision="merge",
        keep=first["id"],
        comment="la misma familia",
        members=[
            {"id": b["María José"], "same_as": a["María José"], "survives": b["María José"]},
            {"id": b["Luis"], "same_as": a["Luis"], "survives": a["Luis"]},
            {"id": b["Carla"]},
        ],
    )
    assert merged.status_code == 200, merged.get_json()
    assert (merged.get_json()["status"], merged.get_json()["decided_by"]) == ("merged", "ofelia")

    kept, gone = read(registry, first), read(registry, second)
    assert [m["id"] for m in kept["members"]] == [b["María José"], a["Luis"], a["Rosa"], b["Carla"]]
    assert kept["members"][0]["relationship"] == "head" and kept["members"][0]["phone"] == "+504 3333-4444"
    assert (kept["version"], kept["size"], kept["status"]) == (2, 4, "active")
    assert (gone["version"], gone["status"], [m["id"] for m in gone["members"]]) == (
        2,
        "dissolved",
        [b["Luis"]],
    )

    kept_history, kept_said = said(registry, first)
    assert kept_history["changed_by"] == "ofelia" and kept_history["version"] == 2
    assert {
        ("merged_from", second["id"]),
        ("duplicate_candidate", candidate["id"]),
        (f"members.{b['Carla']}.moved_from", second["id"]),
        (f"members.{b['María José']}.replaces", a["María José"]),
    } <= kept_said
    gone_history, gone_said = said(registry, second)
    assert gone_history["changed_by"] == "ofelia" and gone_history["version"] == 2
    assert {("merged_into", first["id"]), (f"members.{b['Carla']}.moved_to", first["id"])} <= gone_said

    assert [e.type.split(".")[-2] for e in events(registry, first["id"])] == ["registered", "updated"]
    assert [e.type.split(".")[-2] for e in events(registry, second["id"])] == ["registered", "deactivated"]
    assert events(registry, first["id"])[-1].data["size"] == 4
    reviews = {
        k: events(registry, f"review:{k}")[-1].data["under_review"] for k in (first["id"], second["id"])
    }
    assert reviews == {
        first["id"]: True,
        second["id"]: False,
    }  # the kept one: still paired with the neighbours
    assert not pairs(registry, first, second) and len(pairs(registry, first, second, "merged")) == 2
    [followed] = pairs(registry, first, neighbours)  # Carla's pair followed her
    assert followed["id"] == carla_pair["id"] and b["Carla"] in (followed["member_a"], followed["member_b"])
    assert decide(registry, candidate, decision="dismiss").status_code == 409


def test_a_pair_judged_not_duplicates_never_comes_back(registry, issuer):
    from tests.integration.test_imports import upload, wait_for

    first = register(registry, household_body())
    look_alike = household_body(
        address="Aldea El Tular",
        members=[
            member("Maria Jsoe", "Ordóñez Pérez", "head", birth_date="1986-03-14"),
            member("Pedro", "Zúñiga", "spouse", birth_date="1984-01-01"),
        ],
    )
    other = register(registry, look_alike)
    [candidate] = pairs(registry, first, other)
    dismissed = decide(registry, candidate, decision="dismiss", comment="otra persona")
    assert dismissed.status_code == 200 and dismissed.get_json()["status"] == "dismissed"

    # A change that gives every member a new record (sent without ids): screened, not proposed.
    changed = copy.deepcopy(look_alike)
    changed["address"] = "Aldea El Tular, casa 4"
    answer = registry.put(
        f"/v1/households/{other['id']}", json=changed, headers={**registry.officer, "If-Match": '"1"'}
    )
    assert answer.status_code == 200, answer.get_json()
    assert set(ids(answer.get_json()).values()).isdisjoint(ids(other).values())
    assert pairs(registry, first, other) == []
    control = register(registry, look_alike)  # the same people, never judged: still proposed
    assert pairs(registry, first, control)

    # A re-import of the household that brings a new member who resembles someone of the first.
    header = (
        "Código Hogar;Número de Registro;Departamento;Latitud;Longitud;Nombres;Apellidos;Sexo;Parentesco;"
        "Edad;Fecha de Nacimiento\n"
    )
    rows = [
        f"T1;{other['registration_number']};HN-CH;13,30;-87,19;Maria Jsoe;Ordóñez Pérez;F;jefa;;14/03/1986",
        "T1;;;;;Pedro;Zúñiga;M;esposo;;01/01/1984",
        "T1;;;;;Rosa;Pérez;F;madre;71;",  # as the first household's Rosa: judged, never proposed
        "T2;;HN-CH;13,30;-87,19;Rosa;Pérez;F;jefa;71;",  # a new household: proposed
    ]
    job = upload(registry, issuer, (header + "\n".join(rows) + "\n").encode(), "tular.csv").get_json()
    job = wait_for(registry, issuer, job["id"], {"validated", "failed"})
    assert [(h["reference"], h["outcome"]) for h in job["households"]] == [("T1", "update"), ("T2", "create")]
    resembled = {(d["row"], d["other_household"]) for d in job["duplicates"]}
    assert (5, first["id"]) in resembled and (4, first["id"]) not in resembled
    registry.post(f"/v1/imports/{job['id']}/commit", headers=registry.officer)
    assert wait_for(registry, issuer, job["id"], {"committed", "failed"})["status"] == "committed"
    assert read(registry, other)["size"] == 3 and pairs(registry, first, other) == []
    assert len(pairs(registry, first, other, "dismissed")) == 1


def test_a_person_living_in_two_households_is_removed_from_one(registry):
    first = register(registry, household_body())
    grandmother = household_body()["members"][2]  # Rosa Pérez, 71: she lives with her son's family
    sons = register(
        registry,
        household_body(
            address="Colonia Las Palmas, casa 9",
            members=[member("Pedro", "Zúñiga", "head", birth_date="1975-01-01"), {**grandmother}],
        ),
    )
    [candidate] = pairs(registry, first, sons)
    removed = decide(
        registry, candidate, decision="remove_members", household=first["id"], remove=[ids(first)["Rosa"]]
    )
    assert removed.status_code == 200, removed.get_json()
    assert removed.get_json()["status"] == "members_removed"
    now = read(registry, first)
    assert (now["version"], [m["given_names"] for m in now["members"]]) == (2, ["María José", "Luis"])
    assert read(registry, sons)["version"] == 1
    assert {
        (f"members.{ids(first)['Rosa']}.remains_in", sons["id"]),
        ("duplicate_candidate", candidate["id"]),
    } <= said(registry, first)[1]
    assert events(registry, f"review:{first['id']}")[-1].data["under_review"] is False

    # Recorded in the first household again by mistake: that person is not proposed again.
    body = copy.deepcopy(household_body())
    body["members"] = [{**m, "id": now["members"][i]["id"]} for i, m in enumerate(body["members"][:2])]
    body["members"].append({**grandmother})
    again = registry.put(
        f"/v1/households/{first['id']}", json=body, headers={**registry.officer, "If-Match": '"2"'}
    )
    assert again.status_code == 200 and again.get_json()["size"] == 3
    assert pairs(registry, first, sons) == []
    control = register(
        registry, household_body(members=[member("Ana", "Cruz", "head", age_estimate=50), grandmother])
    )
    assert pairs(registry, control, sons) and pairs(registry, control, first)


def test_the_head_leaves_only_with_a_new_head_named(registry):
    first = register(registry, household_body())
    elsewhere = register(
        registry,
        household_body(
            address="Barrio Nuevo",
            members=[
                {**household_body()["members"][0], "phone": None},  # María José, the same document
                member("Jorge", "Cruz", "spouse", birth_date="1984-02-02"),
            ],
        ),
    )
    [candidate] = [c for c in pairs(registry, first, elsewhere) if c["reasons"] == ["same document"]]
    maria = ids(elsewhere)["María José"]
    refused = decide(
        registry, candidate, decision="remove_members", household=elsewhere["id"], remove=[maria]
    )
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error["pointer"] == "/new_head" and "jefe o jefa" in error["detail_es"]
    assert (
        read(registry, elsewhere)["version"] == 1 and pairs(registry, first, elsewhere)[0]["status"] == "open"
    )
    wrong = decide(registry, candidate, decision="remove_members", household="otro", remove=[maria])
    assert [e["pointer"] for e in wrong.get_json()["errors"]] == ["/household"]

    done = decide(
        registry,
        candidate,
        decision="remove_members",
        household=elsewhere["id"],
        remove=[maria],
        new_head=ids(elsewhere)["Jorge"],
    )
    assert done.status_code == 200, done.get_json()
    [jorge] = read(registry, elsewhere)["members"]
    assert (jorge["given_names"], jorge["relationship"]) == ("Jorge", "head")
    assert read(registry, first)["version"] == 1


def test_two_officers_deciding_one_pair_at_once_one_decides_the_other_is_told(registry):
    import threading

    first = register(registry, household_body())
    second = register(registry, household_body(address="Barrio Nuevo"))
    candidate = pairs(registry, first, second)[0]
    bodies = [{"decision": "merge", "keep": first["id"], "members": []}, {"decision": "dismiss"}]
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def decide_at_once(body):
        client = registry.application.test_client()
        barrier.wait()
        url = f"/v1/duplicates/{candidate['id']}/decision"
        statuses.append(client.post(url, json=body, headers=registry.officer).status_code)

    threads = [threading.Thread(target=decide_at_once, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    log = registry.get("/v1/audit-log?limit=500", headers=registry.auditor).get_json()["items"]
    assert len([e for e in log if e["action"].startswith("duplicate_")]) == 1
    merged = read(registry, second)["status"] == "dissolved"
    assert len(pairs(registry, first, second, "merged" if merged else "dismissed")) == 3
