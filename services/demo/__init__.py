"""``make demo``: a country on the embedded stack, from registry to an exported payment file.

The Dominican Republic's 32 first-level areas (the alerts service's bundled boundaries), a
registry of generated households spread by the 2022 census population (``services/demo_data``),
two programmes of a social-security institute (one anticipatory, one response), Hurricane
Fiona's CAP alert and its update replayed with today's times, NHC's real wind swath as the
footprint, and one batch approved by a second person and written as a payment file.
"""

from services.demo.client import Client, DemoError, Say, client
from services.demo.country import COUNTRY, CURRENCY, DATA, PEOPLE
from services.demo.fiona import (
    ANTICIPATORY,
    FIONA_MESSAGES,
    RESPONSE,
    WIND_BANDS,
    define_programmes,
    fiona_footprint,
    fiona_message,
    replay_fiona,
)
from services.demo.registry_file import province_weights, registry_csv
from services.demo.steps import (
    approve_and_export,
    load_registry,
    print_console,
    proposed_batches,
    run,
    wait_for_projections,
    write_console_accounts,
    write_payment_files,
)

__all__ = [
    "ANTICIPATORY",
    "COUNTRY",
    "CURRENCY",
    "DATA",
    "FIONA_MESSAGES",
    "PEOPLE",
    "RESPONSE",
    "WIND_BANDS",
    "Client",
    "DemoError",
    "Say",
    "approve_and_export",
    "client",
    "define_programmes",
    "fiona_footprint",
    "fiona_message",
    "load_registry",
    "print_console",
    "proposed_batches",
    "province_weights",
    "registry_csv",
    "replay_fiona",
    "run",
    "wait_for_projections",
    "write_console_accounts",
    "write_payment_files",
]
