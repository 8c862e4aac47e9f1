"""The registry's configuration files (the vulnerability index weights)."""

from __future__ import annotations

import json
from pathlib import Path

from services.registry.domain.vulnerability import VulnerabilityIndex

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
CURRENT_INDEX = CONFIG_DIR / "vulnerability-v1.json"


def load_index(path: Path = CURRENT_INDEX) -> VulnerabilityIndex:
    """Read and validate a vulnerability index config file.

    :raise InvalidConfiguration: if its weights are unusable; ``ValueError`` if it is not JSON.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from exc
    return VulnerabilityIndex.from_config(document)
