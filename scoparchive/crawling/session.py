"""The crawl session, a Scrapy extension (EXTENSIONS in ``settings.py``): `scrapy crawl site` and
`scoparchive crawl` lock the archive, keep its run record and write it in the same way."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

from scoparchive import __version__
from scoparchive.archive import ArchiveWriter, read_crawl_log
from scoparchive.archive.crawllog import crawl_log_path
from scoparchive.archive.lock import ArchiveLock, ArchiveLocked
from scoparchive.archive.naming import LOG_DIR
from scoparchive.archive.runs import RunRecord
from scoparchive.crawling.outcome import ARCHIVE_FAILED_REASON, judge, not_requested
from scoparchive.crawling.recrawl import (
    RecrawlState,
    run_to_resume,
    salvage_killed_files,
)

logger = logging.getLogger(__name__)


class CrawlSession:
    """The archive side of one crawl, shared by the middlewares: the lock, the state read from the
    archive, the WARC writer, and the run record. Opened with the spider, closed with it."""

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
    def from_crawler(cls, crawler) -> CrawlSession:
        return cls(crawler)

    @classmethod
    def of(cls, crawler) -> CrawlSession:
        session = crawler.get_extension(cls)
        if session is None:
            # Without it nothing would be archived: better no crawl at all.
            raise RuntimeError(f"the archive middlewares need the extension "
                               f"{cls.__module__}.{cls.__qualname__} in EXTENSIONS")
        return session

    def open(self, spider):
        try:
            self._open(spider)
        except OSError as error:  # a full disk, a folder that cannot be written
            where = f" ({error.filename})" if error.filename else ""
            self.crawler.stats.set_value("scoparchive/archive_failed",
                                         f"{error.strerror or error}{where}")
            logger.error("the archive cannot be written: %s", error)
            if self.writer is not None:
                self.writer.abandon()
                self.writer = None
            deferred_from_coro(self.crawler.engine.close_spider_async(
                reason=ARCHIVE_FAILED_REASON))

    def _open(self, spider):
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
            log_path = crawl_log_path(self.directory / LOG_DIR, resumed.run_id)
            if resumed.status == "running" and log_path.is_file():
                # Killed (the lock says no crawl runs): it never wrote its counts.
                resumed.count_again(read_crawl_log(log_path))
            self.run_id = resumed.run_id
            resumed.resumed += 1
            resumed.status = "running"
            self.run = resumed
        else:
            self.run = RunRecord(self.run_id, spider.profile.base_url,
                                 datetime.now(UTC).isoformat())
        settings = self.crawler.settings
        self.run.sites = spider.sites.record()
        self.run.worker = settings.get("CRAWL_WORKER") or None
        self.run.redis_url = settings.get("CRAWL_REDIS_SHOWN") or None
        self.run.save(self.directory)
        self.state = RecrawlState(self.directory, resumed.run_id if resumed else None)
        if self.state.reader.skipped:
            self.crawler.stats.set_value("scoparchive/damaged_files",
                                         len(self.state.reader.skipped))
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
            sites=spider.sites.record(),
            worker=self.run.worker,
        )
        self.crawler.stats.set_value("scoparchive/run_id", self.run_id)

    def close(self, spider, reason):
        stats = self.crawler.stats
        try:
            if self.writer is not None:
                if stats.get_value("scoparchive/archive_failed"):
                    self.writer.abandon()
                else:
                    self._close_writer()
            if self.run is not None:
                self._record_end(reason)
        finally:
            self.lock.release()

    def _close_writer(self) -> None:
        try:
            self.writer.close()
        except OSError as error:  # the disk filled up at the very end
            self.crawler.stats.set_value("scoparchive/archive_failed", str(error))
            self.writer.abandon()

    def _record_end(self, reason: str) -> None:
        """The run record says how the run ended, with the counts the report gives."""
        stats = self.crawler.stats.get_stats()
        outcome = judge(stats, reason, " ".join(self.run.sites.values()) or self.run.site_url)
        run = self.run
        run.status, run.message, run.finish_reason = outcome.status, outcome.message, reason
        run.finished_at = datetime.now(UTC).isoformat()
        run.responses += stats.get("scoparchive/archived", 0)
        run.errors += stats.get("scoparchive/errors", 0)
        run.not_requested += not_requested(stats)
        run.bytes_received += stats.get("scoparchive/bytes_received", 0)
        try:
            run.save(self.directory)
        except OSError as error:
            logger.error("%s: the run record cannot be written (%s)", self.directory, error)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
