"""The third layer: libraries made for reading any web page, for pages the site's landmarks do
not explain (a redesign, a sister site's theme, a page of another site).

- the main text by trafilatura, handed back as an HTML tree that the page objects read into
  blocks like any page, so that leads, subheadings, roundup items and contacts are found in it
  the same way;
- the publication date by htmldate, without its extensive search of the text: a date that
  the page does not declare or mark up is not guessed.

Both are imported on the first page that needs them: most pages of the site never do.
"""

from __future__ import annotations

import functools
import logging
from datetime import date

from lxml import etree

log = logging.getLogger(__name__)

#: trafilatura's output elements and the HTML elements that carry the same meaning.
_HTML_TAGS = {"p": "p", "list": "ul", "item": "li", "quote": "blockquote", "lb": "br",
              "table": "table", "row": "tr", "cell": "td", "graphic": "img", "code": "pre",
              "ref": "a", "del": "s", "head": "h2", "hi": "span", "div": "div"}  # fmt: skip
_HI_TAGS = {"#b": "b", "#i": "i", "#u": "u", "#t": "code", "#sub": "sub", "#sup": "sup"}
_HEAD_LEVELS = {f"h{level}": f"h{level}" for level in range(1, 7)}


def main_text(html: str, url: str) -> etree._Element | None:
    """The main text of a page as a ``<body>`` of HTML elements, or None when trafilatura
    finds none."""
    try:
        document = _trafilatura().bare_extraction(
            _library_tree(html), url=url, with_metadata=False, include_comments=False, include_tables=True,
            include_images=False, include_formatting=True, include_links=False, deduplicate=False,
        )  # fmt: skip
    except Exception as error:  # a library failing on one page must not lose the page
        log.warning("trafilatura failed on %s: %s", url, error)
        return None
    body = getattr(document, "body", None)
    if body is None or not len(body):
        return None
    return _as_html(body)


def _library_tree(html: str):
    """The page as trafilatura reads it (its repairs, its parser's settings) but with
    ``huge_tree``: its own parser would stop, silently, at depth 256 or at a text or attribute
    over 10 MB, and the main text past that point would be lost (the page's own parse reads it:
    ``pages.document``)."""
    from lxml import html as lxml_html

    utils = _trafilatura().utils
    parser = _library_parser()
    repaired = utils.repair_faulty_html(html, html[:50].lower())
    try:
        return lxml_html.fromstring(repaired, parser=parser)
    except ValueError:  # "Unicode strings with encoding declaration are not supported"
        return lxml_html.fromstring(repaired.encode("utf-8", "surrogatepass"), parser=parser)


@functools.cache
def _library_parser():
    from lxml import html as lxml_html

    return lxml_html.HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                remove_comments=True, remove_pis=True, huge_tree=True)


def _as_html(body: etree._Element) -> etree._Element:
    """trafilatura's XML (``head rend="h2"``, ``list``/``item``, ``hi rend="#b"``, ``ref
    target``, ``graphic src``) renamed into the HTML elements the page reading knows."""
    for element in body.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue
        rend = element.get("rend") or ""
        if tag == "head":
            element.tag = _HEAD_LEVELS.get(rend, "h2")
        elif tag == "hi":
            element.tag = _HI_TAGS.get(rend, "span")
        elif tag == "list":
            element.tag = "ol" if rend == "ol" else "ul"
        elif tag == "cell":
            element.tag = "th" if element.get("role") == "head" else "td"
        elif tag == "ref":
            element.tag = "a"
            try:
                element.set("href", element.get("target") or "")
            except ValueError:  # a character lxml read but will not write (U+FFFF)
                element.set("href", "")
        elif tag != "body":
            element.tag = _HTML_TAGS.get(tag, "span")
    return body


def published_date(html: str, url: str) -> tuple[date, str] | None:
    """htmldate's reading of the original publication date, from the page's metadata, markup
    and URL only (no extensive search of its text): (date, the value htmldate gave)."""
    try:
        found = _htmldate().find_date(html, url=url, extensive_search=False, original_date=True,
                                      outputformat="%Y-%m-%d")  # fmt: skip
    except Exception as error:
        log.warning("htmldate failed on %s: %s", url, error)
        return None
    if not found:
        return None
    try:
        return date.fromisoformat(found), found
    except ValueError:
        return None


@functools.cache
def _trafilatura():
    import trafilatura

    return trafilatura


@functools.cache
def _htmldate():
    import htmldate

    return htmldate
