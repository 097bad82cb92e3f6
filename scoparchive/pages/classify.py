"""The page type, decided from structure and text: no class names, no section paths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from scoparchive.pages.layout import Layout, is_lire_plus, is_pager
from scoparchive.pages.listing import is_teaser_title
from scoparchive.pages.programme import find_slots
from scoparchive.pages.roundup import count_item_headings
from scoparchive.pages.urls import Resolver
from scoparchive.text.dates import date_from_legacy_url, parse_date_line

_PAGER_HREF = re.compile(r"[?&]page=\d+")
_ROOT_PATHS = frozenset(("", "/", "/index.php", "/index.html", "/index.htm", "/accueil"))
_LEGACY_PATH = re.compile(r"\.html?$", re.I)
_TEASER_GAP = 4  # blocks of a teaser block between two "Lire plus" links, at most


@dataclass
class Signals:
    date_lines: int
    lire_plus: int
    pager: bool
    item_headings: int
    slots: int
    linked_titles: int
    external_titles: int


def teaser_block_span(layout: Layout) -> range:
    """The boilerplate teaser block: its heading down to its last "Lire plus" or pager line."""
    blocks = layout.blocks
    start = layout.teaser
    if start is None:
        return range(0)
    end = start + 1
    gap = 0
    for block in blocks[start + 1 :]:
        if is_lire_plus(block.text) or is_pager(block.text):
            end, gap = block.index + 1, 0
        else:
            gap += 1
            if gap > _TEASER_GAP:
                break
    return range(start, end)


def signals(layout: Layout, resolver: Resolver) -> Signals:
    span = teaser_block_span(layout)
    start = layout.header + 1 if layout.header is not None else 0
    own = [b for b in layout.blocks[start:] if b.index not in span]
    content = [b for b in own if not b.chrome and (layout.title is None or b.index > layout.title)]
    titles = [b for b in content if b.links and is_teaser_title(b)]
    external = 0
    for block in titles:
        url = resolver.absolute(block.links[0][0])
        if url and url.startswith("http") and not resolver.is_internal(url):
            external += 1
    return Signals(
        date_lines=sum(1 for b in content if len(b.text) <= 30 and parse_date_line(b.text)),
        lire_plus=sum(1 for b in content if is_lire_plus(b.text)),
        pager=any("page=" in href and _PAGER_HREF.search(href) for b in own for href, _ in b.links),
        item_headings=count_item_headings(content),
        slots=len(find_slots(content)),
        linked_titles=len(titles),
        external_titles=external,
    )


def classify(url: str, layout: Layout, found: Signals) -> str:
    path = _path(url)
    if path in _ROOT_PATHS:
        return "home"
    if _LEGACY_PATH.search(path) and (date_from_legacy_url(url) or layout.header is None):
        return "legacy_article"
    if found.item_headings >= 3:
        return "roundup"
    if found.external_titles >= 2 and found.external_titles * 2 >= found.linked_titles:
        return "press_listing"
    if found.lire_plus >= 2 or found.pager or found.date_lines >= 3:
        return "listing"
    if found.slots >= 2:
        return "programme"
    if layout.date is not None:
        return "article"
    if layout.title is not None and layout.header is not None:
        return "static"
    return "unknown"


def _path(url: str) -> str:
    try:
        return urlsplit(url).path.rstrip("/").lower() or "/"
    except ValueError:
        return ""
