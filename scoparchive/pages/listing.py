"""Listing pages: news teasers (title, date, lead, link) and press items (headline, media)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from scoparchive.items import ParsedPage, Teaser
from scoparchive.pages.base import PageObject
from scoparchive.pages.document import Block
from scoparchive.pages.layout import is_lire_plus, is_logo_line, is_pager
from scoparchive.text.dates import find_date, find_published_date, parse_date_line, read_date

_MEDIA_PREFIXES = ("source :", "source:", "média :", "média:", "media :", "publié dans")
_MEDIA_MAX_WORDS = 5
_DATE_LINE_MAX = 80  # characters: a teaser's date line, or a byline
_KICKER_LINES = 3  # short lines (a date, a newspaper's name) a card may open on
#: Blocks under a teaser's title, at most: its date, lead, newspaper, "Lire plus".
TEASER_BLOCKS = 4
#: What joins a newspaper's name to a date: ``L'Humanité – 10 04 2020``, ``La Tribune, le …``.
_MEDIA_TAIL = re.compile(r"(?:\s*[,–—|·:-]\s*|\s+)(?:(?:le|du|publié le)\s*)?$", re.I)


@dataclass
class _Draft:
    teaser: Teaser
    start: int  # block index of the title
    href: str | None
    closed: bool = False  # a "Lire plus" link ends the teaser
    lead_parts: list[str] = field(default_factory=list)


def is_teaser_title(block: Block) -> bool:
    text = block.text
    if "\n" in text or len(text) > 250 or is_lire_plus(text) or is_pager(text):
        return False
    return block.level > 0 or block.bold or (bool(block.links) and block.link_density >= 0.9)


def until_pager(blocks: list[Block]) -> list[Block]:
    """A listing's own teasers end at its pager (navigation included), or at a heading that
    opens a new section of the page: what follows is another block ("À lire aussi")."""
    first_title: Block | None = None
    for position, block in enumerate(blocks):
        if first_title is None:
            if block.links and is_teaser_title(block):
                first_title = block
            continue
        if is_pager(block.text):
            return blocks[: position + 1]
        if not block.links and 0 < block.level <= (first_title.level or 6):
            return blocks[:position]
    return blocks


class ListingPage(PageObject):
    page_type = "listing"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._kickers: dict[int, tuple | None] = {}  # block index → its reading as a kicker

    def region(self) -> list[Block]:
        """The content; outside the site's frame, up to the pager: teasers after it are
        another block's ("À lire aussi")."""
        layout = self.layout
        if layout.framed:
            return layout.content_blocks()
        blocks = until_pager(layout.blocks[layout.content_start : layout.content_end])
        return [block for block in blocks if not block.chrome]

    def teasers(self) -> list[Teaser]:
        drafts = self._drafts(self.region())
        for position, draft in enumerate(drafts):
            end = drafts[position + 1].start if position + 1 < len(drafts) else None
            self._finish(draft, end)
        # Section headings and "all news" links are not teasers: a teaser links and says something.
        return [
            draft.teaser
            for draft in drafts
            if draft.teaser.url and (draft.teaser.lead or draft.teaser.published_date)
        ]

    def _drafts(self, blocks: list[Block]) -> list[_Draft]:
        """The teasers of a listing, card by card. A card's title may come after short lines
        of its own (a date, the newspaper's name: ``L'Humanité – 10 04 2020``) as well as
        before its lead: those lines go to the title they open on."""
        drafts: list[_Draft] = []
        pending: list[tuple[str | None, tuple[date, str] | None]] = []
        card_start: int | None = None  # the first line of the card whose title is to come
        for position, block in enumerate(blocks):
            text = block.text
            current = drafts[-1] if drafts else None
            if is_pager(text):
                continue
            if is_lire_plus(text):
                if current and not current.closed:
                    current.href = current.href or (block.links[0][0] if block.links else None)
                    current.closed = True
                continue
            kicker = self._kicker(block)
            if kicker is not None:
                if self._opens_next(blocks, position):
                    pending.append(kicker)
                    card_start = block.index if card_start is None else card_start
                    continue
                if current and not current.closed and not current.lead_parts and (
                    kicker[1] or _is_press(current)
                ):
                    _apply(current, [kicker])
                    continue
            if self._continues(current, block):
                self._add_to(current, block)
                continue
            if is_teaser_title(block):
                href = block.links[0][0] if block.links else None
                start = card_start if card_start is not None else block.index
                draft = _Draft(Teaser(title=text, url=None), start, href)
                _apply(draft, pending)
                pending, card_start = [], None
                drafts.append(draft)
        return drafts

    def _kicker(self, block: Block) -> tuple[str | None, tuple[date, str] | None] | None:
        """A short line of a card that is neither its title nor its lead: (media, (date, as
        written)), either may be None: ``04 04 2020``, ``Publié le 4 avril 2020``, ``Le
        Parisien``, ``L'Humanité – 10 04 2020``, ``La Tribune, le 18 juillet 2024``."""
        if block.index not in self._kickers:
            self._kickers[block.index] = self._read_kicker(block)
        return self._kickers[block.index]

    def _read_kicker(self, block: Block) -> tuple[str | None, tuple[date, str] | None] | None:
        text = block.text
        if block.links or "\n" in text or len(text) > _DATE_LINE_MAX or block.is_heading:
            return None
        dated = self._date_line(text)
        if dated:
            return None, dated
        found = find_date(text, reference=self.reading.captured)
        if found and text.rstrip(" .").endswith(found.raw):
            media = _MEDIA_TAIL.sub("", text[: text.rfind(found.raw)])
            return (media or None), (found.value, found.raw)
        if _may_be_media(text):
            return text, None
        return None

    def _opens_next(self, blocks: list[Block], position: int) -> bool:
        """Whether the lines from ``position`` on are the opening of the next card: short lines
        only, then a title (of a press item, for a newspaper's name without a date)."""
        dated = False
        for block in blocks[position : position + _KICKER_LINES + 1]:
            if is_teaser_title(block):
                href = block.links[0][0] if block.links else ""
                return dated or ("://" in href and not self.resolver.is_internal(
                    self.resolver.absolute(href) or ""))
            kicker = self._kicker(block)
            if kicker is None:
                return False
            dated = dated or kicker[1] is not None
        return False

    def _date_line(self, text: str) -> tuple[date, str] | None:
        """A teaser's date line (``04 04 2020``), or its byline (``Publié le 4 avril 2020``):
        (date, as written)."""
        if len(text) > _DATE_LINE_MAX:
            return None
        value = parse_date_line(text)
        if value:
            return value, text
        found = read_date(text, reference=self.reading.captured) or find_published_date(
            text, reference=self.reading.captured)
        return (found.value, found.raw) if found else None

    @staticmethod
    def _continues(current: _Draft | None, block: Block) -> bool:
        """A block under a teaser's title: its lead, even when the whole card is one link."""
        if current is None or current.closed:
            return False
        if block.level == 0 and not block.bold and block.links and current.href:
            return block.links[0][0] == current.href
        return not is_teaser_title(block)

    @staticmethod
    def _add_to(draft: _Draft, block: Block) -> None:
        for line in block.lines:
            ListingPage._add_line(draft, line)

    @staticmethod
    def _add_line(draft: _Draft, text: str) -> None:
        teaser = draft.teaser
        lowered = text.casefold()
        if is_logo_line(text) or lowered.startswith(_MEDIA_PREFIXES):
            teaser.media = teaser.media or _media_name(text)
        elif not draft.lead_parts and teaser.media is None and _is_press(draft) and (
            _may_be_media(text)
        ):
            teaser.media = text  # a press item names its newspaper under the headline
        else:
            draft.lead_parts.append(text)

    def _finish(self, draft: _Draft, end: int | None) -> None:
        teaser = draft.teaser
        if draft.href:
            link = self.resolver.link(draft.href, teaser.title)
            teaser.url = link.url if link else None
        teaser.lead = "\n\n".join(draft.lead_parts) or None
        if teaser.media is None:
            teaser.media = self._logo_media(draft.start, end)

    def _logo_media(self, start: int, end: int | None) -> str | None:
        for raw in self.layout.doc.images:
            in_teaser = raw.position >= start and (end is None or raw.position < end)
            if in_teaser and is_logo_line(raw.alt):
                return raw.alt[5:].strip()
        return None

    def to_item(self) -> ParsedPage:
        item = super().to_item()
        item.teasers = self.teasers()
        item.contacts = self.contacts_in(self.region())
        item.extraction["teasers"] = "landmark" if self.layout.framed else "structure"
        return item


class PressListingPage(ListingPage):
    """ "On parle de nous": items link to the newspapers' sites and name them."""

    page_type = "press_listing"

    def teasers(self) -> list[Teaser]:
        teasers = super().teasers()
        for teaser in teasers:
            if teaser.media is None and teaser.url and not self.resolver.is_internal(teaser.url):
                teaser.media = _host_name(teaser.url)
        return teasers


class HomePage(ListingPage):
    page_type = "home"


def _set_date(teaser: Teaser, value, raw: str) -> None:
    teaser.published_date = value
    teaser.published_date_raw = raw


def _apply(draft: _Draft, kickers: list[tuple[str | None, tuple[date, str] | None]]) -> None:
    """A card's short lines to its teaser: the first date, the first newspaper's name."""
    teaser = draft.teaser
    for media, dated in kickers:
        if dated and teaser.published_date is None:
            _set_date(teaser, *dated)
        if media and teaser.media is None:
            teaser.media = _media_name(media)


def _media_name(text: str) -> str:
    """``Source : La Tribune``, ``Logo La Tribune``, ``Publié dans La Tribune`` → ``La Tribune``."""
    lowered = text.casefold()
    if is_logo_line(text):
        return text[5:].strip()
    if lowered.startswith(_MEDIA_PREFIXES):
        return text.split(":", 1)[-1].strip() if ":" in text else text[12:].strip()
    return text


def _is_press(draft: _Draft) -> bool:
    """A press item: its title links to another site."""
    return bool(draft.href) and not draft.href.startswith("/") and "://" in draft.href


def _may_be_media(text: str) -> bool:
    """A newspaper's name: a few words, not a sentence."""
    return len(text.split()) <= _MEDIA_MAX_WORDS and not text.endswith((".", "!", "?", "…", ":"))


def _host_name(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None
