"""`scoparchive crawl`: one crawl in this process, with the settings of `scrapy crawl site` and the
command's options over them.

What the crawl session (``session.py``) cannot do from inside Scrapy happens here, around it: the
archive is locked before Scrapy starts and until it stops, so that the run to resume is read from
an archive no other crawl is writing, and the spider is made with that run's sites; a crawl that
cannot start, or reached nothing, is told in one line. With a Redis (``--redis``), this process
is a worker of a distributed crawl (``distributed.py``): the run it joins is decided here, before
Scrapy starts.

Scrapy's reactor runs once per process: a program that crawls twice starts a process per crawl
(the CLI does, and so do the tests).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
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
from scoparchive.crawling.sites import Sites, SitesError
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
    #: Every site crawled, profile name → base URL (``site_url`` is the first).
    sites: dict[str, str] = field(default_factory=dict)
    #: The worker id, in a distributed crawl.
    worker: str | None = None


@dataclass(frozen=True)
class Distribution:
    """A worker's place in a distributed crawl: what ``crawl_settings`` gives Scrapy."""

    redis_url: str
    crawl_id: str
    worker: str


def crawl_settings(archive_dir: Path, *, site_url: str, delay: float | None,
                   max_pages: int | None, run_id: str, log_level: str,
                   resume: bool = False, overrides: dict | None = None,
                   contact: str | None = None, sites: Sequence[str] | None = None,
                   distribution: Distribution | None = None) -> Settings:
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
        "SITES": list(sites or []),
    }, priority="cmdline")
    if distribution is not None:
        _distribute(settings, distribution, run_id)
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


def _distribute(settings: Settings, distribution: Distribution, run_id: str) -> None:
    """scrapy-redis's scheduler and duplicate filter, under the keys of this crawl's run."""
    from scoparchive.crawling.distributed import CrawlKeys, shown_url

    keys = CrawlKeys(distribution.crawl_id, run_id)
    settings.setdict({
        "REDIS_URL": distribution.redis_url,
        "CRAWL_REDIS_SHOWN": shown_url(distribution.redis_url),
        "CRAWL_ID": distribution.crawl_id,
        "CRAWL_WORKER": distribution.worker,
        "SCHEDULER": "scoparchive.crawling.distributed.DistributedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_QUEUE_KEY": keys.requests,
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter,
        # The queue and the fingerprints outlive each worker: the run ends them
        # (``DistributedCrawl._finish_run``).
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
    }, priority="cmdline")


def crawl(
    archive_dir: Path,
    *,
    site_url: str = DEFAULT_PROFILE.base_url,
    sites: Sequence[str] | None = None,
    all_sites: bool = False,
    delay: float | None = None,
    max_pages: int | None = None,
    resume: bool = False,
    log_level: str = "WARNING",
    on_response: Callable[[str, int, int], None] | None = None,
    settings: dict | None = None,
    contact: str | None = None,
    redis_url: str | None = None,
    worker: str | None = None,
) -> CrawlResult:
    """Crawl ``sites`` (each as ``--site-url`` takes it: URL, profile NAME or NAME=URL; else
    ``site_url``; ``all_sites``: every profile) into ``archive_dir``; with ``redis_url``, as a
    worker of the distributed crawl of those sites."""
    archive_dir = Path(archive_dir)
    crawl_sites = None if resume else _sites(sites or [site_url], all_sites)
    _check_writable(archive_dir)
    try:
        lock = ArchiveLock(archive_dir).acquire()
    except ArchiveLocked as error:
        raise CrawlError(str(error)) from error
    try:
        resumed = run_to_resume(archive_dir)
        if resume:
            if resumed is None:
                raise CrawlError(f"{archive_dir}: nothing to resume, the last crawl finished")
            # The run's sites, from its record (a record older than several sites has one).
            crawl_sites = _sites([f"{name}={url}" for name, url in resumed.sites.items()]
                                 or [resumed.site_url], False)
            redis_url = redis_url or resumed.redis_url
            worker = worker or resumed.worker
        run_id, distribution = new_run_id(), None
        if redis_url:
            run_id, distribution = _join(redis_url, crawl_sites, archive_dir, worker,
                                         resumed.run_id if resume else None)
            # A worker started again without --resume while its run goes on resumes it.
            resume = resume or (resumed is not None and resumed.run_id == run_id)
        stats, seconds = _run_scrapy(archive_dir, crawl_sites, run_id, delay, max_pages,
                                     resume, log_level, on_response, settings, contact,
                                     distribution)
    finally:
        lock.release()
    # A second Ctrl-C stops the reactor at once: the spider is never closed, nor given a reason.
    reason = stats.get("finish_reason") or SHUTDOWN_REASON
    outcome = judge(stats, reason, crawl_sites.describe())
    if outcome.status == FAILED:
        raise CrawlError(outcome.message)
    return CrawlResult(
        run_id=stats.get("scoparchive/run_id", ""),
        archive_dir=archive_dir,
        site_url=crawl_sites.first.base_url,
        responses=stats.get("scoparchive/archived", 0),
        bytes=stats.get("scoparchive/bytes_received", 0),
        errors=stats.get("scoparchive/errors", 0),
        seconds=seconds,
        finish_reason=str(reason),
        stats=stats,
        status=outcome.status,
        message=outcome.message,
        sites=crawl_sites.record(),
        worker=distribution.worker if distribution else None,
    )


def _sites(texts: Sequence[str], all_sites: bool) -> Sites:
    try:
        sites = Sites.every_profile() if all_sites else Sites.parse(texts)
    except SitesError as error:
        raise CrawlError(str(error)) from error
    for profile in sites.profiles:
        _check_site_url(profile.base_url)
    return sites


def _join(redis_url: str, sites: Sites, archive_dir: Path, worker: str | None,
          resume_run_id: str | None) -> tuple[str, Distribution]:
    """The run this worker takes part in, and its place in the crawl."""
    import redis

    from scoparchive.archive.naming import check_name_part
    from scoparchive.crawling.distributed import connect, default_worker_id, join_run, shown_url

    try:
        worker = check_name_part(worker or default_worker_id(archive_dir), "worker id")
    except ValueError as error:
        raise CrawlError(str(error)) from error
    try:
        client = connect(redis_url)
    except (redis.RedisError, ValueError) as error:
        raise CrawlError(f"Redis injoignable (unreachable) à {shown_url(redis_url)} : "
                         f"{error}") from error
    try:
        run_id = join_run(client, sites.crawl_id(), resume_run_id)
    except redis.RedisError as error:
        raise CrawlError(f"Redis : {error}") from error
    finally:
        client.close()
    return run_id, Distribution(redis_url, sites.crawl_id(), worker)


def _run_scrapy(archive_dir, sites, run_id, delay, max_pages, resume, log_level, on_response,
                overrides, contact, distribution):
    settings = crawl_settings(archive_dir, site_url=sites.first.base_url, delay=delay,
                              max_pages=max_pages, run_id=run_id, log_level=log_level,
                              resume=resume, overrides=overrides, contact=contact,
                              sites=sites.texts(), distribution=distribution)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(SiteSpider)
    if on_response is not None:
        def report(response, request, spider=None):
            on_response(response.url, response.status, len(response.body))
        crawler.signals.connect(report, signal=signals.response_received, weak=False)
    started = time.monotonic()
    process.crawl(crawler)
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
