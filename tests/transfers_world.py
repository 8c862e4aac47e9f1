"""A registry served over real HTTP and a transfers service beside it, fed the events the registry
and the alerts service really publish (through the inbox, as the consumer applies them)."""

from __future__ import annotations

import copy
import threading
import uuid
from typing import Any

from sqlalchemy import select
from werkzeug.serving import make_server

from services.alerts.service_layer.exposures import exposure_events
from services.registry.entrypoints import app as registry_app
from services.registry.entrypoints.consumer import message_requests_handler
from services.transfers.entrypoints import app as transfers_app
from shared.auth import APPROVER, PAYMENTS_OFFICER, PROGRAMME_OFFICER, REGISTRY_OFFICER
from shared.contracts import alerts as alert_contract
from shared.contracts.messages import MESSAGES_REQUESTED
from shared.events import CloudEvent
from shared.inbox import ConsumedRecord, apply_once
from shared.kafka import MESSAGES
from tests.integration.test_api import make_client
from tests.samples import distinct_household

TORMENTA = {
    "name": "Tormenta — early cash",
    "institute": "IHSS",
    "currency": "HNL",
    "trigger": {
        "categories": ["Met"],
        "min_severity": "Severe",
        "min_certainty": "Likely",
        "mode": "response",
    },
    "eligibility": {"all": [{"field": "vulnerability_score", "op": ">=", "value": 0}]},
    "benefit": {
        "base": 1500,
        "per_member": 250,
        "cap": 4000,
        "band_multipliers": {"Extreme": 1.5},
        "rounding": 50,
    },
    "budget": {"per_incident": 1_000_000, "overall": 5_000_000, "policy": "rank_by_vulnerability"},
    "approval": {"four_eyes": True},
    "payer": {
        "name": "Instituto Hondureño de Seguridad Social",
        "account_number": "0011223344",
        "bic": "BATLHNTE",
    },
}

BANK = {
    "type": "bank_account",
    "provider": "Banco Atlántida",
    "identifiers": {"account_number": "2002003004", "bank_code": "BATLHNTE"},
}


class World:
    def __init__(
        self,
        tmp_path,
        broker,
        issuer,
        database_url,
        registry_env: dict[str, str] | None = None,
        transfers_env: dict[str, str] | None = None,
    ):
        self.issuer = issuer
        for part in ("registry", "transfers"):
            (tmp_path / part).mkdir(exist_ok=True)
        self.registry, registry_runtime = make_client(
            registry_app,
            "registry",
            tmp_path / "registry",
            broker.bootstrap_server,
            AMPARO_JWKS_URL=issuer.jwks_url,
            **(registry_env or {}),
        )
        self.registry_runtime = registry_runtime
        self.server = make_server("127.0.0.1", 0, self.registry.application, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client, self.runtime = make_client(
            transfers_app,
            "transfers",
            tmp_path / "transfers",
            broker.bootstrap_server,
            database_url,
            AMPARO_REGISTRY_URL=f"http://127.0.0.1:{self.server.server_port}",
            AMPARO_JWKS_URL=issuer.jwks_url,
            **(transfers_env or {}),
        )
        self.fed_registry_position = 0
        self.fed_messages_position = 0
        self.dead_letters: list[str] = []

    def close(self) -> None:
        self.server.shutdown()

    def auth(self, role: str, who: str | None = None, jurisdiction=("*",)) -> dict[str, str]:
        token = self.issuer.mint(who or f"u-{role}", [role], list(jurisdiction))
        return {"Authorization": f"Bearer {token}"}

    # -- the registry's side -------------------------------------------------------------------

    def register(self, count: int, payment: dict[str, Any] | None = None, **overrides: Any) -> list[str]:
        ids = []
        for _ in range(count):
            # Different people each time: the same people twice are a probable duplicate, held.
            body = {**distinct_household(str(uuid.uuid4())), **overrides}
            if payment is not None:
                body["payment"] = copy.deepcopy(payment)
            response = self.registry.post("/v1/households", json=body, headers=self.auth(REGISTRY_OFFICER))
            assert response.status_code == 201, response.get_json()
            ids.append(response.get_json()["id"])
        self.sync_registry()
        return ids

    def sync_registry(self) -> None:
        """Everything the registry wrote to its outbox, applied by transfers' household consumer."""
        outbox = self.registry_runtime.outbox
        with self.registry_runtime.session_factory() as session:
            rows = session.execute(
                select(outbox)
                .where(outbox.c.position > self.fed_registry_position)
                .order_by(outbox.c.position)
            ).all()
        handlers = transfers_app.HOUSEHOLD_HANDLERS
        for row in rows:
            if row.payload:  # a tombstone has none: a consumer skips it
                self.apply(row.payload, handlers)
            self.fed_registry_position = row.position

    def sync_messages(self) -> int:
        """Transfers' requests to write to households, applied by the registry's consumer (as
        Kafka would deliver them); returns how many events were applied."""
        outbox = self.runtime.outbox
        with self.runtime.session_factory() as session:
            rows = session.execute(
                select(outbox)
                .where(outbox.c.position > self.fed_messages_position, outbox.c.topic == MESSAGES.name)
                .order_by(outbox.c.position)
            ).all()
        handlers = {
            MESSAGES_REQUESTED: message_requests_handler(self.registry_runtime.extensions["amparo.registry"])
        }
        for row in rows:
            record = ConsumedRecord(MESSAGES.name, 0, row.position, row.payload)
            apply_once(
                self.registry_runtime.session_factory,
                self.registry_runtime.inbox,
                handlers,
                record,
                lambda _r, reason: self.dead_letters.append(reason),
            )
            self.fed_messages_position = row.position
        return len(rows)

    # -- the alerts service's side -------------------------------------------------------------

    def apply(self, raw: bytes, handlers=None) -> str:
        record = ConsumedRecord("test", 0, 0, raw)
        return apply_once(
            self.runtime.session_factory,
            self.runtime.inbox,
            handlers or transfers_app.ALERT_HANDLERS,
            record,
            lambda _r, reason: self.dead_letters.append(reason),
        )

    @staticmethod
    def alert_event(incident_id: str, version: int, msg_type: str = "Alert", **summary: Any) -> CloudEvent:
        kind = {
            "Alert": alert_contract.ALERT_ISSUED,
            "Update": alert_contract.ALERT_UPDATED,
            "Cancel": alert_contract.ALERT_CANCELLED,
        }[msg_type]
        data = {
            "incident_id": incident_id,
            "version": version,
            "state": "cancelled" if msg_type == "Cancel" else "active",
            "status": "Actual",
            "msg_type": msg_type,
            "may_trigger_transfers": True,
            "event": "Tormenta tropical",
            "categories": ["Met"],
            "urgency": "Expected",
            "severity": "Severe",
            "certainty": "Likely",
            "headline": "Aviso de tormenta tropical, costa sur",
            "areas": {"type": "FeatureCollection", "features": []},
            **summary,
        }
        return CloudEvent(type=kind, source=alert_contract.SOURCE, subject=incident_id, data=data)

    @staticmethod
    def exposure(
        incident_id: str, version: int, households: list[str], band: str = "Severe"
    ) -> list[CloudEvent]:
        rows = [
            {"household_id": h, "area": "Costa sur", "band": band, "near_edge": False} for h in households
        ]
        totals = {"households": len(rows), "people": 0, "may_trigger_transfers": True}
        return exposure_events(incident_id, {"incident_id": incident_id, "version": version}, rows, totals)

    def issue(
        self, incident_id: str, version: int, households: list[str], msg_type="Alert", **summary
    ) -> None:
        """An alert version and its exposure, as the alerts service publishes them."""
        self.apply(self.alert_event(incident_id, version, msg_type, **summary).to_json())
        for event in self.exposure(incident_id, version, households, summary.get("severity", "Severe")):
            self.apply(event.to_json())

    # -- transfers ----------------------------------------------------------------------------

    def define(
        self, programme: dict[str, Any] | None = None, who: str = "officer-ana", approve: bool = True
    ) -> dict[str, Any]:
        """A programme defined by ``who`` and, unless told not to, approved by a second person."""
        response = self.client.post(
            "/v1/programmes", json=programme or TORMENTA, headers=self.auth(PROGRAMME_OFFICER, who)
        )
        assert response.status_code == 201, response.get_json()
        defined = response.get_json()
        if not approve:
            return defined
        return self.review_programme(defined["id"], defined["version"])

    def review_programme(
        self, programme_id: str, version: int, approve: bool = True, who: str = "approver-marta"
    ) -> dict[str, Any]:
        response = self.client.post(
            f"/v1/programmes/{programme_id}/versions/{version}/review",
            json={"approve": approve, "comment": "read and checked"},
            headers=self.auth(APPROVER, who),
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def batches(self, incident_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/batches?incident_id={incident_id}", headers=self.auth(APPROVER))
        assert response.status_code == 200, response.get_json()
        return sorted(response.get_json()["batches"], key=lambda b: b["proposed_at"])

    def post(self, path: str, role: str, who: str | None = None, key: str | None = None, **kwargs: Any):
        headers = {**self.auth(role, who), "Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post(path, headers=headers, **kwargs)

    def approve(self, batch_id: str, who: str = "approver-luis"):
        return self.post(f"/v1/batches/{batch_id}/approve", APPROVER, who, json={"comment": "ok"})

    def instruct(self, batch_id: str, channel: str, fmt: str | None = None):
        return self.post(
            f"/v1/batches/{batch_id}/instructions",
            PAYMENTS_OFFICER,
            json={"channel_type": channel, **({"format": fmt} if fmt else {})},
        )

    def download(self, file_id: str):
        return self.client.get(f"/v1/payment-files/{file_id}", headers=self.auth(PAYMENTS_OFFICER))

    def results(self, text: str, content_type: str = "text/csv", key: str | None = None):
        return self.post(
            "/v1/payment-results", PAYMENTS_OFFICER, key=key, data=text.encode(), content_type=content_type
        )

    def payments(self, batch_id: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/batches/{batch_id}/payments?limit=5000", headers=self.auth(APPROVER))
        assert response.status_code == 200, response.get_json()
        return response.get_json()["payments"]

    def new_incident(self) -> str:
        return str(uuid.uuid4())
