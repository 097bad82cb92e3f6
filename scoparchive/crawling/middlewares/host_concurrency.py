"""Politeness that holds with no delay: a hard limit of requests in flight per host."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from scrapy.http import Request, Response


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

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request):
        host = urlsplit(request.url).netloc
        semaphore = self.semaphores.setdefault(host, asyncio.Semaphore(self.limit))
        await semaphore.acquire()
        request.meta[self.HELD] = host
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
