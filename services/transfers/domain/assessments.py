"""What a household's post-event assessments and enrolments say to a programme deciding for one
hazard event.

An assessment counts for a hazard event when one of the incidents its exercise follows is one of
the hazard event's: its incidents' ids, the CAP ``<incidents>`` names its messages gave, or the
hazard event's own id. A household assessed for an earlier storm is *not assessed* for this one.
When several of its assessments count (two exercises over one hurricane), the worst finding of
each kind counts. Enrolments are kept as ``",CODE,CODE,"`` so that a programme's code is found by
its commas.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np

DWELLING_DAMAGE = ("none", "partial", "destroyed")
DISPLACEMENT = ("at_home", "host_family", "shelter")
#: The fields an eligibility rule reads from assessments, and their value for a household not
#: assessed for the hazard event.
ASSESSED_FIELDS = {"dwelling_damage": "", "displacement": "", "livelihood_losses": 0}


def enrolment_key(programmes: Sequence[str]) -> str | None:
    """``["B", "A"]`` → ``",A,B,"``; ``None`` for a household enrolled nowhere."""
    codes = sorted({p.strip().upper() for p in programmes if p and p.strip()})
    return f",{','.join(codes)}," if codes else None


def enrolled_in(enrolments: np.ndarray, codes: Collection[str]) -> np.ndarray:
    """Per household (``",A,B,"`` or ``""``), whether it is enrolled in any of ``codes``."""
    wanted = [f",{c.upper()}," for c in codes]
    return np.fromiter((any(w in (e or "") for w in wanted) for e in enrolments), bool, len(enrolments))


def assessment_text(assessments: Sequence[Mapping[str, Any]]) -> str | None:
    """The snapshot's assessments as stored: incidents and categories only, newest first."""
    kept = [
        {
            "incidents": list(a.get("incidents") or []),
            "dwelling_damage": a.get("dwelling_damage"),
            "displacement": a.get("displacement"),
            "livelihood_losses": len(a.get("livelihood_losses") or []),
        }
        for a in assessments
    ]
    return json.dumps(kept, sort_keys=True, separators=(",", ":")) if kept else None


def _rank(value: Any, order: Sequence[str]) -> int:
    return order.index(value) if value in order else -1


def finding(text: str | None, hazard: Collection[str] | None) -> dict[str, Any]:
    """What a household's stored assessments say for a hazard event known by ``hazard`` (its ids
    and names); ``None``: its newest assessment, whatever it followed (a what-if over an area)."""
    found = dict(ASSESSED_FIELDS)
    if not text:
        return found
    assessments = json.loads(text)
    if hazard is None:
        counted = assessments[:1]
    else:
        counted = [a for a in assessments if set(a["incidents"]) & set(hazard)]
    damage = max((_rank(a["dwelling_damage"], DWELLING_DAMAGE) for a in counted), default=-1)
    moved = max((_rank(a["displacement"], DISPLACEMENT) for a in counted), default=-1)
    if damage >= 0:
        found["dwelling_damage"] = DWELLING_DAMAGE[damage]
    if moved >= 0:
        found["displacement"] = DISPLACEMENT[moved]
    found["livelihood_losses"] = max((int(a["livelihood_losses"]) for a in counted), default=0)
    return found


def with_findings(
    exposed: tuple[np.ndarray, dict[str, np.ndarray], np.ndarray], hazard: Collection[str] | None
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The exposed households' columns with the assessment fields for this hazard event in place of
    the stored assessments (read only for the households that have any)."""
    household_ids, columns, known = exposed
    stored = columns.pop("assessments", None)
    n = len(household_ids)
    columns["dwelling_damage"] = np.full(n, "", dtype=object)
    columns["displacement"] = np.full(n, "", dtype=object)
    columns["livelihood_losses"] = np.zeros(n, dtype=np.int64)
    if stored is not None:
        for i in np.flatnonzero(np.fromiter((bool(t) for t in stored), bool, n)):
            for name, value in finding(stored[i], hazard).items():
                columns[name][i] = value
    return household_ids, columns, known
