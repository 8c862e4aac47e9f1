"""Idempotency keys in the transfers service's database: the first answer to each key, kept so
that a retry gets it again. Each call is its own short transaction, apart from the request's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.transfers.adapters.orm import idempotency_keys
from shared.db import as_read


class KeyTaken(Exception):
    """Another request claimed the same key at the same moment."""


@dataclass(frozen=True)
class StoredKey:
    request: str
    state: str
    created_at: datetime
    status_code: int | None
    response: Any


class IdempotencyKeys:
    def __init__(self, sessions: sessionmaker[Session], key: str, principal: str):
        self.sessions = sessions
        self._where = (idempotency_keys.c.key == key) & (idempotency_keys.c.principal == principal)
        self.key, self.principal = key, principal

    def claim(self, fingerprint: str) -> StoredKey | None:
        """Claim the key for a request (``None``), or what is stored of its first use.

        :raise KeyTaken: another request claimed it in the meantime.
        """
        try:
            with self.sessions.begin() as session:
                stored = session.execute(select(idempotency_keys).where(self._where)).first()
                if stored is None:
                    session.execute(
                        insert(idempotency_keys).values(
                            key=self.key,
                            principal=self.principal,
                            request=fingerprint,
                            state="running",
                            created_at=datetime.now(UTC),
                        )
                    )
                    return None
        except IntegrityError:
            raise KeyTaken(self.key) from None
        return StoredKey(
            stored.request, stored.state, as_read(stored.created_at), stored.status_code, stored.response
        )

    def renew(self) -> None:
        """Start the lease of a key whose first request was abandoned again."""
        with self.sessions.begin() as session:
            session.execute(update(idempotency_keys).where(self._where).values(created_at=datetime.now(UTC)))

    def finish(self, status: int, body: Any) -> None:
        """Keep the answer given to the key's request."""
        with self.sessions.begin() as session:
            session.execute(
                update(idempotency_keys)
                .where(self._where)
                .values(state="done", status_code=status, response=json.loads(json.dumps(body, default=str)))
            )

    def forget(self) -> None:
        """Free the key (its request failed unexpectedly: a retry may run)."""
        with self.sessions.begin() as session:
            session.execute(delete(idempotency_keys).where(self._where))
