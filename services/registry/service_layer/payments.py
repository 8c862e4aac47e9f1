"""Payment details: each household's payment channel and identifiers in clear, for writing a payment
file; every disclosure is written to the audit log."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from services.registry.domain.ports import PersonalDataProtector
from services.registry.service_layer.common import Actor
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.audit import AuditEntry

#: Most households one payment-details request may name (a payment file is read in pages of this).
PAYMENT_DETAILS_PAGE = 5000


def payment_details(
    household_ids: Sequence[str],
    uow: RegistryUnitOfWork,
    protector: PersonalDataProtector,
    actor: Actor,
) -> dict[str, dict[str, Any]]:
    """Payment channel, decrypted identifiers and the head's name of each household, for a payment
    file only. Households unknown, outside the caller's jurisdiction or without a channel are left
    out (the caller reports them). Who was shown whose details goes to the audit log.
    """
    with uow:
        rows = [r for r in uow.households.payment_channels(household_ids) if actor.covers(r["admin_code"])]
        uow.record(
            AuditEntry(
                by=actor.subject,
                action="payment_details_disclosed",
                subject_type="households",
                subject_id=f"{len(rows)} of {len(household_ids)} asked",
                comment=" ".join(row["id"] for row in rows),
            )
        )
    return {
        row["id"]: {
            "type": row["payment_channel_type"],
            "provider": row["payment_provider"],
            "identifiers": json.loads(protector.decrypt(row["payment_identifiers_encrypted"]))
            if row["payment_identifiers_encrypted"]
            else {},
            "beneficiary": f"{row['given_names']} {row['family_names']}" if row["given_names"] else None,
        }
        for row in rows
    }
