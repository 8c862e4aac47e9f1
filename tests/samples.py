"""Realistic registry samples shared by the tests (names with accents, Spanish addresses)."""

from __future__ import annotations

import base64
import copy
import os
from typing import Any

from services.registry.adapters.config_files import load_admin_reference, load_index
from services.registry.adapters.protection import AesGcmProtector
from services.registry.service_layer.common import Dependencies
from shared.contracts.households import HOUSEHOLD_UPDATED
from shared.events import CloudEvent

BODY: dict[str, Any] = {
    "admin_code": "HN-CH",
    "location": {"lat": 13.30, "lon": -87.19, "accuracy_m": 6},
    "address": "Colonia Las Palmas, Choluteca",
    "members": [
        {
            "given_names": "María José",
            "family_names": "Ordóñez Pérez",
            "sex": "female",
            "relationship": "head",
            "birth_date": "1986-03-14",
            "document": {"type": "national_id", "number": "0601-1986-01234"},
            "phone": "+504 9988-7766",
        },
        {
            "given_names": "Luis",
            "family_names": "Ordóñez",
            "sex": "male",
            "relationship": "child",
            "birth_date": "2023-08-02",
        },
        {
            "given_names": "Rosa",
            "family_names": "Pérez",
            "sex": "female",
            "relationship": "parent",
            "age_estimate": 71,
            "disability": {"walking": 3},
        },
    ],
    "dwelling": {"wall": "bahareque", "roof": "sheet_metal", "floor": "earth", "tenure": "owned", "rooms": 1},
    "services": {"water_source": "well", "sanitation": "latrine"},
    "livelihood": {"main": "agriculture", "income_source": "informal"},
    "consent": {
        "given_at": "2026-11-20T10:00:00-06:00",
        "given_by": "María José Ordóñez Pérez",
        "purposes": ["registry", "emergency_transfers"],
    },
    "payment": {
        "type": "mobile_money",
        "provider": "Tigo Money",
        "identifiers": {"wallet_number": "99887766"},
    },
}


def household_body(**overrides: Any) -> dict[str, Any]:
    """A complete registration body; top-level fields replaced by ``overrides``."""
    body = copy.deepcopy(BODY)
    body.update(overrides)
    return body


def registry_keys() -> dict[str, str]:
    """Fresh registry key variables."""
    return {
        "AMPARO_REGISTRY_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode(),
        "AMPARO_REGISTRY_HASHING_KEY": base64.b64encode(os.urandom(32)).decode(),
    }


def registry_dependencies() -> Dependencies:
    return Dependencies(
        protector=AesGcmProtector(os.urandom(32), os.urandom(32)),
        index=load_index(),
        areas=load_admin_reference(),
    )


def distinct_household(household_id: str) -> dict[str, Any]:
    """A registration body whose people and place differ from every other one's (by the id)."""
    import random

    rng = random.Random(household_id)
    given = ("Ana", "Luis", "Rosa", "Jorge", "Marta", "Pedro", "Sofía", "Elena", "Miguel", "Carmen")
    family = ("López", "Cruz", "Mejía", "Reyes", "Zelaya", "Flores", "Paz", "Amaya", "Pineda", "Rivas")
    body = household_body(id=household_id)
    body["location"] = {
        "lat": round(13.25 + rng.random() / 10, 5),
        "lon": round(-87.25 + rng.random() / 10, 5),
    }
    # Long parts of the id in every name keep two households' names well apart (the registry
    # would hold a pair of near names, born the same day at the same place, as a probable duplicate).
    letters = household_id.replace("-", "")
    for member in body["members"]:
        member["given_names"] = f"{rng.choice(given)} {letters[:12]}"
        member["family_names"] = f"{rng.choice(family)} {letters[12:24]}"
        if member.get("document"):
            member["document"] = {"type": "national_id", "number": household_id[:13]}
    return body


def snapshot_event(
    household_id: str, version: int, admin_code: str = "HN-CH", event_type: str = HOUSEHOLD_UPDATED
):
    """A registry household event carrying a small public snapshot at ``version``."""
    return CloudEvent(
        type=event_type,
        source="/amparo/registry",
        subject=household_id,
        data={
            "household_id": household_id,
            "version": version,
            "status": "active",
            "admin_code": admin_code,
            "size": 4,
            "location": {"lat": 13.3, "lon": -87.2, "accuracy_m": None, "source": "gps"},
        },
    )
