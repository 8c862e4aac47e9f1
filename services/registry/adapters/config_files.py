"""The registry's configuration files (the vulnerability index weights)."""

from __future__ import annotations

import json
from pathlib import Path

from services.registry.domain.areas import AdminReference
from services.registry.domain.vulnerability import VulnerabilityIndex

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
CURRENT_INDEX = CONFIG_DIR / "vulnerability-v1.json"
ADMIN_AREAS = CONFIG_DIR / "admin-areas.json"


def load_index(path: Path = CURRENT_INDEX) -> VulnerabilityIndex:
    """Read and validate a vulnerability index config file.

    :raise InvalidConfiguration: if its weights are unusable; ``ValueError`` if it is not JSON.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not JSON: {exc}") from exc
    return VulnerabilityIndex.from_config(document)


def load_admin_reference(path: Path = ADMIN_AREAS) -> AdminReference:
    """Read the admin areas the registry serves (code → bounding box)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return AdminReference({code: tuple(box) for code, box in document["areas"].items()})  # type: ignore[misc]
