"""URLs longer than URLLENGTH_LIMIT (2,083 characters by default) are not requested, and say so.

Scrapy's own UrlLengthMiddleware (a spider middleware, disabled in ``settings.py``) drops them
with a line at INFO level only, and only among the links of a page; this one sees every request,
redirects and sitemap entries included, and tells each URL dropped (``DroppedUrls``): stat
``scoparchive/url_too_long``, a crawl log line, a warning.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request

from scoparchive.crawling.middlewares.dropped import DroppedUrls, referrer_of


class UrlLengthMiddleware:
    def __init__(self, crawler):
        self.limit = crawler.settings.getint("URLLENGTH_LIMIT")
        if self.limit <= 0:
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if len(request.url) > self.limit:
            DroppedUrls.of(self.crawler).drop(request.url, "url-too-long",
                                              referrer=referrer_of(request))
            raise IgnoreRequest(f"URL longer than {self.limit} characters")
        return None
