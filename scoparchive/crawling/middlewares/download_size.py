"""Bounds what one response may cost: the bytes kept of a download, and the size it may reach
once decompressed, whatever a server sends.

A download longer than ``MAX_DOWNLOAD_SIZE`` is cut there and kept, as Heritrix does: the archive
holds its first bytes, marked ``WARC-Truncated: length`` (see ``ArchiveMiddleware``), and the
spider reads what came. A compressed payload that would grow past ``MAX_PAYLOAD_SIZE`` (a gzip
bomb: a megabyte that inflates to a gigabyte) is archived as received and not read.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import Request, Response

#: The flag Scrapy gives a response whose download a handler stopped.
TRUNCATED_FLAG = "download_stopped"
_RECEIVED = "scoparchive_bytes_received"


class DownloadSizeMiddleware:
    """Stops a download at ``MAX_DOWNLOAD_SIZE`` bytes and hands on the bytes received."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_size = crawler.settings.getint("MAX_DOWNLOAD_SIZE")
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def bytes_received(self, data: bytes, request: Request, spider=None) -> None:
        received = request.meta.get(_RECEIVED, 0) + len(data)
        request.meta[_RECEIVED] = received
        if self.max_size and received > self.max_size:
            self.crawler.stats.inc_value("scoparchive/truncated")
            # fail=False: the response comes with what was received, flagged TRUNCATED_FLAG.
            raise StopDownload(fail=False)

    def process_request(self, request: Request):
        request.meta.pop(_RECEIVED, None)  # a retry or a redirect counts from zero
        return None


class PayloadSizeMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, stopped at ``MAX_PAYLOAD_SIZE`` bytes of output.

    Scrapy reads that bound from ``DOWNLOAD_MAXSIZE``, which also cancels downloads without
    keeping a byte; ours are cut by ``DownloadSizeMiddleware`` instead, so ``DOWNLOAD_MAXSIZE``
    is off and the bound is given to this step alone, through the request's meta."""

    def __init__(self, stats=None, *, crawler=None):
        super().__init__(crawler=crawler)
        self.max_payload = crawler.settings.getint("MAX_PAYLOAD_SIZE")

    def process_response(self, request: Request, response: Response, spider=None):
        request.meta["download_maxsize"] = self.max_payload
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            self.stats.inc_value("scoparchive/too_large")
            raise
        finally:
            del request.meta["download_maxsize"]
