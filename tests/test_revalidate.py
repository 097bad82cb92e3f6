"""What a recrawl asks again of the pages the archive holds, against the replica on 127.0.0.1: a
page waits for its sitemap lastmod, a page whose lastmod never moves is still revalidated after
``--revalidate-after`` days, and ``--full`` fetches everything again."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from conftest import run_cli

from scoparchive.replica import ReplicaServer

pytestmark = pytest.mark.slow
CONDITIONAL = {"if-none-match", "if-modified-since"}


def crawl(replica: ReplicaServer, archive: Path, *extra: str):
    return run_cli("crawl", "--site-url", replica.url, "--archive", str(archive), *extra)


def since(replica: ReplicaServer, started: float) -> dict[str, list]:
    """Path → the requests the replica received for it since ``started``."""
    requests: dict[str, list] = {}
    for entry in replica.request_log:
        if entry.time >= started:
            requests.setdefault(entry.path, []).append(entry)
    return requests


def conditional(entry) -> bool:
    return bool(CONDITIONAL & {name.lower() for name in entry.headers})


def article_paths(replica: ReplicaServer) -> set[str]:
    return {f"/{entry.slug}" for entry in replica.site.articles()}


def test_known_pages_wait_for_their_lastmod_while_the_sitemap_is_slow(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive = tmp_path / "archive"
        crawl(replica, archive)
        # The sitemap answers last: the home page and its links, in the archive already, must
        # not be asked before their lastmod is known, not even with a conditional GET.
        replica.add_fault("/sitemap.xml", status=None, times=1, delay=0.5)
        started = time.time()
        crawl(replica, archive)
        asked = since(replica, started)
    assert "/sitemap.xml" in asked
    assert "/" not in asked
    assert not article_paths(replica) & set(asked), sorted(article_paths(replica) & set(asked))


def test_a_page_whose_lastmod_never_moves_is_revalidated_after_the_given_days(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive, out = tmp_path / "archive", tmp_path / "out"
        crawl(replica, archive)
        articles = article_paths(replica)
        started = time.time()
        crawl(replica, archive, "--revalidate-after", "0")
        asked = since(replica, started)
    # Every article is asked again, conditionally, and answered 304 (they did not change).
    assert articles <= set(asked), sorted(articles - set(asked))
    for path in articles:
        (entry,) = asked[path]
        assert conditional(entry) and entry.status == 304, (path, entry)

    run_cli("build", "--archive", str(archive), "--out", str(out))
    with sqlite3.connect(next(out.glob("*.db"))) as db:
        runs = [run for (run,) in db.execute("select started_at from crawl_runs "
                                             "order by started_at")]
        rows = db.execute("select url, first_seen, last_seen from pages").fetchall()
    assert len(runs) == 2
    seen = {url.removeprefix(replica.url.rstrip("/")): (first, last) for url, first, last in rows}
    for path in articles:
        first, last = seen[path]
        assert first < runs[1] <= last, (path, first, last)  # the 304 moved last_seen


def test_full_fetches_every_page_again_unconditionally(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive = tmp_path / "archive"
        crawl(replica, archive)
        started = time.time()
        crawl(replica, archive, "--full")
        asked = since(replica, started)
        pages = set(replica.site.html_paths())
    assert pages <= set(asked), sorted(pages - set(asked))
    for path in pages:
        (entry,) = asked[path]
        assert entry.status == 200 and not conditional(entry), (path, entry)
