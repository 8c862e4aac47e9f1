"""Writing CSV that spreadsheet programs open safely.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
and LibreOffice (CSV injection). Such cells get a leading apostrophe, which the programs show as
text; numbers are written as numbers and are never touched.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` ready for a CSV cell.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("-87.19"), safe_cell(-87.19), safe_cell(None)
    ('\\'=HYPERLINK("http://x")', "'-87.19", -87.19, '')
    """
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """Yield the CSV text line by line (for streaming), every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([safe_cell(v) for v in row])
        yield buffer.getvalue()
