"""A page's standard metadata: what any site may declare about itself, whatever its theme.

JSON-LD and microdata are read by extruct, made for exactly this; the ``<meta>`` of the head
(OpenGraph's ``<meta property>``, ``<meta name>``) by one look at it. Nothing here judges the
values: the page objects choose among them, layer by layer.
"""

from __future__ import annotations

import functools
import html
import logging
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from scoparchive.text.normalise import clean_line

log = logging.getLogger(__name__)

#: schema.org types of a single news or blog article (and their common misspellings in case).
ARTICLE_TYPES = frozenset(
    [
        "article", "newsarticle", "blogposting", "reportagenewsarticle",
        "opinionnewsarticle", "analysisnewsarticle", "backgroundnewsarticle",
        "reviewnewsarticle", "askpublicnewsarticle", "satiricalarticle", "scholarlyarticle",
        "techarticle", "report", "liveblogposting", "socialmediaposting", "pressrelease",
    ]
)  # fmt: skip
#: schema.org types of a page listing other pages.
LISTING_TYPES = frozenset(("collectionpage", "itemlist", "searchresultspage", "blog"))
#: OpenGraph types of a single article.
OG_ARTICLE_TYPES = frozenset(("article", "news", "blog", "blogpost", "news_article"))
#: Dublin Core names of the date a text was issued, as ``<meta name>`` carries them.
DUBLIN_CORE_DATES = ("dcterms.issued", "dc.date.issued", "dcterms.date", "dc.date",
                     "dcterms.created", "dc.date.created")  # fmt: skip

#: The namespaces of OpenGraph properties (extruct's list).
OPENGRAPH_NAMESPACES = frozenset(("og", "article", "book", "profile", "music", "video",
                                  "product"))  # fmt: skip
_HAS_MICRODATA = etree.XPath("boolean(//*[@itemscope])")


@dataclass
class Metadata:
    #: ``<meta name|property|itemprop=... content=...>`` of the head, by lowered name (first wins).
    meta: dict[str, str] = field(default_factory=dict)
    #: OpenGraph properties (``og:*``, ``article:*``), first value of each.
    opengraph: dict[str, str] = field(default_factory=dict)
    #: JSON-LD and microdata items, nested ``@graph`` lists flattened: (item, "json-ld"|"microdata").
    items: list[tuple[dict, str]] = field(default_factory=list)

    @property
    def og_type(self) -> str | None:
        value = self.opengraph.get("og:type")
        return value.strip().lower() if value else None

    def article_items(self) -> list[tuple[dict, str]]:
        return [(item, source) for item, source in self.items if _types(item) & ARTICLE_TYPES]

    def says_article(self) -> str | None:
        """The source that declares the page a single article, if one does."""
        if articles := self.article_items():
            return articles[0][1]
        if self.og_type in OG_ARTICLE_TYPES:
            return "opengraph"
        return None

    def says_listing(self) -> str | None:
        for item, source in self.items:
            if _types(item) & LISTING_TYPES and not _types(item) & ARTICLE_TYPES:
                return source
        return None

    def published(self) -> list[tuple[str, str]]:
        """Declared publication dates, most specific first: (value as written, source)."""
        found: list[tuple[str, str]] = []
        for item, source in self.article_items() or self.items:
            value = _text(item.get("datePublished")) or _text(item.get("dateCreated"))
            if value:
                found.append((value, source))
        for name in ("article:published_time", "og:published_time"):
            if value := self.opengraph.get(name) or self.meta.get(name):
                found.append((value, "opengraph"))
        for name in DUBLIN_CORE_DATES:
            if value := self.meta.get(name):
                found.append((value, "meta"))
        return found

    def titles(self) -> list[tuple[str, str]]:
        """Declared titles of the page: (title, source)."""
        found: list[tuple[str, str]] = []
        for item, source in self.article_items():
            if value := clean_line(_text(item.get("headline")) or _text(item.get("name")) or ""):
                found.append((value, source))
        for name, source in (("og:title", "opengraph"), ("twitter:title", "meta")):
            if value := clean_line(self.opengraph.get(name) or self.meta.get(name) or ""):
                found.append((value, source))
        return found

    def site_names(self) -> set[str]:
        """Names the site gives itself: what a ``<title>`` or an og:title may carry beside the
        page's own title."""
        names = {self.opengraph.get("og:site_name") or "", self.meta.get("application-name") or ""}
        for item, _ in self.items:
            if _types(item) & {"website", "organization", "newsmediaorganization"}:
                names.add(_text(item.get("name")) or "")
            publisher = item.get("publisher")
            if isinstance(publisher, dict):
                names.add(_text(publisher.get("name")) or "")
        return {clean_line(name) for name in names if name and name.strip()}


def read_metadata(root: etree._Element, source: bytes | str = b"") -> Metadata:
    """The metadata of a parsed page, before scripts are dropped. ``source``: the page as
    parsed, where a search for ``ld+json`` and ``itemscope`` spares most pages two searches of
    the tree."""
    metadata = Metadata()
    head = root.find("head")
    if head is not None:
        _read_head(head, metadata)
    if _may_hold(source, "ld+json"):
        metadata.items.extend((item, "json-ld") for item in _json_ld(root))
    if _may_hold(source, "itemscope") and _HAS_MICRODATA(root):
        metadata.items.extend((item, "microdata") for item in _microdata(root))
    return metadata


def _read_head(head: etree._Element, metadata: Metadata) -> None:
    """The ``<meta>`` of the head. OpenGraph is ``<meta property>`` in a known namespace
    (``og:``, ``article:``), as extruct reads it, without its RDFa prefixes."""
    for element in head.iter("meta"):
        content = element.get("content")
        if not content or not content.strip():
            continue
        content = html.unescape(content).strip()
        prop = element.get("property")
        if prop and prop.partition(":")[0].strip().lower() in OPENGRAPH_NAMESPACES:
            metadata.opengraph.setdefault(prop.strip().lower(), content)
        name = prop or element.get("name") or element.get("itemprop")
        if name:
            metadata.meta.setdefault(name.strip().lower(), content)


def _may_hold(source: bytes | str, word: str) -> bool:
    return not source or (word.encode() if isinstance(source, bytes) else word) in source


def _json_ld(root: etree._Element) -> list[dict]:
    try:
        return _flatten(_extruct().jsonld.JsonLdExtractor().extract_items(root))
    except Exception as error:
        log.debug("unreadable JSON-LD: %s", error)
        return []


def _microdata(root: etree._Element) -> list[dict]:
    try:
        found = _extruct().w3cmicrodata.MicrodataExtractor().extract_items(root, None)
    except Exception as error:
        log.debug("unreadable microdata: %s", error)
        return []
    # extruct gives {"type": [...], "properties": {...}}: the JSON-LD shape, for one reading.
    return _flatten([_from_microdata(item) for item in found])


def _from_microdata(item: Any) -> Any:
    if not isinstance(item, dict) or "properties" not in item:
        return item
    types = item.get("type") or []
    if isinstance(types, str):
        types = [types]
    flat = {"@type": [name.rsplit("/", 1)[-1] for name in types if isinstance(name, str)]}
    for name, value in item["properties"].items():
        flat[name] = [_from_microdata(v) for v in value] if isinstance(value, list) \
            else _from_microdata(value)
    return flat


def _flatten(items: list) -> list[dict]:
    """Items and the items of their ``@graph``, depth first."""
    flat: list[dict] = []
    for item in items:
        if isinstance(item, list):
            flat.extend(_flatten(item))
        elif isinstance(item, dict):
            graph = item.get("@graph")
            if isinstance(graph, list):
                flat.extend(_flatten(graph))
            if _types(item):
                flat.append(item)
            main = item.get("mainEntity")
            if isinstance(main, dict):
                flat.extend(_flatten([main]))
    return flat


def _types(item: dict) -> set[str]:
    value = item.get("@type")
    names = value if isinstance(value, list) else [value]
    return {name.rsplit("/", 1)[-1].strip().lower() for name in names if isinstance(name, str)}


def _text(value: Any) -> str | None:
    """A plain value of an item: the first of a list, the ``@value`` of a typed literal."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    return html.unescape(value).strip() if isinstance(value, str) and value.strip() else None


@functools.cache
def _extruct():
    """extruct, imported on the first page that needs it (it loads rdflib: a quarter second)."""
    import extruct.jsonld
    import extruct.w3cmicrodata

    return extruct
