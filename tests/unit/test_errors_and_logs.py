import json
import logging

from shared.errors import FieldProblem, InvalidInput, field_problems
from shared.logs import JsonFormatter, accept_correlation_id, correlation
from shared.web import problem_of


def test_nested_messages_become_json_pointers():
    problems = field_problems(
        {
            "location": {"lat": ["Not a valid number."]},
            "size": ["Missing data."],
            "members": {"0": {"name": ["Too long."]}},
        }
    )
    assert FieldProblem("/location/lat", "Not a valid number.") in problems
    assert FieldProblem("/size", "Missing data.") in problems
    assert FieldProblem("/members/0/name", "Too long.") in problems


def test_problem_document_shape():
    error = InvalidInput("bad size", errors=[FieldProblem("/size", "too small")])
    body = problem_of(error, "/v1/households").to_dict()
    assert body["status"] == 422 and body["instance"] == "/v1/households"
    assert body["errors"] == [{"pointer": "/size", "detail": "too small"}]
    assert body["type"].endswith("/invalid-input")


def test_log_lines_are_json_with_the_correlation_id():
    formatter = JsonFormatter("registry")
    record = logging.makeLogRecord({"msg": "hello %s", "args": ("world",), "levelname": "INFO", "name": "t"})
    with correlation("abc-123"):
        line = json.loads(formatter.format(record))
    assert line["message"] == "hello world"
    assert line["correlation_id"] == "abc-123"
    assert line["service"] == "registry"


def test_unsafe_correlation_ids_are_replaced():
    assert accept_correlation_id("ok-1") == "ok-1"
    assert accept_correlation_id("bad\nid") != "bad\nid"
    assert len(accept_correlation_id("x" * 500)) == 36
