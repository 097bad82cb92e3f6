"""The crawl's only output: its exchanges, in WARC files."""

from __future__ import annotations

import http
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro

from scoparchive.crawling.distributed import DistributedCrawl
from scoparchive.crawling.middlewares.download_size import TRUNCATED_FLAG
from scoparchive.crawling.middlewares.recrawl import ARCHIVED_FLAG
from scoparchive.crawling.middlewares.robots import ROBOTS_REQUEST
from scoparchive.crawling.outcome import ARCHIVE_FAILED_REASON
from scoparchive.crawling.session import CrawlSession


class ArchiveMiddleware:
    """Writes every exchange to the WARC archive, as received, before anything is decompressed."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.session = CrawlSession.of(crawler)
        #: A distributed crawl's bookkeeping (None for a crawl of one process).
        self.distributed = DistributedCrawl.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        request.meta["scoparchive_started"] = (time.monotonic(), datetime.now(UTC))
        return None

    def process_response(self, request: Request, response: Response):
        if ARCHIVED_FLAG in response.flags:
            return response
        # Not archived, the response still goes on: raising here would skip the process_response
        # of the middlewares under this one (the host slot would never be given back), and
        # the crawl is stopping anyway.
        if self.session.writer is None:  # the archive could not be opened
            return response
        try:
            ref = self._write(request, response)
        except OSError as error:  # a full disk, a file system gone read-only
            self._stop_writing(error)
            return response
        self.crawler.stats.inc_value("scoparchive/archived")
        self.crawler.stats.inc_value("scoparchive/bytes_received", len(response.body))
        if ref.record_type == "revisit":
            self.crawler.stats.inc_value("scoparchive/revisits")
        if response.status >= 500:
            self.crawler.stats.inc_value("scoparchive/errors")
            self.crawler.stats.inc_value("scoparchive/server_errors")
        elif not request.meta.get(ROBOTS_REQUEST):
            self.crawler.stats.inc_value("scoparchive/usable")
        if self.distributed is not None:
            self.distributed.archived(
                request, response,
                usable=response.status < 500 and not request.meta.get(ROBOTS_REQUEST),
                yields_requests=getattr(request.callback, "__name__", None) != "archive_only")
        return response

    def _write(self, request: Request, response: Response):
        started_monotonic, started_at = request.meta.get(
            "scoparchive_started", (time.monotonic(), datetime.now(UTC))
        )
        return self.session.writer.write_exchange(
            url=request.url,
            method=request.method,
            request_headers=_request_headers(request),
            request_body=request.body or b"",
            http_version=(response.protocol or "HTTP/1.1").upper(),
            status=response.status,
            reason=_reason(response.status),
            response_headers=_header_list(response.headers),
            payload=response.body,
            fetched_at=started_at,
            remote_ip=str(response.ip_address) if response.ip_address else None,
            referrer=_header_value(request.headers, b"Referer"),
            duration_ms=(time.monotonic() - started_monotonic) * 1000,
            truncated="length" if TRUNCATED_FLAG in response.flags else None,
        )

    def _stop_writing(self, error: OSError) -> None:
        """The crawl stops at the first write that fails: every later response would be lost
        too. The records written before stay whole (a resumed crawl cuts the file after the
        last complete one)."""
        if self.crawler.stats.get_value("scoparchive/archive_failed"):
            return
        where = f" ({error.filename})" if error.filename else ""
        self.crawler.stats.set_value("scoparchive/archive_failed",
                                     f"{error.strerror or error}{where}")
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=ARCHIVE_FAILED_REASON))

    def process_exception(self, request: Request, exception: Exception):
        if isinstance(exception, IgnoreRequest) or self.session.writer is None:
            return None
        if self.crawler.stats.get_value("scoparchive/archive_failed"):
            return None  # the crawl is stopping: nothing more is written
        started_monotonic, started_at = request.meta.get(
            "scoparchive_started", (time.monotonic(), None)
        )
        try:
            self._log_failure(request, exception, started_monotonic, started_at)
        except OSError as error:
            self._stop_writing(error)
            return None
        self.crawler.stats.inc_value("scoparchive/errors")
        return None

    def _log_failure(self, request, exception, started_monotonic, started_at) -> None:
        self.session.writer.log_failure(
            request.url,
            error=f"{type(exception).__name__}: {exception}",
            fetched_at=started_at,
            referrer=_header_value(request.headers, b"Referer"),
            duration_ms=(time.monotonic() - started_monotonic) * 1000,
        )


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header_list(headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def _request_headers(request: Request) -> list[tuple[str, str]]:
    # Twisted adds Host itself; the request record shows it as it went on the wire.
    return [("Host", urlsplit(request.url).netloc), *_header_list(request.headers)]


def _header_value(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None
