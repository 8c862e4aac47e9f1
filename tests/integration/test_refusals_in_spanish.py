"""Every refusal of the registry in the language the caller asks for: problem documents and sync
reports in Spanish for ``Accept-Language: es``, their fields named by the same JSON pointers as in
English, and no English left. Refusals change nothing, so each is sent twice, once per language."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.alerts.entrypoints import app as alerts_app
from services.transfers.entrypoints import app as transfers_app
from shared.auth import APPROVER, AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, REGISTRY_OFFICER
from tests.english import english_left_in
from tests.integration.test_api import make_client
from tests.integration.test_imports import HEADER as IMPORT_HEADER
from tests.integration.test_imports import ROWS as IMPORT_ROWS
from tests.integration.test_imports import upload, wait_for
from tests.integration.test_registry_api import auth, register, registry  # noqa: F401
from tests.integration.test_snapshot_refresh import LAYER, weights_for
from tests.samples import household_body

# The words are the same whatever the database: SQLite is enough.
pytestmark = [pytest.mark.integration, pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)]

SPANISH = {"Accept-Language": "es-HN,es;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def _messages(body: dict[str, Any]) -> list[str]:
    """The words of a problem document or of a sync report's refused records."""
    if "results" in body:
        return [
            text
            for result in body["results"]
            for text in [result.get("detail") or "", *(result.get("errors") or {}).values()]
            if text
        ]
    return [body["title"], body["detail"], *(e["detail"] for e in body.get("errors", []))]


def _pointers(body: dict[str, Any]) -> list[str]:
    if "results" in body:
        return [pointer for r in body["results"] for pointer in sorted(r.get("errors") or {})]
    return [e["pointer"] for e in body.get("errors", [])]


class Refusals:
    """Sends each refusal in English and in Spanish and remembers what was left untranslated."""

    def __init__(self, client: Any):
        self.client = client
        self.untranslated: list[str] = []
        self.count = 0

    def send(self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """``kwargs`` for the test client, or ``make=`` a function returning them (a file is read once)."""
        make: Callable[[], dict[str, Any]] = kwargs.pop("make", lambda: kwargs)
        answers = {}
        for language, wanted in (("en", ENGLISH), ("es", SPANISH)):
            answer = self.client.open(url, method=method, headers={**(headers or {}), **wanted}, **make())
            assert answer.headers["Content-Language"] == language, (url, answer.headers)
            assert "Accept-Language" in answer.headers.get("Vary", "")
            answers[language] = answer
        english, spanish = answers["en"].get_json(), answers["es"].get_json()
        assert answers["en"].status_code == answers["es"].status_code, (url, english, spanish)
        assert _pointers(english) == _pointers(spanish), (url, english, spanish)
        names = {part for pointer in _pointers(english) for part in str(pointer).split("/")}
        for said, meant in zip(_messages(spanish), _messages(english), strict=True):
            if english_left_in(said, names) or (said == meant and english_left_in(meant, names)):
                self.untranslated.append(f"{method} {url}: {said!r}")
        self.count += 1
        return answers["es"]


def _body(**changes: Any) -> dict[str, Any]:
    return household_body(**{"id": str(uuid.uuid4()), **changes})


def _member(**changes: Any) -> list[dict[str, Any]]:
    members = household_body()["members"]
    members[1].update(changes)
    return members


#: Households the rules refuse, each a field at a time: (what changes, a pointer it names).
BAD_HOUSEHOLDS = [
    ({"members": _member(sex="male", pregnant=True)}, "/members/1/pregnant"),
    ({"members": _member(sex="female", pregnant=True)}, "/members/1/pregnant"),  # aged 3
    ({"members": _member(relationship="head")}, "/members"),
    ({"members": _member(birth_date="2999-01-01")}, "/members/1/birth_date"),
    ({"members": _member(birth_date="1800-01-01")}, "/members/1/birth_date"),
    ({"members": _member(birth_date=None, age_estimate=None)}, "/members/1/birth_date"),
    ({"members": _member(birth_date=None, age_estimate=130)}, "/members/1/age_estimate"),
    ({"members": _member(given_names="   ")}, "/members/1/given_names"),
    ({"members": _member(sex="other", pregnant="maybe", shoe_size=42)}, "/members/1/sex"),
    ({"members": _member(birth_date="14/03/1986", age_estimate="ten")}, "/members/1/birth_date"),
    ({"members": _member(disability={"flying": 2, "walking": 9})}, "/members/1/disability/flying/key"),
    ({"members": _member(document={"type": "passport", "number": "1"}, phone="call me")}, "/members/1/phone"),
    ({"members": []}, "/members"),
    ({"admin_code": "HN-ZZ"}, "/admin_code"),
    ({"admin_code": "MX-OAX"}, "/admin_code"),
    ({"admin_code": "HN"}, "/admin_code"),
    ({"admin_code": "honduras"}, "/admin_code"),
    ({"location": {"lat": 15.5, "lon": -88.0}}, "/location"),
    ({"location": {"lat": -87.19, "lon": 13.3}}, "/location"),
    ({"location": {"lat": 95, "lon": "west"}}, "/location/lon"),
    ({"location": {"lat": 95, "lon": -87.2}}, "/location/lat"),
    ({"location": None}, "/location"),
    ({"dwelling": {"wall": "glass", "rooms": 0}, "services": {"water_source": "lake"}}, "/dwelling/wall"),
    ({"livelihood": {"main": "piracy"}, "status": "lost", "address": "x" * 600}, "/livelihood/main"),
    (
        {"consent": {"given_at": "2999-01-01T10:00:00-06:00", "given_by": "M", "purposes": ["registry"]}},
        "/consent/given_at",
    ),
    (
        {"consent": {"given_at": "2026-01-01T10:00:00-06:00", "given_by": "M", "purposes": ["x"]}},
        "/consent/purposes/0",
    ),
    ({"consent": {"given_at": "2026-01-01T10:00:00", "given_by": "", "purposes": []}}, "/consent/given_at"),
    ({"payment": {"type": "cheque", "identifiers": {"pin": "1"}}}, "/payment/type"),
    ({"id": "not-a-uuid", "members": "everyone"}, "/id"),
]


def test_no_refusal_of_a_household_stays_in_english(registry, issuer):  # noqa: F811
    refusals = Refusals(registry)
    staff = auth(issuer, [FIELD_STAFF])
    for changes, pointer in BAD_HOUSEHOLDS:
        answer = refusals.send("POST", "/v1/households", staff, json=_body(**changes))
        assert answer.status_code == 422, answer.get_json()
        assert pointer in [e["pointer"] for e in answer.get_json()["errors"]], (changes, answer.get_json())
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}"
    refusals.send("POST", "/v1/households", staff, json=_body(id=created["id"], address="Otra"))  # id taken
    refusals.send("POST", "/v1/households", staff, data="{not json", content_type="application/json")
    refusals.send("POST", "/v1/households", staff, data="[]", content_type="application/json")
    refusals.send("POST", "/v1/households", staff, json=_body(address="Calle \u0000"))
    refusals.send("PUT", url, staff, json=household_body())  # no If-Match
    refusals.send("PUT", url, {**staff, "If-Match": "yesterday"}, json=household_body())
    stale = refusals.send("PUT", url, {**staff, "If-Match": '"7"'}, json=household_body())
    assert stale.status_code == 412
    refusals.send("GET", url)  # no token
    refusals.send("GET", url, {"Authorization": "Bearer not.a.token"})
    refusals.send("GET", url, auth(issuer, [CIVIL_PROTECTION]))
    refusals.send("GET", url, auth(issuer, [FIELD_STAFF], ["HN-CR"]))
    refusals.send(
        "PUT", url, {**auth(issuer, [FIELD_STAFF], ["HN-CR"]), "If-Match": '"1"'}, json=household_body()
    )
    refusals.send("GET", f"/v1/households/{uuid.uuid4()}", staff)
    refusals.send("GET", "/v1/households?limit=0&score_min=-1&group=giants&admin_code=hn", headers=staff)
    refusals.send("GET", "/v1/households?cursor=" + "A" * 120, headers=staff)
    refusals.send("GET", "/v1/nowhere", staff)
    refusals.send("DELETE", url, staff)
    refusals.send("POST", "/v1/households/payment-details", auth(issuer, [FIELD_STAFF]), json={})
    assert refusals.count > 40 and refusals.untranslated == []


def test_no_refusal_of_a_sync_an_assessment_or_a_roster_stays_in_english(registry, issuer):  # noqa: F811
    refusals = Refusals(registry)
    staff, officer = auth(issuer, [FIELD_STAFF], ["HN-CH"]), auth(issuer, [REGISTRY_OFFICER])
    created = register(registry, issuer)
    now = datetime.now(UTC)
    exercise = registry.post(
        "/v1/assessment-events",
        json={"name": "Eta", "incidents": ["ETA-2020"], "admin_codes": ["HN-CH"]},
        headers=officer,
    ).get_json()
    visit = {"event_id": exercise["id"], "dwelling_damage": "partial", "displacement": "at_home"}

    def record(**fields: Any) -> dict[str, Any]:
        return {"client_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4()), **fields}

    records = [
        record(household=_body(members=_member(sex="male", pregnant=True))),
        record(household=_body(location={"lat": 95, "lon": -87.2})),
        record(household=_body(admin_code="GT-ES", location={"lat": 14.3, "lon": -90.78})),
        record(household=_body(members=_member(sex="x")), assessment={"needs": ["luck"]}),
        record(household=None),
        record(household=None, assessment={**visit, "assessed_at": now.isoformat()}),  # no household
        record(
            household_id=created["id"],
            household=None,
            assessment={
                **visit,
                "displacement": "shelter",
                "assessed_at": (now + timedelta(days=2)).isoformat(),
            },
        ),
        record(
            household_id=created["id"],
            household=None,
            assessment={**visit, "event_id": "unknown", "assessed_at": now.isoformat()},
        ),
        record(household_id=created["id"], base_version=7, household=household_body()),
    ]
    records.append(dict(records[0]))  # the same client id twice
    report = refusals.send("POST", "/v1/households/sync", staff, json={"device": "t-1", "records": records})
    assert [r["status"] for r in report.get_json()["results"]] == ["rejected"] * 8 + ["conflict", "rejected"]
    refusals.send("POST", "/v1/households/sync", staff, json={"device": "", "records": []})
    refusals.send("POST", "/v1/households/sync", staff, json={"records": [{"base_version": "1"}]})

    events = "/v1/assessment-events"
    refusals.send("POST", events, officer, json={"name": " ", "incidents": [" "], "admin_codes": []})
    refusals.send(
        "POST",
        events,
        officer,
        json={"name": "x", "incidents": ["I"], "admin_codes": ["HN-CH"], "closes_at": "2000-01-01T00:00:00Z"},
    )
    refusals.send(
        "POST",
        events,
        auth(issuer, [REGISTRY_OFFICER], ["HN-CR"]),
        json={**exercise, "admin_codes": ["HN-CH"]},
    )
    assess = f"/v1/households/{created['id']}/assessments"
    refusals.send(
        "POST", assess, staff, json={**visit, "displacement": "shelter", "assessed_at": now.isoformat()}
    )
    refusals.send(
        "POST", assess, staff, json={**visit, "shelter": "Escuela", "assessed_at": "2026-01-01T00:00"}
    )
    refusals.send("POST", assess, staff, json={**visit, "event_id": "nope", "assessed_at": now.isoformat()})
    refusals.send(
        "POST", assess, auth(issuer, [FIELD_STAFF], ["HN-CR"]), json={**visit, "assessed_at": now.isoformat()}
    )

    def roster(text: str, name: str = "padron.csv", **form: Any) -> Callable[[], dict[str, Any]]:
        fields = {"programme": "BONO", "roster_date": "2026-12-01", **form}
        return lambda: {
            "data": {**fields, "file": (io.BytesIO(text.encode()), name)},
            "content_type": "multipart/form-data",
        }

    refusals.send("POST", "/v1/rosters", officer, make=roster("household_reference\nX\n", name="padron.pdf"))
    refusals.send(
        "POST", "/v1/rosters", officer, make=roster("a\n1\n", roster_date="mañana", full="maybe", areas="??")
    )
    refusals.send("POST", "/v1/rosters", officer, make=roster("nombre\nAna\n"))
    refusals.send(
        "POST", "/v1/rosters", officer, make=roster("household_reference\nX\n", programme="bono vida!")
    )
    refusals.send("POST", "/v1/rosters", officer, make=roster("", name="vacio.csv"))
    refusals.send(
        "POST",
        "/v1/rosters",
        auth(issuer, [REGISTRY_OFFICER], ["HN-CR"]),
        make=roster("household_reference\nX\n", full="true", areas="HN-CH"),
    )
    refusals.send("GET", f"/v1/rosters/{uuid.uuid4()}", officer)
    refusals.send("POST", f"/v1/duplicates/{uuid.uuid4()}/decision", officer, json={"decision": "merge"})
    refusals.send("POST", f"/v1/duplicates/{uuid.uuid4()}/decision", officer, json={"decision": "maybe"})
    refusals.send("POST", "/v1/imports", officer, data={"format": "pdf"}, content_type="multipart/form-data")
    refusals.send(
        "POST",
        "/v1/imports",
        officer,
        make=lambda: {
            "data": {"file": (io.BytesIO(b"a,b\n"), "hogares.csv"), "mapping": "{nope"},
            "content_type": "multipart/form-data",
        },
    )
    refusals.send("GET", f"/v1/imports/{uuid.uuid4()}", officer)
    assert refusals.count > 20 and refusals.untranslated == []


def test_a_refused_household_reads_the_same_in_english_and_in_spanish(registry, issuer):  # noqa: F811
    body = _body(members=_member(sex="male", pregnant=True, relationship="parent"))
    del body["members"][2]["sex"]
    body["members"][0]["relationship"] = "boss"
    staff = auth(issuer, [FIELD_STAFF])

    schema = registry.post("/v1/households", json=body, headers={**staff, **SPANISH})
    assert schema.status_code == 422 and schema.headers["Content-Language"] == "es"
    assert schema.get_json()["title"] == "Entidad no procesable"
    assert schema.get_json()["detail"] == "campos no válidos: /members/0/relationship, /members/2/sex"
    assert schema.get_json()["errors"] == [
        {
            "pointer": "/members/0/relationship",
            "detail": "Debe ser uno de: head, spouse, child, grandchild, parent, sibling, other_relative, "
            "not_related.",
        },
        {"pointer": "/members/2/sex", "detail": "Falta este dato obligatorio."},
    ]

    body = _body(members=_member(sex="male", pregnant=True))
    english = registry.post("/v1/households", json=body, headers=staff)
    spanish = registry.post("/v1/households", json=body, headers={**staff, **SPANISH})
    assert english.headers["Content-Language"] == "en"  # nothing asked: English
    assert (english.get_json()["title"], spanish.get_json()["title"]) == ("Invalid input", "Datos no válidos")
    assert english.get_json()["detail"] == "the household cannot be recorded: members.1.pregnant"
    assert spanish.get_json()["detail"] == "no se puede registrar el hogar: members.1.pregnant"
    assert english.get_json()["errors"] == [
        {"pointer": "/members/1/pregnant", "detail": "only a female member can be recorded as pregnant"}
    ]
    assert spanish.get_json()["errors"] == [
        {
            "pointer": "/members/1/pregnant",
            "detail": "solo un miembro de sexo femenino puede registrarse como embarazada",
        }
    ]
    assert spanish.get_json()["type"] == english.get_json()["type"]  # the kind is a URI, never translated


def test_a_refused_read_a_stale_change_and_a_sync_report_in_both_languages(registry, issuer):  # noqa: F811
    created = register(registry, issuer)
    url = f"/v1/households/{created['id']}"
    outsider = auth(issuer, [FIELD_STAFF], ["HN-CR"])
    refused = {
        lang: registry.get(url, headers={**outsider, **h}).get_json()
        for lang, h in (("en", {}), ("es", SPANISH))
    }
    assert (refused["en"]["title"], refused["es"]["title"]) == ("Forbidden", "Prohibido")
    assert refused["en"]["detail"] == f"household {created['id']} lies in HN-CH, outside your jurisdiction"
    assert refused["es"]["detail"] == f"el hogar {created['id']} está en HN-CH, fuera de su jurisdicción"

    stale = registry.put(
        url, json=household_body(), headers={**auth(issuer, [FIELD_STAFF]), "If-Match": '"3"', **SPANISH}
    )
    assert stale.status_code == 412 and stale.headers["ETag"] == '"1"'
    assert stale.get_json()["detail"] == (
        f"el hogar {created['id']} está en la versión 1, no en la 3: vuelva a cargarlo, aplique de nuevo "
        "su cambio y envíelo otra vez"
    )
    assert stale.get_json()["current"]["id"] == created["id"]  # what the problem carries besides, unchanged

    record = {"client_id": str(uuid.uuid4()), "household_id": str(uuid.uuid4())}
    batch = {"device": "t-1", "records": [{**record, "household": _body(location={"lat": 95, "lon": -87.2})}]}
    staff = auth(issuer, [FIELD_STAFF], ["HN-CH"])
    english = registry.post("/v1/households/sync", json=batch, headers=staff)
    spanish = registry.post("/v1/households/sync", json=batch, headers={**staff, "Accept-Language": "es"})
    assert (english.headers["Content-Language"], spanish.headers["Content-Language"]) == ("en", "es")
    assert english.get_json()["results"][0] | {"client_id": None} == {
        "client_id": None,
        "status": "rejected",
        "household_id": record["household_id"],
        "version": None,
        "detail": "invalid record",
        "errors": {"/household/location/lat": "latitude 95.0 is not between -90 and 90"},
    }
    assert spanish.get_json()["results"][0]["detail"] == "registro no válido"
    assert spanish.get_json()["results"][0]["errors"] == {
        "/household/location/lat": "la latitud 95.0 no está entre -90 y 90"
    }


def test_no_refusal_of_weights_or_of_a_municipal_layer_stays_in_english(registry, issuer):  # noqa: F811
    refusals = Refusals(registry)
    officer, approver = auth(issuer, [REGISTRY_OFFICER]), auth(issuer, [APPROVER], ["HN"])
    soon = (date.today() + timedelta(days=30)).isoformat()
    url = "/v1/vulnerability-weights"
    refusals.send("POST", url, officer, json=weights_for("HN-CH", "v-es", soon, crowding=-2, flying=1))
    refusals.send(
        "POST", url, officer, json={"version": "", "area": "HN-ZZ", "effective_from": "mañana", "weights": {}}
    )
    refusals.send("POST", url, officer, json=weights_for("HN-CH", "v-es", date.today().isoformat()))
    refusals.send(
        "POST", url, auth(issuer, [REGISTRY_OFFICER], ["HN-CR"]), json=weights_for("HN-CH", "v-es", soon)
    )
    proposed = registry.post(url, json=weights_for("HN-CH", "v-es", soon), headers=officer)
    assert proposed.status_code == 201, proposed.get_json()
    refusals.send("POST", url, officer, json=weights_for("HN-CH", "v-es", soon))  # the name is taken
    refusals.send("POST", f"{url}/v-es/decision", officer, json={"decision": "approve"})  # their own
    refusals.send("POST", f"{url}/v-none/decision", approver, json={"decision": "approve"})
    refusals.send("POST", f"{url}/v-es/decision", approver, json={"decision": "perhaps"})

    layers = "/v1/admin-boundaries?country=HN&source=drawn%20for%20tests"
    broken = json.loads(LAYER.read_text())
    broken["features"][0]["properties"]["code"] = "HN-0601"
    broken["features"][1]["properties"]["name"] = ""
    broken["features"][2]["geometry"] = {"type": "Point", "coordinates": [-87.2, 13.3]}
    refusals.send("POST", layers, officer, data=json.dumps(broken), content_type="application/geo+json")
    refusals.send("POST", layers, officer, data="{", content_type="application/geo+json")
    refusals.send("POST", layers, officer, data="[]", content_type="application/geo+json")
    refusals.send(
        "POST",
        layers + "&tolerance_m=9000",
        officer,
        data='{"type": "Feature"}',
        content_type="application/geo+json",
    )
    refusals.send(
        "POST",
        "/v1/admin-boundaries?country=XX&source=xyz",
        officer,
        data="{}",
        content_type="application/geo+json",
    )
    refusals.send(
        "POST",
        layers,
        auth(issuer, [REGISTRY_OFFICER], ["HN-CH"]),
        data=LAYER.read_bytes(),
        content_type="application/geo+json",
    )
    loaded = registry.post(layers + "&tolerance_m=150", data=LAYER.read_bytes(), headers=officer)
    assert loaded.status_code == 200, loaded.get_json()
    staff = auth(issuer, [FIELD_STAFF])
    for code, lat, lon in (
        ("HN-CH-0699", 13.30, -87.19),
        ("HN-CH-0601", 13.30, -87.40),
        ("HN-CH-0601", 14.9, -86.5),
    ):
        home = _body(admin_code=code, location={"lat": lat, "lon": lon})
        assert refusals.send("POST", "/v1/households", staff, json=home).status_code == 422
    assert refusals.count > 15 and refusals.untranslated == []


@pytest.mark.parametrize("service", ["alerts", "transfers"])
def test_the_other_services_answer_what_every_service_says_in_spanish(
    service, tmp_path, broker, issuer, database_url
):
    """Alerts and transfers have no catalogue of their own yet: tokens, roles, marshmallow's messages
    and HTTP's refusals are Spanish there too; their own messages stay English."""
    module = {"alerts": alerts_app, "transfers": transfers_app}[service]
    client, runtime = make_client(module, service, tmp_path, broker.bootstrap_server, database_url)
    url = {"alerts": "/v1/alerts/what-if", "transfers": "/v1/programmes"}[service]
    refusals = Refusals(client)
    refusals.send("POST", url, json={})  # no token
    refusals.send("POST", url, auth(issuer, [FIELD_STAFF]), json={})
    refusals.send("GET", "/v1/nowhere")
    refused = refusals.send(
        "GET",
        "/v1/alerts?limit=0" if service == "alerts" else "/v1/programmes?lang=fr",
        auth(issuer, [AUDITOR]),
    )
    runtime.engine.dispose()
    assert refused.status_code == 422 and refusals.count == 4 and refusals.untranslated == []


def test_an_imports_problems_and_a_rosters_reasons_read_in_spanish(registry, issuer):  # noqa: F811
    content = (IMPORT_HEADER + "\n".join(IMPORT_ROWS) + "\n").encode()
    uploaded = upload(registry, issuer, content, "hogares.csv").get_json()
    wait_for(registry, issuer, uploaded["id"], {"validated"})
    officer = auth(issuer, [REGISTRY_OFFICER])
    url = f"/v1/imports/{uploaded['id']}"
    english = registry.get(url, headers={**officer, **ENGLISH})
    spanish = registry.get(url, headers={**officer, **SPANISH})
    assert spanish.headers["Content-Language"] == "es" and english.headers["Content-Language"] == "en"
    found = [(p["row"], p["column"]) for p in spanish.get_json()["problems"]]
    assert found == [(p["row"], p["column"]) for p in english.get_json()["problems"]] and len(found) >= 4
    said = [p["problem"] for p in spanish.get_json()["problems"]]
    assert [s for s in said if english_left_in(s)] == [], said
    assert "'X' no es un sexo conocido (F/M, femenino/masculino)" in said
    assert "código de área administrativa desconocido: HN-ZZ" in said
    table = registry.get(f"{url}/problems.csv", headers={**officer, **SPANISH})
    assert table.headers["Content-Language"] == "es"
    assert "'X' no es un sexo conocido" in table.get_data(as_text=True)

    roster = "household_reference,enrolled_since\nHN-0000000000,\n,2026-01-01\nHN-0000000001,ayer\n"
    read = {
        language: registry.post(
            "/v1/rosters",
            data={"programme": "BONO", "file": (io.BytesIO(roster.encode()), "padron.csv")},
            content_type="multipart/form-data",
            headers={**officer, **wanted},
        )
        for language, wanted in (("en", ENGLISH), ("es", SPANISH))
    }
    assert read["es"].status_code == 201 and read["es"].headers["Content-Language"] == "es"
    assert [r["reason"] for r in sorted(read["en"].get_json()["rows"], key=lambda r: r["row"])] == [
        "no registered household has that reference or document",
        "household_reference: the row names no household (reference or document)",
        "enrolled_since: 'ayer' is not a date (2024-03-01 or 01/03/2024)",
    ]
    assert [r["reason"] for r in sorted(read["es"].get_json()["rows"], key=lambda r: r["row"])] == [
        "ningún hogar registrado tiene esa referencia o ese documento",
        "household_reference: la fila no identifica ningún hogar (referencia o documento)",
        "enrolled_since: 'ayer' no es una fecha (2024-03-01 o 01/03/2024)",
    ]
