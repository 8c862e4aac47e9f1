"""Telling households to get ready: when a programme's readiness stage is first reached over an
exposure (and its action stage is not), the households it would entitle now are told — through the
registry, which holds their phones and checks their consent — what they may receive and to prepare.

Nothing is decided or paid here: the programme is evaluated as it would be, and only the message
requests are published. A household is told once per programme and alert (the request's id says so).
"""

from __future__ import annotations

from collections.abc import Mapping

from services.transfers.domain.assessments import with_findings
from services.transfers.domain.batches import DEFAULT_CHANNEL
from services.transfers.domain.deciding import Evaluation, Holding, of_statements
from services.transfers.domain.exposures import Incident
from services.transfers.domain.messages import readiness_requests
from services.transfers.domain.programme_versions import ProgrammeVersion
from services.transfers.service_layer.batches import now
from services.transfers.service_layer.unit_of_work import TransfersUnitOfWork
from shared.contracts import messages as contract
from shared.kafka import MESSAGES


def tell_ready(
    uow: TransfersUnitOfWork,
    key: str,
    incident: Incident,
    version: ProgrammeVersion,
    statements: set[int],
    standing: tuple[Mapping[str, Holding], float | None],
) -> int:
    """Ask the registry to tell each household the programme would pay now to get ready: decided
    as the alert itself would decide, given ``standing`` (the payments already holding households'
    entitlements, or refused by an approver, or within "once in N days"; what is left of the
    budget), so nobody beyond the budget or already paid is told.

    :return: how many households are asked to be told.
    """
    programme = version.programme
    hazard = uow.hazard_events.known_as(incident.incident_id)
    exposed = of_statements(with_findings(uow.exposures.columns(key), hazard), statements)
    holding, budget = standing
    evaluation = Evaluation.of(
        key, incident.incident_id, version.id, version.version, programme, exposed, holding, budget
    )
    payable = evaluation.decision.payable
    ready = [
        {
            "household_id": h,
            "amount": f"{a:.2f}",
            "currency": programme.currency,
            "channel_type": c or DEFAULT_CHANNEL,
        }
        for h, a, c in zip(
            evaluation.household_ids[payable].tolist(),
            evaluation.decision.requested[payable].tolist(),
            evaluation.columns["payment_channel_type"][payable].tolist(),
            strict=True,
        )
    ]
    requests = readiness_requests(ready, version.id, version.document, incident.incident_id, now())
    scope = {"incident_id": incident.incident_id}
    uow.publish_all(
        MESSAGES.name, contract.requested_events(f"readiness:{incident.incident_id}", scope, requests)
    )
    return len(requests)
