"""Typed records produced by the page objects, with no I/O.

Field names follow the data contract of the datasets (see ``schema.py``): a record field and the
column it fills share one name. Raw and normalised values travel in pairs (``published_date_raw``
and ``published_date``), as in Zyte's Article schema.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from datetime import date

PAGE_TYPES = (
    "home",
    "listing",
    "article",
    "roundup",
    "press_listing",
    "programme",
    "static",
    "legacy_article",
    "unknown",
)

#: How a field was found (``ParsedPage.extraction``, ``Article.extraction``), by layer: the
#: site's own knowledge first, then the page's standard metadata, then libraries made for any
#: page. A field that none of them gives stays empty: it is never guessed.
EXTRACTION_METHODS: dict[str, tuple[str, str]] = {
    "selector": ("site", "a CSS selector of the site's profile"),
    "landmark": ("site", "the site's landmarks: header line, date line or byline under the "
                 "title, teaser block, `Name (75)` item headings"),
    "url": ("site", "the URL: the home page, the date of a legacy `/YYYYMMDD,key.htm` page"),
    "json-ld": ("metadata", "the page's JSON-LD (schema.org)"),
    "microdata": ("metadata", "the page's microdata (schema.org)"),
    "opengraph": ("metadata", "the page's OpenGraph tags (og:type, og:title, "
                  "article:published_time)"),
    "meta": ("metadata", "another <meta> tag of the page (Dublin Core, twitter:title)"),
    "time": ("metadata", "a <time datetime> beside the title"),
    "heading": ("metadata", "the page's main heading"),
    "title-tag": ("metadata", "the page's <title>, without the site's name"),
    "structure": ("metadata", "the page's structure: repeated teasers, a pager, time slots"),
    "trafilatura": ("library", "the main text as trafilatura finds it"),
    "htmldate": ("library", "the date as htmldate finds it in the page's markup and URL"),
}
EXTRACTION_LAYERS = ("site", "metadata", "library")


@dataclass
class Image:
    url: str
    alt: str | None = None
    caption: str | None = None
    credit: str | None = None


@dataclass(slots=True)
class Link:
    url: str
    text: str
    internal: bool


@dataclass
class Contact:
    kind: str  # email | phone | url | address
    value: str  # normalised: lower-case e-mail, E.164 phone, absolute URL, address text
    raw: str
    context: str | None = None


@dataclass
class Initiative:
    position: int  # 1-based, in page order
    name: str
    heading_raw: str
    departments: list[str] = field(default_factory=list)  # department codes: "75", "2A", "974"
    place: str | None = None  # a town given in parentheses instead of codes: "Ivry"
    place_department: str | None = None
    description: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    extraction_method: str = "landmark"


@dataclass
class Teaser:
    """A news teaser of a listing page or of the latest-news block: title, lead, link."""

    title: str
    url: str | None
    lead: str | None = None
    published_date: date | None = None
    published_date_raw: str | None = None
    media: str | None = None  # press listings name the newspaper


@dataclass
class ProgrammeSlot:
    start: str  # "13h30" as written
    end: str | None
    label: str


@dataclass
class Article:
    url: str
    title: str | None
    rubric: str | None = None
    published_date: date | None = None
    published_date_raw: str | None = None
    lead: str | None = None
    body_text: str = ""
    body_markdown: str = ""
    word_count: int = 0
    images: list[Image] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    #: field name → how it was found: a key of EXTRACTION_METHODS
    extraction: dict[str, str] = field(default_factory=dict)


#: Page types whose record is an article (roundups and programmes are articles with more in them).
ARTICLE_TYPES = frozenset({"article", "roundup", "programme", "legacy_article"})


@dataclass
class ParsedPage:
    """Everything a page object found on one page."""

    url: str
    page_type: str
    title: str | None
    article: Article | None = None
    initiatives: list[Initiative] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    teasers: list[Teaser] = field(default_factory=list)  # listing items (not the boilerplate block)
    programme: list[ProgrammeSlot] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)  # every link of the page, for discovery
    images: list[Image] = field(default_factory=list)
    extraction: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The page as JSON values (dates as ISO strings)."""
        return _to_json(self)

    @classmethod
    def from_dict(cls, data: dict) -> ParsedPage:
        """The inverse of ``to_dict``: ``ParsedPage.from_dict(page.to_dict()) == page``."""
        return _from_json(cls, data)

    def content_fingerprint(self) -> str:
        """A digest of the page's own content, blind to the boilerplate around it and to the
        way a theme writes it.

        Every page carries the latest-news teasers, so publishing one article changes the bytes of
        every page; a recrawl judges change on this digest instead of the payload's. A redesign
        changes the markup, how a date is written (``04 04 2020``, ``4 avril 2020``) and which
        layer found each field, not the content: those stay out, so that the same text in a new
        theme makes no new version.
        """
        # Only the fields that count are converted: the links alone are most of a page.
        own = {name: _to_json(getattr(self, name)) for name in _field_names(ParsedPage)
               if name not in _NOT_CONTENT}
        if self.article:
            own["article"] = {name: _to_json(getattr(self.article, name))
                              for name in _field_names(type(self.article))
                              if name not in _NOT_ARTICLE_CONTENT}
        return _digest_of_content(own)


#: What ``content_fingerprint`` leaves out: of a page, and of its article.
_NOT_CONTENT = ("links", "images", "extraction")
_NOT_ARTICLE_CONTENT = ("links", "extraction", "images", "published_date_raw", "body_markdown")


def _digest_of_content(own: dict) -> str:
    own["teasers"] = [{key: value for key, value in teaser.items()
                       if key != "published_date_raw"} for teaser in own["teasers"]]
    own["contacts"] = sorted((contact["kind"], contact["value"]) for contact in own["contacts"])
    payload = json.dumps(own, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(payload).hexdigest()


def _to_json(value):
    """A record as JSON values, as ``json.loads(json.dumps(asdict(value)))`` would give it,
    without copying it three times: the build converts every page it parses."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _to_json(item) for key, item in value.items()}
    if isinstance(value, date):
        return value.isoformat()
    names = _field_names(type(value))
    if names is None:
        raise TypeError(f"not serialisable: {type(value).__name__}")
    return {name: _to_json(getattr(value, name)) for name in names}


@functools.cache
def _field_names(record_type: type) -> tuple[str, ...] | None:
    if not dataclasses.is_dataclass(record_type):
        return None
    return tuple(item.name for item in dataclasses.fields(record_type))


def _from_json(hint, value):
    """A value of the type ``hint`` rebuilt from its JSON form: dataclasses from objects, dates
    from ISO strings, lists and optional values item by item. Read from the type hints, so that a
    field added to a record is rebuilt with no change here."""
    return json_reader(hint)(value)


def _same(value):
    return value


@functools.cache
def json_reader(hint) -> typing.Callable:
    """The function that rebuilds a value of type ``hint`` (None stays None): worked out once
    per type, since the build rebuilds every page it takes from the parse cache."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            raise TypeError(f"cannot rebuild a value of the union {hint}")
        return json_reader(options[0])
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        item = json_reader(item_hint)
        if item is _same:
            return lambda value: None if value is None else list(value)
        return lambda value: None if value is None else [item(each) for each in value]
    if origin is dict:
        return lambda value: None if value is None else dict(value)
    if dataclasses.is_dataclass(hint):
        readers = {name: json_reader(field_hint) for name, field_hint in _field_hints(hint).items()}

        def record(value):
            if value is None:
                return None
            return hint(**{name: readers[name](item) for name, item in value.items()})

        return record
    if hint is date:
        return lambda value: None if value is None else date.fromisoformat(value)
    return _same


@functools.cache
def _field_hints(record_type: type) -> dict:
    return typing.get_type_hints(record_type)
