"""Downloader middlewares: the crawl's scope guard and its archive writer."""

from __future__ import annotations

import http
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

from scoparchive import __version__
from scoparchive.archive import ArchiveReader, ArchiveWriter
from scoparchive.urls import in_scope


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


class ArchiveMiddleware:
    """Writes every exchange to the WARC archive, as received, before anything is decompressed."""

    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.directory = Path(settings.get("ARCHIVE_DIR"))
        self.run_id = settings.get("CRAWL_RUN_ID") or new_run_id()
        self.max_file_size = settings.getint("ARCHIVE_MAX_FILE_SIZE")
        self.operator = settings.get("ARCHIVE_OPERATOR")
        self.robots_policy = "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"
        self.writer: ArchiveWriter | None = None
        crawler.signals.connect(self.open, signal=signals.spider_opened)
        crawler.signals.connect(self.close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open(self, spider):
        self.directory.mkdir(parents=True, exist_ok=True)
        known_digests, latest_by_url = ArchiveReader(self.directory).recrawl_state()
        self.writer = ArchiveWriter(
            self.directory,
            run_id=self.run_id,
            software=f"scoparchive/{__version__} Scrapy/{scrapy.__version__}",
            operator=self.operator,
            robots_policy=self.robots_policy,
            max_file_size=self.max_file_size,
            known_digests=known_digests,
            latest_by_url=latest_by_url,
            extra_info={"site": spider.profile.base_url, "user-agent": self.crawler.settings.get(
                "USER_AGENT")},
        )
        self.crawler.stats.set_value("scoparchive/run_id", self.run_id)

    def close(self, spider, reason):
        if self.writer is not None:
            self.writer.close()

    def process_request(self, request: Request):
        request.meta["scoparchive_started"] = (time.monotonic(), datetime.now(UTC))
        return None

    def process_response(self, request: Request, response: Response):
        started_monotonic, started_at = request.meta.get(
            "scoparchive_started", (time.monotonic(), datetime.now(UTC))
        )
        ref = self.writer.write_exchange(
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
            referrer=_header(request, b"Referer"),
            duration_ms=(time.monotonic() - started_monotonic) * 1000,
        )
        self.crawler.stats.inc_value("scoparchive/archived")
        if ref.record_type == "revisit":
            self.crawler.stats.inc_value("scoparchive/revisits")
        return response

    def process_exception(self, request: Request, exception: Exception):
        if isinstance(exception, IgnoreRequest):
            return None
        started_monotonic, started_at = request.meta.get(
            "scoparchive_started", (time.monotonic(), None)
        )
        self.writer.log_failure(
            request.url,
            error=f"{type(exception).__name__}: {exception}",
            fetched_at=started_at,
            referrer=_header(request, b"Referer"),
            duration_ms=(time.monotonic() - started_monotonic) * 1000,
        )
        self.crawler.stats.inc_value("scoparchive/errors")
        return None


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


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
    host = urlsplit(request.url).netloc
    return [("Host", host), *_header_list(request.headers)]


def _header_value(headers, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def _header(request: Request, name: bytes) -> str | None:
    return _header_value(request.headers, name)
