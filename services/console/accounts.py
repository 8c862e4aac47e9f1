"""People who sign in to the console when no identity provider is configured (the embedded stack).

Each account has a role list and a jurisdiction, exactly as a token carries them; its password is
kept only as a salted scrypt hash. A production deployment signs people in with its identity
provider (Keycloak, say) instead, and this file is not used.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.auth import ROLES

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class AccountError(ValueError):
    """An account file or an account is not usable; the message names the account and field."""


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    roles: tuple[str, ...]
    jurisdiction: tuple[str, ...]
    password_hash: str

    def check(self, password: str) -> bool:
        salt_b64, digest_b64 = self.password_hash.split("$", 1)
        digest = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt_b64), **_SCRYPT)
        return hmac.compare_digest(digest, base64.b64decode(digest_b64))


def hash_password(password: str) -> str:
    """A salted scrypt hash, ``salt$digest`` in base64."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"{base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def new_account(
    username: str, name: str, roles: Sequence[str], jurisdiction: Sequence[str], password: str
) -> Account:
    """:raise AccountError: unknown role, empty jurisdiction or a password under 12 characters."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise AccountError(
            f"account {username}: unknown roles {', '.join(unknown)}; known: {', '.join(ROLES)}"
        )
    if not roles or not jurisdiction:
        raise AccountError(f"account {username}: roles and jurisdiction must not be empty")
    if len(password) < 12:
        raise AccountError(f"account {username}: the password must have at least 12 characters")
    return Account(username, name, tuple(roles), tuple(jurisdiction), hash_password(password))


def new_password() -> str:
    return secrets.token_urlsafe(12)


def write_accounts(path: Path, accounts: Iterable[Account]) -> None:
    """Write the account file (mode 600), replacing it whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 600
    with os.fdopen(descriptor, "w") as handle:
        json.dump([asdict(a) for a in accounts], handle, indent=2)
    os.replace(temporary, path)


def read_accounts(path: Path) -> dict[str, Account]:
    """:raise AccountError: the file is missing a field or holds an unknown role."""
    try:
        rows = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise AccountError(f"{path}: not JSON ({exc})") from exc
    accounts = {}
    for n, row in enumerate(rows):
        try:
            account = Account(
                str(row["username"]),
                str(row["name"]),
                tuple(row["roles"]),
                tuple(row["jurisdiction"]),
                str(row["password_hash"]),
            )
        except (KeyError, TypeError) as exc:
            raise AccountError(f"{path}: account {n} lacks {exc}") from exc
        unknown = sorted(set(account.roles) - set(ROLES))
        if unknown:
            raise AccountError(f"{path}: account {account.username} has unknown roles {', '.join(unknown)}")
        accounts[account.username] = account
    return accounts


_NOBODY: str | None = None


def check_nobody(password: str) -> bool:
    """Spend the time a real check takes, so an unknown username answers as slowly as a known one."""
    global _NOBODY
    if _NOBODY is None:
        _NOBODY = hash_password(secrets.token_urlsafe(16))
    Account("", "", (), (), _NOBODY).check(password)
    return False


class SignInThrottle:
    """At most ``attempts`` sign-ins per username and per client address in ``window`` seconds
    that did not succeed; later attempts are refused until the window has passed, right password
    or not. An attempt is counted when it starts, so parallel guesses are counted too."""

    def __init__(self, attempts: int = 5, window: float = 300.0):
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def attempt(self, *keys: str) -> int:
        """Count an attempt for each key; the seconds to wait instead (0: go ahead)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            if len(self._failures) > 10_000:  # forget keys whose window has passed
                self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < self.window}
            for key in keys:
                recent = [t for t in self._failures.get(key, []) if now - t < self.window]
                self._failures[key] = recent
                if len(recent) >= self.attempts:
                    wait = max(wait, self.window - (now - recent[0]))
            if not wait:
                for key in keys:
                    self._failures[key].append(now)
        return int(wait) + 1 if wait else 0

    def succeeded(self, user_key: str, address_key: str) -> None:
        """The attempt just counted succeeded: the user's failures are forgotten, and the address
        keeps its failures but not this success (people behind one office address sign in all
        day; a success must not wipe the guesses made from there either)."""
        with self._lock:
            self._failures.pop(user_key, None)
            recent = self._failures.get(address_key)
            if recent:
                recent.pop()
