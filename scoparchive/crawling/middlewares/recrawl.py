"""Recrawls from what the archive already holds: conditional requests, archived copies."""

from __future__ import annotations

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.responsetypes import responsetypes

from scoparchive.archive import Capture
from scoparchive.crawling.recrawl import RecrawlRules
from scoparchive.crawling.session import CrawlSession
from scoparchive.urls import in_scope

ARCHIVED_FLAG = "archived"  # a response served from the archive, not from the network
#: Headers of a stored response that do not describe its decoded body.
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
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.session = CrawlSession.of(crawler)
        self.rules = RecrawlRules.from_settings(crawler.settings)
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
        lastmod = getattr(self.crawler.spider, "sitemap_lastmod", {}).get(url)
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
            for name, value in state.conditional_headers(url).items():
                request.headers.setdefault(name, value)
            return None
        archived = state.archived_copy(url)
        if archived is None:
            return None
        self.session.writer.crawl_log.log_skip(url, reason=reason, archived=archived.ref())
        self.crawler.stats.inc_value(f"scoparchive/skipped/{reason}")
        return archived_response(request, archived)

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
        missing = [url for url in self.session.state.page_urls()
                   if url not in self.seen and in_scope(url, spider.profile)]
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
