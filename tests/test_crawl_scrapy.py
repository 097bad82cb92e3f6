"""`scrapy crawl site`, as a Scrapy user runs it, behaves as `scoparchive crawl`: the same
defaults (no delay on this machine only, robots.txt, the User-Agent), the same requests, no
deprecation warning."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter

import pytest
from conftest import REPO, run_cli
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from scoparchive.archive import ArchiveReader
from scoparchive.crawling import crawl_settings
from scoparchive.crawling.spider import SiteSpider
from scoparchive.urls import is_loopback

REAL_SITE = "https://les-scop-idf.coop/"
REPLICA = "http://127.0.0.1:8000/"
#: What politeness is made of, and must not depend on the entry point.
POLITENESS = ("DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER", "ROBOTSTXT_OBEY", "USER_AGENT",
              "CONCURRENT_REQUESTS_PER_DOMAIN")


def spider_settings(settings: Settings, **spider_args) -> Settings:
    """The settings a crawl runs with once the spider is made (before Scrapy freezes them)."""
    crawler = Crawler(SiteSpider, settings)
    SiteSpider.from_crawler(crawler, **spider_args)
    return crawler.settings


def scrapy_crawl_settings(site_url: str | None, **cmdline) -> Settings:
    """Settings as `scrapy crawl site -a site_url=URL -s NAME=VALUE` makes them (scrapy.cfg names
    the module)."""
    settings = Settings()
    settings.setmodule("scoparchive.crawling.settings", priority="project")
    settings.setdict(cmdline, priority="cmdline")
    return spider_settings(settings, **({"site_url": site_url} if site_url else {}))


def scoparchive_crawl_settings(site_url: str, tmp_path, delay: float | None = None) -> Settings:
    settings = crawl_settings(tmp_path / "archive", site_url=site_url, delay=delay,
                              max_pages=None, run_id="test", log_level="INFO")
    return spider_settings(settings, site_url=site_url)


@pytest.mark.parametrize("site_url", [REAL_SITE, "https://www.les-scop-idf.coop/", REPLICA,
                                      "http://localhost:8000/"])
def test_both_entry_points_have_the_same_politeness(site_url, tmp_path):
    scrapy_way = scrapy_crawl_settings(site_url)
    ours = scoparchive_crawl_settings(site_url, tmp_path)
    for name in POLITENESS:
        assert scrapy_way.get(name) == ours.get(name), name


def test_polite_by_default_against_a_real_site(tmp_path):
    for settings in (scrapy_crawl_settings(REAL_SITE),
                     scoparchive_crawl_settings(REAL_SITE, tmp_path)):
        assert settings.getfloat("DOWNLOAD_DELAY") == 1.0
        assert settings.getfloat("DOWNLOAD_DELAY_JITTER") == 0.0  # a floor, never shortened
        assert settings.getbool("ROBOTSTXT_OBEY")
        assert settings.get("USER_AGENT").startswith("scoparchive/")
        assert "+https://" in settings.get("USER_AGENT")
    # With no site named at all, `scrapy crawl site` crawls the union's site: the floor stays.
    assert scrapy_crawl_settings(None).getfloat("DOWNLOAD_DELAY") == 1.0


def test_only_this_machine_skips_the_delay(tmp_path):
    assert scrapy_crawl_settings(REPLICA).getfloat("DOWNLOAD_DELAY") == 0.0
    assert scoparchive_crawl_settings(REPLICA, tmp_path).getfloat("DOWNLOAD_DELAY") == 0.0
    # Whoever sets a delay has it, on this machine too.
    assert scrapy_crawl_settings(REPLICA, DOWNLOAD_DELAY=0.5).getfloat("DOWNLOAD_DELAY") == 0.5
    assert scoparchive_crawl_settings(REPLICA, tmp_path, delay=0.5).getfloat(
        "DOWNLOAD_DELAY") == 0.5
    assert scoparchive_crawl_settings(REAL_SITE, tmp_path, delay=3).getfloat(
        "DOWNLOAD_DELAY") == 3


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:8000/", True), ("http://127.3.2.1/", True), ("http://[::1]:8000/", True),
    ("http://localhost/", True), ("https://les-scop-idf.coop/", False),
    ("http://10.0.0.1/", False), ("http://localhost.example.org/", False),
    ("http://[::ffff:8.8.8.8]/", False), ("not a url", False), ("http://[bad/", False),
])
def test_is_loopback(url, loopback):
    assert is_loopback(url) is loopback


def _stat(stderr: str, name: str) -> str:
    found = re.search(rf"'{re.escape(name)}': ([^,\n]+)", stderr)
    assert found, f"{name} is not in the crawl's stats:\n{stderr[-3000:]}"
    return found.group(1)


@pytest.mark.slow
def test_scrapy_crawl_on_this_machine_is_undelayed_quiet_and_archives(replica, tmp_path):
    archive = tmp_path / "archive"
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"site_url={replica.url}",
         "-s", f"ARCHIVE_DIR={archive}"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # With the settings' one-second floor, this many requests would take as many seconds.
    assert float(_stat(done.stderr, "scoparchive/download_delay")) == 0.0
    requests = int(_stat(done.stderr, "downloader/request_count"))
    assert requests >= 50
    assert _stat(done.stderr, "finish_reason") == "'finished'"
    assert "DeprecationWarning" not in done.stderr, done.stderr
    assert "[py.warnings]" not in done.stderr, done.stderr

    # The archive is whole: every response the replica gave is a capture (identical payloads
    # are revisit records).
    archived = Counter(capture.url for capture in ArchiveReader(archive).captures(bodies=False))
    assert sum(archived.values()) == int(_stat(done.stderr, "scoparchive/archived")) == requests
    assert f"{replica.url}robots.txt" in archived and replica.url in archived
    scrapy_requests = sorted((entry.path, entry.headers.get("User-Agent"))
                             for entry in replica.request_log)

    # `scoparchive crawl` sends the very same requests, with the same User-Agent.
    replica.clear_log()
    run_cli("crawl", "--site-url", replica.url, "--archive", str(tmp_path / "other"))
    assert sorted((entry.path, entry.headers.get("User-Agent"))
                  for entry in replica.request_log) == scrapy_requests
