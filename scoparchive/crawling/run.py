"""`scoparchive crawl`: one crawl in this process, with the settings of `scrapy crawl site` and the
command's options over them.

What the crawl session (``session.py``) cannot do from inside Scrapy happens here, around it: the
archive is locked before Scrapy starts and until it stops, so that the run to resume is read from
an archive no other crawl is writing, and the spider is made with that run's site; a crawl that
cannot start, or reached nothing, is told in one line.

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
from scrapy.settings import BaseSettings, Settings

from scoparchive import __version__
from scoparchive.archive.lock import ArchiveLock, ArchiveLocked
from scoparchive.crawling.outcome import FAILED, FINISHED, SHUTDOWN_REASON, judge
from scoparchive.crawling.recrawl import run_to_resume
from scoparchive.crawling.session import new_run_id
from scoparchive.crawling.spider import SiteSpider
from scoparchive.profiles import DEFAULT_PROFILE


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
    #: How the run ended (``crawling.outcome``): finished, partial or interrupted (a failed
    #: crawl raises ``CrawlError``), and the line that says why when it did not simply finish.
    status: str = FINISHED
    message: str | None = None


def crawl_settings(archive_dir: Path, *, site_url: str, delay: float | None,
                   max_pages: int | None, run_id: str, log_level: str,
                   resume: bool = False, overrides: dict | None = None,
                   contact: str | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("scoparchive.crawling.settings", priority="project")
    settings.setdict({
        "ARCHIVE_DIR": str(archive_dir),
        "SITE_URL": site_url,
        "CRAWL_RUN_ID": run_id,
        "LOG_LEVEL": log_level if log_level != "NONE" else "CRITICAL",
        # Quiet by default: the CLI reports errors itself, in one line each, without tracebacks.
        "LOG_ENABLED": log_level != "NONE",
        "CLOSESPIDER_PAGECOUNT": max_pages or 0,
        "CRAWL_RESUME": resume,
        "ARCHIVE_LOCK_HELD": True,
    }, priority="cmdline")
    # Without --delay, the spider decides as under `scrapy crawl`: the settings' floor (a second)
    # for a real site, none for a site on this machine.
    if delay is not None:
        settings.set("DOWNLOAD_DELAY", delay, priority="cmdline")
    if contact:
        settings.set("USER_AGENT", settings.get("USER_AGENT_TEMPLATE").format(
            version=__version__, contact=contact), priority="cmdline")
        settings.set("ARCHIVE_OPERATOR", contact, priority="cmdline")
    for name, value in (overrides or {}).items():
        components = settings.get(name)
        if isinstance(value, dict) and isinstance(components, BaseSettings):
            # Added to the project's components, not put in their place: without the session
            # extension and the archive middleware there is no crawl.
            components.update(value, priority="cmdline")
        else:
            settings.set(name, value, priority="cmdline")
    return settings


def crawl(
    archive_dir: Path,
    *,
    site_url: str = DEFAULT_PROFILE.base_url,
    delay: float | None = None,
    max_pages: int | None = None,
    resume: bool = False,
    log_level: str = "WARNING",
    on_response: Callable[[str, int, int], None] | None = None,
    settings: dict | None = None,
    contact: str | None = None,
) -> CrawlResult:
    archive_dir = Path(archive_dir)
    _check_site_url(site_url)
    _check_writable(archive_dir)
    try:
        lock = ArchiveLock(archive_dir).acquire()
    except ArchiveLocked as error:
        raise CrawlError(str(error)) from error
    try:
        if resume:
            resumed = run_to_resume(archive_dir)
            if resumed is None:
                raise CrawlError(f"{archive_dir}: nothing to resume, the last crawl finished")
            site_url = resumed.site_url
        stats, seconds = _run_scrapy(archive_dir, site_url, delay, max_pages, resume,
                                     log_level, on_response, settings, contact)
    finally:
        lock.release()
    # A second Ctrl-C stops the reactor at once: the spider is never closed, nor given a reason.
    reason = stats.get("finish_reason") or SHUTDOWN_REASON
    outcome = judge(stats, reason, site_url)
    if outcome.status == FAILED:
        raise CrawlError(outcome.message)
    return CrawlResult(
        run_id=stats.get("scoparchive/run_id", ""),
        archive_dir=archive_dir,
        site_url=site_url,
        responses=stats.get("scoparchive/archived", 0),
        bytes=stats.get("scoparchive/bytes_received", 0),
        errors=stats.get("scoparchive/errors", 0),
        seconds=seconds,
        finish_reason=str(reason),
        stats=stats,
        status=outcome.status,
        message=outcome.message,
    )


def _run_scrapy(archive_dir, site_url, delay, max_pages, resume, log_level, on_response,
                overrides, contact):
    settings = crawl_settings(archive_dir, site_url=site_url, delay=delay, max_pages=max_pages,
                              run_id=new_run_id(), log_level=log_level, resume=resume,
                              overrides=overrides, contact=contact)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    if on_response is not None:
        def report(response, request, spider=None):
            on_response(response.url, response.status, len(response.body))
        crawler.signals.connect(report, signal=signals.response_received, weak=False)
    started = time.monotonic()
    process.crawl(crawler, site_url=site_url)
    process.start()
    return (crawler.stats.get_stats() if crawler.stats else {}), time.monotonic() - started


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
