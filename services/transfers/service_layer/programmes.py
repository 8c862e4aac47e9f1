"""Programmes: defined, versioned and read in plain words."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from services.transfers.adapters.orm import programmes
from services.transfers.domain.programmes import parse_programme
from shared.errors import NotFound


class ProgrammeNotFound(NotFound):
    pass


def _view(row: Any) -> dict[str, Any]:
    programme = parse_programme(row.document)
    return {
        "id": row.id,
        "version": row.version,
        "name": row.name,
        "programme": row.document,
        "rules": programme.describe(),
        "created_by": row.created_by,
        "created_at": row.created_at,
    }


def define_programme(
    document: dict[str, Any], by: str, sessions: sessionmaker[Session], programme_id: str | None = None
) -> dict[str, Any]:
    """Store a programme (a new one, or the next version of ``programme_id``).

    :raise ProgrammeError: with the path of the mistake; :raise ProgrammeNotFound: unknown id.
    """
    parse_programme(document)  # refuse before storing anything
    with sessions.begin() as session:
        version = 1
        if programme_id is not None:
            latest = session.scalar(
                select(func.max(programmes.c.version)).where(programmes.c.id == programme_id)
            )
            if latest is None:
                raise ProgrammeNotFound(f"no programme {programme_id}")
            version = latest + 1
        programme_id = programme_id or str(uuid.uuid4())
        session.execute(
            insert(programmes).values(
                id=programme_id,
                version=version,
                name=document["name"],
                document=document,
                created_by=by,
                created_at=datetime.now(UTC),
            )
        )
    return get_programme(programme_id, sessions, version)


def get_programme(
    programme_id: str, sessions: sessionmaker[Session], version: int | None = None
) -> dict[str, Any]:
    """A programme at ``version`` (the latest when ``None``)."""
    with sessions() as session:
        query = select(programmes).where(programmes.c.id == programme_id)
        query = (
            query.where(programmes.c.version == version)
            if version
            else query.order_by(programmes.c.version.desc())
        )
        row = session.execute(query.limit(1)).first()
    if row is None:
        raise ProgrammeNotFound(
            f"no programme {programme_id}" + (f" at version {version}" if version else "")
        )
    return _view(row)
