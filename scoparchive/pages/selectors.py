"""A profile's optional CSS selectors, tried before the site's landmarks."""

from __future__ import annotations

from functools import lru_cache

from lxml import etree

from scoparchive.pages.document import LineSplitter, read_document
from scoparchive.text.normalise import clean_line

_TEXT_FIELDS = ("title", "rubric", "lead")


@lru_cache(maxsize=64)
def _compiled(selector: str):
    try:  # cssselect comes with Scrapy (parsel); selectors are optional, so is it
        from lxml.cssselect import CSSSelector

        return CSSSelector(selector)
    except Exception:  # ImportError, or one of cssselect's errors on a bad selector
        return None


def _first(root: etree._Element, selector: str) -> etree._Element | None:
    compiled = _compiled(selector)
    if compiled is None:
        return None
    found = compiled(root)
    return found[0] if found else None


def select(
    root: etree._Element, selectors: dict[str, str], split_line: LineSplitter
) -> tuple[dict[str, str], frozenset[str] | None]:
    """Texts of the text fields that matched, and the block texts inside the body selector."""
    overrides: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        if name in selectors:
            element = _first(root, selectors[name])
            text = clean_line("".join(element.itertext())) if element is not None else ""
            if text:
                overrides[name] = text
    body_texts = None
    if "body" in selectors:
        element = _first(root, selectors["body"])
        if element is not None:
            body_texts = frozenset(b.text for b in read_document(element, split_line).blocks)
    return overrides, body_texts
