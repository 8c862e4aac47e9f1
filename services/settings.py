"""Each service's settings: the shared ones and the service's own, read from the environment."""

from __future__ import annotations

from collections.abc import Mapping

from services.alerts.entrypoints.settings import OWN as ALERTS
from services.registry.entrypoints.settings import OWN as REGISTRY
from services.transfers.entrypoints.settings import OWN as TRANSFERS
from shared.config import NO_OWN_SETTINGS, OwnSettings, ServiceSettings, Variable

OWN: Mapping[str, OwnSettings] = {"registry": REGISTRY, "alerts": ALERTS, "transfers": TRANSFERS}


def settings_for(service: str, environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Read and validate ``service``'s settings.

    :raise ConfigError: naming every invalid variable at once (an unknown service too).
    """
    return ServiceSettings.from_environ(service, environ, OWN.get(service, NO_OWN_SETTINGS))


def variables_for(service: str) -> list[Variable]:
    """``service``'s documented variables with their defaults, its own and its secrets among them."""
    return ServiceSettings.variables(service, OWN.get(service, NO_OWN_SETTINGS))


def secrets_of(service: str) -> Mapping[str, str]:
    """The secrets ``service`` requires, each with its meaning."""
    return OWN.get(service, NO_OWN_SETTINGS).secrets
