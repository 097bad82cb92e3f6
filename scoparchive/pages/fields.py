"""The layers of each field: the most specific evidence first, and the layer that gave it.

1. the site's landmarks: the title found by the header and date lines, the date line itself or
   a byline such as ``Publié le 4 avril 2020 par …`` beside the title, the date in a legacy URL;
2. the page's standard metadata: JSON-LD, microdata, OpenGraph, ``<time datetime>``, Dublin
   Core, the main heading, ``<title>`` cleaned of the site's name;
3. libraries made for any page (htmldate), only for a page outside the site's frame;
4. nothing: a field without evidence stays empty.

The method names are those of ``items.EXTRACTION_METHODS``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple
from urllib.parse import urlsplit

from scoparchive.pages.layout import best_title_match, title_tag_keys
from scoparchive.pages.listing import TEASER_BLOCKS, is_teaser_title
from scoparchive.pages.reading import PageReading
from scoparchive.text.dates import (
    date_from_legacy_url,
    find_published_date,
    read_date,
    read_iso_date,
)
from scoparchive.text.normalise import fold

#: Blocks around the title where a ``<time>`` dates the page.
_BYLINE_BEFORE, _BYLINE_AFTER = 2, 4
_TEASER_DATE_LINE = 80  # characters: a teaser's date line or byline
_LEAD = 40  # characters: a teaser's lead, at least
_UTC = re.compile(r"T[\d:.]+(?:Z|[+-]00:?00)\s*$")
_SEPARATORS = re.compile(r"\s+[|–—:·•»›-]\s+|\s+[|–—·•»›]|[|–—·•»›]\s+")
_TRAILING_SEPARATOR = re.compile(r"\s+[|–—:·•»›-]$")
_NOT_ALPHANUMERIC = re.compile(r"\W+")


class Found(NamedTuple):
    value: object
    raw: str | None
    method: str


def title(reading: PageReading) -> Found | None:
    """The page's title."""
    if "title" not in reading.memo:
        reading.memo["title"] = _title(reading)
    return reading.memo["title"]


def _title(reading: PageReading) -> Found | None:
    layout = reading.layout
    heading = layout.blocks[layout.title].text if layout.title is not None else None
    if heading and layout.framed:
        return Found(heading, heading, "landmark")
    site_names = _site_names(reading)
    declared = [(_without_site_name(text, site_names), text, source)
                for text, source in reading.metadata.titles()]  # fmt: skip
    title_tag = reading.doc.title_tag
    keys = set(title_tag_keys(title_tag))
    if title_tag:
        keys.add(fold(_without_site_name(title_tag, site_names)))
    for clean, text, _ in declared:
        keys |= {fold(clean), fold(text)}
    keys -= site_names
    # A heading of the page that the metadata confirms; the longest, as ``Édito | …`` is more
    # of a title than the rubric ``Édito``.
    confirmed = best_title_match(
        [block for block in layout.blocks if block.is_heading and block.chrome in ("", "header")],
        frozenset(keys),
    )
    if confirmed is not None:
        return Found(confirmed.text, confirmed.text, "heading")
    for clean, text, source in declared:
        if fold(clean) not in site_names:
            return Found(clean, text, source)
    if heading and not _is_site_name(heading, site_names):
        return Found(heading, heading, "heading")
    if title_tag:
        return Found(_without_site_name(title_tag, site_names), title_tag, "title-tag")
    return None


def published(reading: PageReading) -> Found | None:
    """The page's publication date, or None: an undated page."""
    if "published" not in reading.memo:
        reading.memo["published"] = (
            site_date(reading) or declared_date(reading) or library_date(reading)
        )
    return reading.memo["published"]


def site_date(reading: PageReading) -> Found | None:
    layout = reading.layout
    if layout.date is not None:
        return Found(layout.date_value, layout.date_raw, "landmark")
    found = date_from_legacy_url(reading.url)
    if found:
        return Found(found.value, found.raw, "url")
    return None


def declared_date(reading: PageReading) -> Found | None:
    """The date the page's metadata declares, and the ``<time>`` beside its title.

    An instant in UTC (``2020-02-25T02:25:54Z``) says less of the publisher's own day than a
    date written with its offset or none: when another declaration falls within a day of it,
    that one is taken.
    """
    declared = list(_declarations(reading))
    if not declared:
        return None
    first = declared[0]
    if _is_utc(first.raw):
        for other in declared[1:]:
            if not _is_utc(other.raw) and abs((other.value - first.value).days) <= 1:
                return other
    return first


def _declarations(reading: PageReading):
    for raw, source in reading.metadata.published():
        value = read_iso_date(raw) or _read(raw, reading)
        if value:
            yield Found(value, raw, source)
    layout = reading.layout
    if layout.title is not None:
        for time in reading.doc.times:
            if layout.title - _BYLINE_BEFORE <= time.position <= layout.title + _BYLINE_AFTER:
                value = read_iso_date(time.datetime) or _read(time.text, reading)
                if value:
                    yield Found(value, time.datetime or time.text, "time")


def _is_utc(raw: str | None) -> bool:
    return bool(raw) and bool(_UTC.search(raw))


def library_date(reading: PageReading) -> Found | None:
    """htmldate, for a page outside the site's frame only: the site's own pages say their
    date where the site prints it, or have none. A date that htmldate found in the teasers
    of other pages (``À lire aussi``) is theirs, not the page's."""
    if reading.layout.framed:
        return None
    found = reading.library_date
    if found is None or found[0] in _teaser_dates(reading):
        return None
    return Found(found[0], found[1], "htmldate")


def _teaser_dates(reading: PageReading) -> set[date]:
    """The dates printed in the teasers of a page: under a linked title, in the few blocks
    that follow it."""
    layout = reading.layout
    dates: set[date] = set()
    teaser_blocks: set[int] = set()
    own = _same_page(reading.url)
    blocks = layout.blocks
    for block in blocks:
        # A teaser: a linked heading, then a lead; a heading linked to the page itself is its
        # permalink, and a link in a menu has no lead under it.
        if (block.index != layout.title and block.links and block.is_heading
                and is_teaser_title(block)
                and _same_page(reading.resolver.absolute(block.links[0][0]) or "") != own):
            card = range(block.index, min(len(blocks), block.index + TEASER_BLOCKS + 1))
            if any(len(blocks[i].text) >= _LEAD and blocks[i].link_density < 0.5 for i in card):
                teaser_blocks.update(card)
    for block in layout.blocks:
        if block.index in teaser_blocks and len(block.text) <= _TEASER_DATE_LINE:
            found = read_date(block.text, reference=reading.captured) or find_published_date(
                block.text, reference=reading.captured)
            if found:
                dates.add(found.value)
    for time in reading.doc.times:
        if time.position in teaser_blocks:
            value = read_iso_date(time.datetime) or _read(time.text, reading)
            if value:
                dates.add(value)
    return dates


def _same_page(url: str) -> str:
    """A URL without its fragment, scheme and final slash: two links to one page compare
    equal."""
    return url.split("#", 1)[0].split("://", 1)[-1].rstrip("/")


def _read(text: str, reading: PageReading) -> date | None:
    found = read_date(text, reference=reading.captured)
    return found.value if found else None


def _site_names(reading: PageReading) -> set[str]:
    """What the site calls itself, folded: its declared names, its host, the profile's title."""
    names = {fold(name) for name in reading.metadata.site_names()}
    host = (urlsplit(reading.url).hostname or "").removeprefix("www.")
    if host:
        names |= {host, host.rsplit(".", 1)[0]}
    names.add(fold(reading.profile.title))
    return {name for name in names if name}


def _is_site_name(text: str, site_names: set[str]) -> bool:
    """``Time 4 talks`` is the site of time4talks.com, ``AOC media - Analyse Opinion Critique``
    the site named ``AOC media``."""
    key = fold(text)
    squeezed = _NOT_ALPHANUMERIC.sub("", key)
    return any(
        key == name or (len(name) >= 4 and key.startswith(name))
        or (len(key) >= 4 and name.startswith(key))  # "Exemple" of exemple-cooperatives.fr
        or squeezed == _NOT_ALPHANUMERIC.sub("", name)
        for name in site_names
    )


def _without_site_name(text: str, site_names: set[str]) -> str:
    """A declared title without the site's name at either end: ``Édito – Les Scop`` → ``Édito``."""
    text = _TRAILING_SEPARATOR.sub("", text.strip())
    while True:
        separators = list(_SEPARATORS.finditer(text))
        if not separators:
            return text
        first, last = separators[0], separators[-1]
        if _is_site_name(text[last.end() :], site_names):
            text = text[: last.start()].strip()
        elif _is_site_name(text[: first.start()], site_names):
            text = text[first.end() :].strip()
        else:
            return text
