"""Projection rows turned into numpy columns, the one way every service does it.

Matching and deciding work on whole columns (one array per field), never on rows; the
repositories read rows from the database and hand them here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

#: A column's kind: ``float`` (``None`` becomes NaN), ``int``, ``bool`` or ``object`` (as read).
Kinds = Mapping[str, Any]
_DTYPES = {float: np.float64, int: np.int64, bool: bool, object: object}


def columns_from_rows(rows: Sequence[Sequence[Any]], kinds: Kinds) -> dict[str, np.ndarray]:
    """One array per name of ``kinds``, in the order the rows hold the values.

    Examples
    --------
    >>> cols = columns_from_rows([("a", None, 2), ("b", 1.5, 3)], {"id": object, "x": float, "n": int})
    >>> cols["x"].tolist(), cols["n"].dtype.name
    ([nan, 1.5], 'int64')
    """
    values = list(zip(*rows, strict=True)) if rows else [() for _ in kinds]
    if len(values) != len(kinds):
        raise ValueError(f"rows have {len(values)} values, {len(kinds)} names were given")
    return {name: _column(column, kind) for (name, kind), column in zip(kinds.items(), values, strict=True)}


def columns_from_pages(pages: Iterable[Sequence[Sequence[Any]]], kinds: Kinds) -> dict[str, np.ndarray]:
    """:func:`columns_from_rows` over rows read a page at a time (a national exposure never sits in
    memory as rows), the pages joined in order."""
    parts: dict[str, list[np.ndarray]] = {name: [] for name in kinds}
    for page in pages:
        for name, column in columns_from_rows(page, kinds).items():
            parts[name].append(column)
    return {
        name: np.concatenate(parts[name]) if parts[name] else _column((), kind)
        for name, kind in kinds.items()
    }


def _column(values: Sequence[Any], kind: Any) -> np.ndarray:
    if kind is float:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    return np.array(values, dtype=_DTYPES[kind])
