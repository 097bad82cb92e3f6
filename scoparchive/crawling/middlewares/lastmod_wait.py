"""Pages start while the sitemaps are still being read, and a recrawl still decides each known
page from its sitemap lastmod.

The recrawl middleware reads a page's lastmod when its request is sent. A page the archive holds,
whose lastmod is not known yet while sitemaps are still coming, would be fetched (a conditional
GET) when a sitemap read a moment later would have spared it; so such a request is held here
until every sitemap has answered (the spider's ``sitemaps_read`` signal, or the crawl going
idle), then let go, to be decided with every lastmod known. Everything else goes at once: the
sitemaps, the pages new to the archive, the pages whose lastmod is known, and every page under
``--full`` or due for revalidation. On a first crawl nothing waits.

A spider middleware, the last on the way out (SPIDER_MIDDLEWARES in ``settings.py``): what it
holds has its depth already, and is let go to the scheduler as it is. Stat
``scoparchive/waited_for_lastmod``: the pages held.

Off in a distributed crawl: a request held in one worker's memory would be lost with it, and the
sitemaps may be read by another worker.
"""

from __future__ import annotations

from scrapy import Request

from scoparchive.crawling.distributed import DistributedCrawl
from scoparchive.crawling.recrawl import RecrawlRules
from scoparchive.crawling.session import CrawlSession
from scoparchive.crawling.spider import SITEMAP_REQUEST, sitemaps_read


class LastmodWaitMiddleware:
    def __init__(self, crawler):
        self.crawler = crawler
        self.rules = RecrawlRules.from_settings(crawler.settings)
        #: URL → the first request of it held (the others would be duplicates).
        self.held: dict[str, Request] = {}
        self.off = DistributedCrawl.of(crawler) is not None
        crawler.signals.connect(self.release, signal=sitemaps_read)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_spider_output(self, response, result):
        for item in result:
            if not self._holds(item):
                yield item

    async def process_spider_output_async(self, response, result):
        async for item in result:
            if not self._holds(item):
                yield item

    def _holds(self, item) -> bool:
        if self.off or not isinstance(item, Request) or item.meta.get(SITEMAP_REQUEST):
            return False
        spider = self.crawler.spider
        if not getattr(spider, "sitemaps_pending", False) or item.url in spider.sitemap_lastmod:
            return False
        state = CrawlSession.of(self.crawler).state
        if state is None or not state.awaits_lastmod(item.url, self.rules):
            return False
        if item.url not in self.held:
            self.held[item.url] = item
            self.crawler.stats.inc_value("scoparchive/waited_for_lastmod")
        return True

    def release(self) -> int:
        held, self.held = list(self.held.values()), {}
        for request in held:
            self.crawler.engine.crawl(request)
        return len(held)
