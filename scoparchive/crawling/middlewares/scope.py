"""Keeps the crawl on its sites: other hosts, ports or schemes, and denied paths, are never
asked."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from scoparchive.crawling.middlewares.dropped import DroppedUrls, referrer_of
from scoparchive.urls import in_scope


def spider_in_scope(spider, url: str) -> bool:
    """Whether ``url`` is in the scope of one of the spider's sites (``SiteSpider.sites``), or
    of its one profile for a spider of one site."""
    sites = getattr(spider, "sites", None)
    return sites.in_scope(url) if sites is not None else in_scope(url, spider.profile)


class ScopeMiddleware:
    """Drops every request outside the sites' scope: other hosts, ports or schemes, denied paths.

    It sits first in the chain, so a redirect to another host is stopped before it is sent.
    Each URL dropped is told (``DroppedUrls``): stat ``scoparchive/out_of_scope``.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if not spider_in_scope(self.crawler.spider, request.url):
            DroppedUrls.of(self.crawler).drop(request.url, "out-of-scope",
                                              referrer=referrer_of(request))
            raise IgnoreRequest(f"out of scope: {request.url}")
        return None
