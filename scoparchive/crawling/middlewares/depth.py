"""Trap detection by distance: Scrapy's DepthMiddleware (DEPTH_LIMIT), telling each link it
drops (``DroppedUrls``: stat ``scoparchive/too_deep``, a crawl log line, a warning) where
Scrapy's says one line at DEBUG level.

A spider middleware, in place of Scrapy's (SPIDER_MIDDLEWARES in ``settings.py``). Depth counts
the links followed from a seed, at depth 0: the home page and the sitemap entries (the spider
asks Scrapy's ``depth_reset`` for them), and the known pages the recrawl checks again. As in Heritrix, a link is judged
where it is found: a URL told too deep there is still requested if a page nearer a seed links to
it (the crawl goes breadth first, DEPTH_PRIORITY, so that is rare).
"""

from __future__ import annotations

from scrapy.http import Request, Response
from scrapy.spidermiddlewares.depth import DepthMiddleware as ScrapyDepthMiddleware

from scoparchive.crawling.middlewares.dropped import DroppedUrls


class DepthMiddleware(ScrapyDepthMiddleware):
    def get_processed_request(self, request: Request, response: Response | None
                              ) -> Request | None:
        processed = super().get_processed_request(request, response)
        if processed is None and response is not None:
            DroppedUrls.of(self.crawler).drop(request.url, "too-deep", referrer=response.url)
        return processed
