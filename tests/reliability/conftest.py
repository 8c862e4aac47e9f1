"""Fixtures of the reliability and security suite: the figures it reports and the soak switch."""

from __future__ import annotations

import pytest

from tests.reliability.figures import FIGURES, Figures


@pytest.fixture(scope="session")
def figures() -> Figures:
    """Where a test records what it measured (written out and printed at the end of the run)."""
    return FIGURES


@pytest.fixture(scope="session")
def soak(request: pytest.FixtureRequest) -> bool:
    """Whether the longer soak run was asked for (``pytest --soak`` or ``make soak``)."""
    return bool(request.config.getoption("--soak"))
