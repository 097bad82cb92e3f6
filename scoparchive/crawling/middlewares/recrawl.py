"""Recrawls from what the archive already holds: conditional requests, archived copies."""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.responsetypes import responsetypes

from scoparchive.archive import Capture
from scoparchive.crawling.distributed import DistributedCrawl
from scoparchive.crawling.middlewares.scope import spider_in_scope
from scoparchive.crawling.recrawl import RecrawlRules
from scoparchive.crawling.session import CrawlSession

ARCHIVED_FLAG = "archived"  # a response served from the archive, not from the network
#: Headers of a stored response that do not describe its decoded body.
#: In a request's meta: robots.txt and the sitemaps (``ROBOTS_REQUEST`` in robots.py,
#: ``SITEMAP_REQUEST`` in spider.py), whose content the crawl reads: never asked conditionally
#: on another worker's validators, whose 304 would leave this one without their content.
_DISCOVERY_META = ("scoparchive_robots", "scoparchive_sitemap")
_TRANSFER_HEADERS = {"content-encoding", "content-length", "transfer-encoding",
                     "x-crawler-transfer-encoding", "x-crawler-content-length"}


class RecrawlMiddleware:
    """What a rerun on the same archive does differently: it costs only what changed.

    - a known page gets If-None-Match and If-Modified-Since from its latest capture;
    - a page whose sitemap lastmod is older than its latest capture is not requested, and
      neither is a page the run being resumed already captured: the archived copy stands in for
      it, so the spider still follows its links;
    - unless that capture is older than REVALIDATE_AFTER_DAYS: then the page gets its
      conditional GET all the same (stat ``scoparchive/revalidated``), and a 304 moves its
      ``last_seen``;
    - with RECRAWL_FULL, every page is fetched with a plain GET, lastmod and validators aside
      (stat ``scoparchive/full``: the known URLs so fetched);
    - a 304 is archived as a revisit (ArchiveMiddleware), then replaced by the archived copy;
    - when discovery ends, every known page not seen by this run is requested, so that a page
      gone from the site and from its links is still found gone (404, 410, redirect).

    A page's lastmod is read from ``spider.sitemap_lastmod`` when its request comes here: the
    spider's LastmodWaitMiddleware holds back the known pages until the sitemaps are read, so
    that a lastmod read late neither lets a page be fetched for nothing nor is missed.

    In a distributed crawl (``crawling/distributed.py``) a page may be known to another worker's
    archive only: its validators, its lastmod and the list of known pages come from Redis, where
    every worker put those of its archive.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.session = CrawlSession.of(crawler)
        self.rules = RecrawlRules.from_settings(crawler.settings)
        self.distributed = DistributedCrawl.of(crawler)
        self.seen: set[str] = set()
        self.rechecked = False
        crawler.signals.connect(self.recheck_known_pages, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        state = self.session.state
        if state is None:
            raise IgnoreRequest("the archive is not open")
        url = request.url
        self.seen.add(url)
        lastmod = self._lastmod(url)
        if url in state.done_in_resumed_run:
            reason = "captured-by-resumed-run"
        elif self.rules.full:
            if url in state.latest:
                self.crawler.stats.inc_value("scoparchive/full")
            return None
        elif state.unchanged_since(url, lastmod) and not state.revalidation_due(url, self.rules):
            reason = "unchanged-sitemap-lastmod"
        else:
            if state.unchanged_since(url, lastmod):
                self.crawler.stats.inc_value("scoparchive/revalidated")
            headers = state.conditional_headers(url)
            if (not headers and self.distributed is not None and url not in state.latest
                    and not any(request.meta.get(key) for key in _DISCOVERY_META)):
                headers = self.distributed.validators(url)
            for name, value in headers.items():
                request.headers.setdefault(name, value)
            return None
        archived = state.archived_copy(url)
        if archived is None:
            return None
        self.session.writer.crawl_log.log_skip(url, reason=reason, archived=archived.ref())
        self.crawler.stats.inc_value(f"scoparchive/skipped/{reason}")
        return archived_response(request, archived)

    def _lastmod(self, url: str) -> str | None:
        spider = self.crawler.spider
        if hasattr(spider, "lastmod_of"):
            return spider.lastmod_of(url)
        return getattr(spider, "sitemap_lastmod", {}).get(url)

    def process_response(self, request: Request, response: Response):
        if response.status != 304:
            return response
        archived = self.session.state.archived_copy(request.url)
        if archived is None:
            return response
        self.crawler.stats.inc_value("scoparchive/not_modified")
        return archived_response(request, archived)

    def recheck_known_pages(self, spider):
        if self.rechecked or self.session.state is None:
            return
        self.rechecked = True
        known = (self.distributed.known_pages() if self.distributed is not None
                 else self.session.state.page_urls())
        missing = [url for url in known if url not in self.seen and spider_in_scope(spider, url)]
        for url in missing:
            self.crawler.engine.crawl(Request(url, callback=spider.parse))
        if missing:
            self.crawler.stats.set_value("scoparchive/rechecked", len(missing))
            raise DontCloseSpider


def archived_response(request: Request, capture: Capture) -> Response:
    headers = [(name, value) for name, value in capture.headers
               if name.lower() not in _TRANSFER_HEADERS]
    response_class = responsetypes.from_args(headers=dict(headers), url=request.url,
                                             body=capture.body)
    return response_class(url=request.url, status=200, headers=headers, body=capture.body,
                          request=request, flags=[ARCHIVED_FLAG])
