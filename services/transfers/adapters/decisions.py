"""Evaluations of programmes over exposures, and each household's decision, in the transfers
service's database."""

from __future__ import annotations

from sqlalchemy.orm import Session


class EvaluationRepository:
    def __init__(self, session: Session):
        self.session = session
