"""Version-checked projections: a consumer's copy of another service's entities.

Events of one entity arrive in order on one partition, but a replay, a republish after a broker
restart or a retried delivery can still bring an older version after a newer one. Each row keeps
the version it was built from, and an event only changes the row when it is newer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared.db import bulk_insert


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


def apply_all_if_newer(
    session: Session, table: Table, key_column: str, changes: Sequence[tuple[Any, int, Mapping[str, Any]]]
) -> list[bool]:
    """:func:`apply_if_newer` for many ``(key, version, values)`` changes, in order, with one read
    of the stored versions and one statement per kind of write (not three per change).

    A key may come more than once: each change is compared with the version the changes before
    it left, as if they had been applied one by one. ``values`` must hold plain values (see
    :func:`shared.db.bulk_insert`) and the same columns in every change.

    :return: for each change, ``True`` if it changed the row, ``False`` if it was stale.
    """
    key_col = table.c[key_column]
    keys = list({key for key, _, _ in changes})
    stored: dict[Any, int] = {}
    for start in range(0, len(keys), 500):
        stored.update(
            session.execute(
                select(key_col, table.c.version).where(key_col.in_(keys[start : start + 500]))
            ).all()
        )
    current = dict(stored)
    newest: dict[Any, dict[str, Any]] = {}
    outcomes = []
    for key, version, values in changes:
        changed = is_newer(version, current.get(key))
        outcomes.append(changed)
        if changed:
            current[key] = version
            newest[key] = {**values, key_column: key, "version": version}
    bulk_insert(session, table, [row for key, row in newest.items() if key not in stored])
    replaced = [{**row, "_key": key, "_stored": stored[key]} for key, row in newest.items() if key in stored]
    if replaced:
        columns = [name for name in replaced[0] if not name.startswith("_")]
        session.execute(
            update(table)
            .where(key_col == bindparam("_key"), table.c.version == bindparam("_stored"))
            .values({name: bindparam(name) for name in columns}),
            replaced,
        )
    return outcomes


def versioned_changes(
    entities: Sequence[Any], key_column: str, **extra: Any
) -> list[tuple[Any, int, dict[str, Any]]]:
    """The ``(key, version, values)`` changes :func:`apply_all_if_newer` takes, from projection
    dataclasses holding ``key_column`` and ``version``; ``extra`` is added to every row's values."""
    changes = []
    for entity in entities:
        values = asdict(entity)
        changes.append((values.pop(key_column), values.pop("version"), {**values, **extra}))
    return changes
