"""Keeps the crawl on the site: other hosts, ports or schemes, and denied paths, are never asked."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request

from scoparchive.crawling.middlewares.dropped import DroppedUrls, referrer_of
from scoparchive.urls import in_scope


class ScopeMiddleware:
    """Drops every request outside the site's scope: other hosts, ports or schemes, denied paths.

    It sits first in the chain, so a redirect to another host is stopped before it is sent.
    Each URL dropped is told (``DroppedUrls``): stat ``scoparchive/out_of_scope``.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if not in_scope(request.url, self.crawler.spider.profile):
            DroppedUrls.of(self.crawler).drop(request.url, "out-of-scope",
                                              referrer=referrer_of(request))
            raise IgnoreRequest(f"out of scope: {request.url}")
        return None
