"""Everything read from one page, once, that the page objects choose from, layer by layer:

1. the site's landmarks (``layout``: header line, date line, title, teaser block);
2. the page's standard metadata (``doc.metadata``, ``doc.times``);
3. libraries made for any page (``main_text``, ``library_date``), run only when asked for.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

from scoparchive.pages import generic
from scoparchive.pages.document import Document, read_document
from scoparchive.pages.layout import Layout, SiteText
from scoparchive.pages.urls import Resolver
from scoparchive.profiles import SiteProfile


@dataclass
class PageReading:
    url: str
    html: str
    doc: Document
    layout: Layout
    text: SiteText
    profile: SiteProfile
    resolver: Resolver
    #: The day the page was captured, when known: it dates ``le 4 avril`` (no year).
    captured: date | None = None
    #: Fields already read (``fields``): the classifier and the page object ask for the same.
    memo: dict = field(default_factory=dict)

    @property
    def metadata(self):
        return self.doc.metadata

    @functools.cached_property
    def main_text(self) -> Document | None:
        """The page's main text, as trafilatura finds it, read into blocks like any page."""
        body = generic.main_text(self.html, self.url)
        if body is None:
            return None
        document = read_document(body, self.text.stands_alone)
        return document if document.blocks else None

    @functools.cached_property
    def library_date(self) -> tuple[date, str] | None:
        return generic.published_date(self.html, self.url)
