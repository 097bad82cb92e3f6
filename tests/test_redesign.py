"""A redesign of the site, crawled as an archivist's cron would: the union's texts captured first
in one theme (Drupal-like, the date on a line of its own), then, after the site moved to a
WordPress block theme (the date inline in a byline, standard metadata in the head), in the other.

The records must not see the move: one row per article, the same title, date and text, no new
version of any page, no drift alarm. (A move that does lose fields alarms: tests/test_drift.py.)
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import run_cli

from scoparchive.dataset.build import build
from scoparchive.replica import ReplicaServer
from scoparchive.replica.app import ReplicaApp

pytestmark = pytest.mark.slow


def rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def redesign(server: ReplicaServer, markup: str) -> None:
    """The site moves to another theme: every page is published again in it, and the sitemap
    says so (``lastmod``), as a CMS migration does."""
    site = server.site
    with site.lock:
        server.app = ReplicaApp(site, markup, server.url)
        now = site.clock()
        for entry in site.entries.values():
            entry.modified = max(now, entry.modified)
        site.revision += 1


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    base = tmp_path_factory.mktemp("redesign")
    archive = base / "archive"
    with ReplicaServer(port=0, markup="drupal") as server:
        run_cli("crawl", "--site-url", server.url, "--archive", str(archive))
        before = build(archive, base / "before")
        redesign(server, "blocktheme")
        server.clear_log()
        run_cli("crawl", "--site-url", server.url, "--archive", str(archive))
        refetched = [entry for entry in server.request_log if entry.status == 200]
        after = build(archive, base / "after", strict=True)
        articles = len(server.site.articles())
    return before, after, refetched, articles


def test_the_second_crawl_fetched_the_site_in_its_new_theme(moved):
    _, after, refetched, articles = moved
    assert len(after.run_ids) == 2
    assert len(refetched) >= articles  # every article fetched again, in the new markup


def test_each_article_keeps_one_row_with_the_same_title_date_and_text(moved):
    before, after, _, articles = moved
    query = ("SELECT url, title, published_date, lead, body_text, rubric FROM articles "
             "ORDER BY url")  # fmt: skip
    found = rows(after.database, query)
    assert len({row[0] for row in found}) == len(found) > articles  # the legacy page too
    assert found == rows(before.database, query)
    # Every field of the move's capture came from the new theme: the dates from its byline.
    extraction = rows(after.database, "SELECT url, extraction FROM articles")
    assert {json.loads(found)["published_date"] for url, found in extraction
            if not url.endswith(".htm")} == {"landmark"}  # fmt: skip


def test_the_move_makes_no_new_version_of_any_page(moved):
    before, after, _, _ = moved
    for table in ("page_versions", "article_versions"):
        count = f"SELECT COUNT(*) FROM {table}"
        assert rows(after.database, count) == rows(before.database, count), table
    changed = rows(after.database, "SELECT pages_changed FROM crawl_runs ORDER BY started_at")
    assert changed[-1] == (0,)


def test_the_move_raises_no_drift_alarm(moved):
    _, after, _, _ = moved
    assert after.alarms == []  # and build(strict=True) passed
    quality = json.loads((after.out_dir / "quality.json").read_text(encoding="utf-8"))
    assert quality["alarms"] == [] and quality["failures"] == []
    # Which layer gave each field, per page type: the site's landmarks, for every article.
    assert quality["extraction_methods"]["article"]["published_date"] == {"landmark": 1.0}
    assert quality["extraction_methods"]["article"]["body_text"] == {"landmark": 1.0}
