"""Whitespace normalisation for French web text.

French typography puts narrow or non-breaking spaces before ``: ; ! ?`` and inside numbers
(``1 300``); those must compare equal to plain spaces, and zero-width characters must vanish.
"""

from __future__ import annotations

import re
from functools import lru_cache

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_line(text: str) -> str:
    """One line: every kind of space collapsed to one plain space, invisible marks dropped."""
    # Most lines need a strip only: a printable text holds no space but the plain one (other
    # spaces, line breaks and zero-width marks are not printable), and then no double one.
    # Splitting and joining words costs three times as much as these scans.
    line = text.strip()
    if line.isprintable() and "  " not in line:
        return line
    # str.split() knows every Unicode space (NBSP, narrow NBSP, thin space) and runs in C.
    line = " ".join(line.split())
    if line.isprintable():  # zero-width and soft-hyphen marks are not printable
        return line
    return " ".join(_INVISIBLE.sub("", line).split())


def normalise_space(text: str) -> str:
    """Multi-line text: each line cleaned, empty lines dropped, line breaks kept."""
    lines = (clean_line(line) for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def collapse(text: str) -> str:
    """All whitespace, line breaks included, collapsed to single spaces (for comparisons)."""
    if text.isprintable():  # no invisible mark (they are not printable): skip the regex
        # Nor a space but the plain one: without a double one or one at an end, nothing to do.
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text
        return " ".join(text.split())
    return " ".join(_INVISIBLE.sub("", text).split())


def fold(text: str) -> str:
    """A comparison key: collapsed, case-folded, typographic apostrophes made plain."""
    return _fold_short(text) if len(text) <= _SHORT else _fold(text)


def _fold(text: str) -> str:
    return collapse(text).replace("’", "'").casefold()


#: The pages of a site repeat their headings, menus and titles: a short text is folded once.
_SHORT = 200
_fold_short = lru_cache(maxsize=4096)(_fold)


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in _BLANK_LINES.split(text) if part.strip()]
