"""The README's configuration table documents exactly the variables the services read."""

from __future__ import annotations

import re
from pathlib import Path

from services.settings import variables_for
from shared.config import DEFAULT_PORTS, SERVICES

README = Path(__file__).resolve().parents[2] / "README.md"


def table_rows() -> dict[str, str]:
    """Each variable named in the first column of the configuration table, with its row."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `AMPARO_"):
            first_column = line.split(" | ", 1)[0]
            for name in re.findall(r"`(AMPARO_[A-Z_<>]+)`", first_column):
                for service in SERVICES:
                    rows[name.replace("<SERVICE>", service.upper())] = line.replace("<service>", service)
    return rows


def test_every_variable_a_service_reads_is_in_the_table_and_nothing_else():
    documented = table_rows()
    read = {v.name: v for service in SERVICES for v in variables_for(service)}
    assert set(documented) == set(read)
    for name, variable in read.items():
        if variable.default.startswith("("):
            continue  # "(required)", "(host name:port)": said in words in the table
        assert f"`{variable.default}`" in documented[name], name
    for service, port in DEFAULT_PORTS.items():
        assert f"`{port}`" in documented[f"AMPARO_{service.upper()}_PORT"]
