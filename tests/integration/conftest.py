"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.auth import DevIssuer
from tests.transfers_world import World


@pytest.fixture
def issuer(tmp_path) -> DevIssuer:
    """A local token issuer with fresh keys."""
    return DevIssuer(tmp_path / "dev-issuer").ensure_keys()


@pytest.fixture
def world(tmp_path, broker, issuer, database_url) -> Iterator[World]:
    """The registry and transfers apps on one database, fed the events alerts would publish."""
    w = World(tmp_path, broker, issuer, database_url)
    yield w
    w.close()
