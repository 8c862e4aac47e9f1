"""How far a household lies from an alert's areas, asked of the alerts service's API.

The caller's own token is forwarded, so the alerts service checks their role and jurisdiction
itself. A failure is an answer too: the grievance is filed all the same and says why the distance
is missing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests

log = logging.getLogger(__name__)


class AlertDistances:
    def __init__(self, base_url: str, bearer_token: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.bearer_token = bearer_token
        self.timeout = timeout

    def of(self, incident_id: str, household_id: str) -> dict[str, Any]:
        """The alerts service's answer, or ``{"unavailable": why}``."""
        url = (
            f"{self.base_url}/v1/alerts/{quote(incident_id, safe='')}/households/"
            f"{quote(household_id, safe='')}/distance"
        )
        try:
            response = requests.get(
                url, headers={"Authorization": f"Bearer {self.bearer_token}"}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            return {"unavailable": f"the alerts service at {self.base_url} cannot be reached: {exc}"}
        if response.status_code != 200:
            return {
                "unavailable": f"the alerts service answered {response.status_code}: {response.text[:300]}"
            }
        found = response.json()
        return found if isinstance(found, dict) else {"unavailable": "the alerts service answered no object"}
