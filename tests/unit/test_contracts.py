"""The documented event contracts match what the code publishes."""

from pathlib import Path

import yaml

from services.registry.domain.model import Registration, public_snapshot, register_household
from shared.contracts.households import HOUSEHOLD_EVENT_TYPES, HouseholdSnapshotSchema
from tests.unit.test_registry_domain import NOW, _built, registry_dependencies

ROOT = Path(__file__).resolve().parents[2]


def test_the_asyncapi_document_describes_every_snapshot_attribute_and_event_type():
    document = yaml.safe_load((ROOT / "services/registry/asyncapi.yaml").read_text())
    documented = set(document["components"]["schemas"]["householdSnapshot"]["properties"])
    deps = registry_dependencies()
    household = register_household(
        _built(deps),
        registration=Registration("ana", NOW),
        index=deps.index,
        jurisdiction_covers=lambda c: True,
    )
    assert set(public_snapshot(household)) <= documented
    envelope_types = document["components"]["schemas"]["householdEnvelope"]["properties"]["type"]["enum"]
    assert set(envelope_types) == set(HOUSEHOLD_EVENT_TYPES)
    assert set(HouseholdSnapshotSchema().fields) <= documented


def test_consumers_accept_snapshots_with_attributes_they_do_not_know():
    from shared.contracts.households import load_snapshot

    snapshot = {
        "household_id": "5c3f2b9e-0000-4000-8000-000000000001",
        "version": 3,
        "status": "active",
        "admin_code": "HN-CH",
        "size": 2,
        "a_future_attribute": {"x": 1},
    }
    assert load_snapshot(snapshot)["version"] == 3


def test_the_transfers_asyncapi_document_names_every_event_it_publishes():
    from shared.contracts import transfers

    document = yaml.safe_load((ROOT / "services/transfers/asyncapi.yaml").read_text())
    names = {m["name"] for m in document["components"]["messages"].values()}
    from shared.contracts.messages import MESSAGES_REQUESTED

    assert names == {*transfers.BATCH_EVENT_TYPES.values(), transfers.PAYMENTS_CHANGED, MESSAGES_REQUESTED}
    batch = document["components"]["schemas"]["batch"]["properties"]
    assert set(batch["state"]["enum"]) == set(transfers.BATCH_EVENT_TYPES) - {"flagged"}
