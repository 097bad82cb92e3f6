"""Trap detection by query: at most MAX_QUERY_VARIANTS distinct query strings per path.

A calendar (``?month=…``), an endless pager (``?page=70001``) or a faceted search makes new URLs
of one path without end; a site's real listings have a few hundred pages at most. Past the
bound, a new query of that path is not requested, and is told (``DroppedUrls``): stat
``scoparchive/query_variants``, a crawl log line, a warning. Variants already requested, and
the path with no query, stay allowed.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached

from scoparchive.crawling.middlewares.dropped import DroppedUrls, referrer_of


class QueryVariantsMiddleware:
    def __init__(self, crawler):
        self.limit = crawler.settings.getint("MAX_QUERY_VARIANTS")
        if self.limit <= 0:
            raise NotConfigured
        self.crawler = crawler
        #: scheme://host/path → the query strings requested (at most ``limit`` each).
        self.variants: dict[str, set[str]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        parts = urlparse_cached(request)
        if not parts.query:
            return None
        seen = self.variants.setdefault(f"{parts.scheme}://{parts.netloc}{parts.path}", set())
        if parts.query in seen:
            return None
        if len(seen) < self.limit:
            seen.add(parts.query)
            return None
        DroppedUrls.of(self.crawler).drop(request.url, "query-variants",
                                          referrer=referrer_of(request))
        raise IgnoreRequest(f"more than {self.limit} query variants of {parts.path}")
