"""The registry's operations over HTTP, for every role, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import threading
import uuid

import pytest
from sqlalchemy import select

from services.registry.adapters.orm import outbox
from services.registry.entrypoints import app as registry_app
from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, PROGRAMME_OFFICER, REGISTRY_OFFICER
from shared.events import CloudEvent
from tests.integration.test_api import make_client
from tests.samples import distinct_household as distinct
from tests.samples import household_body

pytestmark = pytest.mark.integration

# The protected values themselves: digit fragments alone could turn up inside random ids and hashes.
SECRETS = ("María", "Ordóñez", "0601-1986-01234", "0601198601234", "9988-7766", "99887766", "Tigo", "Palmas")


@pytest.fixture
def registry(tmp_path, broker, issuer, database_url):
    client, runtime = make_client(registry_app, "registry", tmp_path, broker.bootstrap_server, database_url)
    client.runtime = runtime
    return client


def auth(issuer, roles, jurisdiction=("HN",)):
    return {"Authorization": f"Bearer {issuer.mint('user-' + roles[0], roles, jurisdiction)}"}


def register(registry, issuer, body=None):
    response = registry.post(
        "/v1/households", json=body or household_body(), headers=auth(issuer, [FIELD_STAFF])
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_personal_data_is_shown_only_as_far_as_the_role_allows(registry, issuer):
    created = register(registry, issuer)
    head = created["members"][0]
    assert head["given_names"] == "María José"
    assert head["document_number"] == "•" * 11 + "1234" and head["phone"].endswith("7766")
    assert created["payment"] == {"type": "mobile_money", "provider": "Tigo Money", "identifiers": None}
    assert created["vulnerability"]["index_version"] == "v1" and created["size"] == 3

    url = f"/v1/households/{created['id']}"
    officer = registry.get(url, headers=auth(issuer, [REGISTRY_OFFICER])).get_json()
    assert officer["members"][0]["document_number"] == "0601-1986-01234"
    assert officer["members"][0]["phone"] == "+504 9988-7766"
    assert officer["payment"]["identifiers"] == {"wallet_number": "99887766"}
    auditor = registry.get(url, headers=auth(issuer, [AUDITOR])).get_json()
    assert "0601-1986" not in str(auditor) and auditor["payment"]["identifiers"] is None
    for role in (CIVIL_PROTECTION, PROGRAMME_OFFICER):
        assert registry.get(url, headers=auth(issuer, [role])).status_code == 403
    outside = registry.get(url, headers=auth(issuer, [FIELD_STAFF], ["HN-CR"]))
    assert outside.status_code == 403 and "outside your jurisdiction" in outside.get_json()["detail"]
    assert (
        registry.get(f"/v1/households/{uuid.uuid4()}", headers=auth(issuer, [REGISTRY_OFFICER])).status_code
        == 404
    )


def test_nothing_personal_leaves_in_events(registry, issuer):
    created = register(registry, issuer)
    with registry.runtime.session_factory() as session:
        payloads = session.scalars(select(outbox.c.payload).where(outbox.c.key == created["id"])).all()
    assert len(payloads) == 1
    event = CloudEvent.from_json(payloads[0])
    assert event.type == "amparo.registry.household.registered.v1"
    assert not any(secret in payloads[0].decode() for secret in SECRETS)
    assert event.data["vulnerability"]["score"] == created["vulnerability"]["score"]


def test_retrying_a_registration_is_safe_and_a_clash_is_refused(registry, issuer):
    body = household_body(id=str(uuid.uuid4()))
    first = registry.post("/v1/households", json=body, headers=auth(issuer, [FIELD_STAFF]))
    again = registry.post("/v1/households", json=body, headers=auth(issuer, [FIELD_STAFF]))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["version"] == 1
    clash = registry.post(
        "/v1/households", json={**body, "address": "otra"}, headers=auth(issuer, [FIELD_STAFF])
    )
    assert clash.status_code == 409 and clash.mimetype == "application/problem+json"


def _edit(created, **changes):
    body = household_body(**changes)
    body["members"] = [{**m, "id": created["members"][i]["id"]} for i, m in enumerate(body["members"])]
    return body


def test_updates_need_if_match_and_a_stale_one_gets_both_versions(registry, issuer):
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}"
    headers = auth(issuer, [FIELD_STAFF])
    missing = registry.put(url, json=_edit(created), headers=headers)
    assert missing.status_code == 428

    roomier = _edit(created, dwelling={"wall": "brick", "roof": "tile", "floor": "cement", "rooms": 3})
    updated = registry.put(url, json=roomier, headers={**headers, "If-Match": '"1"'})
    assert updated.status_code == 200, updated.get_json()
    assert updated.headers["ETag"] == '"2"' and updated.get_json()["version"] == 2
    assert updated.get_json()["vulnerability"]["score"] < created["vulnerability"]["score"]

    stale = registry.put(
        url, json=_edit(created, address="Barrio Nuevo"), headers={**headers, "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    problem = stale.get_json()
    assert problem["current_version"] == 2 and problem["your_version"] == 1
    assert problem["current"]["dwelling"]["rooms"] == 3 and problem["current"]["version"] == 2
    assert "dwelling.rooms" in problem["changed_since_your_version"]
    assert stale.headers["ETag"] == '"2"'

    same = registry.put(url, json=roomier, headers={**headers, "If-Match": '"2"'})
    assert same.status_code == 200 and same.get_json()["version"] == 2  # no change, no new version


def test_two_conflicting_updates_at_once_one_wins_one_gets_412(registry, issuer):
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}"
    headers = {**auth(issuer, [FIELD_STAFF]), "If-Match": '"1"'}
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def put(address: str) -> None:
        client = registry.application.test_client()
        barrier.wait()
        statuses.append(client.put(url, json=_edit(created, address=address), headers=headers).status_code)

    threads = [threading.Thread(target=put, args=(a,)) for a in ("Calle 1", "Calle 2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 412]
    final = registry.get(url, headers=auth(issuer, [AUDITOR])).get_json()
    assert final["version"] == 2 and final["address"] in ("Calle 1", "Calle 2")


def test_history_shows_who_changed_what(registry, issuer):
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}"
    body = _edit(created, address="Barrio Nuevo")
    body["members"][0]["phone"] = "+504 3333-4444"
    registry.put(url, json=body, headers={**auth(issuer, [REGISTRY_OFFICER]), "If-Match": '"1"'})
    history = registry.get(f"{url}/history", headers=auth(issuer, [AUDITOR]))
    assert history.status_code == 200
    entries = history.get_json()
    assert [e["version"] for e in entries] == [1, 2]
    assert (
        entries[0]["changed_by"] == "user-field_staff" and entries[1]["changed_by"] == "user-registry_officer"
    )
    second = {c["path"]: c for c in entries[1]["changes"]}
    assert second["address"] == {
        "path": "address",
        "old": "Colonia Las Palmas, Choluteca",
        "new": "Barrio Nuevo",
    }
    phone = second[f"members.{created['members'][0]['id']}.phone"]
    assert phone["old"] == phone["new"] == "(protected)"
    assert "3333-4444" not in history.get_data(as_text=True) and "9988-7766" not in history.get_data(
        as_text=True
    )
    assert registry.get(f"{url}/history", headers=auth(issuer, [FIELD_STAFF])).status_code == 403


def test_offline_sync_reports_each_record_and_is_idempotent(registry, issuer):
    good = [
        {"client_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "household": household_body()}
        for _ in range(3)
    ]
    bad_data = household_body()
    bad_data["location"] = {"lat": 95, "lon": -87.2}
    bad = {"client_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), "household": bad_data}
    elsewhere = {
        "client_id": str(uuid.uuid4()),
        "household_id": str(uuid.uuid4()),
        "household": household_body(admin_code="GT-ES", location={"lat": 14.3, "lon": -90.78}),
    }
    batch = {"device": "tablet-07", "records": [*good, bad, elsewhere, copy.deepcopy(good[0])]}
    headers = auth(issuer, [FIELD_STAFF], ["HN-CH"])

    report = registry.post("/v1/households/sync", json=batch, headers=headers)
    assert report.status_code == 200, report.get_json()
    results = report.get_json()["results"]
    assert [r["status"] for r in results] == ["created"] * 3 + ["rejected", "rejected", "rejected"]
    assert "/household/location/lat" in results[3]["errors"]
    assert "GT-ES" in results[4]["detail"] and "duplicate client id" in results[5]["detail"]

    again = registry.post("/v1/households/sync", json=batch, headers=headers).get_json()
    assert [r["status"] for r in again["results"]] == ["already_synced"] * 3 + ["rejected"] * 3
    assert again["counts"] == {"already_synced": 3, "rejected": 3}

    target = results[0]["household_id"]
    current = registry.get(f"/v1/households/{target}", headers=headers).get_json()
    change = {
        "client_id": str(uuid.uuid4()),
        "household_id": target,
        "base_version": 1,
        "household": _edit(current, address="Aldea El Tular"),
    }
    stale = {
        "client_id": str(uuid.uuid4()),
        "household_id": target,
        "base_version": 1,
        "household": _edit(current, address="Aldea Otra"),
    }
    changes = registry.post(
        "/v1/households/sync", json={"device": "tablet-07", "records": [change, stale]}, headers=headers
    ).get_json()["results"]
    assert [(r["status"], r["version"]) for r in changes] == [("updated", 2), ("conflict", 2)]


def test_a_sync_batch_keeps_each_good_record_and_rolls_back_each_refused_one(registry, issuer):
    """One transaction for the batch, a savepoint for each record: a conflict or a broken rule in
    the middle leaves nothing of that record (no row, no event), and the others are kept, their
    people screened for duplicates against the registry and each other."""
    registered = register(registry, issuer)  # María Ordóñez, already in the registry
    headers = auth(issuer, [FIELD_STAFF], ["HN-CH"])
    fresh_id, again_id, visited_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    fresh = household_body(address="Casa nueva")
    fresh["members"] = [
        {**m, "given_names": f"Lucía {n}", "family_names": "Zúniga Paz", "document": None, "phone": None}
        for n, m in enumerate(fresh["members"])
    ]
    broken = household_body()
    broken["members"] = [{**broken["members"][0], "relationship": "head", "age_estimate": 130}]
    visit = {"event_id": str(uuid.uuid4()), "dwelling_damage": "partial", "displacement": "at_home"}

    def record(household_id, household, **more):
        return {"client_id": str(uuid.uuid4()), "household_id": household_id, "household": household, **more}

    records = [
        record(fresh_id, fresh),
        record(registered["id"], _edit(registered, address="Aldea Vieja"), base_version=7),
        record(str(uuid.uuid4()), broken),
        record(again_id, household_body(address="La misma")),
        # Registered, then its visit refused (no such exercise): neither is kept.
        record(visited_id, household_body(address="Visitada"),
               assessment={**visit, "assessed_at": "2026-12-01T10:00:00+00:00"}),
        record(fresh_id, {**fresh, "address": "Casa nueva, junto al río"}, base_version=1),
    ]  # fmt: skip
    results = registry.post(
        "/v1/households/sync", json={"device": "tablet-9", "records": records}, headers=headers
    ).get_json()["results"]
    assert [(r["status"], r["version"]) for r in results] == [
        ("created", 1), ("conflict", registered["version"]), ("rejected", None), ("created", 1),
        ("rejected", None), ("updated", 2),
    ]  # fmt: skip
    assert "/household/members/0/age_estimate" in results[2]["errors"]

    stored = registry.get(f"/v1/households/{fresh_id}", headers=headers).get_json()
    assert stored["version"] == 2 and stored["address"] == "Casa nueva, junto al río"
    unchanged = registry.get(f"/v1/households/{registered['id']}", headers=headers).get_json()
    assert unchanged["version"] == registered["version"] and unchanged["address"] == registered["address"]
    with registry.runtime.session_factory() as session:
        keys = [key for (key,) in session.execute(select(outbox.c.key))]
    assert keys.count(fresh_id) == 2 and keys.count(again_id) >= 1
    assert keys.count(registered["id"]) == 1  # its registration; nothing of the stale change
    assert results[2]["household_id"] not in keys and visited_id not in keys
    assert registry.get(f"/v1/households/{visited_id}", headers=headers).status_code == 404
    # The household registered twice (the same head and document) is queued beside the first.
    queue = registry.get("/v1/duplicates", headers=auth(issuer, [REGISTRY_OFFICER])).get_json()
    assert any({c["household_a"], c["household_b"]} == {registered["id"], again_id} for c in queue)
    assert not any(fresh_id in (c["household_a"], c["household_b"]) for c in queue)

    # Sent again (the answer lost on the way): nothing changes.
    again = registry.post(
        "/v1/households/sync", json={"device": "tablet-9", "records": records}, headers=headers
    ).get_json()["results"]
    assert [r["status"] for r in again] == [
        "already_synced", "conflict", "rejected", "already_synced", "rejected", "already_synced",
    ]  # fmt: skip


def test_a_sync_batch_keeps_the_devices_order_for_one_household(registry, issuer):
    headers = auth(issuer, [FIELD_STAFF], ["HN-CH"])
    early, twice = str(uuid.uuid4()), str(uuid.uuid4())
    body = household_body(address="Primera")
    records = [
        # A change before the household exists, then its registration: refused, then created.
        {"client_id": str(uuid.uuid4()), "household_id": early, "base_version": 1, "household": body},
        {"client_id": str(uuid.uuid4()), "household_id": early, "household": body},
        # The same id registered twice with other facts: the first is kept, the second refused.
        {"client_id": str(uuid.uuid4()), "household_id": twice, "household": body},
        {"client_id": str(uuid.uuid4()), "household_id": twice, "household": household_body(address="Otra")},
    ]
    results = registry.post(
        "/v1/households/sync", json={"device": "tablet-3", "records": records}, headers=headers
    ).get_json()["results"]
    assert [(r["status"], r["version"]) for r in results] == [
        ("rejected", None), ("created", 1), ("created", 1), ("rejected", None),
    ]  # fmt: skip
    assert registry.get(f"/v1/households/{twice}", headers=headers).get_json()["address"] == "Primera"


def test_a_sync_chunk_that_clashes_with_another_writer_is_applied_record_by_record(
    registry, issuer, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    from services.registry.service_layer import sync

    applied = sync._apply_all
    clashes = []

    def clashing(uow, chunk, *args):
        if len(chunk) > 1 and not clashes:
            applied(uow, chunk, *args)  # everything written, then the database gives up
            clashes.append(len(chunk))
            raise OperationalError("COMMIT", {}, Exception("deadlock detected"))
        return applied(uow, chunk, *args)

    monkeypatch.setattr(sync, "_apply_all", clashing)
    headers = auth(issuer, [FIELD_STAFF], ["HN-CH"])
    records = [
        {
            "client_id": str(uuid.uuid4()),
            "household_id": (hid := str(uuid.uuid4())),
            "household": distinct(hid),
        }
        for _ in range(3)
    ]
    results = registry.post(
        "/v1/households/sync", json={"device": "tablet-4", "records": records}, headers=headers
    ).get_json()["results"]
    assert clashes == [3] and [r["status"] for r in results] == ["created"] * 3
    with registry.runtime.session_factory() as session:
        keys = [key for (key,) in session.execute(select(outbox.c.key))]
    assert all(keys.count(r["household_id"]) == 1 for r in records)  # written once, not twice


def test_sync_batch_limits_and_shape_are_checked(registry, issuer):
    headers = auth(issuer, [FIELD_STAFF])
    empty = registry.post("/v1/households/sync", json={"device": "t", "records": []}, headers=headers)
    assert empty.status_code == 422 and "/records" in [e["pointer"] for e in empty.get_json()["errors"]]
    no_device = registry.post("/v1/households/sync", json={"records": [{}]}, headers=headers)
    assert {"/device", "/records/0/client_id"} <= {e["pointer"] for e in no_device.get_json()["errors"]}


@pytest.mark.parametrize(
    ("changes", "pointer", "words"),
    [
        ({"admin_code": "HN-ZZ"}, "/admin_code", "unknown admin code HN-ZZ"),
        ({"admin_code": "MX-OAX"}, "/admin_code", "not served"),
        ({"location": {"lat": 15.5, "lon": -88.0}}, "/location", "outside HN-CH"),
        ({"location": {"lat": -87.19, "lon": 13.3}}, "/location", "swapped"),
    ],
)
def test_unknown_areas_and_misplaced_homes_are_refused_by_name(registry, issuer, changes, pointer, words):
    response = registry.post(
        "/v1/households", json=household_body(**changes), headers=auth(issuer, [FIELD_STAFF])
    )
    assert response.status_code == 422
    errors = {e["pointer"]: e["detail"] for e in response.get_json()["errors"]}
    assert words in errors[pointer]


def _population(registry, issuer):
    """Five households: two in HN-CH (one of them well-off), two in HN-CR, one in HN-CH without children."""
    created = []
    created.append(register(registry, issuer))
    well_off = household_body(
        members=[
            {
                "given_names": "Pedro",
                "family_names": "Zelaya",
                "sex": "male",
                "relationship": "head",
                "age_estimate": 40,
            }
        ],
        dwelling={
            "wall": "concrete_block",
            "roof": "concrete",
            "floor": "tile",
            "tenure": "owned",
            "rooms": 4,
        },
        services={"water_source": "piped_dwelling", "sanitation": "sewer"},
        livelihood={"main": "wage_employment", "income_source": "formal"},
        payment=None,
    )
    created.append(register(registry, issuer, well_off))
    for _ in range(2):
        created.append(
            register(
                registry, issuer, household_body(admin_code="HN-CR", location={"lat": 15.5, "lon": -87.9})
            )
        )
    formula = household_body(
        members=[
            {
                "given_names": '=HYPERLINK("http://evil")',
                "family_names": "+cmd",
                "sex": "female",
                "relationship": "head",
                "age_estimate": 30,
                "document": {"type": "passport", "number": "@X123"},
            }
        ]
    )
    created.append(register(registry, issuer, formula))
    return created


def test_search_filters_paginate_and_respect_jurisdiction(registry, issuer):
    created = _population(registry, issuer)
    everyone = auth(issuer, [AUDITOR])
    page = registry.get("/v1/households?limit=2", headers=everyone).get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    seen = [i["id"] for i in page["items"]]
    while page["next_cursor"]:
        page = registry.get(
            f"/v1/households?limit=2&cursor={page['next_cursor']}", headers=everyone
        ).get_json()
        seen += [i["id"] for i in page["items"]]
    assert sorted(seen) == sorted(c["id"] for c in created) and len(set(seen)) == 5

    crs = registry.get("/v1/households?admin_code=HN-CR", headers=everyone).get_json()["items"]
    assert {i["admin_code"] for i in crs} == {"HN-CR"} and len(crs) == 2
    kids = registry.get("/v1/households?group=children_under_5&group=disability", headers=everyone).get_json()
    assert len(kids["items"]) == 3 and all(i["children_under_5"] >= 1 for i in kids["items"])
    low = registry.get("/v1/households?score_max=20", headers=everyone).get_json()["items"]
    assert [i["id"] for i in low] == [created[1]["id"]]
    mine = registry.get("/v1/households", headers=auth(issuer, [FIELD_STAFF], ["HN-CR"])).get_json()["items"]
    assert {i["admin_code"] for i in mine} == {"HN-CR"}
    bad = registry.get("/v1/households?score_min=101&group=rich&cursor=%%%", headers=everyone)
    assert bad.status_code == 422
    assert {"/query/score_min", "/query/group/0"} <= {e["pointer"] for e in bad.get_json()["errors"]}
    assert registry.get("/v1/households", headers=auth(issuer, [CIVIL_PROTECTION])).status_code == 403


def test_export_escapes_formulas_and_shows_personal_columns_only_to_allowed_roles(registry, issuer):
    import csv
    import io

    _population(registry, issuer)
    officer = registry.get("/v1/households/export.csv", headers=auth(issuer, [REGISTRY_OFFICER]))
    assert officer.status_code == 200 and officer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(officer.get_data(as_text=True))))
    assert len(rows) == 5
    assert "0601-1986-01234" in {r["head_document_number"] for r in rows}
    evil = next(r for r in rows if "HYPERLINK" in r["head_given_names"])
    assert evil["head_given_names"].startswith("'=") and evil["head_family_names"] == "'+cmd"
    assert evil["head_document_number"] == "'@X123"
    staff = registry.get("/v1/households/export.csv", headers=auth(issuer, [FIELD_STAFF])).get_data(
        as_text=True
    )
    header = staff.splitlines()[0].split(",")
    assert "head_given_names" in header and "head_document_number" not in header
    # the document in either form (a time's microseconds may hold "0601" by chance)
    assert "0601-1986-01234" not in staff and "0601198601234" not in staff
    auditor = registry.get("/v1/households/export.csv?admin_code=HN-CR", headers=auth(issuer, [AUDITOR]))
    text = auditor.get_data(as_text=True)
    assert "María" not in text and "head_given_names" not in text and len(text.strip().splitlines()) == 3


def test_duplicates_are_queued_never_dropped_and_officers_merge_or_dismiss(registry, issuer):
    first = register(registry, issuer)
    same_document = household_body(address="Otra casa")
    second = register(registry, issuer, same_document)  # the same head, registered again: kept
    typo = household_body(
        members=[
            {**household_body()["members"][0], "given_names": "Maria Jsoe", "document": None, "phone": None}
        ]
    )
    third = register(registry, issuer, typo)
    officer = auth(issuer, [REGISTRY_OFFICER])
    queue = registry.get("/v1/duplicates", headers=officer).get_json()

    def between(a, b):
        return [c for c in queue if {c["household_a"], c["household_b"]} == {a["id"], b["id"]}]

    certain = next(c for c in between(first, second) if c["reasons"] == ["same document"])
    assert certain["score"] == 1.0 and len(between(first, second)) == 3  # head, child and grandmother
    probable = next(
        c
        for c in between(first, third)
        if c["member_a"] in (first["members"][0]["id"], third["members"][0]["id"])
    )
    assert 0.84 <= probable["score"] < 1.0 and "name" in probable["reasons"][0]

    merged = registry.post(
        f"/v1/duplicates/{certain['id']}/decision",
        headers=officer,
        json={"decision": "merge", "keep": first["id"], "members": [], "comment": "misma jefa"},
    )
    assert merged.status_code == 200 and merged.get_json()["status"] == "merged"
    gone = registry.get(f"/v1/households/{second['id']}", headers=officer).get_json()
    assert gone["status"] == "dissolved" and gone["version"] == 2
    history = registry.get(f"/v1/households/{second['id']}/history", headers=officer).get_json()
    assert {"path": "merged_into", "old": None, "new": first["id"]} in history[-1]["changes"]
    with registry.runtime.session_factory() as session:
        types = session.scalars(select(outbox.c.event_type).where(outbox.c.key == second["id"])).all()
    assert types[-1] == "amparo.registry.household.deactivated.v1"

    wrong_keep = registry.post(
        f"/v1/duplicates/{probable['id']}/decision",
        headers=officer,
        json={"decision": "merge", "keep": str(uuid.uuid4()), "members": []},
    )
    assert wrong_keep.status_code == 422 and wrong_keep.get_json()["errors"][0]["pointer"] == "/keep"
    assert wrong_keep.get_json()["errors"][0]["detail_es"].startswith("uno de")
    dismissed = registry.post(
        f"/v1/duplicates/{probable['id']}/decision",
        headers=officer,
        json={"decision": "dismiss", "comment": "otra persona"},
    )
    assert dismissed.get_json()["status"] == "dismissed"
    again = registry.post(
        f"/v1/duplicates/{probable['id']}/decision", headers=officer, json={"decision": "dismiss"}
    )
    assert again.status_code == 409
    log = registry.get("/v1/audit-log", headers=auth(issuer, [AUDITOR])).get_json()["items"]
    assert [(e["action"], e["subject_id"]) for e in log if e["action"].startswith("duplicate_")] == [
        ("duplicate_dismissed", probable["id"]),
        ("duplicate_merged", certain["id"]),
    ]
    merged_pairs = registry.get("/v1/duplicates?status=merged", headers=officer).get_json()
    assert (
        len([c for c in merged_pairs if {c["household_a"], c["household_b"]} == {first["id"], second["id"]}])
        == 3
    )
    # The dissolved household's people were in pairs with the third household too: those records
    # left the active households, so their pairs were withdrawn; dismissing settled the rest.
    assert registry.get("/v1/duplicates", headers=officer).get_json() == []
    withdrawn = registry.get("/v1/duplicates?status=withdrawn", headers=officer).get_json()
    assert withdrawn and all(second["id"] in (c["household_a"], c["household_b"]) for c in withdrawn)
    assert registry.get("/v1/duplicates", headers=auth(issuer, [FIELD_STAFF])).status_code == 403
    assert (
        registry.get("/v1/duplicates?status=merged", headers=officer).get_json()[0]["comment"] == "misma jefa"
    )


def test_what_field_staff_see_masked_and_send_back_keeps_what_is_stored(registry, issuer):
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}"
    shown = registry.get(url, headers=auth(issuer, [FIELD_STAFF])).get_json()
    body = {k: shown[k] for k in ("admin_code", "location", "dwelling", "services", "livelihood", "consent")}
    body["address"] = "Barrio El Centro, casa 12"
    body["payment"] = {"type": shown["payment"]["type"], "provider": shown["payment"]["provider"]}
    keys = ("id", "given_names", "family_names", "sex", "relationship", "birth_date", "age_estimate")
    keys += ("disability", "pregnant", "chronic_illness", "attends_school")
    body["members"] = [
        {k: m[k] for k in keys}
        | (
            {"document": {"type": m["document_type"], "number": m["document_number"]}}
            if m["document_type"]
            else {}
        )
        | ({"phone": m["phone"]} if m["phone"] else {})
        for m in shown["members"]
    ]
    assert "•" in body["members"][0]["document"]["number"] and "•" in body["members"][0]["phone"]
    headers = {**auth(issuer, [FIELD_STAFF]), "If-Match": f'"{shown["version"]}"'}
    changed = registry.put(url, json=body, headers=headers)
    assert changed.status_code == 200, changed.get_json()
    officer = registry.get(url, headers=auth(issuer, [REGISTRY_OFFICER])).get_json()
    assert officer["address"] == "Barrio El Centro, casa 12" and officer["version"] == 2
    assert officer["members"][0]["document_number"] == "0601-1986-01234"
    assert officer["members"][0]["phone"] == "+504 9988-7766"
    assert officer["payment"]["identifiers"] == {"wallet_number": "99887766"}
    history = registry.get(f"{url}/history", headers=auth(issuer, [REGISTRY_OFFICER])).get_json()
    assert {c["path"] for c in history[-1]["changes"]} == {"address"}

    # A mask that is not this member's own value (another's, or one typed by hand) is refused.
    body["address"] = "otra"
    body["members"][1]["phone"] = body["members"][0]["phone"]
    body["members"][0]["document"]["number"] = "•••••••••9999"
    headers["If-Match"] = '"2"'
    refused = registry.put(url, json=body, headers=headers)
    assert refused.status_code == 422
    pointers = {e["pointer"] for e in refused.get_json()["errors"]}
    assert pointers == {"/members/0/document/number", "/members/1/phone"}
