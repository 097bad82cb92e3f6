"""Page objects: one parse of a page's bytes, then a typed record for its page type.

>>> parsed = parse_page("https://les-scop-idf.coop/x", b"<html>...</html>")

Pure: no I/O. Every field is taken from the most specific evidence the page offers, and the
record says which (``ParsedPage.extraction``): the site's landmarks, then the page's standard
metadata, then libraries made for any page, then nothing (see ``fields``). Class names are never
required; ``profile.selectors`` are an optional first try.
"""

from __future__ import annotations

import logging
from datetime import date

from scoparchive.items import ParsedPage
from scoparchive.pages.article import ArticlePage
from scoparchive.pages.base import PageObject
from scoparchive.pages.classify import classify, is_legacy_url
from scoparchive.pages.document import decode_as_utf8, parse_html, prune, read_html
from scoparchive.pages.layout import analyse, site_text
from scoparchive.pages.listing import HomePage, ListingPage, PressListingPage
from scoparchive.pages.programme import ProgrammePage
from scoparchive.pages.reading import PageReading
from scoparchive.pages.roundup import RoundupPage
from scoparchive.pages.selectors import select
from scoparchive.pages.static import LegacyArticlePage, StaticPage
from scoparchive.pages.urls import Resolver
from scoparchive.profiles import DEFAULT_PROFILE, SiteProfile

__all__ = ["PAGE_OBJECTS", "parse_page"]

log = logging.getLogger(__name__)

PAGE_OBJECTS: dict[str, type[PageObject]] = {
    "home": HomePage,
    "listing": ListingPage,
    "press_listing": PressListingPage,
    "article": ArticlePage,
    "roundup": RoundupPage,
    "programme": ProgrammePage,
    "static": StaticPage,
    "legacy_article": LegacyArticlePage,
    "unknown": PageObject,
}
#: Listings are read without a date line: the first teaser's date is not the page's.
_UNDATED_TYPES = frozenset(("home", "listing", "press_listing"))


def parse_page(
    url: str,
    body: bytes | str,
    *,
    profile: SiteProfile = DEFAULT_PROFILE,
    content_type: str | None = None,
    captured: date | None = None,
) -> ParsedPage:
    """Classify the page and extract its record; never raises (a failure gives "unknown").
    ``captured``: the day the page was captured, which dates a ``le 4 avril`` without a year."""
    try:
        return extract(url, body, profile=profile, content_type=content_type, captured=captured)
    except Exception:  # a crawl of thousands of pages must not stop on one
        log.exception("page object failed on %s", url)
        return ParsedPage(url=url, page_type="unknown", title=None, extraction={"error": "crash"})


def extract(
    url: str,
    body: bytes | str,
    *,
    profile: SiteProfile = DEFAULT_PROFILE,
    content_type: str | None = None,
    captured: date | None = None,
) -> ParsedPage:
    """``parse_page`` without the safety net, for tests that must see every exception."""
    text = site_text(profile)
    html, utf8 = decode_as_utf8(body, content_type)
    doc = read_html(html, text.stands_alone, utf8)
    resolver = Resolver(url, doc.base_href, profile)
    legacy = is_legacy_url(url, profile)
    layout = analyse(doc, text, legacy=legacy, reference=captured)
    reading = PageReading(url, html, doc, layout, text, profile, resolver, captured)
    page_type, type_method = classify(reading)
    if page_type in _UNDATED_TYPES:  # read again as a listing: the fields read so far go
        reading.layout = analyse(doc, text, dated=False, legacy=legacy)
        reading.memo.clear()
    page_class = PAGE_OBJECTS[page_type]
    page: PageObject
    if profile.selectors and issubclass(page_class, ArticlePage):
        root = parse_html(html)  # selectors need the tree before it was read
        if root is not None:
            prune(root)
            overrides, body_texts = select(root, profile.selectors, text.stands_alone)
            page = page_class(reading, overrides=overrides, body_texts=body_texts)
        else:
            page = page_class(reading)
    else:
        page = page_class(reading)
    item = page.to_item()
    item.extraction["page_type"] = type_method
    return item
