"""Dates as the site writes them: day first, always.

``htmldate`` reads ``04 11 2024`` month-first when the day is 12 or less, so the site's date line
is parsed here, and so are the French dates of legacy press releases.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple


class DateMatch(NamedTuple):
    value: date
    raw: str


#: The date line of the current CMS, ``04 04 2020``; an optional ``Publié le`` is tolerated.
_DATE_LINE = re.compile(
    r"^(?:publi[ée]e?\s+le\s+|le\s+)?(\d{1,2})[ ./-](\d{1,2})[ ./-]((?:19|20)\d{2})$", re.I
)
_MONTHS = {
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6,
    "juillet": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11,
    "décembre": 12, "decembre": 12,
}  # fmt: skip
_FRENCH_DATE = re.compile(
    r"\b(1er|\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+((?:19|20)\d{2})\b", re.I
)
_LEGACY_URL_DATE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2}),[^/]*\.html?(?:$|[?#])", re.I)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_line(text: str) -> date | None:
    """``"04 04 2020"`` → 4 April 2020; anything but a whole date line → None."""
    if len(text) > 40:
        return None
    first = text[:1]
    # Before the day: nothing, "Publié(e) le " or "Le " (case aside). The second letter tells
    # most lines out ("Les dernières actualités", "Lire plus", "Partager") without the regex.
    if not first.isdigit() and not (
        (first in "Pp" and text[1:2] in "Uu") or (first in "Ll" and text[1:2] in "Ee")
    ):
        return None
    match = _DATE_LINE.match(" ".join(text.split()))
    if not match:
        return None
    day, month, year = (int(group) for group in match.groups())
    return _safe_date(year, month, day)


def find_french_date(text: str) -> DateMatch | None:
    """The first written-out French date: ``Communiqué de presse, 26 novembre 2014``."""
    for match in _FRENCH_DATE.finditer(text):
        day = 1 if match[1].lower() == "1er" else int(match[1])
        found = _safe_date(int(match[3]), _MONTHS[match[2].lower()], day)
        if found:
            return DateMatch(found, match[0])
    return None


def date_from_legacy_url(url: str) -> DateMatch | None:
    """``/actualite-presse/actualite/20141126,abc.htm`` → 26 November 2014."""
    match = _LEGACY_URL_DATE.search(url or "")
    if not match:
        return None
    found = _safe_date(int(match[1]), int(match[2]), int(match[3]))
    return DateMatch(found, "".join(match.groups())) if found else None
