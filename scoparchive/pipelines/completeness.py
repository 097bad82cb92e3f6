"""Per-field completeness of the extracted records, per page type, with thresholds that can fail
a run (``scoparchive build --strict``), as city-scrapers' and alltheplaces' validation steps do."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from scoparchive.items import ParsedPage

#: The section of thresholds.yaml holding the settings of the drift alarms
#: (``scoparchive.dataset.drift``), not a page type.
ALARMS_KEY = "alarms"

#: What each page type is expected to carry.
EXPECTED_FIELDS: dict[str, tuple[str, ...]] = {
    "article": ("title", "published_date", "lead", "body_text"),
    "roundup": ("title", "published_date", "lead", "body_text", "initiatives"),
    "programme": ("title", "published_date", "body_text", "programme"),
    "legacy_article": ("title", "published_date", "body_text"),
    "listing": ("title", "teasers"),
    "press_listing": ("title", "teasers"),
    "home": ("teasers",),
    "static": ("title",),
    "unknown": ("title",),
}


def filled_fields(page: ParsedPage) -> dict[str, bool]:
    article = page.article
    values = {
        "title": page.title,
        "published_date": article.published_date if article else None,
        "lead": article.lead if article else None,
        "body_text": article.body_text if article else None,
        "initiatives": page.initiatives,
        "programme": page.programme,
        "teasers": page.teasers,
    }
    return {name: bool(values[name]) for name in EXPECTED_FIELDS.get(page.page_type, ())}


@dataclass(frozen=True)
class PageSummary:
    """What the build keeps in memory of each version of each page, instead of the page: its
    type and title (the ``pages`` and ``page_versions`` rows), whether it has an article record,
    which expected fields are filled and which layer gave each field (completeness, drift)."""

    page_type: str
    title: str | None
    has_article: bool
    filled: dict[str, bool]
    methods: dict[str, str]
    #: Where the page's teasers link to (listings, the home page): the drift alarms read them.
    teaser_urls: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {"page_type": self.page_type, "title": self.title,
                "has_article": self.has_article, "filled": self.filled, "methods": self.methods,
                "teaser_urls": list(self.teaser_urls)}

    @classmethod
    def from_dict(cls, data: dict) -> PageSummary:
        # A build holds one summary per version of every page, and most pages of a type fill
        # the same fields the same way: equal parts are shared, not repeated.
        return cls(sys.intern(data["page_type"]), data["title"], data["has_article"],
                   _shared(data["filled"]), _shared(data["methods"]),
                   tuple(data["teaser_urls"]))


_SHARED: dict[tuple, dict] = {}


def _shared(mapping: dict) -> dict:
    """One object for equal mappings (never modified once made)."""
    return _SHARED.setdefault(tuple(mapping.items()), mapping)


def summarise(page: ParsedPage) -> PageSummary:
    return PageSummary(
        page_type=page.page_type,
        title=page.title,
        has_article=page.article is not None,
        filled=filled_fields(page),
        methods={**page.extraction, **(page.article.extraction if page.article else {})},
        teaser_urls=tuple(teaser.url for teaser in page.teasers if teaser.url),
    )


@dataclass
class Completeness:
    pages: Counter = field(default_factory=Counter)
    filled: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    #: page type → field → extraction method → pages: which layer gave each field.
    methods: dict[str, dict[str, Counter]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Counter)))

    def add(self, page: ParsedPage | PageSummary) -> None:
        summary = page if isinstance(page, PageSummary) else summarise(page)
        self.pages[summary.page_type] += 1
        for name, is_filled in summary.filled.items():
            self.filled[summary.page_type][name] += int(is_filled)
        for name, method in summary.methods.items():
            self.methods[summary.page_type][name][method] += 1

    def layers(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per page type and field, the share of pages whose value each method gave: a site
        whose pages start to need the fallbacks shows it here before its fields go missing."""
        return {
            page_type: {
                name: {method: round(count / self.pages[page_type], 4)
                       for method, count in sorted(counts.items())}
                for name, counts in sorted(by_field.items())
            }
            for page_type, by_field in sorted(self.methods.items())
        }

    def ratios(self) -> dict[str, dict[str, float]]:
        return {
            page_type: {
                name: self.filled[page_type][name] / count
                for name in EXPECTED_FIELDS.get(page_type, ())
            }
            for page_type, count in sorted(self.pages.items())
        }

    def report(self, thresholds: dict[str, dict[str, float]]) -> dict:
        """Pages per type, the share of them with each expected field, and what falls short:
        the build writes it as quality.json beside the datasets."""
        return {
            "pages": dict(sorted(self.pages.items())),
            "completeness": self.ratios(),
            "extraction_methods": self.layers(),
            "thresholds": {key: value for key, value in thresholds.items()
                           if key != ALARMS_KEY},
            "failures": self.failures(thresholds),
        }

    def failures(self, thresholds: dict[str, dict[str, float]]) -> list[str]:
        """What falls under the thresholds. Only the entries of page types are read: the
        ``alarms`` section of a thresholds file is not one."""
        failures = []
        for page_type, ratios in self.ratios().items():
            for name, minimum in (thresholds.get(page_type) or {}).items():
                ratio = ratios.get(name)
                if ratio is not None and ratio < minimum:
                    failures.append(
                        f"{page_type}.{name}: {ratio:.0%} filled, under the threshold {minimum:.0%}"
                    )
        return failures


def load_thresholds(path: Path | None = None) -> dict[str, dict[str, float]]:
    """The per-type thresholds of ``thresholds.yaml`` (or of ``path``), without its ``alarms``
    section (see ``load_alarm_settings``)."""
    return {key: value for key, value in _read_thresholds(path).items() if key != ALARMS_KEY}


def load_alarm_settings(path: Path | None = None) -> dict:
    """The ``alarms`` section of ``thresholds.yaml`` (or of ``path``), empty when there is none:
    ``drift.AlarmSettings.from_mapping`` gives the missing settings their defaults."""
    return _read_thresholds(path).get(ALARMS_KEY) or {}


def _read_thresholds(path: Path | None) -> dict:
    if path is None:
        text = resources.files("scoparchive").joinpath("thresholds.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    return yaml.safe_load(text) or {}


class CompletenessPipeline:
    """During a crawl: counts what the page objects fill, and logs the report when it ends."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.completeness = Completeness()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if isinstance(item, ParsedPage):
            self.completeness.add(item)
        return item

    def close_spider(self):
        for page_type, ratios in self.completeness.ratios().items():
            for name, ratio in ratios.items():
                self.crawler.stats.set_value(f"completeness/{page_type}/{name}", round(ratio, 3))
