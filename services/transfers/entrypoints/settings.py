"""What the transfers service reads beyond the shared settings: where the registry and the alerts
service answer."""

from __future__ import annotations

from urllib.parse import urlsplit

from shared.config import DEFAULT_PORTS, OwnSettings, OwnVariable, ServiceSettings

DEFAULT_REGISTRY_URL = f"http://127.0.0.1:{DEFAULT_PORTS['registry']}"
DEFAULT_ALERTS_URL = f"http://127.0.0.1:{DEFAULT_PORTS['alerts']}"


def _http_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("http", "https"):
        raise ValueError("must be an http:// or https:// URL")
    return raw.rstrip("/")


OWN = OwnSettings(
    variables=(
        OwnVariable(
            "AMPARO_REGISTRY_URL",
            DEFAULT_REGISTRY_URL,
            "Base URL of the registry's API (transfers reads payment details from it for exports).",
            key="registry_url",
            read=_http_url,
        ),
        OwnVariable(
            "AMPARO_ALERTS_URL",
            DEFAULT_ALERTS_URL,
            "Base URL of the alerts service's API (transfers asks it how far a household filing a "
            "grievance lies from an alert's areas).",
            key="alerts_url",
            read=_http_url,
        ),
    )
)


def registry_url(settings: ServiceSettings) -> str:
    """Where the registry's API answers (transfers reads payment details from it for an export)."""
    return str(settings.own.get("registry_url", DEFAULT_REGISTRY_URL))


def alerts_url(settings: ServiceSettings) -> str:
    """Where the alerts service's API answers (a grievance's explanation asks it for distances)."""
    return str(settings.own.get("alerts_url", DEFAULT_ALERTS_URL))
