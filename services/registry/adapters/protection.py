"""Keyed hashing (HMAC-SHA256) and field-level encryption (AES-256-GCM) of personal data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
_FORMAT = "v1"


class ProtectionError(ValueError):
    """A key is malformed or a ciphertext does not decrypt with it."""


def decode_key(name: str, value: str) -> bytes:
    """Decode a base64 key of 32 bytes; :raise ProtectionError: naming the variable otherwise."""
    try:
        key = base64.b64decode(value, validate=True)
    except (ValueError, TypeError) as exc:
        raise ProtectionError(f"{name} is not base64") from exc
    if len(key) != KEY_BYTES:
        raise ProtectionError(f"{name} must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key


def new_key() -> str:
    """A fresh random key, base64."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def normalise_document_number(number: str) -> str:
    """Uppercase, accents folded, separators dropped: ``0801-1990-12345`` → ``0801199012345``."""
    folded = unicodedata.normalize("NFKD", number).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.upper() if ch.isalnum())


class AesGcmProtector:
    """Implements the registry's ``PersonalDataProtector`` port.

    Ciphertexts are ``v1:<base64 nonce‖ciphertext‖tag>``; the associated data binds each
    ciphertext to the format version.
    """

    def __init__(self, encryption_key: bytes, hashing_key: bytes):
        if encryption_key == hashing_key:
            raise ProtectionError("the encryption and hashing keys must differ")
        self._aead = AESGCM(encryption_key)
        self._hashing_key = hashing_key

    def document_hash(self, document_type: str, number: str) -> str:
        message = f"{document_type}:{normalise_document_number(number)}".encode()
        return hmac.new(self._hashing_key, message, hashlib.sha256).hexdigest()

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), _FORMAT.encode())
        return f"{_FORMAT}:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, ciphertext: str) -> str:
        version, _, body = ciphertext.partition(":")
        if version != _FORMAT:
            raise ProtectionError(f"unknown ciphertext format {version!r}")
        raw = base64.b64decode(body)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], _FORMAT.encode()).decode()
        except InvalidTag as exc:
            raise ProtectionError(
                "ciphertext does not decrypt with this key (tampered or wrong key)"
            ) from exc
