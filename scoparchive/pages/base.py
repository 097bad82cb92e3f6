"""What every page object shares: the parsed layout, URL resolution, page links and images."""

from __future__ import annotations

from scoparchive.items import Contact, Image, ParsedPage
from scoparchive.pages.document import Block, RawImage
from scoparchive.pages.layout import Layout, is_logo_line
from scoparchive.pages.urls import Resolver, contact_from_href
from scoparchive.profiles import SiteProfile
from scoparchive.text.contacts import find_contacts


class PageObject:
    """A page of one type: the url and the parsed document in, a ParsedPage out."""

    page_type = "unknown"

    def __init__(
        self, url: str, layout: Layout, profile: SiteProfile, *, resolver: Resolver | None = None
    ) -> None:
        self.url = url
        self.layout = layout
        self.profile = profile
        # The classifier's resolver, when given: it has joined the page's hrefs already.
        self.resolver = resolver or Resolver(url, layout.doc.base_href, profile)
        # Contacts in the text of each block (by index), found once: a roundup reads its body's
        # contacts, then each item's.
        self._text_contacts: dict[int, list[Contact]] = {}

    @property
    def title(self) -> str | None:
        index = self.layout.title
        return self.layout.blocks[index].text if index is not None else None

    def to_item(self) -> ParsedPage:
        return ParsedPage(
            url=self.url,
            page_type=self.page_type,
            title=self.title,
            links=self.resolver.links(self.layout.doc.anchors),
            images=self.page_images(),
            extraction={"page_type": "structural", "title": self.layout.title_method},
        )

    def page_images(self) -> list[Image]:
        """Images of the content: neither chrome nor in the boilerplate teaser block."""
        start = self.layout.header if self.layout.header is not None else 0
        return self.images_between(start, self.layout.content_end)

    def images_between(self, start: int, end: int) -> list[Image]:
        images: list[Image] = []
        seen: set[str] = set()
        for raw in self.layout.doc.images:
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
            text_contacts = self._text_contacts.get(block.index)
            if text_contacts is None:
                text_contacts = self._text_contacts[block.index] = find_contacts(block.text)
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
