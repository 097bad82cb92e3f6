"""Where things are on a page of the site, found from the text and the order of blocks.

The landmarks are lines of text the site always prints: the header line ``Bienvenue sur le site
de votre Union Régionale`` at the top, the ``DD MM YYYY`` date line under an article's title, and
the ``Les dernières actualités`` heading of the boilerplate teasers at the bottom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from scoparchive.pages.document import Block, Document
from scoparchive.profiles import SiteProfile
from scoparchive.text.dates import DateMatch, find_published_date, parse_date_line
from scoparchive.text.departments import parse_item_heading
from scoparchive.text.normalise import fold

_GENERIC_HEADER = re.compile(r"^bienvenue sur le site de (?:votre|la|l')")
_LIRE_PLUS = re.compile(
    r"^(?:lire|en savoir|voir|découvrir)\s+(?:plus|la suite|l'article|la suite de l'article)"
    r"\s*(?:\.\.\.|…|\.)?\s*[>»›→]?$",
    re.I,
)
#: Pager tokens: ``prev``, ``next``, ``‹ précédent``, ``<< 1 [2] 3 >>``, ``première page``.
_PAGER_TOKEN = (
    r"(?:[«‹<>›»]{1,2}|\[\d{1,3}\]|\d{1,3}|prev|next|previous|précédent|precedent|suivant|"
    r"suivante|première|dernière|premier|dernier|page|…|\.\.\.|\|)"
)
#: A line of pager tokens only. ``\s`` is what ``str.split`` splits on: one match does the work
#: of a split and a match per token.
_PAGER = re.compile(rf"\s*{_PAGER_TOKEN}(?:\s+{_PAGER_TOKEN})*\s*", re.I)
#: An image file name or an alt text printed as a line: ``bandeau-ScopScicSolidaires``.
_FILE_NAME = re.compile(
    r"^(?:[\w.\-]*[\-_][\w.\-]*|[\w.\-]+\.(?:jpe?g|png|gif|webp|svg|tiff?|bmp))$", re.I
)
_CREDIT = re.compile(r"^(?:cr[ée]dits?(?:\s+photos?)?|photos?|©|\(c\)|copyright)\s*[:\-–]?\s*\S",
                     re.I)  # fmt: skip
_LOGO_LINE = re.compile(r"^logo\s+\S.{0,60}$", re.I)
_FOOTER_TEXT = re.compile(
    r"©\s*(?:\d{4}|copyright)|\btous droits réservés\b|\bmentions légales\b|\bplan du site\b|"
    r"\bpolitique de confidentialité\b|\bgestion des cookies\b",
    re.I,
)
_SHARE = re.compile(
    r"^(?:partager|imprimer|retour|tweet|facebook|twitter|linkedin|instagram|youtube|envoyer|"
    r"haut de page|s'abonner|newsletter|étiquettes|tags|mots-clés|mots clés|catégories|"
    r"rubriques)\b",
    re.I,
)
_TITLE_TAG_SEPARATORS = re.compile(r"\s+[|–—-]\s+")
_SENTENCE_END = (".", "!", "?", ";", ",")
#: Where a date line or a byline may sit, around the title (in blocks), when no date line
#: stands where the site prints it.
_DATE_BEFORE_TITLE, _DATE_AFTER_TITLE = 2, 4
_BYLINE_MAX = 200  # characters: a byline is a short line


@dataclass(frozen=True)
class SiteText:
    """The profile's landmark lines, folded once for comparisons."""

    header_lines: frozenset[str]
    teaser_headings: frozenset[str]
    #: First letters of the landmark lines, in either case: a cheap test first, these run on
    #: every line.
    header_initials: frozenset[str] = frozenset("bB")
    teaser_initials: frozenset[str] = frozenset()

    def is_header_line(self, text: str) -> bool:
        if len(text) > 120 or text[:1] not in self.header_initials:
            return False
        key = fold(text).rstrip(" !.")
        return key in self.header_lines or bool(_GENERIC_HEADER.match(key) and len(key) < 90)

    def is_teaser_heading(self, text: str) -> bool:
        if len(text) >= 60 or text[:1] not in self.teaser_initials:
            return False
        return fold(text).rstrip(" :") in self.teaser_headings

    def stands_alone(self, line: str, bold: bool) -> bool:
        """Lines that are blocks of their own even when only a ``<br>`` separates them."""
        if len(line) > 150:  # too long for any test below but the logo line's
            return is_logo_line(line)
        if bold:
            return True
        return (
            parse_date_line(line) is not None
            or is_boilerplate_line(line)
            or (len(line) <= 120 and line.endswith((")", "):")) and is_item_heading(line))
            or self.is_header_line(line)
            or self.is_teaser_heading(line)
        )


def site_text(profile: SiteProfile) -> SiteText:
    return _site_text(profile.header_lines, profile.teaser_headings)


@lru_cache(maxsize=32)
def _site_text(header_lines: tuple[str, ...], teaser_headings: tuple[str, ...]) -> SiteText:
    headers = frozenset(fold(line).rstrip(" !.") for line in header_lines)
    teasers = frozenset(fold(line).rstrip(" :") for line in teaser_headings)
    return SiteText(
        header_lines=headers,
        teaser_headings=teasers,
        header_initials=_either_case({"b", *(line[:1] for line in headers)}),
        teaser_initials=_either_case({line[:1] for line in teasers}),
    )


def _either_case(letters: set[str]) -> frozenset[str]:
    return frozenset(variant for letter in letters
                     for variant in (letter, letter.upper(), letter.lower()))  # fmt: skip


#: The letters that can open a match of _LIRE_PLUS, and of _PAGER (after blanks, or a digit):
#: most lines fail these tests before the patterns run. (IGNORECASE folds "s" with "ſ" too.)
_LIRE_PLUS_INITIALS = "lLeEvVdD"
_PAGER_INITIALS = "«‹<>›»[pPnNsSſdD….|"


def is_lire_plus(text: str) -> bool:
    return len(text) < 40 and text[:1] in _LIRE_PLUS_INITIALS and bool(_LIRE_PLUS.match(text))


def is_pager(text: str) -> bool:
    if len(text) > 80:
        return False
    first = text[:1]
    if not (first in _PAGER_INITIALS or first.isdecimal() or first.isspace()):
        return False
    return _PAGER.fullmatch(text) is not None


def is_file_name(text: str) -> bool:
    return (
        " " not in text
        and "@" not in text
        and "www." not in text
        and "://" not in text
        and 5 <= len(text) <= 120
        and bool(_FILE_NAME.match(text))
    )


def is_credit(text: str) -> bool:
    return len(text) <= 150 and bool(_CREDIT.match(text)) and not is_footer_text(text)


def is_logo_line(text: str) -> bool:
    return bool(_LOGO_LINE.match(text))


def is_boilerplate_line(text: str) -> bool:
    """Non-prose lines that can sit among body paragraphs."""
    return (
        is_lire_plus(text)
        or is_pager(text)
        or is_file_name(text)
        or is_credit(text)
        or is_logo_line(text)
    )


def is_item_heading(text: str) -> bool:
    return parse_item_heading(text) is not None


def is_footer_text(text: str) -> bool:
    return len(text) < 400 and bool(_FOOTER_TEXT.search(text))


def is_share_line(block: Block) -> bool:
    return len(block.text) < 60 and bool(_SHARE.match(block.text))


def title_tag_keys(title_tag: str | None) -> frozenset[str]:
    """What the page's own title can be, given ``<title>``: the whole of it, or what is left
    once a site name is cut at a separator, at either end (``Édito | Duralex - Les Scop``)."""
    if not title_tag:
        return frozenset()
    keys = {fold(title_tag)}
    for match in _TITLE_TAG_SEPARATORS.finditer(title_tag):
        keys.add(fold(title_tag[: match.start()]))
        keys.add(fold(title_tag[match.end() :]))
    return frozenset(key for key in keys if key)


def best_title_match(blocks: list[Block], keys: frozenset[str]) -> Block | None:
    """The candidate equal to the longest key: ``Édito | …`` wins over the rubric ``Édito``."""
    if not keys:
        return None
    matching = [block for block in blocks if fold(block.text) in keys]
    return max(matching, key=lambda block: len(block.text)) if matching else None


@dataclass
class Layout:
    """The indexes (into ``doc.blocks``) of the page's landmarks."""

    doc: Document
    text: SiteText
    header: int | None
    date: int | None  # the date line, or the byline holding the date
    date_value: date | None
    date_raw: str | None  # the date as written there
    title: int | None
    title_method: str  # "landmark" (found by the site's landmarks), "heading" (any page's)
    rubric: int | None
    content_start: int  # first block after the title and date line
    content_end: int  # the boilerplate teaser heading, or the end of the page
    teaser: int | None  # the first teaser heading of the page (it may sit above content_start)
    #: Whether the site's landmarks frame the page: its header line, its teaser block, or a URL of
    #: its older generation. Outside that frame, the page is read as any page of the web.
    framed: bool = True

    @property
    def blocks(self) -> list[Block]:
        return self.doc.blocks

    def content_blocks(self) -> list[Block]:
        """Blocks between the title (or date line) and the teaser block, chrome left out."""
        return [
            block
            for block in self.doc.blocks[self.content_start : self.content_end]
            if not block.chrome
        ]


def analyse(
    doc: Document,
    text: SiteText,
    *,
    dated: bool = True,
    legacy: bool = False,
    reference: date | None = None,
) -> Layout:
    """Find the landmarks; ``dated=False`` reads a listing, whose date lines are its teasers';
    ``legacy``: the URL is one of the site's older generation, which printed no header line;
    ``reference``: the day the page was captured, which dates a byline without a year."""
    blocks = doc.blocks
    header_initials = text.header_initials  # the first test of is_header_line, without its call
    header = next(
        (b.index for b in blocks if b.text[:1] in header_initials and text.is_header_line(b.text)),
        None,
    )
    after_header = header + 1 if header is not None else 0
    # The teaser heading bounds the search for the date line and the content, and classify
    # reads the teaser block under it: found once, in one scan that stops there.
    initials = text.teaser_initials  # is_teaser_heading's first test, without its call
    teaser = next(
        (b.index for b in blocks
         if b.text[:1] in initials and text.is_teaser_heading(b.text)),
        None,
    )  # fmt: skip
    framed = header is not None or teaser is not None or legacy
    dating: DateMatch | None = None
    date_index = None
    if framed and dated:
        date_end = _next_teaser(blocks, after_header, teaser, text)
        date_index, dating = _find_date_line(blocks, after_header, date_end)
    if date_index is not None:
        title, method = _title_around_date(doc, date_index, after_header, text)
    else:
        # The main heading first, then a date beside it: a date line, or a byline (``Publié le
        # 4 avril 2020 par …``); never a dated link of a sidebar.
        title, method = _title_without_date(doc, after_header if framed else 0, text)
        if dated and title is not None:
            date_index, dating = _find_date_beside(blocks, title, reference)
    if framed and title is not None:
        method = "landmark"
    rubric = _find_rubric(blocks, title, after_header, text) if framed and title is not None \
        else None
    if date_index is not None:
        start = max(date_index, title if title is not None else -1) + 1
    elif title is not None:
        start = title + 1
    else:
        start = after_header
    end = _next_teaser(blocks, start, teaser, text)
    return Layout(
        doc, text, header, date_index, dating.value if dating else None,
        dating.raw if dating else None, title, method, rubric, start, end, teaser, framed,
    )  # fmt: skip


def _next_teaser(blocks: list[Block], start: int, first: int | None, text: SiteText) -> int:
    """The first teaser heading from ``start`` on, or the end of the page; ``first`` is the
    page's first one (None: the page has none)."""
    if first is None:
        return len(blocks)
    if first >= start:
        return first
    return next(
        (b.index for b in blocks[start:] if text.is_teaser_heading(b.text)),
        len(blocks),
    )


def _find_date_line(
    blocks: list[Block], start: int, end: int
) -> tuple[int | None, DateMatch | None]:
    """The first date line from ``start`` to ``end`` (the teaser heading)."""
    for block in blocks[start:end]:
        if len(block.text) <= 30 and not block.links:
            value = parse_date_line(block.text)
            if value:
                return block.index, DateMatch(value, block.text)
    return None, None


def _find_date_beside(
    blocks: list[Block], title: int, reference: date | None
) -> tuple[int | None, DateMatch | None]:
    """A date line or a byline a few blocks from the title."""
    for block in blocks[max(0, title - _DATE_BEFORE_TITLE) : title + _DATE_AFTER_TITLE + 1]:
        if block.index == title or len(block.text) > _BYLINE_MAX:
            continue
        value = parse_date_line(block.text) if not block.links else None
        if value:
            return block.index, DateMatch(value, block.text)
        found = find_published_date(block.text, reference=reference)
        if found:
            return block.index, found
    return None, None


def _is_title_candidate(block: Block, text: SiteText) -> bool:
    return (
        len(block.text) <= 250
        and block.tag != "li"
        and len(block.links) <= 1
        and not text.is_header_line(block.text)
        and not text.is_teaser_heading(block.text)
        and not is_boilerplate_line(block.text)
        and parse_date_line(block.text) is None
    )


def _title_around_date(
    doc: Document, date_index: int, start: int, text: SiteText
) -> tuple[int | None, str]:
    """The title is printed just above the date line (a theme may print it just below)."""
    blocks = doc.blocks
    before = [
        b for b in reversed(blocks[max(start, date_index - 4) : date_index])
        if _is_title_candidate(b, text)
    ]  # fmt: skip
    after = blocks[date_index + 1] if date_index + 1 < len(blocks) else None
    near = [*before, after] if after is not None else before
    matching = best_title_match(near, title_tag_keys(doc.title_tag))
    if matching is not None:
        return matching.index, "heading"
    heading_before = next((b for b in before if b.is_heading), None)
    if (
        after is not None
        and after.level == 1
        and (heading_before is None or heading_before.level != 1)
    ):
        return after.index, "heading"
    if heading_before is not None:
        return heading_before.index, "heading"
    if before:
        return before[0].index, "heading"
    return None, ""


def _title_without_date(doc: Document, start: int, text: SiteText) -> tuple[int | None, str]:
    blocks = doc.blocks[start:]

    def plausible(block: Block) -> bool:
        """The cheap part of ``candidate``."""
        return (
            block.chrome in ("", "header")
            and len(block.text) <= 250
            and block.tag != "li"
            and len(block.links) <= 1
        )

    def candidate(block: Block) -> bool:
        # A page header of a theme can be a <header> outside <main>: only menus and footers
        # are out.
        return block.chrome in ("", "header") and _is_title_candidate(block, text)

    # The first <h1> among the candidates, found without testing every block; then the
    # candidates that match the <title>, then the first heading candidate. The cheap tests come
    # first: ``candidate`` runs a dozen patterns, so it only confirms.
    h1 = next((b for b in blocks if b.level == 1 and candidate(b)), None)
    if h1 is not None:
        return h1.index, "heading"
    keys = title_tag_keys(doc.title_tag)
    if keys:
        matching = best_title_match(
            [b for b in blocks if plausible(b) and fold(b.text) in keys and candidate(b)], keys
        )
        if matching is not None:
            return matching.index, "heading"
    heading = next(
        (b for b in blocks
         if b.is_heading and not b.text.endswith(_SENTENCE_END) and candidate(b)),
        None,
    )  # fmt: skip
    if heading is not None:
        return heading.index, "heading"
    return None, ""


def _find_rubric(blocks: list[Block], title: int, start: int, text: SiteText) -> int | None:
    """A short line just above the title (``La force du réseau``), not part of a menu."""
    if title - 1 < start:
        return None
    block = blocks[title - 1]
    if (
        len(block.text) > 80
        or len(block.text.split()) > 8
        or block.tag == "li"
        or len(block.links) > 1
        or block.text.endswith(_SENTENCE_END)
        or not _is_title_candidate(block, text)
        or is_footer_text(block.text)
        or (block.chrome and not blocks[title].chrome)
    ):
        return None
    above = blocks[title - 2] if title - 2 >= start else None
    if block.links and above is not None and above.tag == block.tag and above.link_density > 0.8:
        return None  # the last item of a menu of one-link blocks
    return block.index
