"""A programme as stored: one version of it, who defined it and when; decisions and batches always
name the version they used."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from services.transfers.domain.programmes import Programme, parse_programme


@dataclass(frozen=True)
class ProgrammeVersion:
    id: str
    version: int
    name: str
    document: Mapping[str, Any] = field(repr=False)
    created_by: str
    created_at: datetime

    @cached_property
    def programme(self) -> Programme:
        """The rules this version defines (a stored document always parses: it was checked when stored)."""
        return parse_programme(self.document)
