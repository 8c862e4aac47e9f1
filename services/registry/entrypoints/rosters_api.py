"""Regular programmes' rosters over HTTP: read one (a dry run that says what each row would do),
look at it again, commit it."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from services.registry.adapters.import_files import ImportFileError, open_rows
from services.registry.domain import model
from services.registry.service_layer import enrolments
from services.registry.service_layer.common import Actor, Dependencies
from services.registry.service_layer.unit_of_work import RegistryUnitOfWork
from shared.auth import AUDITOR, REGISTRY_OFFICER
from shared.errors import FieldProblem, InvalidInput
from shared.web import (
    BEARER,
    accepts_bodies_up_to,
    authenticated,
    current_principal,
    in_request_language,
    request_language,
)

blp = Blueprint(
    "rosters",
    __name__,
    url_prefix="/v1/rosters",
    description="Enrolment in regular programmes, read from each programme's roster",
)
MAX_ROSTER_BYTES = 50 * 1024 * 1024
ROSTER_FORMATS = {".csv": "csv", ".xlsx": "xlsx"}


class RosterRowSchema(Schema):
    row = fields.Integer(
        allow_none=True, metadata={"description": "The file's row; none for an ended enrolment"}
    )
    outcome = fields.String(
        metadata={
            "description": "enrol, update, unchanged, end; or refused: not_found, ambiguous, "
            "outside_jurisdiction, repeated, invalid"
        }
    )
    household_id = fields.String(allow_none=True)
    since = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class RosterSchema(Schema):
    id = fields.String()
    programme = fields.String()
    file_name = fields.String()
    full_roster = fields.Boolean()
    roster_date = fields.Date()
    areas = fields.List(fields.String(), metadata={"description": "The areas a full roster covers"})
    status = fields.String(metadata={"description": "validated (dry run) or committed"})
    created_by = fields.String()
    created_at = fields.DateTime(format="iso")
    committed_at = fields.DateTime(format="iso", allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rows = fields.List(fields.Nested(RosterRowSchema), metadata={"description": "The first 1 000 rows"})


def _uow() -> RegistryUnitOfWork:
    runtime = current_app.extensions["amparo.runtime"]
    return RegistryUnitOfWork(runtime.session_factory, runtime.outbox)


def _deps() -> Dependencies:
    deps: Dependencies = current_app.extensions["amparo.registry"]
    return deps


def _form() -> tuple[str, date, bool, tuple[str, ...]]:
    """The form's programme, roster date, whether it is full, and the areas it covers."""
    problems = []
    try:
        roster_date = date.fromisoformat(request.form.get("roster_date") or date.today().isoformat())
    except ValueError:
        problems.append(FieldProblem("/roster_date", "a date such as 2026-12-01"))
        roster_date = date.today()
    full = (request.form.get("full") or "false").lower()
    if full not in ("true", "false"):
        problems.append(FieldProblem("/full", "true or false"))
    areas = tuple(a.strip() for a in request.form.getlist("areas") if a.strip())
    if full == "true" and not areas:
        problems.append(FieldProblem("/areas", "a full roster names the areas it covers"))
    problems += [
        FieldProblem("/areas", f"{a!r} is not an admin code") for a in areas if not model.ADMIN_CODE.match(a)
    ]
    if problems:
        raise InvalidInput("the roster cannot be read", errors=problems)
    return request.form.get("programme") or "", roster_date, full == "true", areas


def _shown(report: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The roster's report with each row's reason in the caller's language."""
    rows = [
        row | {"reason": in_request_language(row["reason"])} if row.get("reason") else row
        for row in report["rows"]
    ]
    return report | {"rows": rows}, status, {"Content-Language": request_language()}


@blp.route("")
class Rosters(MethodView):
    @blp.doc(
        security=BEARER,
        requestBody={
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "programme": {"type": "string", "description": "The programme's code"},
                            "roster_date": {"type": "string", "format": "date"},
                            "full": {"type": "boolean", "description": "The whole list for its areas"},
                            "areas": {"type": "array", "items": {"type": "string"}},
                        },
                    }
                }
            }
        },
    )
    @blp.response(201, RosterSchema)
    @authenticated([REGISTRY_OFFICER])
    @accepts_bodies_up_to(lambda: MAX_ROSTER_BYTES)
    def post(self) -> Any:
        """Read a programme's roster: a dry run; nothing changes until you commit it"""
        upload = request.files.get("file")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if upload is None or suffix not in ROSTER_FORMATS:
            raise InvalidInput(
                "send the roster as a CSV or XLSX file", errors=[FieldProblem("/file", "missing")]
            )
        programme, roster_date, full, areas = _form()
        principal = current_principal()
        areas = areas or tuple(principal.jurisdiction)  # a partial roster concerns the reader's areas
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"roster{suffix}"
            upload.save(path)
            try:
                headers, rows = open_rows(path, ROSTER_FORMATS[suffix])
                command = enrolments.ReadRoster(
                    programme,
                    upload.filename or "roster",
                    headers,
                    rows,
                    roster_date,
                    full,
                    areas,
                    Actor(principal.subject, principal.covers),
                )
                return _shown(enrolments.read_roster(command, _uow(), _deps()), 201)
            except ImportFileError as exc:
                raise InvalidInput(str(exc), errors=[FieldProblem("/file", str(exc))]) from exc


@blp.route("/<roster_id>")
class Roster(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, RosterSchema)
    @authenticated([REGISTRY_OFFICER, AUDITOR])
    def get(self, roster_id: str) -> Any:
        """A roster read earlier and what each row does"""
        principal = current_principal()
        return _shown(enrolments.roster(roster_id, Actor(principal.subject, principal.covers), _uow()))


@blp.route("/<roster_id>/commit")
class RosterCommit(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, RosterSchema)
    @authenticated([REGISTRY_OFFICER])
    def post(self, roster_id: str) -> Any:
        """Apply a roster: enrolments begun, changed or ended, each a new version of its household"""
        principal = current_principal()
        return _shown(
            enrolments.commit_roster(roster_id, Actor(principal.subject, principal.covers), _uow(), _deps())
        )
