"""Listing pages: news teasers (title, date, lead, link) and press items (headline, media)."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scoparchive.items import ParsedPage, Teaser
from scoparchive.pages.base import PageObject
from scoparchive.pages.document import Block
from scoparchive.pages.layout import is_lire_plus, is_logo_line, is_pager
from scoparchive.text.dates import parse_date_line

_MEDIA_PREFIXES = ("source :", "source:", "média :", "média:", "media :", "publié dans")
_MEDIA_MAX_WORDS = 5


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


class ListingPage(PageObject):
    page_type = "listing"

    def region(self) -> list[Block]:
        return self.layout.content_blocks()

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
            date = parse_date_line(text)
            if date:
                date_opens_next = following is not None and is_teaser_title(following)
                if (
                    current
                    and not current.closed
                    and not current.lead_parts
                    and not date_opens_next
                ):
                    _set_date(current.teaser, date, text)
                else:
                    pending_date = (date, text)
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
        item.extraction["teasers"] = "structural"
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
