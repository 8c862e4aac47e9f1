"""Reading other people's spreadsheets: column mapping, Spanish values, rows grouped into households.

An import file has one row per member; the rows of one household share a household reference
and stand together. Household-level fields (place, dwelling, services) are read from the
household's first row. Every problem is reported as (row, column, problem); nothing here writes.
"""

from services.registry.domain.imports.cells import RowProblems, read_row
from services.registry.domain.imports.columns import (
    FIELDS,
    REQUIRED,
    MappingError,
    normalise,
    resolve_mapping,
)
from services.registry.domain.imports.households import HouseholdRows, group_households, household_document

__all__ = [
    "FIELDS",
    "REQUIRED",
    "HouseholdRows",
    "MappingError",
    "RowProblems",
    "group_households",
    "household_document",
    "normalise",
    "read_row",
    "resolve_mapping",
]
