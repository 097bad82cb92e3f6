"""Politeness per host: a hard limit of requests in flight per host, and one download slot (the
delay between requests) per host.

A host is a netloc, host and port: on the network that is the host name (sites run on the
default port), and two replicas on 127.0.0.1 are two hosts when their ports differ, each standing
for a site of its own. Scrapy keys its download slots by host name alone, so that the replicas of
a crawl of several sites would share one slot (one delay, one concurrency for all); the slot is
named here instead, by netloc.

In a distributed crawl the delay holds for the crawl as a whole: each request waits here until
it takes its host's turn in Redis (``DistributedCrawl.take_turn``), then goes at once.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from scoparchive.crawling.distributed import DistributedCrawl


class HostConcurrencyMiddleware:
    """A hard limit of requests in flight per host.

    Scrapy's downloader slot starts each download in a scheduled coroutine and counts it as
    transferring only once that coroutine runs, so with no download delay a burst can exceed
    CONCURRENT_REQUESTS_PER_DOMAIN (seen with Scrapy 2.19: four requests at once for a limit of
    two). Politeness must not depend on the delay, so the limit is also held here.
    """

    HELD = "scoparchive_host_slot"

    def __init__(self, crawler):
        self.limit = max(1, crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"))
        self.semaphores: dict[str, asyncio.Semaphore] = {}
        self.distributed = DistributedCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request):
        host = urlsplit(request.url).netloc
        semaphore = self.semaphores.setdefault(host, asyncio.Semaphore(self.limit))
        await semaphore.acquire()
        request.meta[self.HELD] = host
        # Read by Scrapy's downloader right after the middlewares: the delay is per host too.
        request.meta["download_slot"] = host
        if self.distributed is not None:
            while (wait := self.distributed.take_turn(host)) > 0:
                await asyncio.sleep(wait)
        return None

    def process_response(self, request: Request, response: Response):
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception):
        self._release(request)
        return None

    def _release(self, request: Request) -> None:
        host = request.meta.pop(self.HELD, None)
        if host is not None:
            self.semaphores[host].release()
