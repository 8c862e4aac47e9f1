"""Version-checked projections: a consumer's copy of another service's entities.

Events of one entity arrive in order on one partition, but a replay, a republish after a broker
restart or a retried delivery can still bring an older version after a newer one. Each row keeps
the version it was built from, and an event only changes the row when it is newer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session


def is_newer(incoming: int, stored: int | None) -> bool:
    """Whether an event at version ``incoming`` should replace what is stored at ``stored``.

    Examples
    --------
    >>> is_newer(2, 1), is_newer(1, 1), is_newer(1, None)
    (True, False, True)
    """
    return stored is None or incoming > stored


def apply_if_newer(
    session: Session, table: Table, key_column: str, key: Any, version: int, values: Mapping[str, Any]
) -> bool:
    """Insert or update the row ``key`` with ``values`` if ``version`` is newer than the stored one.

    :return: ``True`` if the row changed, ``False`` if the event was stale.
    """
    key_col = table.c[key_column]
    stored = session.scalar(select(table.c.version).where(key_col == key))
    if not is_newer(version, stored):
        return False
    row = {**values, key_column: key, "version": version}
    if stored is None:
        session.execute(insert(table).values(**row))
    else:
        session.execute(update(table).where(key_col == key, table.c.version == stored).values(**row))
    return True
