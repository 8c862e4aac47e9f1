"""What the registry's rules need from outside, as interfaces (adapters implement them)."""

from __future__ import annotations

from typing import Protocol


class PersonalDataProtector(Protocol):
    """Keyed hashing and field-level encryption of personal data."""

    def document_hash(self, document_type: str, number: str) -> str:
        """A keyed hash of a document (same document → same hash; unguessable without the key)."""

    def encrypt(self, plaintext: str) -> str:
        """Ciphertext for storage."""

    def decrypt(self, ciphertext: str) -> str:
        """Plaintext for authorised display or payment export."""
