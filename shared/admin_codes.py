"""Hierarchical admin codes (ISO 3166-2 and deeper): ``HN-CH-0601`` lies in ``HN-CH`` in ``HN``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def first_level(code: str) -> str:
    """The first-level area a code lies in.

    Examples
    --------
    >>> first_level("HN-CH-0601"), first_level("HN-CH"), first_level("HN")
    ('HN-CH', 'HN-CH', 'HN')
    """
    return "-".join(str(code).split("-")[:2])


def lies_within(code: str, area: str) -> bool:
    """Whether ``code`` is ``area`` or one of the areas inside it (``HN-CH-0601`` in ``HN``, not ``HNX``)."""
    return code == area or code.startswith(area + "-")


def within_mask(codes: np.ndarray, area: str) -> np.ndarray:
    """:func:`lies_within` for a whole array of codes at once."""
    text = np.asarray(codes).astype(str)
    return (text == area) | np.char.startswith(text, area + "-")


def smallest_common_area(codes: Sequence[str]) -> str:
    """The smallest area holding every code; ``*`` (everywhere) when they share no country.

    Examples
    --------
    >>> smallest_common_area(["HN-CH-0601", "HN-CH-0602"]), smallest_common_area(["HN-CH", "GT-PE"])
    ('HN-CH', '*')
    """
    parts = [c.split("-") for c in codes if c]
    shared = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        shared.append(level[0])
    return "-".join(shared) or "*"
