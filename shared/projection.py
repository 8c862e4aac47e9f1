"""Version-checked projections: a consumer's copy of another service's entities.

Events of one entity arrive in order on one partition, but a replay, a republish after a broker
restart or a retried delivery can still bring an older version after a newer one. Each row keeps
the version it was built from, and an event only changes the row when it is newer.

An entity may also be published again at the same version when time changes what is said of it
(a household's ages and score: see the registry's snapshot refresh). Such a table has a
``snapshot_revision`` column, and events are ordered by (version, revision): a refresh of version
3 replaces version 3, never version 4.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from shared.db import bulk_insert

#: The column that orders the publications of one version (when a table has it).
REVISION = "snapshot_revision"
Order = tuple[int, int]


def is_newer(incoming: int | Order, stored: int | Order | None) -> bool:
    """Whether an event at version ``incoming`` should replace what is stored at ``stored``; either
    may be a (version, revision) pair, a bare version being revision 0.

    Examples
    --------
    >>> is_newer(2, 1), is_newer(1, 1), is_newer(1, None), is_newer((1, 1), 1), is_newer((1, 1), (2, 0))
    (True, False, True, True, False)
    """
    return stored is None or _order(incoming) > _order(stored)


def _order(value: int | Order) -> Order:
    return value if isinstance(value, tuple) else (value, 0)


def _ordering(table: Table) -> list[Any]:
    """The columns a row's order is read from: its version, then its revision if it has one."""
    return [table.c.version, table.c[REVISION]] if REVISION in table.c else [table.c.version]


def _order_of(table: Table, values: Mapping[str, Any], version: int) -> Order:
    return (version, int(values.get(REVISION) or 0) if REVISION in table.c else 0)


def _stored_order(row: Any) -> Order:
    return (row[0], int(row[1] or 0) if len(row) > 1 else 0)


def _unchanged(table: Table, stored: Order) -> Any:
    """The condition that the row is still at ``stored`` (nobody wrote it meanwhile)."""
    condition = table.c.version == stored[0]
    if REVISION in table.c:
        condition = condition & (table.c[REVISION] == stored[1])
    return condition


def apply_if_newer(
    session: Session, table: Table, key_column: str, key: Any, version: int, values: Mapping[str, Any]
) -> bool:
    """Insert or update the row ``key`` with ``values`` if ``version`` is newer than the stored one.

    :return: ``True`` if the row changed, ``False`` if the event was stale.
    """
    key_col = table.c[key_column]
    found = session.execute(select(*_ordering(table)).where(key_col == key)).first()
    stored = None if found is None else _stored_order(found)
    if not is_newer(_order_of(table, values, version), stored):
        return False
    row = {**values, key_column: key, "version": version}
    if stored is None:
        session.execute(insert(table).values(**row))
    else:
        session.execute(update(table).where(key_col == key, _unchanged(table, stored)).values(**row))
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
    stored: dict[Any, Order] = {}
    for start in range(0, len(keys), 500):
        rows = session.execute(
            select(key_col, *_ordering(table)).where(key_col.in_(keys[start : start + 500]))
        ).all()
        stored.update((row[0], _stored_order(row[1:])) for row in rows)
    current: dict[Any, Order] = dict(stored)
    newest: dict[Any, dict[str, Any]] = {}
    outcomes = []
    for key, version, values in changes:
        order = _order_of(table, values, version)
        changed = is_newer(order, current.get(key))
        outcomes.append(changed)
        if changed:
            current[key] = order
            newest[key] = {**values, key_column: key, "version": version}
    bulk_insert(session, table, [row for key, row in newest.items() if key not in stored])
    replaced = [
        {**row, "_key": key, "_stored": stored[key][0], "_stored_revision": stored[key][1]}
        for key, row in newest.items()
        if key in stored
    ]
    if replaced:
        columns = [name for name in replaced[0] if not name.startswith("_")]
        unchanged = table.c.version == bindparam("_stored")
        if REVISION in table.c:
            unchanged = unchanged & (table.c[REVISION] == bindparam("_stored_revision"))
        session.execute(
            update(table)
            .where(key_col == bindparam("_key"), unchanged)
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
