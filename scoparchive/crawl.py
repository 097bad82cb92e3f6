"""Run a crawl in this process: Scrapy, the site spider and the archive middleware.

Scrapy's reactor runs once per process: a program that crawls twice starts a process per crawl
(the CLI does, and so do the tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from scoparchive.middlewares import new_run_id
from scoparchive.profiles import DEFAULT_PROFILE
from scoparchive.spiders.site import SiteSpider

#: The floor delay between two requests to a real site, in seconds.
DEFAULT_DELAY = 1.0


class CrawlError(Exception):
    """A crawl that cannot start or reached nothing; the message is one line for a person."""


@dataclass
class CrawlResult:
    run_id: str
    archive_dir: Path
    site_url: str
    responses: int
    bytes: int
    errors: int
    seconds: float
    finish_reason: str
    stats: dict = field(default_factory=dict)


def default_delay(site_url: str) -> float:
    """A second between requests to a real site; none to a replica on this machine."""
    host = urlsplit(site_url).hostname or ""
    return 0.0 if host in ("127.0.0.1", "localhost", "::1") else DEFAULT_DELAY


def crawl_settings(archive_dir: Path, *, site_url: str, delay: float | None,
                   max_pages: int | None, run_id: str, log_level: str) -> Settings:
    settings = Settings()
    settings.setmodule("scoparchive.settings", priority="project")
    settings.setdict({
        "ARCHIVE_DIR": str(archive_dir),
        "SITE_URL": site_url,
        "CRAWL_RUN_ID": run_id,
        "DOWNLOAD_DELAY": default_delay(site_url) if delay is None else delay,
        "LOG_LEVEL": log_level if log_level != "NONE" else "CRITICAL",
        # Quiet by default: the CLI reports errors itself, in one line each, without tracebacks.
        "LOG_ENABLED": log_level != "NONE",
        "CLOSESPIDER_PAGECOUNT": max_pages or 0,
    }, priority="cmdline")
    return settings


def crawl(
    archive_dir: Path,
    *,
    site_url: str = DEFAULT_PROFILE.base_url,
    delay: float | None = None,
    max_pages: int | None = None,
    log_level: str = "WARNING",
    on_response: Callable[[str, int, int], None] | None = None,
) -> CrawlResult:
    archive_dir = Path(archive_dir)
    _check_site_url(site_url)
    _check_writable(archive_dir)
    run_id = new_run_id()
    settings = crawl_settings(archive_dir, site_url=site_url, delay=delay, max_pages=max_pages,
                              run_id=run_id, log_level=log_level)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    if on_response is not None:
        def report(response, request, spider=None):
            on_response(response.url, response.status, len(response.body))
        crawler.signals.connect(report, signal=signals.response_received, weak=False)
    started = time.monotonic()
    process.crawl(crawler, site_url=site_url)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    responses = stats.get("downloader/response_count", 0)
    if responses == 0:
        raise CrawlError(f"{site_url}: the site could not be reached ({_first_error(stats)})")
    return CrawlResult(
        run_id=run_id,
        archive_dir=archive_dir,
        site_url=site_url,
        responses=responses,
        bytes=stats.get("downloader/response_bytes", 0),
        errors=stats.get("scoparchive/errors", 0),
        seconds=time.monotonic() - started,
        finish_reason=str(stats.get("finish_reason", "")),
        stats=stats,
    )


def _check_site_url(site_url: str) -> None:
    parts = urlsplit(site_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CrawlError(f"{site_url!r} is not an http(s) URL of a site")


def _check_writable(archive_dir: Path) -> None:
    try:
        archive_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CrawlError(f"cannot create the archive folder {archive_dir}: "
                         f"{error.strerror}") from error
    if not os.access(archive_dir, os.W_OK | os.X_OK):
        raise CrawlError(f"cannot write into the archive folder {archive_dir}")


def _first_error(stats: dict) -> str:
    kinds = [key.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for key in stats
             if key.startswith("downloader/exception_type_count/")]
    return ", ".join(sorted(kinds)) or "no response"
