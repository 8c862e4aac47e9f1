"""What the registry reads beyond the shared settings: the keys that protect personal data, and
when the daily snapshot pass runs."""

from __future__ import annotations

from shared.config import OwnSettings, OwnVariable, ServiceSettings

ENCRYPTION_KEY = "AMPARO_REGISTRY_ENCRYPTION_KEY"
HASHING_KEY = "AMPARO_REGISTRY_HASHING_KEY"
SNAPSHOT_TIME = "AMPARO_REGISTRY_SNAPSHOT_TIME"
DEFAULT_SNAPSHOT_TIME = "00:30"


class Secret(str):
    """A secret read from a variable: itself as text, never shown."""

    def __repr__(self) -> str:
        return "'***'" if self else "''"


def _daily_time(text: str) -> str:
    from services.registry.service_layer.snapshots import DailyTime

    DailyTime.parse(text)
    return text.strip()


def _retention(text: str) -> object:
    from services.registry.domain.retention import RetentionPeriods

    return RetentionPeriods.parse(text)


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
        OwnVariable(
            "AMPARO_REGISTRY_RETENTION_DAYS",
            "",
            "Days each kind of record with personal data is kept, e.g. "
            "messages=180,imports=90,sync=90,inactive=1825 (any of them; the rest keep these defaults).",
            key="retention",
            read=_retention,
        ),
        OwnVariable(
            "AMPARO_SMS_URL",
            "",
            "Base URL of the SMS provider's API (Infobip's SMS API v3: POST /sms/3/messages); empty: "
            "messages to households are kept queued until one is set.",
            key="sms_url",
        ),
        OwnVariable(
            "AMPARO_SMS_API_KEY",
            "",
            "The SMS provider's API key (never shown).",
            key="sms_api_key",
            read=Secret,
        ),
        OwnVariable(
            "AMPARO_SMS_SENDER", "Amparo", "The sender name or number households see.", key="sms_sender"
        ),
        OwnVariable(
            "AMPARO_SMS_WEBHOOK_TOKEN",
            "",
            "The token the provider's delivery reports and replies carry (?token=…); empty: refused.",
            key="sms_webhook_token",
            read=Secret,
        ),
        OwnVariable(
            "AMPARO_REGISTRY_PUBLIC_URL",
            "",
            "Where the provider reaches this registry (delivery reports are sent to "
            "<url>/v1/messages/delivery-reports); empty: none are asked for.",
            key="public_url",
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
