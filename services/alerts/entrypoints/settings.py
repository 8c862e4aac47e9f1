"""What the alerts service reads beyond the shared settings: which households an instance indexes."""

from __future__ import annotations

from shared.config import OwnSettings, OwnVariable, ServiceSettings

INDEX_MODES = ("all", "partitions")


def _index_mode(raw: str) -> str:
    mode = raw.lower()
    if mode not in INDEX_MODES:
        raise ValueError("is not all or partitions")
    return mode


OWN = OwnSettings(
    variables=(
        OwnVariable(
            "AMPARO_ALERTS_INDEX",
            "all",
            "`all`: this instance indexes every household. `partitions`: only those of the "
            "registry.households partitions its consumer group gives it, so several instances "
            "share the households, and each alert's matching, between them.",
            key="index",
            read=_index_mode,
        ),
    )
)


def indexes_every_household(settings: ServiceSettings) -> bool:
    """Whether this instance indexes every household (``all``) or only its partitions'."""
    return settings.own.get("index", "all") == "all"
