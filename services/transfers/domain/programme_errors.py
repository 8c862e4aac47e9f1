"""A programme definition that cannot work, told with the path of each mistake (``/benefit/cap``)."""

from __future__ import annotations

from shared.errors import FieldProblem, InvalidInput


class ProgrammeError(InvalidInput):
    """A programme definition that cannot work; ``errors`` gives the path of each mistake."""

    slug = "invalid-programme"
    title = "Invalid programme"


def mistake(path: str, detail: str) -> ProgrammeError:
    """The error for one mistake at ``path`` of the programme document.

    >>> mistake("/budget/overall", "a budget must be positive").errors[0].pointer
    '/budget/overall'
    """
    return ProgrammeError(f"{path}: {detail}", errors=[FieldProblem(path, detail)])
