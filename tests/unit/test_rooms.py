"""The rooms of every service, checked on the source: what each may import, and no import circle.

``docs/architecture.md`` describes them: ``domain/`` knows no framework, database or broker;
``service_layer/`` knows no SQL and no HTTP; nothing in the project imports in a circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "shared")
SERVICES = ("registry", "alerts", "transfers")
#: What a room may not import, and why.
FORBIDDEN = {
    "domain": ("flask", "flask_smorest", "sqlalchemy", "marshmallow", "kafka", "alembic", "requests"),
    "service_layer": ("sqlalchemy", "flask", "flask_smorest", "marshmallow", "alembic"),
}
#: Neither the domain nor the service layer reaches outwards into these rooms.
OUTER_ROOMS = {"domain": ("service_layer", "adapters", "entrypoints"), "service_layer": ("entrypoints",)}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> Iterator[Path]:
    for package in PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def imports(path: Path, top_level_only: bool = False) -> set[str]:
    """The modules ``path`` imports (``from a import b`` counts as ``a`` and ``a.b``); imports
    under ``if TYPE_CHECKING:`` are left out, and with ``top_level_only`` those inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import) and not (top_level_only and in_function):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not (top_level_only and in_function):
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child, inner)

    visit(tree, False)
    return found


def room_of(path: Path) -> tuple[str, str] | None:
    parts = path.relative_to(ROOT).parts
    if len(parts) > 2 and parts[0] == "services" and parts[1] in SERVICES:
        return parts[1], parts[2]
    return None


def imports_in(room: str) -> Iterator[tuple[str, str]]:
    """Every (module, what it imports) of the services' modules in ``room``."""
    for path in modules():
        where = room_of(path)
        if where is not None and where[1] == room:
            yield from ((module_name(path), name) for name in sorted(imports(path)))


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_a_room_imports_no_framework_it_must_not_know(room):
    broken = [f"{m} imports {name}" for m, name in imports_in(room) if name.split(".")[0] in FORBIDDEN[room]]
    assert broken == []


@pytest.mark.parametrize("room", sorted(OUTER_ROOMS))
def test_inner_rooms_never_reach_outwards(room):
    broken = [
        f"{m} imports {name}"
        for m, name in imports_in(room)
        if name.startswith("services.")
        and len(name.split(".")) > 2
        and name.split(".")[2] in OUTER_ROOMS[room]
    ]
    assert broken == []


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                connect(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_no_module_imports_another_that_imports_it_back():
    paths = {module_name(p): p for p in modules()}
    graph = {
        name: {m for m in imports(path, top_level_only=True) if m in paths and m != name}
        for name, path in paths.items()
    }
    assert circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


#: Declarative lists of tables, written once per migration, that read best whole.
DECLARATIVE = {("services/transfers/adapters/payment_schema.py", "payment_tables_v1")}
MOST_LINES_IN_A_FILE = 420
MOST_LINES_IN_A_FUNCTION = 60


def test_every_file_reads_in_one_sitting_and_every_function_on_one_screen():
    too_long = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        if "/migrations/" in where:
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > MOST_LINES_IN_A_FILE:
            too_long.append(f"{where}: {lines} lines")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                and (where, node.name) not in DECLARATIVE
            ):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MOST_LINES_IN_A_FUNCTION:
                    too_long.append(f"{where}: {node.name} is {length} lines")
    assert too_long == []
