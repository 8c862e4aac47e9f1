"""A programme as stored: one version of it, who defined it and when, and who approved it;
decisions and batches always name the version they used.

A version is a *draft* until a person with the approver role, other than its author, approves it
(or rejects it). Only approved versions trigger: each programme decides with its latest approved
version, so a change waits for its second person while the version before it stays in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from services.transfers.domain.batches import FourEyes
from services.transfers.domain.programmes import Programme, parse_programme
from shared.errors import Conflict

DRAFT, APPROVED, REJECTED = "draft", "approved", "rejected"
STATES = (DRAFT, APPROVED, REJECTED)


class ProgrammeStateError(Conflict):
    slug = "programme-state"
    title = "Not possible in the programme version's state"


@dataclass(frozen=True)
class ProgrammeVersion:
    id: str
    version: int
    name: str
    document: Mapping[str, Any] = field(repr=False)
    created_by: str
    created_at: datetime
    state: str = DRAFT
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_comment: str | None = None

    @cached_property
    def programme(self) -> Programme:
        """The rules this version defines (a stored document always parses: it was checked when stored)."""
        return parse_programme(self.document)

    @property
    def in_force(self) -> bool:
        return self.state == APPROVED

    def reviewed(self, by: str, approve: bool, comment: str, at: datetime) -> ProgrammeVersion:
        """The version approved (or rejected) by ``by``, never its author.

        :raise FourEyes: ``by`` defined it; :raise ProgrammeStateError: it is not a draft.
        """
        if self.state != DRAFT:
            raise ProgrammeStateError(
                f"{self.name} version {self.version} is {self.state}; only a draft is approved or rejected"
            )
        if by == self.created_by:
            raise FourEyes(
                f"{by} defined {self.name} version {self.version} and cannot also "
                f"{'approve' if approve else 'reject'} it"
            )
        return replace(
            self,
            state=APPROVED if approve else REJECTED,
            decided_by=by,
            decided_at=at,
            decision_comment=comment,
        )
