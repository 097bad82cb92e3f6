"""Listing pages: news teasers (title, date, lead, link) and press items (headline, media)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from scoparchive.items import ParsedPage, Teaser
from scoparchive.pages.base import PageObject
from scoparchive.pages.document import Block
from scoparchive.pages.layout import is_lire_plus, is_logo_line, is_pager
from scoparchive.text.dates import find_published_date, parse_date_line, read_date

_MEDIA_PREFIXES = ("source :", "source:", "média :", "média:", "media :", "publié dans")
_MEDIA_MAX_WORDS = 5
_DATE_LINE_MAX = 80  # characters: a teaser's date line, or a byline


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
        drafts: list[_Draft] = []
        pending_date: tuple | None = None
        for position, block in enumerate(blocks):
            text = block.text
            current = drafts[-1] if drafts else None
            following = blocks[position + 1] if position + 1 < len(blocks) else None
            if is_pager(text):
                continue
            if is_lire_plus(text):
                if current and not current.closed:
                    current.href = current.href or (block.links[0][0] if block.links else None)
                    current.closed = True
                continue
            dated = self._date_line(text)
            if dated:
                date_opens_next = following is not None and is_teaser_title(following)
                if (
                    current
                    and not current.closed
                    and not current.lead_parts
                    and not date_opens_next
                ):
                    _set_date(current.teaser, *dated)
                else:
                    pending_date = dated
                continue
            if self._continues(current, block):
                self._add_to(current, block)
                continue
            if is_teaser_title(block):
                href = block.links[0][0] if block.links else None
                draft = _Draft(Teaser(title=text, url=None), block.index, href)
                if pending_date:
                    _set_date(draft.teaser, *pending_date)
                    pending_date = None
                drafts.append(draft)
        return drafts

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
        if is_logo_line(text):
            teaser.media = teaser.media or text[5:].strip()
        elif lowered.startswith(_MEDIA_PREFIXES):
            teaser.media = text.split(":", 1)[-1].strip() if ":" in text else text[12:].strip()
        elif (
            not draft.lead_parts
            and teaser.media is None
            and len(text.split()) <= _MEDIA_MAX_WORDS
            and not text.endswith((".", "!", "?", "…"))
            and draft.href
            and not draft.href.startswith("/")
            and "://" in draft.href
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


def _host_name(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None
