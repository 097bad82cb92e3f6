"""News articles: title, rubric, date, lead, body, images, links, contacts.

The body comes from the site's frame when its landmarks bound the content (between the title and
the teaser block), else from the main text a library finds (``PageReading.main_text``).
"""

from __future__ import annotations

import functools

from scoparchive.items import Article, Image, ParsedPage
from scoparchive.pages import fields
from scoparchive.pages.base import PageObject
from scoparchive.pages.body import Body, extract_body
from scoparchive.pages.document import Block, Document, RawImage
from scoparchive.pages.reading import PageReading
from scoparchive.text.normalise import fold


class ArticlePage(PageObject):
    page_type = "article"

    def __init__(
        self,
        reading: PageReading,
        *,
        overrides: dict[str, str] | None = None,
        body_texts: frozenset[str] | None = None,
    ) -> None:
        super().__init__(reading)
        self.overrides = overrides or {}
        source, blocks, self.body_method = self._body_source(body_texts)
        self.body_doc: Document = source
        self.body_images: list[RawImage] = self._images_of(source)
        alts = frozenset(fold(raw.alt) for raw in self.body_images if raw.alt)
        self.body: Body = extract_body(blocks, reading.text, alts, only=body_texts)

    def _body_source(
        self, body_texts: frozenset[str] | None
    ) -> tuple[Document, list[Block], str | None]:
        """The document the body is read from, its candidate blocks, and the method."""
        layout = self.layout
        if body_texts is not None:
            return layout.doc, layout.content_blocks(), "selector"
        if layout.framed:
            return layout.doc, layout.content_blocks(), "landmark"
        main = self.reading.main_text
        if main is not None:
            _link_as_in_page(main.blocks, layout.doc.blocks)
            return main, [block for block in main.blocks if not block.chrome], "trafilatura"
        return layout.doc, [], None

    def _images_of(self, source: Document) -> list[RawImage]:
        """The images of the body: from the title down to the teaser block; for a main text
        that a library found, those of the page between its first and last paragraph."""
        layout = self.layout
        if source is layout.doc:
            start = layout.title if layout.title is not None else (layout.header or 0)
            end = layout.content_end
        else:
            start, end = _span_in_page(source.blocks, layout.doc.blocks)
        return [
            raw for raw in layout.doc.images
            if not raw.chrome and start <= raw.position <= end
        ]  # fmt: skip

    @functools.cached_property
    def found_title(self) -> fields.Found | None:
        if title := self.overrides.get("title"):
            return fields.Found(title, title, "selector")
        return super().found_title

    @property
    def rubric(self) -> str | None:
        if "rubric" in self.overrides:
            return self.overrides["rubric"]
        index = self.layout.rubric
        return self.layout.blocks[index].text if index is not None else None

    def published(self) -> fields.Found | None:
        return fields.published(self.reading)

    def article(self) -> Article:
        found_date = self.published()
        body_text = self.body.text()
        extraction = {"title": self.found_title.method} if self.found_title else {}
        if found_date:
            extraction["published_date"] = found_date.method
        if self.rubric:
            extraction["rubric"] = "selector" if "rubric" in self.overrides else "landmark"
        if body_text and self.body_method:
            extraction["body_text"] = self.body_method
        lead = self.overrides.get("lead") or (self.body.lead.text if self.body.lead else None)
        if lead:
            extraction["lead"] = "selector" if "lead" in self.overrides else self.body_method
        resolver = self.resolver
        links = [
            link
            for block in self.body.blocks
            for href, text in block.links
            if (link := resolver.link(href, text)) is not None
        ]
        return Article(
            url=self.url,
            title=self.title,
            rubric=self.rubric,
            published_date=found_date.value if found_date else None,
            published_date_raw=found_date.raw if found_date else None,
            lead=lead,
            body_text=body_text,
            body_markdown=self.body.markdown(),
            word_count=len(body_text.split()),
            images=self.article_images(),
            links=links,
            extraction=extraction,
        )

    def article_images(self) -> list[Image]:
        """Images of the body, with captions and credits."""
        images: list[Image] = []
        for raw in self.body_images:
            image = self.image(raw)
            if image is None or any(known.url == image.url for known in images):
                continue
            image.caption = self.body.captions.get(raw.figure) if raw.figure else None
            images.append(image)
        self._attach_credits(self.body_images, images)
        return images

    def _attach_credits(self, raws: list[RawImage], images: list[Image]) -> None:
        """A credit line goes to the nearest image above it, else to the first one below."""
        by_url = {image.url: image for image in images}
        for block_index, credit in self.body.credits:
            above = [raw for raw in raws if raw.position <= block_index]
            below = [raw for raw in raws if raw.position > block_index]
            for raw in [*reversed(above), *below]:
                image = by_url.get(self.resolver.absolute(raw.src) or "")
                if image is not None and image.credit is None:
                    image.credit = credit
                    break

    def to_item(self) -> ParsedPage:
        item = super().to_item()
        item.article = self.article()
        item.title = item.article.title
        item.contacts = self.contacts_in(self.body.blocks)
        item.extraction.update(item.article.extraction)
        return item


def _link_as_in_page(blocks: list[Block], page_blocks: list[Block]) -> None:
    """A library's main text carries no links (asked for, they cost it precision): each of its
    blocks takes the links of the page's block with the same text."""
    by_text = {block.text: block for block in page_blocks if block.links}
    for block in blocks:
        same = by_text.get(block.text)
        if same is not None:
            block.links, block.link_chars = same.links, same.link_chars


def _span_in_page(blocks: list[Block], page_blocks: list[Block]) -> tuple[int, int]:
    """The indexes of the page's blocks where a main text starts and ends (-1, -1: not found)."""
    texts = {block.text for block in blocks}
    found = [block.index for block in page_blocks if block.text in texts]
    return (found[0], found[-1] + 1) if found else (-1, -1)
