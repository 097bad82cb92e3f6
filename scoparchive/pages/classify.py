"""The page type, from the signals a page gives, strongest first: never from one landmark alone.

- the URL's shape: the home page, the site's legacy ``/YYYYMMDD,key.htm`` pages, listing paths
  (``?page=N``, ``/page/2``, ``/category/…``, ``/tag/…``);
- the site's landmarks: item headings ``Name (75)`` (a roundup), the date line under the title;
- the page's declared type: ``og:type`` and schema.org ``@type`` (JSON-LD, microdata);
- its structure: repeated teasers, ``Lire plus`` links and a pager (a listing), time slots (a
  programme), a dated heading (an article).

A page that declares itself an article, or prints its date under its title, is never a listing,
whatever teasers it carries below its text.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from scoparchive.pages import fields
from scoparchive.pages.document import Block
from scoparchive.pages.layout import Layout, is_footer_text, is_lire_plus, is_pager
from scoparchive.pages.listing import TEASER_BLOCKS, is_teaser_title, until_pager
from scoparchive.pages.programme import find_slots
from scoparchive.pages.reading import PageReading
from scoparchive.pages.roundup import item_heading
from scoparchive.pages.urls import Resolver
from scoparchive.profiles import SiteProfile
from scoparchive.text.dates import date_from_legacy_url, parse_date_line

_PAGER_HREF = re.compile(r"[?&]page=\d+")
_ROOT_PATHS = frozenset(("", "/", "/index.php", "/index.html", "/index.htm", "/accueil"))
_LEGACY_PATH = re.compile(r"\.html?$", re.I)
#: Paths of listings on most CMSs: ``/page/2``, ``/category/x``, ``/tag/x``, ``/rubrique/x``.
_LISTING_PATH = re.compile(
    r"/(?:page/\d+|category|categorie|tag|tags|rubrique|archives?|author|auteur)(?:/|$)", re.I
)
_TEASER_GAP = 4  # blocks of a teaser block between two "Lire plus" links, at most
#: The share of a listing's content in teasers, at least: an article citing sources, or followed
#: by related links, is mostly prose.
_LISTING_SHARE = 0.8
_PROSE = 150  # characters: a paragraph, not a label, a menu or a line of a footer
_INTRODUCTION = 3  # blocks a listing may open on before its teasers: its title, an introduction


@dataclass
class Signals:
    date_lines: int
    lire_plus: int
    pager: bool
    item_headings: int
    coded_headings: int  # item headings with department codes
    slots: int
    #: Blocks of the content whose first link leaves the site: press items link so.
    leaving_links: int
    #: The blocks after the header line, the teaser block left out (chrome included), and
    #: the title's index: where the teasers are looked for, when the counts above hint at them.
    own: list[Block]
    title: int
    resolver: Resolver

    @functools.cached_property
    def titles(self) -> list[Block]:
        """The linked titles of the teasers, up to the listing's pager."""
        after_title = [block for block in self.own if block.index > self.title]
        return [block for block in until_pager(after_title)
                if not block.chrome and block.links and is_teaser_title(block)]  # fmt: skip

    @functools.cached_property
    def external_titles(self) -> int:
        return sum(1 for block in self.titles if _leaves(block, self.resolver))

    def is_press(self) -> bool:
        """Items that link to newspapers' sites, as "On parle de nous" lists them."""
        return (self.leaving_links >= 2 and self.external_titles >= 2
                and self.external_titles * 2 >= len(self.titles))  # fmt: skip

    def is_news(self) -> bool:
        return self.lire_plus >= 2 or self.pager or self.date_lines >= 3

    def teaser_share(self) -> float:
        """The share of the text in teasers (linked titles and the few blocks under each),
        against the prose outside them: menus, pagers and short lines do not count. A page
        that opens on prose of its own is no listing, whatever teasers follow it ("À lire
        aussi")."""
        title_indexes = {block.index for block in self.titles}
        covered = prose = own_blocks = 0
        since_title = TEASER_BLOCKS
        # From the header on: under a date line taken for the page's, the first teaser's title
        # would be the page's.
        for block in self.own:
            if block.chrome:
                continue
            if block.index in title_indexes:
                since_title = 0
            elif since_title < TEASER_BLOCKS:
                since_title += 1
            else:
                if not covered and block.link_density < 0.5:
                    own_blocks += 1
                    if own_blocks > _INTRODUCTION:
                        return 0.0
                if _is_prose(block):
                    prose += len(block.text)
                continue
            covered += len(block.text)
        return covered / (covered + prose) if covered else 0.0


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


def _is_prose(block: Block) -> bool:
    return (len(block.text) >= _PROSE and block.link_density < 0.5
            and not is_footer_text(block.text))  # fmt: skip


def signals(layout: Layout, resolver: Resolver) -> Signals:
    """The counts that tell a page's type, in one pass over its blocks from the header line
    on, the boilerplate teaser block left out."""
    span = teaser_block_span(layout)
    start = layout.header + 1 if layout.header is not None else 0
    title = layout.title if layout.title is not None else -1
    own: list[Block] = []  # chrome included
    content: list[Block] = []  # after the title, chrome left out
    date_lines = lire_plus = item_headings = coded_headings = leaving_links = 0
    pager = False
    for block in layout.blocks[start:]:
        if block.index in span:
            continue
        own.append(block)
        links = block.links
        if links and not pager:
            pager = any("page=" in href and _PAGER_HREF.search(href) for href, _ in links)
        if block.index <= title or block.chrome:
            continue
        content.append(block)
        text = block.text
        if len(text) <= 30 and parse_date_line(text):
            date_lines += 1
        elif is_lire_plus(text):
            lire_plus += 1
        elif parsed := item_heading(block):
            item_headings += 1
            coded_headings += bool(parsed[1])
        elif links and "://" in links[0][0] and _leaves(block, resolver):
            leaving_links += 1
    return Signals(
        date_lines=date_lines,
        lire_plus=lire_plus,
        pager=pager,
        item_headings=item_headings,
        coded_headings=coded_headings,
        slots=len(find_slots(content)),
        leaving_links=leaving_links,
        own=own,
        title=title,
        resolver=resolver,
    )


def _leaves(block: Block, resolver: Resolver) -> bool:
    """Whether the block's first link leads to another site."""
    url = resolver.absolute(block.links[0][0])
    return bool(url) and url.startswith("http") and not resolver.is_internal(url)


def classify(reading: PageReading) -> tuple[str, str]:
    """(page type, the kind of evidence that decided it: an ``items.EXTRACTION_METHODS`` name)."""
    url, layout = reading.url, reading.layout
    path = _path(url)
    if path in _ROOT_PATHS:
        return "home", "url"
    if is_legacy_url(url, reading.profile) and (
        layout.header is None or date_from_legacy_url(url) is not None
    ):
        return "legacy_article", "url"
    found = signals(layout, reading.resolver)
    if found.item_headings >= 3 and found.coded_headings >= 2:
        return "roundup", "landmark"
    if declared := reading.metadata.says_article():
        return ("programme" if found.slots >= 2 else "article"), declared
    press = found.is_press()
    if (press or found.is_news()) and found.teaser_share() >= _LISTING_SHARE:
        return ("press_listing" if press else "listing"), "structure"
    if layout.date is not None:
        return ("programme" if found.slots >= 2 else "article"), "landmark"
    if listing := reading.metadata.says_listing():
        return "listing", listing
    if _LISTING_PATH.search(path) or "page=" in urlsplit(url).query:
        return "listing", "url"
    if found.slots >= 2:
        return "programme", "structure"
    dated = fields.published(reading)
    if dated is not None:
        return "article", dated.method
    if fields.title(reading) is not None and (layout.framed or reading.main_text is not None):
        return "static", "landmark" if layout.framed else "structure"
    return "unknown", ""


def is_legacy_url(url: str, profile: SiteProfile) -> bool:
    """A URL of the site's older generation, on the profile's hosts: an ``.htm`` page
    (``/actualite-presse/actualite/20141126,key.htm``), or one of the profile's
    ``legacy_urls`` (a SPIP site's ``/spip.php?article42``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if host is None or host.lower() not in profile.hosts:
        return False
    return bool(_LEGACY_PATH.search(_path(url))) or profile.is_legacy_path(parts.path, parts.query)


def _path(url: str) -> str:
    try:
        return urlsplit(url).path.rstrip("/").lower() or "/"
    except ValueError:
        return ""
