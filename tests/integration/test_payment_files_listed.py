"""A batch's payment files listed for the people who follow it, in their jurisdiction only."""

from __future__ import annotations

import pytest

from shared.auth import AUDITOR, FIELD_STAFF, PAYMENTS_OFFICER
from tests.integration.test_paying import proposed_batch

pytestmark = pytest.mark.integration


def test_a_batchs_payment_files_are_listed_oldest_first(world):
    _, batch, _ = proposed_batch(world)
    path = f"/v1/batches/{batch['id']}/payment-files"
    assert world.client.get(path, headers=world.auth(AUDITOR)).get_json() == {"files": []}
    world.approve(batch["id"])
    bank = world.instruct(batch["id"], "bank_account").get_json()
    wallets = world.instruct(batch["id"], "mobile_money").get_json()

    listed = world.client.get(path, headers=world.auth(PAYMENTS_OFFICER)).get_json()["files"]
    assert [f["id"] for f in listed] == [bank["id"], wallets["id"]]
    assert [(f["channel_type"], f["format"], f["transactions"]) for f in listed] == [
        ("bank_account", "pain.001", 2),
        ("mobile_money", "csv", 1),
    ]
    assert listed[0] == {k: v for k, v in bank.items() if k != "not_included"}
    assert world.client.get(path, headers=world.auth(AUDITOR)).get_json()["files"] == listed
    # Nobody outside the batch's jurisdiction, and no role that does not follow batches.
    elsewhere = world.client.get(path, headers=world.auth(PAYMENTS_OFFICER, jurisdiction=["DO"]))
    assert elsewhere.status_code == 404
    assert world.client.get(path, headers=world.auth(FIELD_STAFF)).status_code == 403
