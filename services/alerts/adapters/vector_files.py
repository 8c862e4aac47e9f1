"""Reading vector layers an operator uploads: GeoJSON, GeoPackage or a zipped Shapefile, through
geopandas, reprojected to WGS 84 longitude/latitude."""

from __future__ import annotations

import json
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

from shared.errors import FieldProblem, InvalidInput

GEOPACKAGE_TYPES = ("application/geopackage+sqlite3",)
ZIP_TYPES = ("application/zip", "application/x-zip-compressed")
VECTOR_FILE_TYPES = GEOPACKAGE_TYPES + ZIP_TYPES
#: How each format's files begin: SQLite's header, and the Shapefile file code 9994.
SIGNATURES = {".gpkg": b"SQLite format 3\x00", ".shp": b"\x00\x00\x27\x0a"}
#: What a zipped Shapefile may unpack to: a country's boundaries in detail fit well below it.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024


class VectorFileError(InvalidInput):
    slug = "invalid-vector-layer"
    title = "Invalid vector layer"


def read_feature_collection(raw: bytes, content_type: str) -> dict[str, Any]:
    """The upload as a GeoJSON FeatureCollection in EPSG:4326.

    :raise VectorFileError: unreadable, a zip without exactly one ``.shp``, or a layer without a CRS.
    """
    import geopandas

    with tempfile.TemporaryDirectory() as folder:
        if content_type in ZIP_TYPES:
            path = _unzip_shapefile(raw, Path(folder))
        else:
            path = Path(folder) / "layer.gpkg"
            path.write_bytes(raw)
        _check_signature(path)
        try:
            frame = geopandas.read_file(path)
        except Exception as exc:  # noqa: BLE001 - GDAL's errors come in many types; all mean "unreadable"
            raise VectorFileError(
                f"not a readable vector layer: {exc}", errors=[FieldProblem("/file", "unreadable")]
            ) from exc
    if frame.crs is None:
        raise VectorFileError(
            "the layer declares no CRS (a Shapefile needs its .prj); add it and upload again",
            errors=[FieldProblem("/file", "no CRS")],
        )
    return json.loads(frame.to_crs("EPSG:4326").to_json())


def _check_signature(path: Path) -> None:
    """GDAL opens a file by what it holds, not by its name: a "GeoPackage" or ".shp" holding a VRT
    description would make it read other files or call other servers, so only the real formats pass."""
    with path.open("rb") as handle:
        expected = SIGNATURES[path.suffix.lower()]
        start = handle.read(len(expected))
    if start != expected:
        kind = "GeoPackage" if path.suffix.lower() == ".gpkg" else "Shapefile"
        raise VectorFileError(
            f"{path.name} is not a {kind} (its first bytes are not a {kind}'s)",
            errors=[FieldProblem("/file", f"not a {kind}")],
        )


def _unzip_shapefile(raw: bytes, folder: Path) -> Path:
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise VectorFileError("not a zip archive", errors=[FieldProblem("/file", "not a zip")]) from exc
    members = [
        member
        for member in archive.infolist()
        # never a folder part: no path traversal out of the temp folder
        if Path(member.filename).name not in ("", ".", "..") and not member.is_dir()
    ]
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise VectorFileError(
            f"the zip unpacks to {unpacked:,} bytes; layers over {MAX_UNPACKED_BYTES:,} bytes are refused",
            errors=[FieldProblem("/file", "too large unpacked")],
        )
    shapefiles = []
    for member in members:
        name = Path(member.filename).name
        try:
            (folder / name).write_bytes(archive.read(member))
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise VectorFileError(
                f"the zip is damaged at {name!r}: {exc}", errors=[FieldProblem("/file", "damaged zip")]
            ) from exc
        if name.lower().endswith(".shp"):
            shapefiles.append(folder / name)
    if len(shapefiles) != 1:
        raise VectorFileError(
            f"the zip must hold exactly one .shp (it holds {len(shapefiles)})",
            errors=[FieldProblem("/file", "one .shp expected")],
        )
    return shapefiles[0]
