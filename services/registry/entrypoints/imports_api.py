"""Imports over HTTP: upload (validated at once, in the background), follow, read problems, commit."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from services.registry.adapters.import_files import FORMATS
from services.registry.entrypoints.import_schemas import (
    CommitSchema,
    ImportListQuerySchema,
    ImportSchema,
    ImportSummarySchema,
)
from services.registry.service_layer import imports as service
from services.registry.service_layer.common import Actor
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, REGISTRY_OFFICER
from shared.errors import Bilingual, FieldProblem, InvalidInput
from shared.inbox import is_transient
from shared.spreadsheet import csv_lines
from shared.web import (
    BEARER,
    accepts_bodies_up_to,
    authenticated,
    current_principal,
    in_request_language,
    request_language,
)

blp = Blueprint(
    "imports", __name__, url_prefix="/v1/imports", description="Imports of CSV, XLSX and KoboToolbox files"
)

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".json": "kobo"}


def _runtime() -> Any:
    return current_app.extensions["amparo.runtime"]


def _uow(read_only: bool = False) -> RegistryUnitOfWork:
    runtime = _runtime()
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox, read_only=read_only)


def _reader() -> RegistryUnitOfWork:
    """A read-only unit of work: it never waits for a writer (an import committing, say)."""
    return _uow(read_only=True)


def _folder(import_id: str) -> Path:
    return Path(_runtime().settings.data_dir) / "imports" / import_id


def _executor() -> ThreadPoolExecutor:
    """One import runs at a time per process; the others wait their turn."""
    return current_app.extensions.setdefault(
        "amparo.imports", ThreadPoolExecutor(1, thread_name_prefix="import")
    )


def safe_file_name(name: str) -> str:
    """The file's own name without any folder part and with only harmless characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._ -]", "_", base).strip(" .")
    return cleaned[:120] or "upload"


def _serialised(job: dict[str, Any]) -> dict[str, Any]:
    """The import as shown, its problems and error in the caller's language."""
    problems = [
        {"row": r, "column": c, "problem": in_request_language(p)} for r, c, p in job.get("problems", [])
    ]
    error = job.get("error")
    return {**job, "problems": problems, "error": in_request_language(error) if error else error}


def _language() -> dict[str, str]:
    return {"Content-Language": request_language()}


def duplicate_share_limit(value: Any, pointer: str = "/max_duplicate_share") -> float | None:
    """The share of probable duplicates above which a commit is stopped (0 to 1), as given;
    ``None`` when not given. :raise InvalidInput: naming ``pointer`` in English and Spanish."""
    if value is None or value == "":
        return None
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = float("nan")
    if not 0 <= share <= 1:  # also false for NaN
        problem = FieldProblem(
            pointer,
            f"{value!r} is not a share from 0 to 1 (0.05 stops above 5 %)",
            f"{value!r} no es una proporción de 0 a 1 (0.05 detiene por encima del 5 %)",
        )
        said = Bilingual("the duplicate share is not usable", "la proporción de duplicados no es utilizable")
        raise InvalidInput(said, errors=[problem])
    return share


#: How long an import keeps trying while the database cannot be reached, before it gives up.
PATIENCE_SECONDS = 300.0


def _run(target: Any, *args: Any, resumable: bool = False) -> None:
    """Run ``target(*args)`` in the import thread. A ``resumable`` target (a commit: it writes each
    household once however often it runs) starts again while the database cannot be reached; any
    other failure, or one that lasts past :data:`PATIENCE_SECONDS`, fails the import with the reason.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def job() -> None:
        with app.app_context():
            deadline = time.monotonic() + PATIENCE_SECONDS
            try:
                _patiently(lambda: target(*args), deadline) if resumable else target(*args)
            except Exception as exc:  # noqa: BLE001 - recorded on the import for its owner to read
                current_app.logger.exception("import %s failed", args[0])
                reason = f"stopped: {exc}"
                # Recorded once the database takes it: an import never stays marked as running.
                _patiently(lambda: _fail(args[0], reason), deadline + PATIENCE_SECONDS)

    _executor().submit(job)


def _patiently(call: Callable[[], None], deadline: float) -> None:
    """Run ``call``; run it again every 2 s while the database cannot be reached, until ``deadline``."""
    while True:
        try:
            call()
            return
        except Exception as exc:
            if not is_transient(exc) or time.monotonic() >= deadline:
                raise
            current_app.logger.warning("import interrupted, resuming in 2 s: %s", exc)
            time.sleep(2.0)


def _fail(import_id: str, reason: str) -> None:
    with RegistryUnitOfWork(_runtime().session_factory, _runtime().outbox) as uow:
        uow.imports.update(import_id, status=service.FAILED, error=reason)


@blp.route("")
class Imports(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ImportListQuerySchema, location="query")
    @blp.response(200, ImportSummarySchema(many=True))
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, params: dict[str, Any]) -> Any:
        """List the latest imports made for areas in your jurisdiction, newest first (counts only)"""
        jobs = service.list_imports(params["limit"], _reader(), current_principal().covers)
        return [_serialised(job) for job in jobs], 200, _language()

    @blp.doc(
        security=BEARER,
        requestBody={
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "format": {"type": "string", "enum": list(FORMATS)},
                            "mapping": {
                                "type": "string",
                                "description": "JSON object: Amparo field → column header",
                            },
                            "max_duplicate_share": {
                                "type": "number",
                                "minimum": 0,
                                "maximum": 1,
                                "description": "Stop the commit above this share of households with a "
                                "probable duplicate (0.05: above 5 %)",
                            },
                        },
                    }
                }
            }
        },
    )
    @blp.response(202, ImportSchema)
    @authenticated([REGISTRY_OFFICER])
    @accepts_bodies_up_to(lambda: MAX_UPLOAD_BYTES)
    def post(self) -> Any:
        """Upload a file; it is validated in the background and nothing is written until you commit"""
        repeated = [
            f
            for f in ("file", "format", "mapping", "max_duplicate_share")
            if len(request.files.getlist(f) + request.form.getlist(f)) > 1
        ]
        if repeated:
            raise InvalidInput(
                "each field is sent once",
                errors=[FieldProblem(f"/{f}", "sent more than once") for f in repeated],
            )
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput(
                "send the file as multipart field 'file'", errors=[FieldProblem("/file", "missing")]
            )
        name = safe_file_name(upload.filename)
        file_format = request.form.get("format") or EXTENSIONS.get(Path(name).suffix.lower())
        if file_format not in FORMATS:
            raise InvalidInput(
                f"unknown format {file_format!r}",
                errors=[FieldProblem("/format", f"one of {', '.join(FORMATS)}")],
            )
        try:
            mapping = json.loads(request.form.get("mapping") or "{}")
        except json.JSONDecodeError as exc:
            raise InvalidInput("mapping is not JSON", errors=[FieldProblem("/mapping", str(exc))]) from exc
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise InvalidInput(
                "mapping must be an object of field → column header",
                errors=[FieldProblem("/mapping", "not an object of strings")],
            )
        share = duplicate_share_limit(request.form.get("max_duplicate_share"))
        principal = current_principal()
        actor = Actor(principal.subject, principal.covers)
        import_id = service.create_import(
            service.NewImport(name, file_format, mapping, actor, principal.jurisdiction, share), _uow()
        )
        folder = _folder(import_id)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"upload.{file_format}"
        upload.save(path)
        deps = current_app.extensions["amparo.registry"]
        _run(service.validate_import, import_id, path, _uow_factory(), deps, actor)
        return _serialised(service.get_import(import_id, _uow(), principal.covers)), 202, _language()


def _uow_factory() -> Any:
    runtime = _runtime()
    return lambda: RegistryUnitOfWork(runtime.session_factory, runtime.outbox)


@blp.route("/<import_id>")
class Import(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, ImportSchema)
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, import_id: str) -> Any:
        """Follow an import: status, progress, counts and the first problems"""
        return (
            _serialised(service.get_import(import_id, _reader(), current_principal().covers)),
            200,
            _language(),
        )


@blp.route("/<import_id>/problems.csv")
class ImportProblems(MethodView):
    @blp.doc(
        security=BEARER,
        responses={"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}},
    )
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, import_id: str) -> Response:
        """Every problem found in the file: row, column, problem"""
        service.get_import(import_id, _reader(), current_principal().covers)
        problems = [(r, c, in_request_language(p)) for r, c, p in service.problems_of(import_id, _reader())]
        return Response(
            stream_with_context(csv_lines(["row", "column", "problem"], problems)),
            mimetype="text/csv",
            headers=_language(),
        )


def _csv_of(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    def lines() -> Any:
        for row in rows:
            yield [
                ", ".join(map(str, v)) if isinstance(v, list) else v for v in (row.get(c) for c in columns)
            ]

    return stream_with_context(csv_lines(columns, lines()))


CSV = {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}
HOUSEHOLD_COLUMNS = [
    "first_row",
    "rows",
    "reference",
    "outcome",
    "household_id",
    "registration_number",
    "changed",
    "pointer",
    "reason",
    "reason_es",
    "result",
]
DUPLICATE_COLUMNS = [
    "row",
    "first_row",
    "reference",
    "other_household",
    "other_registration_number",
    "other_row",
    "other_reference",
    "score",
    "reasons",
]


@blp.route("/<import_id>/households.csv")
class ImportHouseholds(MethodView):
    @blp.doc(security=BEARER, responses=CSV)
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, import_id: str) -> Response:
        """Each household of the file: create, update, unchanged or refused (why), then its result"""
        service.get_import(import_id, _reader(), current_principal().covers)
        rows = service.households_of_import(import_id, _reader())
        return Response(_csv_of(rows, HOUSEHOLD_COLUMNS), mimetype="text/csv")


@blp.route("/<import_id>/duplicates.csv")
class ImportDuplicates(MethodView):
    @blp.doc(security=BEARER, responses=CSV)
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, import_id: str) -> Response:
        """Every probable duplicate the dry run found: the row, the household it resembles, why"""
        service.get_import(import_id, _reader(), current_principal().covers)
        rows = service.duplicates_of_import(import_id, _reader())
        return Response(_csv_of(rows, DUPLICATE_COLUMNS), mimetype="text/csv")


@blp.route("/<import_id>/commit")
class ImportCommit(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(CommitSchema, required=False)
    @blp.response(202, ImportSchema)
    @authenticated([REGISTRY_OFFICER])
    def post(self, body: dict[str, Any], import_id: str) -> Any:
        """Write the households of a validated import in the background (unless too many are duplicates)"""
        principal = current_principal()
        job = service.get_import(import_id, _uow(), principal.covers)
        share = duplicate_share_limit(body.get("max_duplicate_share"))
        service.start_commit(import_id, _uow(), share)
        actor = Actor(job["created_by"], principal.covers)
        path = _folder(import_id) / f"upload.{job['format']}"
        deps = current_app.extensions["amparo.registry"]
        _run(service.commit_import, import_id, path, _uow_factory(), deps, actor, resumable=True)
        return _serialised(service.get_import(import_id, _uow(), principal.covers)), 202, _language()
