"""URLs the crawl chooses not to request, never lost silently: each is counted in the crawl's
stats, written once to the crawl log (``record_type: "dropped"``) and named in a warning line,
the first few of each kind, then a count when the crawl ends.

The middlewares and the spider that drop a URL (scope, URL length, link depth, traps, the
sitemap bound) tell it here; this extension (EXTENSIONS in ``settings.py``) keeps the count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scrapy import signals

from scoparchive.crawling.session import CrawlSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DropReason:
    stat: str
    #: Negative like Heritrix's crawl.log codes for URIs not fetched: -4000 a trap, -4001 too
    #: many link hops, -5000 out of scope, -5002 blocked by a rule of the crawler, -5003 over a
    #: quota.
    status: int
    french: str
    english: str


DROP_REASONS = {
    "out-of-scope": DropReason("scoparchive/out_of_scope", -5000,
                               "hors du site", "out of the site's scope"),
    "url-too-long": DropReason("scoparchive/url_too_long", -5002,
                               "URL trop longue (URLLENGTH_LIMIT)",
                               "URL too long (URLLENGTH_LIMIT)"),
    "too-deep": DropReason("scoparchive/too_deep", -4001,
                           "trop de liens depuis l'accueil ou le plan du site (DEPTH_LIMIT)",
                           "too many links away from the home page or the sitemap "
                           "(DEPTH_LIMIT)"),
    "query-variants": DropReason("scoparchive/query_variants", -4000,
                                 "trop de variantes de paramètres pour ce chemin, un piège ? "
                                 "(MAX_QUERY_VARIANTS)",
                                 "too many query variants of this path, a trap? "
                                 "(MAX_QUERY_VARIANTS)"),
    "repeated-segments": DropReason("scoparchive/repeated_segments", -4000,
                                    "segment de chemin répété, un piège ? "
                                    "(MAX_REPEATED_SEGMENTS)",
                                    "path segment repeated, a trap? (MAX_REPEATED_SEGMENTS)"),
    "sitemap-limit": DropReason("scoparchive/sitemaps_over_limit", -5003,
                                "plan du site au-delà de MAX_SITEMAPS",
                                "sitemap past MAX_SITEMAPS"),
}
#: The shown part of a URL named in a warning (an URL too long may be megabytes).
_SHOWN_URL = 300


class DroppedUrls:
    """The URLs not requested, and why; ``DroppedUrls.of(crawler).drop(url, reason)``.

    A URL is told once per crawl, whatever the number of pages linking to it; the stat of its
    reason (``DROP_REASONS``) and ``scoparchive/dropped`` count the URLs, not the links.
    Settings: DROPPED_URLS_WARNED, how many URLs of each reason get a warning line.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.warned = max(0, crawler.settings.getint("DROPPED_URLS_WARNED"))
        self.told: set[str] = set()
        self.counts: dict[str, int] = {}
        self.shown: dict[str, int] = {}
        crawler.signals.connect(self.summarise, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler) -> DroppedUrls:
        return cls(crawler)

    @classmethod
    def of(cls, crawler) -> DroppedUrls:
        dropped = crawler.get_extension(cls)
        if dropped is None:
            raise RuntimeError(f"the crawl needs the extension {cls.__module__}."
                               f"{cls.__qualname__} in EXTENSIONS")
        return dropped

    def drop(self, url: str, reason: str, *, referrer: str | None = None,
             warn: bool = True) -> None:
        """``url`` is not requested, for ``reason`` (a key of DROP_REASONS); ``warn=False``
        when the caller says it in a line of its own."""
        if url in self.told:
            return
        self.told.add(url)
        kind = DROP_REASONS[reason]
        self.counts[reason] = self.counts.get(reason, 0) + 1
        stats = self.crawler.stats
        stats.inc_value(kind.stat)
        stats.inc_value("scoparchive/dropped")
        writer = CrawlSession.of(self.crawler).writer
        if writer is not None and writer.crawl_log is not None:
            writer.crawl_log.log_dropped(url, reason=reason, status=kind.status,
                                         referrer=referrer)
        if warn and self.shown.get(reason, 0) < self.warned:
            self.shown[reason] = self.shown.get(reason, 0) + 1
            source = f" (lien de / linked from {referrer})" if referrer else ""
            logger.warning("non demandée, %s (not requested, %s) : %s%s", kind.french,
                           kind.english, _shown(url), source)

    def summarise(self, spider, reason):
        """The URLs not named in a warning line, counted in one line per reason."""
        writer = CrawlSession.of(self.crawler).writer
        where = f" : {writer.crawl_log.path}" if writer is not None and writer.crawl_log else ""
        for name, shown in self.shown.items():
            more = self.counts[name] - shown
            if more > 0:
                kind = DROP_REASONS[name]
                logger.warning("… et %d autres URL non demandées, %s (and %d more URLs not "
                               "requested, %s), toutes dans le journal (all in the crawl "
                               "log)%s", more, kind.french, more, kind.english, where)


def _shown(url: str) -> str:
    if len(url) <= _SHOWN_URL:
        return url
    return f"{url[:_SHOWN_URL]}… ({len(url):,} caractères / characters)"


def referrer_of(request) -> str | None:
    """The page that linked to a request (its Referer header), for the crawl log."""
    value = request.headers.get(b"Referer")
    return value.decode("latin-1") if value else None
