"""Monitoring over HTTP: a hazard event's, an alert's or a programme's figures as JSON or as a CSV
of one figure per line, for auditors and programme officers, inside their jurisdiction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.transfers.domain.monitoring import STAGES
from services.transfers.entrypoints.wiring import unit_of_work
from services.transfers.service_layer.monitoring import LEVELS, ReportRequest, monitoring_report
from shared.auth import AUDITOR, PROGRAMME_OFFICER
from shared.spreadsheet import csv_lines
from shared.web import BEARER, authenticated, current_principal

blp = Blueprint(
    "monitoring", __name__, url_prefix="/v1/monitoring", description="People reached, how fast, at what cost"
)
READERS = [AUDITOR, PROGRAMME_OFFICER]
#: The path of each scope, and the scope it names.
SCOPE_PATHS = {"hazard-events": "hazard_event", "alerts": "incident", "programmes": "programme"}
CSV = {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}}
CSV_HEADER = ["section", "stage", "group", "measure", "value"]


class ReportQuerySchema(Schema):
    programme = fields.String(
        load_default=None, metadata={"description": "Only this programme's decisions and payments"}
    )
    level = fields.Integer(
        load_default=1,
        validate=validate.OneOf(LEVELS),
        metadata={"description": "The admin level areas are counted at (1: HN-CR, 2: HN-CR-0801)"},
    )


class MonitoringReportSchema(Schema):
    scope = fields.Dict(metadata={"description": "What the report counts: kind, id, programme, alerts"})
    stages = fields.Dict(metadata={"description": "Households and people at each stage"})
    people = fields.Dict(metadata={"description": "Each stage's people by sex and age band, with disability"})
    by_area = fields.List(fields.Dict(), metadata={"description": "Households per stage in each area"})
    by_band = fields.List(fields.Dict(), metadata={"description": "Households per stage in each band"})
    coverage = fields.Dict(metadata={"description": "Paid of eligible and of exposed"})
    cost = fields.List(fields.Dict(), metadata={"description": "Money approved and paid, per currency"})
    waits = fields.Dict(metadata={"description": "Minutes between steps: median and 90th percentile"})
    paid_before_onset = fields.Dict(metadata={"description": "Households paid before the hazard's onset"})
    grievances = fields.Dict(
        metadata={
            "description": "Cases by kind (filed, open, overdue, resolved, late), outcome, channel; days"
        }
    )
    level = fields.Integer()
    fewer_than = fields.Integer(metadata={"description": "Counts below this (and above 0) are not shown"})


def table_rows(found: Mapping[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """A report as long rows ``(section, stage, group, measure, value)``: one figure each, for a
    spreadsheet."""
    lines: list[tuple[str, str, str, str, Any]] = []
    for stage, counts in found["stages"].items():
        lines += [("stages", stage, "", measure, value) for measure, value in counts.items()]
    for stage, people in found["people"].items():
        for sex, bands in people["by_sex_and_age"].items():
            for band, cell in bands.items():
                lines += [("people", stage, f"{sex} {band}", what, value) for what, value in cell.items()]
        lines.append(("people", stage, "", "households_not_counted", people["households_not_counted"]))
    for section, name in (("by_area", "area"), ("by_band", "band")):
        for group in found[section]:
            lines += [(section, s, group[name], "households", group[s]) for s in STAGES]
    for ratio, values in found["coverage"].items():
        lines += [("coverage", "", ratio, measure, value) for measure, value in values.items()]
    for money in found["cost"]:
        lines += [("cost", "", money["currency"], k, v) for k, v in money.items() if k != "currency"]
    for wait, values in found["waits"].items():
        lines += [("waits", "", wait, measure, value) for measure, value in values.items()]
    lines += [("paid_before_onset", "", "", k, v) for k, v in found["paid_before_onset"].items()]
    cases = found["grievances"]
    lines.append(("grievances", "", "", "filed", cases["filed"]))
    for kind, counts in cases["by_kind"].items():
        lines += [("grievances", "", kind, measure, value) for measure, value in counts.items()]
    for section in ("by_outcome", "by_channel"):
        lines += [("grievances", "", f"{section[3:]} {k}", "cases", v) for k, v in cases[section].items()]
    lines += [("grievances", "", "days_to_resolve", k, v) for k, v in cases["days_to_resolve"].items()]
    return lines


def _report(scope_path: str, scope_id: str, query: dict[str, Any]) -> dict[str, Any]:
    request = ReportRequest(
        SCOPE_PATHS.get(scope_path, scope_path), scope_id, query["programme"], query["level"]
    )
    return monitoring_report(request, current_principal().covers, unit_of_work())


def _routes(path: str, scope: str) -> None:
    """The report and its CSV for one kind of scope (a path of its own, so a caller without a
    token is refused before anything else is said)."""

    class Report(MethodView):
        @blp.doc(security=BEARER)
        @blp.arguments(ReportQuerySchema, location="query")
        @blp.response(200, MonitoringReportSchema)
        @authenticated(READERS)
        def get(self, query: dict[str, Any], scope_id: str) -> Any:
            return _report(path, scope_id, query)

    class ReportTable(MethodView):
        @blp.doc(security=BEARER, responses=CSV)
        @blp.arguments(ReportQuerySchema, location="query")
        @authenticated(READERS)
        def get(self, query: dict[str, Any], scope_id: str) -> Response:
            found = _report(path, scope_id, query)
            name = f"monitoring-{path}-{scope_id}.csv".replace('"', "")
            return Response(
                "".join(csv_lines(CSV_HEADER, table_rows(found))),
                mimetype="text/csv",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

    Report.get.__doc__ = f"A {scope}'s figures (small counts not shown)"
    ReportTable.get.__doc__ = (
        f"A {scope}'s figures as CSV: one per line (section, stage, group, measure, value)"
    )
    Report.__name__, ReportTable.__name__ = f"Report_{scope}", f"ReportTable_{scope}"
    blp.route(f"/{path}/<scope_id>", endpoint=f"report_{scope}")(Report)
    blp.route(f"/{path}/<scope_id>/figures.csv", endpoint=f"table_{scope}")(ReportTable)


for _path, _scope in (("hazard-events", "hazard event"), ("alerts", "alert"), ("programmes", "programme")):
    _routes(_path, _scope)
