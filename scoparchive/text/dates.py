"""Dates as the French web writes them: day first, always.

``04 11 2024`` is the 4th of November, never the 11th of April (``htmldate`` reads it
month-first when the day is 12 or less): numeric dates are read here, day first, and so are dates
in words (``4 avril 2020``, ``1er mai``, ``mardi 4 avr. 2020``), ISO dates (``2020-04-04``, with a
time and an offset or not) and the ``YYYYMMDD`` of the site's legacy URLs.

A date without a year (``le 4 avril``) is read only against a reference date (the day the page
was captured): the latest such day not after it. Without one, it is not read: never guessed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import NamedTuple

from scoparchive.text.folding import fold_accents


class DateMatch(NamedTuple):
    value: date
    raw: str


_MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "fevrier": 2, "fevr": 2, "fev": 2, "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7, "aout": 8,
    "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10, "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
}  # fmt: skip
_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
#: Month names as written: with or without accents, abbreviated with or without a full stop.
_MONTH = r"(?P<month>janv(?:ier|\.)?|f[ée]v(?:rier|r?\.)?|mars?\.?|avr(?:il|\.)?|mai|juin|" \
         r"juil(?:let|\.)?|ao[uû]t|sept?(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|" \
         r"d[ée]c(?:embre|\.)?)"  # fmt: skip
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_WORDS = (
    rf"(?:(?:{_WEEKDAYS})\s+)?(?P<day>1er|[0-3]?\d)\s+{_MONTH}(?:\s+{_YEAR})?"
)
#: Day first; one separator, the same twice.
_NUMERIC = r"(?P<nday>[0-3]?\d)(?P<sep>[ ./-])(?P<nmonth>[01]?\d)(?P=sep)(?P<nyear>(?:19|20)\d{2})"
_ISO = r"(?P<iyear>(?:19|20)\d{2})(?P<isep>[-/])(?P<imonth>[01]\d)(?P=isep)(?P<iday>[0-3]\d)"
_ANY_DATE = rf"(?:{_ISO}|{_NUMERIC}|{_WORDS})"
#: What may stand before a publication date on its line.
_PUBLISHED = (
    r"(?:(?:publi[ée]e?|post[ée]e?|paru|mise?\s+en\s+ligne|r[ée]dig[ée]e?|[ée]crit)"
    r"(?:\s+le)?|le|date(?:\s+de\s+publication)?\s*:|du)"
)
#: A time after the date: ``à 14h30``, ``- 14:30``, ``T09:30:00+02:00``.
_TIME = r"(?:\s*(?:à|a|-|–|,|T)?\s*\d{1,2}\s*[h:]\s*(?:\d{2})?(?::\d{2})?(?:\.\d+)?" \
        r"(?:Z|[+-]\d{2}:?\d{2})?)?"  # fmt: skip
_DATE_TEXT = re.compile(rf"^\s*(?:{_PUBLISHED}\s+)?{_ANY_DATE}{_TIME}\s*[.,]?\s*$", re.I)
_DATE_IN_TEXT = re.compile(rf"(?<![\w/.-]){_ANY_DATE}(?![\w/]|[.-]\d)", re.I)
#: What says a later date is not the publication's: ``mis à jour le``, ``modifié le``.
_UPDATED = re.compile(r"(?:mis\s+à\s+jour|mise\s+à\s+jour|modifi[ée]e?|actualis[ée]e?)\s*$", re.I)
_PUBLISHED_WORD = re.compile(r"publi|post|paru|mise?\s+en\s+ligne|r[ée]dig|[ée]crit", re.I)
#: What may follow the date of a byline: its end, a time, an author, a rubric, a separator.
_BYLINE_END = re.compile(r"\s*(?:$|[|•·,–—-]|(?:à|a|par|dans|by)\b|\d{1,2}\s*[h:])", re.I)
_PUBLISHED_IN_TEXT = re.compile(rf"(?<!\w){_PUBLISHED}\s+(?={_ANY_DATE})", re.I)
#: The date line of the current CMS, ``04 04 2020``; an optional ``Publié le`` is tolerated.
_DATE_LINE = re.compile(
    r"^(?:publi[ée]e?\s+le\s+|le\s+)?(\d{1,2})[ ./-](\d{1,2})[ ./-]((?:19|20)\d{2})$", re.I
)
_DIGIT = re.compile(r"\d")
_LEGACY_URL_DATE = re.compile(r"/((?:19|20)\d{2})(\d{2})(\d{2}),[^/]*\.html?(?:$|[?#])", re.I)
#: How far after the reference a year-less date may fall (a page announcing next week's event
#: is dated by its own day, not the event's).
_YEARLESS_SLACK = timedelta(days=1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_date_line(text: str) -> date | None:
    """The site's own date line, ``"04 04 2020"`` → 4 April 2020; anything else → None."""
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
    return _safe_date(int(match[3]), int(match[2]), int(match[1]))


def read_date(text: str, *, reference: date | None = None) -> DateMatch | None:
    """A text that is a date and nothing else (a publication prefix and a time allowed):
    ``04 04 2020``, ``04/04/2020``, ``2020-04-04T09:30:00+02:00``, ``Publié le 4 avril 2020``,
    ``le 4 avril`` (with a ``reference``)."""
    if len(text) > 80 or not _DIGIT.search(text):
        return None
    match = _DATE_TEXT.match(text)
    return _match_date(match, reference) if match else None


def find_date(text: str, *, reference: date | None = None) -> DateMatch | None:
    """The first date written in a text that reads as one (see ``read_date``)."""
    if not _DIGIT.search(text):  # every form of a date has one: spare the long pattern
        return None
    for match in _DATE_IN_TEXT.finditer(text):
        found = _match_date(match, reference)
        if found:
            return found
    return None


def find_published_date(text: str, *, reference: date | None = None) -> DateMatch | None:
    """A date announced as a publication date in a line: ``Publié le 4 avril 2020 par …``."""
    if not _DIGIT.search(text):
        return None
    for prefix in _PUBLISHED_IN_TEXT.finditer(text):
        announced = _PUBLISHED_WORD.match(prefix[0]) is not None
        if _UPDATED.search(text, 0, prefix.start()) and not announced:
            continue  # "mis à jour le 19 février 2020": not the publication date
        match = _DATE_IN_TEXT.match(text, prefix.end())
        if match is None:
            continue
        # A bare "le" opens sentences too: "Le 17 juillet dernier, le tribunal…". Without a
        # word that announces a publication, the date needs its year and ends the byline.
        if not announced and not (_has_year(match) and _BYLINE_END.match(text, match.end())):
            continue
        found = _match_date(match, reference)
        if found:
            return found
    return None


def _has_year(match: re.Match) -> bool:
    return bool(match["iyear"] or match["nyear"] or match["year"])


def find_french_date(text: str) -> DateMatch | None:
    """The first written-out French date with its year: ``Communiqué de presse, 26 novembre
    2014``."""
    if not _DIGIT.search(text):
        return None
    for match in _DATE_IN_TEXT.finditer(text):
        if match["month"] and match["year"]:
            found = _match_date(match, None)
            if found:
                return found
    return None


def read_iso_date(value: str) -> date | None:
    """The date of an ISO 8601 value as written (``2020-04-04T23:30:00-05:00`` is the 4th):
    the day the publisher wrote, not that day in another time zone."""
    match = re.match(r"\s*((?:19|20)\d{2})-?(\d{2})-?(\d{2})(?:$|[T\s]|[+-]\d|Z)", value)
    return _safe_date(int(match[1]), int(match[2]), int(match[3])) if match else None


def date_from_legacy_url(url: str) -> DateMatch | None:
    """``/actualite-presse/actualite/20141126,abc.htm`` → 26 November 2014."""
    match = _LEGACY_URL_DATE.search(url or "")
    if not match:
        return None
    found = _safe_date(int(match[1]), int(match[2]), int(match[3]))
    return DateMatch(found, "".join(match.groups())) if found else None


def _match_date(match: re.Match, reference: date | None) -> DateMatch | None:
    raw = match.group(0).strip()
    if match["iyear"]:
        value = _safe_date(int(match["iyear"]), int(match["imonth"]), int(match["iday"]))
    elif match["nyear"]:
        value = _safe_date(int(match["nyear"]), int(match["nmonth"]), int(match["nday"]))
    else:
        day = 1 if match["day"].lower() == "1er" else int(match["day"])
        month = _MONTHS[_month_key(match["month"])]
        if match["year"]:
            value = _safe_date(int(match["year"]), month, day)
        else:
            value = _yearless(month, day, reference)
    return DateMatch(value, raw) if value else None


def _yearless(month: int, day: int, reference: date | None) -> date | None:
    """The latest ``day``/``month`` not after ``reference`` (a day of slack), within the year
    before it: a 29 February more than a year back is no date a page writes without its year."""
    if reference is None:
        return None
    latest = reference + _YEARLESS_SLACK
    for year in (reference.year + 1, reference.year, reference.year - 1):
        value = _safe_date(year, month, day)
        if value and value <= latest:
            return value if value > latest - timedelta(days=366) else None
    return None


def _month_key(name: str) -> str:
    return fold_accents(name).strip()  # "Févr." → "fevr"
