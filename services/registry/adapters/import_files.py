"""Reading uploaded import files row by row: CSV, XLSX and KoboToolbox/ODK JSON submissions.

CSV and XLSX are streamed (constant memory whatever their length); a KoboToolbox export is one
JSON document and is read whole, so its size is capped by the upload limit.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMATS = ("csv", "xlsx", "kobo")

Rows = Iterator[tuple[int, dict[str, Any]]]


class ImportFileError(ValueError):
    """The file cannot be read as the format it claims to be."""


def open_rows(path: Path, file_format: str) -> tuple[list[str], Rows]:
    """Return the file's column headers and an iterator of ``(row number, {header: value})``.

    :raise ImportFileError: naming what is wrong with the file.
    """
    if file_format == "csv":
        return _csv(path)
    if file_format == "xlsx":
        return _xlsx(path)
    if file_format == "kobo":
        return _kobo(path)
    raise ImportFileError(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}")


def _encoding(path: Path) -> str:
    with open(path, "rb") as handle:
        sample = handle.read(1 << 20)
    try:
        sample.decode("utf-8-sig")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a character cut at the sample's end
            return "utf-8-sig"
        return "latin-1"  # spreadsheets saved by older Excel in Spanish locales


def _csv(path: Path) -> tuple[list[str], Rows]:
    encoding = _encoding(path)
    with open(path, encoding=encoding, newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise ImportFileError("the CSV file is empty (no header row)")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    headers = next(csv.reader([first], delimiter=delimiter))

    def rows() -> Rows:
        with open(path, encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            next(reader)
            for number, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    yield number, {}
                    continue
                yield number, dict(zip(headers, cells, strict=False))

    return headers, rows()


def _xlsx(path: Path) -> tuple[list[str], Rows]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"not a readable XLSX workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    headers: list[str] = []
    header_row = 0
    for number, cells in enumerate(lines, start=1):
        if any(c not in (None, "") for c in cells):
            headers = [str(c).strip() if c is not None else "" for c in cells]
            header_row = number
            break
    if not headers:
        workbook.close()
        raise ImportFileError(f"the sheet {sheet.title!r} is empty (no header row)")

    def rows() -> Rows:
        try:
            for number, cells in enumerate(lines, start=header_row + 1):
                if all(c in (None, "") for c in cells):
                    yield number, {}
                    continue
                yield number, {h: c for h, c in zip(headers, cells, strict=False) if h}
        finally:
            workbook.close()

    return headers, rows()


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested groups (ODK Central) into ``group/question`` keys (KoboToolbox style);
    a GeoJSON point becomes ``latitud`` and ``longitud``."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        if (
            isinstance(item, dict)
            and item.get("type") == "Point"
            and isinstance(item.get("coordinates"), list)
        ):
            lon, lat = item["coordinates"][:2]
            flat["latitud"], flat["longitud"] = lat, lon
        elif isinstance(item, dict):
            flat.update(_flatten(item, f"{prefix}{key}/"))
        elif not isinstance(item, list):
            flat[f"{prefix}{key}"] = item
    return flat


def _kobo(path: Path) -> tuple[list[str], Rows]:
    """KoboToolbox exports (``{"results": [...]}``, ``group/question`` keys) and ODK Central
    submissions (``{"value": [...]}``, nested groups, GeoJSON points); the first repeat group
    holds the members."""
    try:
        document = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ImportFileError(f"not JSON: {exc}") from exc
    submissions = document
    if isinstance(document, dict):
        submissions = document.get("results", document.get("value"))
    if not isinstance(submissions, list) or not all(isinstance(s, dict) for s in submissions):
        raise ImportFileError(
            'expected a list of submissions (KoboToolbox\'s {"results": [...]} '
            'or ODK Central\'s {"value": [...]})'
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    headers: dict[str, None] = {}
    for number, submission in enumerate(submissions, start=1):
        household = _flatten(submission)
        geolocation = submission.get("_geolocation")
        if isinstance(geolocation, list) and len(geolocation) == 2 and None not in geolocation:
            household["latitud"], household["longitud"] = geolocation
        repeats = [
            v
            for v in submission.values()
            if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)
        ]
        members = [_flatten(m) for m in repeats[0]] if repeats else [{}]
        for member in members:
            row = {**household, **member}
            headers.update(dict.fromkeys(row))
            rows.append((number, row))
    return list(headers), iter(rows)


def remove_import_folder(data_dir: Path, import_id: str) -> None:
    """Delete an import's stored file (past its retention period): nothing if it is gone already."""
    shutil.rmtree(Path(data_dir) / "imports" / import_id, ignore_errors=True)
