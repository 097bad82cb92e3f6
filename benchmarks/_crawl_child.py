"""One crawl or one build in this process, for bench_crawl.py (Scrapy's reactor is one per
process). Prints one line ``BENCH-RESULT {json}`` on stdout.

    python benchmarks/_crawl_child.py ours  SITE_URL ARCHIVE_DIR   # scoparchive's crawl
    python benchmarks/_crawl_child.py bare  SITE_URL               # a bare Scrapy spider
    python benchmarks/_crawl_child.py build ARCHIVE_DIR OUT_DIR    # scoparchive's build
"""

from __future__ import annotations

import time

STARTED = time.monotonic()

import dataclasses  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urldefrag, urlsplit  # noqa: E402

MARKER = "BENCH-RESULT "
#: Scrapy's own counters, kept for both spiders so that they compare on the same definitions.
SCRAPY_STATS = ("downloader/request_count", "downloader/response_count",
                "downloader/response_bytes", "downloader/request_bytes", "item_scraped_count",
                "finish_reason", "robotstxt/request_count")


# By module name, not __main__: the same under `python -m cProfile` or any other runner.
WIRE_EXTENSION = {"EXTENSIONS": {"_crawl_child.WireBytes": 0}}


class WireBytes:
    """Counts the response bodies' bytes as they come off the socket (Scrapy's ``bytes_received``
    signal, before any decompression). Scrapy's ``downloader/response_bytes`` cannot compare the
    two spiders: it also counts the archived copies that scoparchive's recrawl middleware serves
    from the archive without a request, and it includes the headers."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        extension = cls(crawler.stats)
        crawler.signals.connect(extension.received, signal=signals.bytes_received)
        crawler.signals.connect(extension.headers, signal=signals.headers_received)
        return extension

    def received(self, data, request, spider):
        self.stats.inc_value("bench/wire_body_bytes", len(data))

    def headers(self, headers, body_length, request, spider):
        self.stats.inc_value("bench/wire_responses")


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scrapy_stats(stats: dict) -> dict:
    kept = {key: stats[key] for key in SCRAPY_STATS if key in stats}
    kept.update({key: value for key, value in stats.items()
                 if key.startswith(("scoparchive/", "bench/")) and isinstance(value, int | float | str)})
    kept.update({key: value for key, value in stats.items()
                 if key.startswith("downloader/response_status_count/")})
    return kept


def ours(site_url: str, archive_dir: str) -> dict:
    from scoparchive.crawling import crawl
    from scoparchive.dataset.run_summary import summarise_run

    imported = time.monotonic()
    result = crawl(Path(archive_dir), site_url=site_url, log_level="NONE",
                   settings=dict(WIRE_EXTENSION))
    changes = summarise_run(result.archive_dir, result.run_id)
    finished = time.monotonic()
    return {
        "import_s": imported - STARTED,
        "scrapy_s": result.seconds,  # around CrawlerProcess.start(), as for the bare spider
        # crawl() (+ the lock) and the run summary (replays history), as `scoparchive crawl` runs
        "crawl_call_s": finished - imported,
        "responses": result.responses,
        "bytes_received": result.bytes,
        "errors": result.errors,
        "finish_reason": result.finish_reason,
        # The counts (the URL lists behind them would only bloat the results).
        "changes": {name: value for name, value in dataclasses.asdict(changes).items()
                    if isinstance(value, int)} if dataclasses.is_dataclass(changes) else {},
        "stats": _scrapy_stats(result.stats),
    }


def bare(site_url: str) -> dict:
    """A minimal spider: every same-host ``a[href]`` and ``img[src]``, no archive, no parsing
    beyond the link extraction, with scoparchive's concurrency and request headers, delay 0."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from scoparchive.crawling import settings as ours_settings

    host = urlsplit(site_url).netloc

    class BareSpider(scrapy.Spider):
        name = "bare"
        start_urls = (site_url,)

        def parse(self, response):
            content_type = response.headers.get("Content-Type", b"").lower()
            if not content_type.startswith(b"text/html"):
                return
            for href in response.xpath("//a/@href | //img/@src").getall():
                url = urldefrag(response.urljoin(href.strip()))[0]
                if urlsplit(url).netloc == host:
                    yield scrapy.Request(url, callback=self.parse)

    process = CrawlerProcess({
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 0,
        "CONCURRENT_REQUESTS": ours_settings.CONCURRENT_REQUESTS,
        "CONCURRENT_REQUESTS_PER_DOMAIN": ours_settings.CONCURRENT_REQUESTS_PER_DOMAIN,
        "DEFAULT_REQUEST_HEADERS": ours_settings.DEFAULT_REQUEST_HEADERS,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": False,
        **WIRE_EXTENSION,
    }, install_root_handler=False)
    crawler = process.create_crawler(BareSpider)
    imported = time.monotonic()
    process.crawl(crawler)
    process.start()
    finished = time.monotonic()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return {"import_s": imported - STARTED, "scrapy_s": finished - imported,
            "stats": _scrapy_stats(stats)}


def build(archive_dir: str, out_dir: str) -> dict:
    from scoparchive.dataset.build import build as build_datasets

    imported = time.monotonic()
    report = build_datasets(Path(archive_dir), Path(out_dir))
    finished = time.monotonic()
    return {
        "import_s": imported - STARTED,
        "build_s": report.seconds,
        "build_call_s": finished - imported,
        "captures": report.captures,
        "parsed": getattr(report, "parsed", None),
        "from_cache": getattr(report, "from_cache", None),
        "rows": sum(report.row_counts.values()),
    }


def main(argv: list[str]) -> int:
    mode, *arguments = argv
    result = {"ours": ours, "bare": bare, "build": build}[mode](*arguments)
    result["process_s"] = time.monotonic() - STARTED
    result["max_rss_mib"] = _max_rss_mib()
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
