"""What the registry reads beyond the shared settings: the keys that protect personal data."""

from __future__ import annotations

from shared.config import OwnSettings

ENCRYPTION_KEY = "AMPARO_REGISTRY_ENCRYPTION_KEY"
HASHING_KEY = "AMPARO_REGISTRY_HASHING_KEY"

OWN = OwnSettings(
    secrets={
        ENCRYPTION_KEY: "Base64 of 32 random bytes: encrypts documents, phones, accounts.",
        HASHING_KEY: "Base64 of 32 random bytes (not the encryption key): document hashes.",
    }
)
