"""A distributed crawl's in-flight requests (``crawling/distributed.py``), told when each is done,
so that a worker killed at any moment leaves behind exactly what it had not finished; and the
responses a killed worker had archived, handed to this worker's spider instead of being
downloaded again.

A request popped from the shared queue is done when the spider has gone through its response
and every request it yielded from it is queued (the spider middleware, the last on the way out,
counts them; the scheduler tells each one queued: Scrapy hands a callback's output to the
scheduler from a queue of its own, after the callback has returned), when it failed
with no response (the downloader middleware, the last to see an exception), or when it gave way
to another (a retry, a redirect: the scheduler, as it queues the new one). Both middlewares are
off in a crawl of one process.
"""

from __future__ import annotations

import pickle

from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Request
from scrapy.responsetypes import responsetypes

from scoparchive.crawling.distributed import REPLAYED, DistributedCrawl
from scoparchive.crawling.middlewares.recrawl import ARCHIVED_FLAG


class _DistributedOnly:
    """A middleware of a distributed crawl only: off (``NotConfigured``) in a crawl of one
    process."""

    def __init__(self, crawler):
        self.crawl = DistributedCrawl.of(crawler)
        if self.crawl is None:
            raise NotConfigured

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)


class InFlightSpiderMiddleware(_DistributedOnly):
    """SPIDER_MIDDLEWARES, below every other on the way out: each request the spider yields from
    a response is counted as a child of that response's request, which is done once the
    callback has returned and every child is queued (``DistributedCrawl.output_done``)."""


    def process_spider_output(self, response, result):
        try:
            for item in result:
                yield self._counted(response, item)
        finally:
            self.crawl.output_done(response.request)

    async def process_spider_output_async(self, response, result):
        try:
            async for item in result:
                yield self._counted(response, item)
        finally:
            self.crawl.output_done(response.request)

    def process_spider_exception(self, response, exception):
        self.crawl.output_done(response.request)

    def _counted(self, response, item):
        if isinstance(item, Request):
            self.crawl.child_yielded(response.request, item)
        return item


class InFlightDownloaderMiddleware(_DistributedOnly):
    """DOWNLOADER_MIDDLEWARES, first in the chain: the last to see an exception that no other
    turned into a retry (a request refused by the scope or robots.txt, a host unreachable); and
    the first to see a request whose response another worker archived before it died: that
    response goes on, as received, through the other middlewares (decompressed, a redirect
    followed) to the spider, without being downloaded or archived again."""


    def process_request(self, request: Request):
        kept = request.meta.pop(REPLAYED, None)
        if kept is None:
            return None
        kept = pickle.loads(kept)
        headers = Headers(kept["headers"])
        response_class = responsetypes.from_args(headers=headers, url=request.url,
                                                 body=kept["body"])
        self.crawl.crawler.stats.inc_value("scoparchive/replayed")
        return response_class(url=request.url, status=kept["status"], headers=headers,
                              body=kept["body"], request=request, protocol=kept["protocol"],
                              flags=[*kept["flags"], ARCHIVED_FLAG])

    def process_exception(self, request, exception):
        self.crawl.done_with(request)
