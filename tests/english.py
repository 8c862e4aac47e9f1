"""Telling a message left in English: the tests of Spanish messages share it.

Words that no Spanish sentence holds, looked for outside what a message quotes or names (quoted
values, codes such as ``not_related``, JSON pointers, ISO codes): a Spanish message that still
carries one of them was not translated, or only half.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_WORDS = """the is are was were be been not must may cannot can should of and or to with only this
    that these from for give send say name missing invalid unknown value between than least most at it its
    your you already which when where while after before too large empty required valid number date
    household households member members lies outside into one has have does could would more less
    field fields records record batch allowed length string data within such again reload"""
ENGLISH_WORDS = frozenset(_WORDS.split())

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|«[^»]*»")
_CODE = re.compile(r"\S*[-_/0-9<>]\S*|\b[A-Z][A-Z0-9]+\b")


def english_left_in(message: str, names: Collection[str] = ()) -> list[str]:
    """The English words in ``message``, outside its quoted values, its codes and the field
    ``names`` it may list (``members``, ``location``: the API's words).

    Examples
    --------
    >>> english_left_in("la edad 130 no está entre 0 y 120")
    []
    >>> english_left_in("'not_related' no es uno de: head, spouse, not_related")
    []
    >>> english_left_in("the household cannot be recorded: members.0.sex")
    ['the', 'household', 'cannot', 'be']
    """
    bare = _CODE.sub(" ", _QUOTED.sub(" ", message))
    return [word for word in re.findall(r"[A-Za-z]+", bare) if word.lower() in ENGLISH_WORDS - set(names)]
