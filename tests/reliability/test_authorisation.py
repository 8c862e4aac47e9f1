"""Authorisation attacks against the three services of a running stack.

Each attempt must be refused with a 403 problem document and land in the service's audit log as a
denied entry naming who tried and where; the chains must still verify afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from services.cli import main
from services.stack import Stack
from shared.auth import (
    APPROVER,
    AUDITOR,
    CIVIL_PROTECTION,
    FIELD_STAFF,
    PAYMENTS_OFFICER,
    PROGRAMME_OFFICER,
    REGISTRY_OFFICER,
)
from shared.errors import PROBLEM_CONTENT_TYPE
from tests.conftest import wait_until
from tests.one_household import DEMO_ALERT, DEMO_PROGRAMME
from tests.samples import household_body, registry_keys

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICES = ("registry", "alerts", "transfers")
#: A point in Cortés (San Pedro Sula), far from the household's Choluteca.
CORTES = {"admin_code": "HN-CR", "location": {"lat": 15.50, "lon": -88.03, "accuracy_m": 10}}


SANTO_DOMINGO = "18.40,-70.05 18.40,-69.80 18.60,-69.80 18.60,-70.05 18.40,-70.05"


def _alert_over(identifier: str, msg_type: str, polygon: str, references: str = "") -> bytes:
    """A CAP message over ``polygon`` (CAP's lat,lon pairs)."""
    sent = datetime.now(UTC).replace(microsecond=0).isoformat()
    refs = f"<references>{references}</references>" if references else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}-{uuid.uuid4().hex[:8]}</identifier><sender>copeco.gob.hn</sender><sent>{sent}</sent>
  <status>Actual</status><msgType>{msg_type}</msgType><scope>Public</scope>{refs}
  <info><category>Met</category><event>Tormenta tropical</event>
    <urgency>Expected</urgency><severity>Severe</severity><certainty>Likely</certainty>
    <area><areaDesc>Santo Domingo</areaDesc><polygon>{polygon}</polygon></area>
  </info>
</alert>""".encode()


@dataclass
class World:
    """A running stack with one household in Choluteca and one batch proposed for it."""

    stack: Stack
    database_urls: dict[str, str]
    household: dict[str, Any] = field(default_factory=dict)
    batch_id: str = ""
    #: The issued alert as a CAP ``<references>`` entry names it (sender,identifier,sent).
    alert_key: str = ""

    def token(self, subject: str, roles: list[str], jurisdiction: tuple[str, ...] = ("HN",)) -> str:
        return self.stack.issuer.mint(subject, roles, list(jurisdiction), ttl_seconds=3600)

    def call(self, service: str, method: str, path: str, token: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return requests.request(method, self.stack.url(service) + path, headers=headers, timeout=60, **kwargs)

    def ok(self, service: str, method: str, path: str, token: str, **kwargs: Any) -> Any:
        response = self.call(service, method, path, token, **kwargs)
        assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
        return response.json()


def _set_up(world: World) -> None:
    """Register the household, define a programme, issue an alert over it and have a person who
    is both programme officer and approver propose its batch (deciding the alert again)."""
    field_staff = world.token("fs-choluteca", [FIELD_STAFF], ("HN-CH",))
    world.household = world.ok("registry", "POST", "/v1/households", field_staff, json=household_body())
    household_id = world.household["id"]
    auditor = world.token("auditor", [AUDITOR])
    wait_until(
        lambda: world.call("transfers", "GET", f"/v1/household-attributes/{household_id}", auditor).ok,
        60,
        what="the household in transfers",
    )
    wait_until(
        lambda: world.call("alerts", "GET", f"/v1/household-locations/{household_id}", auditor).ok,
        60,
        what="the household in alerts",
    )
    now = datetime.now(UTC).replace(microsecond=0)
    identifier = uuid.uuid4().hex[:8]
    cap = DEMO_ALERT.format(
        identifier=identifier, sent=now.isoformat(), expires=(now + timedelta(days=2)).isoformat()
    )
    world.alert_key = f"copeco.gob.hn,demo-{identifier},{now.isoformat()}"
    incident = world.ok(
        "alerts",
        "POST",
        "/v1/alerts",
        world.token("copeco", [CIVIL_PROTECTION]),
        data=cap.encode(),
        headers={"Content-Type": "application/cap+xml"},
    )
    both = world.token("po-and-approver", [PROGRAMME_OFFICER, APPROVER])

    def decided() -> bool:
        found = world.call("transfers", "GET", f"/v1/alerts/{incident['id']}/decisions", both)
        return found.ok and any(e.get("status") == "decided" for e in found.json().get("exposures", []))

    wait_until(decided, 90, what="the alert's exposure decided in transfers")
    defined = world.ok("transfers", "POST", "/v1/programmes", both, json=DEMO_PROGRAMME)
    review = f"/v1/programmes/{defined['id']}/versions/{defined['version']}/review"
    # Whoever defined a programme never approves it, even holding both roles.
    own = world.call("transfers", "POST", review, both, json={"approve": True, "comment": "mine"})
    assert own.status_code == 403 and "cannot also approve" in own.json()["detail"], own.text
    approver = world.token("approver-other", [APPROVER])
    world.ok("transfers", "POST", review, approver, json={"approve": True, "comment": "read and agreed"})
    world.ok(
        "transfers",
        "POST",
        f"/v1/alerts/{incident['id']}/decisions",
        both,
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    batches = world.ok("transfers", "GET", f"/v1/batches?incident_id={incident['id']}", both)["batches"]
    assert batches and batches[0]["proposed_by"] == "po-and-approver", batches
    world.batch_id = batches[0]["id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("authorisation")
    urls = {name: f"sqlite:///{folder / (name + '.db')}" for name in SERVICES}
    stack = Stack(
        data_dir=folder,
        ports=dict.fromkeys((*SERVICES, "console"), 0),
        database_urls=urls,
        with_console=False,
    ).start()
    try:
        built = World(stack, urls)
        _set_up(built)
        yield built
    finally:
        stack.stop()


@dataclass(frozen=True)
class Attempt:
    """One thing someone tries that their roles or areas do not allow."""

    what: str
    service: str
    method: str
    path: str
    subject: str
    roles: tuple[str, ...]
    jurisdiction: tuple[str, ...] = ("HN",)
    json: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    data: bytes | None = None


def attempts(world: World) -> list[Attempt]:
    household_id, batch_id = world.household["id"], world.batch_id
    version = str(world.household["version"])
    moved = {**household_body(), **CORTES}
    idempotent = (("Idempotency-Key", uuid.uuid4().hex),)
    return [
        # field staff outside their areas
        Attempt(
            "field staff registers a household outside their area",
            "registry",
            "POST",
            "/v1/households",
            "fs-cortes",
            (FIELD_STAFF,),
            ("HN-CR",),
            json=household_body(),
        ),
        Attempt(
            "field staff reads a household outside their area",
            "registry",
            "GET",
            f"/v1/households/{household_id}",
            "fs-cortes",
            (FIELD_STAFF,),
            ("HN-CR",),
        ),
        Attempt(
            "a registry officer reads the history of a household outside their area",
            "registry",
            "GET",
            f"/v1/households/{household_id}/history",
            "ro-cortes",
            (REGISTRY_OFFICER,),
            ("HN-CR",),
        ),
        Attempt(
            "field staff changes a household outside their area",
            "registry",
            "PUT",
            f"/v1/households/{household_id}",
            "fs-cortes",
            (FIELD_STAFF,),
            ("HN-CR",),
            json=household_body(),
            headers=(("If-Match", f'"{version}"'),),
        ),
        Attempt(
            "field staff moves their household to another area",
            "registry",
            "PUT",
            f"/v1/households/{household_id}",
            "fs-choluteca",
            (FIELD_STAFF,),
            ("HN-CH",),
            json=moved,
            headers=(("If-Match", f'"{version}"'),),
        ),
        # civil protection reading personal data
        Attempt(
            "civil protection lists households",
            "registry",
            "GET",
            "/v1/households",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection reads a household",
            "registry",
            "GET",
            f"/v1/households/{household_id}",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection exports households",
            "registry",
            "GET",
            "/v1/households/export.csv",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection reads a household's history",
            "registry",
            "GET",
            f"/v1/households/{household_id}/history",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection reads payment details",
            "registry",
            "POST",
            "/v1/households/payment-details",
            "copeco",
            (CIVIL_PROTECTION,),
            json={"household_ids": [household_id]},
        ),
        Attempt(
            "civil protection reads a household's location",
            "alerts",
            "GET",
            f"/v1/household-locations/{household_id}",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection reads household attributes",
            "transfers",
            "GET",
            f"/v1/household-attributes/{household_id}",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection reads why a household was paid",
            "transfers",
            "GET",
            f"/v1/households/{household_id}/decisions",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "civil protection reads batches",
            "transfers",
            "GET",
            f"/v1/batches/{batch_id}",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        # civil protection beyond its country
        Attempt(
            "civil protection of Honduras alerts the Dominican Republic",
            "alerts",
            "POST",
            "/v1/alerts",
            "copeco",
            (CIVIL_PROTECTION,),
            data=_alert_over("demo-elsewhere", "Alert", SANTO_DOMINGO),
            headers=(("Content-Type", "application/cap+xml"),),
        ),
        Attempt(
            "civil protection of the Dominican Republic cancels Honduras's alert",
            "alerts",
            "POST",
            "/v1/alerts",
            "coe-do",
            (CIVIL_PROTECTION,),
            ("DO",),
            data=_alert_over("demo-cancel", "Cancel", SANTO_DOMINGO, references=world.alert_key),
            headers=(("Content-Type", "application/cap+xml"),),
        ),
        # roles escalating themselves
        Attempt(
            "field staff commits an import",
            "registry",
            "POST",
            f"/v1/imports/{uuid.uuid4()}/commit",
            "fs-choluteca",
            (FIELD_STAFF,),
            ("HN-CH",),
        ),
        Attempt(
            "field staff decides a duplicate",
            "registry",
            "POST",
            f"/v1/duplicates/{uuid.uuid4()}/decision",
            "fs-choluteca",
            (FIELD_STAFF,),
            ("HN-CH",),
            json={"decision": "dismiss"},
        ),
        Attempt(
            "a registry officer asks for payment details",
            "registry",
            "POST",
            "/v1/households/payment-details",
            "registrar",
            (REGISTRY_OFFICER,),
            json={"household_ids": [household_id]},
        ),
        Attempt(
            "an auditor asks for payment details",
            "registry",
            "POST",
            "/v1/households/payment-details",
            "auditor",
            (AUDITOR,),
            json={"household_ids": [household_id]},
        ),
        Attempt(
            "an approver asks for payment details",
            "registry",
            "POST",
            "/v1/households/payment-details",
            "approver-2",
            (APPROVER,),
            json={"household_ids": [household_id]},
        ),
        Attempt(
            "field staff reads the audit log",
            "registry",
            "GET",
            "/v1/audit-log",
            "fs-choluteca",
            (FIELD_STAFF,),
            ("HN-CH",),
        ),
        Attempt(
            "a programme officer issues an alert",
            "alerts",
            "POST",
            "/v1/alerts",
            "po-1",
            (PROGRAMME_OFFICER,),
        ),
        Attempt(
            "field staff uploads a footprint",
            "alerts",
            "POST",
            '/v1/footprints?kind=wind_speed&thresholds=[{"band":"high","min":50}]',
            "fs-choluteca",
            (FIELD_STAFF,),
            ("HN-CH",),
        ),
        Attempt(
            "civil protection reads the alerts audit log",
            "alerts",
            "GET",
            "/v1/audit-log",
            "copeco",
            (CIVIL_PROTECTION,),
        ),
        Attempt(
            "field staff defines a programme",
            "transfers",
            "POST",
            "/v1/programmes",
            "fs-choluteca",
            (FIELD_STAFF,),
            ("HN-CH",),
            json=DEMO_PROGRAMME,
        ),
        Attempt(
            "a programme officer approves a batch",
            "transfers",
            "POST",
            f"/v1/batches/{batch_id}/approve",
            "po-1",
            (PROGRAMME_OFFICER,),
            json={"comment": "mine now"},
            headers=idempotent,
        ),
        Attempt(
            "an approver approves the batch they proposed",
            "transfers",
            "POST",
            f"/v1/batches/{batch_id}/approve",
            "po-and-approver",
            (PROGRAMME_OFFICER, APPROVER),
            json={"comment": "looks right to me"},
            headers=(("Idempotency-Key", uuid.uuid4().hex),),
        ),
        Attempt(
            "an approver writes a payment file",
            "transfers",
            "POST",
            f"/v1/batches/{batch_id}/instructions",
            "approver-2",
            (APPROVER,),
            json={"channel_type": "bank_account"},
            headers=(("Idempotency-Key", uuid.uuid4().hex),),
        ),
        Attempt(
            "an approver records payment results",
            "transfers",
            "POST",
            "/v1/payment-results",
            "approver-2",
            (APPROVER,),
            headers=(("Idempotency-Key", uuid.uuid4().hex),),
        ),
        Attempt(
            "a payments officer approves a batch",
            "transfers",
            "POST",
            f"/v1/batches/{batch_id}/approve",
            "payer-1",
            (PAYMENTS_OFFICER,),
            json={},
            headers=(("Idempotency-Key", uuid.uuid4().hex),),
        ),
        Attempt(
            "an auditor reads a payment file",
            "transfers",
            "GET",
            f"/v1/payment-files/{uuid.uuid4()}",
            "auditor",
            (AUDITOR,),
        ),
    ]


def _denied_entries(world: World, service: str) -> list[dict[str, Any]]:
    auditor = world.token("auditor", [AUDITOR])
    entries: list[dict[str, Any]] = []
    after = None
    while True:
        query = "?outcome=denied&limit=50" + (f"&after={after}" if after else "")
        page = world.ok(service, "GET", "/v1/audit-log" + query, auditor)
        entries += page["items"]
        after = page["next_after"]
        if after is None:
            return entries


def test_every_attempt_is_refused_with_a_problem_and_audited(world, figures):
    tried = attempts(world)
    refused = []
    for attempt in tried:
        token = world.token(attempt.subject, list(attempt.roles), attempt.jurisdiction)
        response = world.call(
            attempt.service,
            attempt.method,
            attempt.path,
            token,
            json=attempt.json,
            data=attempt.data,
            headers=dict(attempt.headers),
        )
        assert response.status_code == 403, f"{attempt.what}: {response.status_code} {response.text[:300]}"
        assert response.headers["Content-Type"].startswith(PROBLEM_CONTENT_TYPE), attempt.what
        problem = response.json()
        assert problem["status"] == 403 and problem["detail"], attempt.what
        refused.append((attempt, problem["detail"]))

    audited = 0
    denied = {service: _denied_entries(world, service) for service in SERVICES}
    for attempt, detail in refused:
        matching = [
            e
            for e in denied[attempt.service]
            if e["by"] == attempt.subject
            and e["subject_id"] == attempt.path.partition("?")[0]
            and e["action"].startswith(attempt.method + " ")
            and e["comment"] == detail
        ]
        assert len(matching) == 1, f"{attempt.what}: not in the {attempt.service} audit log as denied"
        entry = matching[0]
        assert entry["outcome"] == "denied" and entry["action"].startswith(attempt.method + " /v1/")
        assert entry["role"] == " ".join(sorted(attempt.roles))
        audited += 1
    four_eyes = next(d for a, d in refused if a.subject == "po-and-approver")
    assert "cannot also approve" in four_eyes

    figures.add("authorisation", "attempts", len(tried))
    figures.add("authorisation", "refused", len(refused))
    figures.add("authorisation", "audited", audited)


def test_outside_ones_area_is_refused_and_unknown_is_not_found(world, figures):
    """A household outside the caller's areas is refused (and audited, above); one that does not
    exist is simply not found; a listing shows only the caller's areas."""
    outsider = world.token("fs-cortes", [FIELD_STAFF], ("HN-CR",))
    unknown = world.call("registry", "GET", f"/v1/households/{uuid.uuid4()}", outsider)
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
    listed = world.ok("registry", "GET", "/v1/households?admin_code=HN-CH", outsider)
    assert listed["items"] == []


def test_unverified_callers_are_counted_not_audited(world, figures):
    before = len(_denied_entries(world, "registry"))
    for header in ({}, {"Authorization": "Bearer not-a-token"}):
        response = requests.get(f"{world.stack.url('registry')}/v1/households", headers=header, timeout=10)
        assert response.status_code == 401
    metrics = requests.get(f"{world.stack.url('registry')}/metrics", timeout=10).text
    assert any('status="401"' in line and "/v1/households" in line for line in metrics.splitlines())
    assert len(_denied_entries(world, "registry")) == before
    figures.add("authorisation", "unauthenticated attempts (counted, not audited)", 2)


def test_the_chains_hold_after_the_attacks(world, figures):
    for service in SERVICES:
        env = {f"AMPARO_{service.upper()}_DATABASE_URL": world.database_urls[service], **registry_keys()}
        result = CliRunner().invoke(main, ["audit", "verify", "--service", service], env=env)
        assert result.exit_code == 0, result.output
        figures.record(
            "authorisation", **{f"{service} audit entries verified": int(result.output.split()[1])}
        )


def _entries(world: World, service: str, action: str) -> list[dict[str, Any]]:
    page = world.ok(service, "GET", "/v1/audit-log?outcome=done&limit=500", world.token("auditor", [AUDITOR]))
    return [e for e in page["items"] if e["action"] == action]


def test_what_auditors_ask_about_is_in_each_services_log(world, figures):
    household_id = world.household["id"]
    payer = world.token("payer-1", [PAYMENTS_OFFICER])
    shown = world.ok(
        "registry", "POST", "/v1/households/payment-details", payer, json={"household_ids": [household_id]}
    )
    assert household_id in shown["households"]
    field_staff = world.token("fs-choluteca", [FIELD_STAFF], ("HN-CH",))
    current = world.call("registry", "GET", f"/v1/households/{household_id}", field_staff)
    withdrawn = {**household_body(), "status": "inactive"}
    world.ok(
        "registry",
        "PUT",
        f"/v1/households/{household_id}",
        field_staff,
        json=withdrawn,
        headers={"If-Match": current.headers["ETag"]},
    )

    (disclosed,) = _entries(world, "registry", "payment_details_disclosed")
    assert disclosed["by"] == "payer-1" and disclosed["subject_id"] == "1 of 1 asked"
    assert disclosed["comment"] == household_id
    (status,) = _entries(world, "registry", "status_changed")
    assert (status["by"], status["subject_id"], status["from_state"], status["to_state"]) == (
        "fs-choluteca",
        household_id,
        "active",
        "inactive",
    )
    (accepted,) = _entries(world, "alerts", "alert_accepted")
    assert accepted["by"] == "copeco" and accepted["to_state"] == "active"
    proposed = [e for e in _entries(world, "transfers", "proposed") if e["subject_id"] == world.batch_id]
    assert [e["by"] for e in proposed] == ["po-and-approver"]
    figures.add("authorisation", "actions found in the audit logs", 4)
