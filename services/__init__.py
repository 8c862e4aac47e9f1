"""Amparo's three services (registry, alerts, transfers) and the ``amparo`` command."""
