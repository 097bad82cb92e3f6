"""The crawl session, a Scrapy extension (EXTENSIONS in ``settings.py``): `scrapy crawl site` and
`scoparchive crawl` lock the archive, keep its run record and write it in the same way."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import scrapy
from scrapy import signals

from scoparchive import __version__
from scoparchive.archive import ArchiveWriter
from scoparchive.crawling.recrawl import (
    ArchiveLock,
    ArchiveLocked,
    RecrawlState,
    RunRecord,
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


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
