"""Payment details from the registry's API, for one payment file at a time.

The caller's own token is forwarded, so the registry checks the payments officer's role and
jurisdiction itself and logs who read what. Nothing read here is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests

from shared.errors import Unavailable

PAGE = 5000


class RegistryPaymentDetails:
    def __init__(self, base_url: str, bearer_token: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.bearer_token = bearer_token
        self.timeout = timeout

    def fetch(self, household_ids: Sequence[str]) -> Mapping[str, Mapping[str, Any]]:
        """:raise Unavailable: the registry cannot be reached or refuses (the file is not written)."""
        found: dict[str, Mapping[str, Any]] = {}
        ids = list(dict.fromkeys(household_ids))
        for start in range(0, len(ids), PAGE):
            try:
                response = requests.post(
                    f"{self.base_url}/v1/households/payment-details",
                    json={"household_ids": ids[start : start + PAGE]},
                    headers={"Authorization": f"Bearer {self.bearer_token}"},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                raise Unavailable(f"the registry at {self.base_url} cannot be reached: {exc}") from exc
            if response.status_code != 200:
                raise Unavailable(
                    f"the registry refused the payment details ({response.status_code}): "
                    f"{response.text[:300]}"
                )
            found.update(response.json()["households"])
        return found
