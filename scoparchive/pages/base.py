"""What every page object shares: the reading of the page, its title, links and images."""

from __future__ import annotations

import functools

from scoparchive.items import Contact, Image, ParsedPage
from scoparchive.pages import fields
from scoparchive.pages.document import Block, RawImage
from scoparchive.pages.layout import is_logo_line
from scoparchive.pages.reading import PageReading
from scoparchive.pages.urls import contact_from_href
from scoparchive.text.contacts import find_contacts


class PageObject:
    """A page of one type: the reading of a page in, a ParsedPage out."""

    page_type = "unknown"

    def __init__(self, reading: PageReading) -> None:
        self.reading = reading
        self.url = reading.url
        self.layout = reading.layout
        self.profile = reading.profile
        self.resolver = reading.resolver
        # Contacts in the text of each block, found once: a roundup reads its body's contacts,
        # then each item's.
        self._text_contacts: dict[int, list[Contact]] = {}

    @functools.cached_property
    def found_title(self) -> fields.Found | None:
        return fields.title(self.reading)

    @property
    def title(self) -> str | None:
        return self.found_title.value if self.found_title else None

    def to_item(self) -> ParsedPage:
        extraction = {"title": self.found_title.method} if self.found_title else {}
        return ParsedPage(
            url=self.url,
            page_type=self.page_type,
            title=self.title,
            links=self.resolver.links(self.layout.doc.anchors),
            images=self.page_images(),
            extraction=extraction,
        )

    def page_images(self) -> list[Image]:
        """Images of the content: neither chrome nor in the boilerplate teaser block."""
        start = self.layout.header if self.layout.header is not None else 0
        return self.images_between(self.layout.doc.images, start, self.layout.content_end)

    def images_between(self, raws: list[RawImage], start: int, end: int) -> list[Image]:
        images: list[Image] = []
        seen: set[str] = set()
        for raw in raws:
            if raw.chrome or not start <= raw.position <= end:
                continue
            image = self.image(raw)
            if image and image.url not in seen:
                seen.add(image.url)
                images.append(image)
        return images

    def image(self, raw: RawImage) -> Image | None:
        url = self.resolver.absolute(raw.src)
        if not url:
            return None
        return Image(url=url, alt=raw.alt or raw.title or None)

    def contacts_in(self, blocks: list[Block]) -> list[Contact]:
        """Contacts in the text of ``blocks`` and in their mailto:/tel: links, each once."""
        found: list[Contact] = []
        for block in blocks:
            if is_logo_line(block.text):
                continue
            key = id(block)
            text_contacts = self._text_contacts.get(key)
            if text_contacts is None:
                text_contacts = self._text_contacts[key] = find_contacts(block.text)
            found.extend(text_contacts)
            for href, text in block.links:
                contact = contact_from_href(href, text)
                if contact:
                    contact.context = block.text if len(block.text) <= 300 else contact.context
                    found.append(contact)
        return dedupe_contacts(found)


def dedupe_contacts(contacts: list[Contact]) -> list[Contact]:
    seen: set[tuple[str, str]] = set()
    unique: list[Contact] = []
    for contact in contacts:
        key = (contact.kind, contact.value.rstrip("/").lower())
        if key not in seen:
            seen.add(key)
            unique.append(contact)
    return unique
