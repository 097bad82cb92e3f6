"""The crawl: a Scrapy project of its own, whose only output is the WARC archive.

- ``spider``: discovery (robots.txt, sitemaps, links) and the pages' items;
- ``middlewares``: one downloader middleware per concern (scope, retries, recrawl, per-host
  concurrency, the WARC archive);
- ``session``: the crawl session, a Scrapy extension (lock, run record, archive writer);
- ``recrawl``: what a new crawl knows from the archive, and the archive's lock and run records;
- ``settings``: the Scrapy settings, of `scrapy crawl site` (scrapy.cfg) and `scoparchive crawl`;
- ``run``: `scoparchive crawl` in this process.

Nothing here imports the build: the archive is the crawl's only link to the datasets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scoparchive.crawling.run import CrawlError, CrawlResult, crawl, crawl_settings
    from scoparchive.crawling.session import CrawlSession

__all__ = ["CrawlError", "CrawlResult", "CrawlSession", "crawl", "crawl_settings"]

_HOMES = {
    "CrawlError": "scoparchive.crawling.run",
    "CrawlResult": "scoparchive.crawling.run",
    "crawl": "scoparchive.crawling.run",
    "crawl_settings": "scoparchive.crawling.run",
    "CrawlSession": "scoparchive.crawling.session",
}


def __getattr__(name: str):
    # On first use, not on import: Scrapy reads ``scoparchive.crawling.settings`` (and the
    # benchmark's bare spider reads it too) without wanting the spider's page parsers loaded.
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
