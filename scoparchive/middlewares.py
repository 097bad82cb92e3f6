"""Downloader middlewares: the scope guard, retries with backoff, recrawls and the archive writer.

Order (lower numbers see requests first and responses last):

- 60   ScopeMiddleware: no request leaves the site, redirects included;
- 550  BackoffRetryMiddleware: 5xx, 429 and timeouts retried after a pause, Retry-After honoured;
- 940  RecrawlMiddleware: conditional requests, pages known unchanged served from the archive,
       304 answers replaced by the archived copy so the spider still finds their links;
- 945  HostConcurrencyMiddleware: at most CONCURRENT_REQUESTS_PER_DOMAIN requests in flight
       to a host, whatever the delay;
- 950  ArchiveMiddleware: every exchange written as received, before anything is decompressed.
"""

from __future__ import annotations

import asyncio
import http
import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.responsetypes import responsetypes
from scrapy.utils.response import response_status_message

from scoparchive import __version__
from scoparchive.archive import ArchiveWriter, Capture
from scoparchive.recrawl import (
    ArchiveLock,
    ArchiveLocked,
    RecrawlState,
    RunRecord,
    run_to_resume,
    salvage_killed_files,
)
from scoparchive.urls import in_scope

logger = logging.getLogger(__name__)
ARCHIVED_FLAG = "archived"  # a response served from the archive, not from the network
#: Headers of a stored response that do not describe its decoded body.
_TRANSFER_HEADERS = {"content-encoding", "content-length", "transfer-encoding",
                     "x-crawler-transfer-encoding", "x-crawler-content-length"}


class CrawlSession:
    """The archive side of one crawl, shared by the middlewares: the lock, the state read from the
    archive, the WARC writer, and the run record."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.directory = Path(settings.get("ARCHIVE_DIR"))
        self.resume = settings.getbool("CRAWL_RESUME")
        self.run_id = settings.get("CRAWL_RUN_ID") or new_run_id()
        self.lock = ArchiveLock(self.directory)
        self.state: RecrawlState | None = None
        self.writer: ArchiveWriter | None = None
        self.run: RunRecord | None = None
        crawler.signals.connect(self.open, signal=signals.spider_opened)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def of(cls, crawler) -> CrawlSession:
        if not hasattr(crawler, "scoparchive_session"):
            crawler.scoparchive_session = cls(crawler)
        return crawler.scoparchive_session

    def open(self, spider):
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.crawler.settings.getbool("ARCHIVE_LOCK_HELD"):
            try:
                self.lock.acquire()
            except ArchiveLocked as error:
                # Nothing is fetched: every request is dropped while no writer is open.
                self.crawler.stats.set_value("scoparchive/locked", str(error))
                logger.error("%s: nothing will be crawled", error)
                return
        salvage_killed_files(self.directory)
        resumed = run_to_resume(self.directory) if self.resume else None
        if resumed is not None:
            self.run_id = resumed.run_id
            resumed.resumed += 1
            resumed.status = "running"
            self.run = resumed
        else:
            self.run = RunRecord(self.run_id, spider.profile.base_url,
                                 datetime.now(UTC).isoformat())
        self.run.save(self.directory)
        self.state = RecrawlState(self.directory, resumed.run_id if resumed else None)
        self.writer = ArchiveWriter(
            self.directory,
            run_id=self.run_id,
            software=f"scoparchive/{__version__} Scrapy/{scrapy.__version__}",
            operator=self.crawler.settings.get("ARCHIVE_OPERATOR"),
            robots_policy="obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            max_file_size=self.crawler.settings.getint("ARCHIVE_MAX_FILE_SIZE"),
            known_digests=self.state.known_digests,
            latest_by_url=self.state.latest,
            extra_info={"site": spider.profile.base_url,
                        "user-agent": self.crawler.settings.get("USER_AGENT")},
        )
        self.crawler.stats.set_value("scoparchive/run_id", self.run_id)

    def close(self, spider, reason):
        if self.writer is not None:
            self.writer.close()
            self.run.status = "finished" if reason == "finished" else "interrupted"
            self.run.finished_at = datetime.now(UTC).isoformat()
            self.run.save(self.directory)
        self.lock.release()


class ScopeMiddleware:
    """Drops every request outside the site's scope: other hosts, ports or schemes, denied paths.

    It sits first in the chain, so a redirect to another host is stopped before it is sent.
    """

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        if not in_scope(request.url, self.crawler.spider.profile):
            self.crawler.stats.inc_value("scoparchive/out_of_scope")
            raise IgnoreRequest(f"out of scope: {request.url}")
        return None


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, after a pause: the server's Retry-After when it gives one, else an
    exponential backoff. A Retry-After longer than RETRY_AFTER_MAX gives up rather than retry
    sooner than the server asked."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    async def process_response(self, request: Request, response: Response):
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        pause = self._pause(request, response.headers.get("Retry-After"))
        if pause is None:
            self.crawler.stats.inc_value("scoparchive/retry_after_too_long")
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(pause)
        return retry

    async def process_exception(self, request: Request, exception: Exception):
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self._pause(request, None))
        return retry

    def _pause(self, request: Request, retry_after: bytes | None) -> float | None:
        attempt = request.meta.get("retry_times", 0)
        backoff = min(self.backoff_base * 2**attempt, self.backoff_max)
        asked = parse_retry_after(retry_after)
        if asked is not None and asked > self.retry_after_max:
            return None
        return max(backoff, asked or 0.0)


def parse_retry_after(value: bytes | None) -> float | None:
    """Retry-After in seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RecrawlMiddleware:
    """What a rerun on the same archive does differently: it costs only what changed.

    - a known page gets If-None-Match and If-Modified-Since from its latest capture;
    - a page whose sitemap lastmod is older than its latest capture is not requested, and
      neither is a page the run being resumed already captured: the archived copy stands in for
      it, so the spider still follows its links;
    - a 304 is archived as a revisit (ArchiveMiddleware), then replaced by the archived copy;
    - when discovery ends, every known page not seen by this run is requested, so that a page
      gone from the site and from its links is still found gone (404, 410, redirect).
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.session = CrawlSession.of(crawler)
        self.seen: set[str] = set()
        self.rechecked = False
        crawler.signals.connect(self.recheck_known_pages, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        state = self.session.state
        if state is None:
            raise IgnoreRequest("the archive is not open")
        url = request.url
        self.seen.add(url)
        lastmod = getattr(self.crawler.spider, "sitemap_lastmod", {}).get(url)
        if url in state.done_in_resumed_run:
            reason = "captured-by-resumed-run"
        elif state.unchanged_since(url, lastmod):
            reason = "unchanged-sitemap-lastmod"
        else:
            for name, value in state.conditional_headers(url).items():
                request.headers.setdefault(name, value)
            return None
        archived = state.archived_copy(url)
        if archived is None:
            return None
        self.session.writer.crawl_log.log_skip(url, reason=reason, archived=archived.ref())
        self.crawler.stats.inc_value(f"scoparchive/skipped/{reason}")
        return archived_response(request, archived)

    def process_response(self, request: Request, response: Response):
        if response.status != 304:
            return response
        archived = self.session.state.archived_copy(request.url)
        if archived is None:
            return response
        self.crawler.stats.inc_value("scoparchive/not_modified")
        return archived_response(request, archived)

    def recheck_known_pages(self, spider):
        if self.rechecked or self.session.state is None:
            return
        self.rechecked = True
        missing = [url for url in self.session.state.page_urls()
                   if url not in self.seen and in_scope(url, spider.profile)]
        for url in missing:
            self.crawler.engine.crawl(Request(url, callback=spider.parse))
        if missing:
            self.crawler.stats.set_value("scoparchive/rechecked", len(missing))
            raise DontCloseSpider


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


def archived_response(request: Request, capture: Capture) -> Response:
    headers = [(name, value) for name, value in capture.headers
               if name.lower() not in _TRANSFER_HEADERS]
    response_class = responsetypes.from_args(headers=dict(headers), url=request.url,
                                             body=capture.body)
    return response_class(url=request.url, status=200, headers=headers, body=capture.body,
                          request=request, flags=[ARCHIVED_FLAG])


class ArchiveMiddleware:
    """Writes every exchange to the WARC archive, as received, before anything is decompressed."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.session = CrawlSession.of(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request):
        request.meta["scoparchive_started"] = (time.monotonic(), datetime.now(UTC))
        return None

    def process_response(self, request: Request, response: Response):
        if ARCHIVED_FLAG in response.flags:
            return response
        started_monotonic, started_at = request.meta.get(
            "scoparchive_started", (time.monotonic(), datetime.now(UTC))
        )
        ref = self.session.writer.write_exchange(
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
        )
        self.crawler.stats.inc_value("scoparchive/archived")
        self.crawler.stats.inc_value("scoparchive/bytes_received", len(response.body))
        if ref.record_type == "revisit":
            self.crawler.stats.inc_value("scoparchive/revisits")
        if response.status >= 500:
            self.crawler.stats.inc_value("scoparchive/errors")
        return response

    def process_exception(self, request: Request, exception: Exception):
        if isinstance(exception, IgnoreRequest) or self.session.writer is None:
            return None
        started_monotonic, started_at = request.meta.get(
            "scoparchive_started", (time.monotonic(), None)
        )
        self.session.writer.log_failure(
            request.url,
            error=f"{type(exception).__name__}: {exception}",
            fetched_at=started_at,
            referrer=_header_value(request.headers, b"Referer"),
            duration_ms=(time.monotonic() - started_monotonic) * 1000,
        )
        self.crawler.stats.inc_value("scoparchive/errors")
        return None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


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
