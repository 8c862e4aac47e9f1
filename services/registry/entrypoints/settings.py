"""What the registry reads beyond the shared settings: the keys that protect personal data, and
when the daily snapshot pass runs."""

from __future__ import annotations

from shared.config import OwnSettings, OwnVariable, ServiceSettings

ENCRYPTION_KEY = "AMPARO_REGISTRY_ENCRYPTION_KEY"
HASHING_KEY = "AMPARO_REGISTRY_HASHING_KEY"
SNAPSHOT_TIME = "AMPARO_REGISTRY_SNAPSHOT_TIME"
DEFAULT_SNAPSHOT_TIME = "00:30"


def _daily_time(text: str) -> str:
    from services.registry.service_layer.snapshots import DailyTime

    DailyTime.parse(text)
    return text.strip()


OWN = OwnSettings(
    variables=(
        OwnVariable(
            SNAPSHOT_TIME,
            DEFAULT_SNAPSHOT_TIME,
            "Time of day (HH:MM, UTC) of the daily pass that publishes again the snapshots of the "
            "households whose ages, age bands or score changed with time (birthdays, new weights).",
            key="snapshot_time",
            read=_daily_time,
        ),
    ),
    secrets={
        ENCRYPTION_KEY: "Base64 of 32 random bytes: encrypts documents, phones, accounts.",
        HASHING_KEY: "Base64 of 32 random bytes (not the encryption key): document hashes.",
    },
)


def snapshot_time(settings: ServiceSettings) -> str:
    """When the daily snapshot pass runs (HH:MM, UTC)."""
    return str(settings.own.get("snapshot_time", DEFAULT_SNAPSHOT_TIME))
