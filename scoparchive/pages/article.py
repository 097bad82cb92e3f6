"""News articles: title, rubric, date line, lead, body, images, links, contacts."""

from __future__ import annotations

from datetime import date

from scoparchive.items import Article, Image, ParsedPage
from scoparchive.pages.base import PageObject
from scoparchive.pages.body import Body, extract_body
from scoparchive.pages.layout import Layout
from scoparchive.pages.urls import Resolver
from scoparchive.profiles import SiteProfile
from scoparchive.text.dates import date_from_legacy_url, find_french_date
from scoparchive.text.normalise import fold

#: How far into the body a written-out date still dates the page (``Communiqué de presse, …``).
_DATED_BLOCKS = 3


class ArticlePage(PageObject):
    page_type = "article"

    def __init__(
        self,
        url: str,
        layout: Layout,
        profile: SiteProfile,
        *,
        overrides: dict[str, str] | None = None,
        body_texts: frozenset[str] | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        super().__init__(url, layout, profile, resolver=resolver)
        self.overrides = overrides or {}
        alts = frozenset(
            fold(raw.alt)
            for raw in layout.doc.images
            if raw.alt and not raw.chrome and raw.position >= layout.content_start
        )
        self.body: Body = extract_body(layout, alts, only=body_texts)

    @property
    def title(self) -> str | None:
        return self.overrides.get("title") or super().title

    @property
    def rubric(self) -> str | None:
        if "rubric" in self.overrides:
            return self.overrides["rubric"]
        index = self.layout.rubric
        return self.layout.blocks[index].text if index is not None else None

    def published(self) -> tuple[date | None, str | None, str | None]:
        """(date, as written, extraction method): the date line, else a date in the text."""
        if self.layout.date is not None:
            return self.layout.date_value, self.layout.blocks[self.layout.date].text, "structural"
        for block in self.body.blocks[:_DATED_BLOCKS]:
            found = find_french_date(block.text)
            if found:
                return found.value, found.raw, "fallback"
        found = date_from_legacy_url(self.url)
        if found:
            return found.value, found.raw, "fallback"
        return None, None, None

    def article(self) -> Article:
        published, published_raw, date_method = self.published()
        body_text = self.body.text()
        extraction = {"title": self._method("title", self.layout.title_method)}
        if date_method:
            extraction["published_date"] = date_method
        if self.rubric:
            extraction["rubric"] = self._method("rubric", "structural")
        if body_text:
            extraction["body_text"] = self._method("body", "structural")
        lead = self.overrides.get("lead") or (self.body.lead.text if self.body.lead else None)
        if lead:
            extraction["lead"] = self._method("lead", "structural")
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
            published_date=published,
            published_date_raw=published_raw,
            lead=lead,
            body_text=body_text,
            body_markdown=self.body.markdown(),
            word_count=len(body_text.split()),
            images=self.article_images(),
            links=links,
            extraction=extraction,
        )

    def _method(self, name: str, found_by: str) -> str:
        return "selector" if name in self.overrides else found_by

    def article_images(self) -> list[Image]:
        """Images from the title down to the teaser block, with captions and credits."""
        layout = self.layout
        start = layout.title if layout.title is not None else (layout.header or 0)
        raws = [
            raw for raw in layout.doc.images
            if not raw.chrome and start <= raw.position <= layout.content_end
        ]  # fmt: skip
        images: list[Image] = []
        for raw in raws:
            image = self.image(raw)
            if image is None or any(known.url == image.url for known in images):
                continue
            image.caption = self.body.captions.get(raw.figure) if raw.figure else None
            images.append(image)
        self._attach_credits(raws, images)
        return images

    def _attach_credits(self, raws: list, images: list[Image]) -> None:
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
