"""Archival-grade crawling against the replica on 127.0.0.1: the archive, recrawls, scope,
politeness, retries, resume."""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import REPO, run_cli
from warcio.archiveiterator import ArchiveIterator

from scoparchive.archive import ArchiveReader, read_crawl_log
from scoparchive.replica import DISALLOWED_PATHS, ReplicaServer

pytestmark = pytest.mark.slow
FAST_RETRIES = ("-s", "RETRY_BACKOFF_BASE=0.05")


def crawl(replica_url: str, archive: Path, *extra: str, check: bool = True):
    return run_cli("crawl", "--site-url", replica_url, "--archive", str(archive), *FAST_RETRIES,
                   *extra, check=check)


def build(archive: Path, out: Path) -> sqlite3.Connection:
    run_cli("build", "--archive", str(archive), "--out", str(out))
    db = sqlite3.connect(next(out.glob("*.db")))
    db.row_factory = sqlite3.Row
    return db


def warc_records(archive: Path):
    return list(ArchiveReader(archive).records())


def requested_paths(replica: ReplicaServer, since: float = 0.0) -> list[str]:
    return [entry.path for entry in replica.request_log if entry.time >= since]


# --- the archive --------------------------------------------------------------------------------

def test_full_crawl_archives_every_exchange_in_valid_warc(replica, tmp_path):
    archive = tmp_path / "archive"
    crawl(replica.url, archive)
    files = ArchiveReader(archive).warc_files()
    assert files
    for path in files:
        checked = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", "-v",
                                  str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    records = warc_records(archive)
    types = Counter(record.rec_type for record in records)
    assert types["warcinfo"] == len(files)
    assert types["request"] == types["response"] + types["revisit"]
    with files[0].open("rb") as stream:
        info = next(iter(ArchiveIterator(stream))).content_stream().read().decode()
    for field in ("software: scoparchive/", "operator:", "robots: obey",
                  "scoparchive-run-id:", "scoparchive-fidelity:"):
        assert field in info, field

    captured = {(capture.url.removeprefix(replica.url.rstrip("/")), capture.status)
                for capture in ArchiveReader(archive).captures(bodies=False)}
    served = {(entry.path, entry.status) for entry in replica.request_log}
    assert served == captured, served ^ captured
    statuses = {status for _, status in captured}
    assert {200, 301, 410} <= statuses, "redirects and gone pages are archived too"
    paths = {path for path, _ in captured}
    assert {"/robots.txt", "/sitemap.xml"} <= paths
    assert any(path.endswith(".pdf") for path in paths)
    assert any(path.endswith((".jpg", ".png")) for path in paths)
    assert set(replica.site.html_paths()) <= paths, "a page of the site was not crawled"
    assert (archive / "index.cdxj").is_file()


def test_payloads_are_archived_as_received_compressed(replica, tmp_path):
    archive = tmp_path / "archive"
    crawl(replica.url, archive, "--max-pages", "8")
    gzipped = [record for record in warc_records(archive)
               if record.rec_type == "response"
               and record.record.http_headers.get_header("Content-Encoding") == "gzip"]
    assert gzipped, "the replica sends gzip: the archive must keep it as sent"
    for capture in ArchiveReader(archive).captures():
        if capture.content_type == "text/html" and capture.status == 200:
            assert b"<html" in capture.body.lower()


def test_crawl_log_has_a_line_per_fetch(replica, tmp_path):
    archive = tmp_path / "archive"
    crawl(replica.url, archive)
    (log_file,) = (archive / "logs").glob("crawl-*.jsonl")
    entries = list(read_crawl_log(log_file))
    # The links out of the site are told too, each once, as URLs not requested.
    dropped = [entry for entry in entries if entry.get("record_type") == "dropped"]
    fetches = [entry for entry in entries if entry.get("record_type") != "dropped"]
    assert len(fetches) == len(replica.request_log)
    for entry in entries:
        for key in ("time", "status", "size", "url", "referrer", "mime", "digest",
                    "duration_ms"):
            assert key in entry
    assert any(entry["referrer"] for entry in entries)
    assert dropped and {entry["drop_reason"] for entry in dropped} == {"out-of-scope"}
    assert all(entry["status"] == -5000 and entry["referrer"] for entry in dropped)
    assert len({entry["url"] for entry in dropped}) == len(dropped)


# --- discovery, scope, politeness --------------------------------------------------------------

def test_discovery_without_a_sitemap(tmp_path):
    with ReplicaServer(port=0, sitemap=False) as replica:
        crawl(replica.url, tmp_path / "archive")
        paths = set(requested_paths(replica))
        assert "/sitemap.xml" in paths  # asked for, answered 404
        assert set(replica.site.html_paths()) <= paths


def test_disallowed_paths_and_external_hosts_are_never_requested(replica, tmp_path):
    archive = tmp_path / "archive"
    crawl(replica.url, archive)
    for path in requested_paths(replica):
        assert not any(path.startswith(denied) for denied in DISALLOWED_PATHS), path
        assert "search=" not in path
    hosts = {capture.url.split("/")[2] for capture in ArchiveReader(archive).captures(
        bodies=False)}
    assert hosts == {replica.url.split("/")[2]}


class _Redirector(BaseHTTPRequestHandler):
    """A site whose links and redirects lead out of scope: another port, another scheme."""

    target = ""

    def do_GET(self):
        pages = {
            "/": f'<html><body><a href="/away">a</a> <a href="/https">b</a>'
                 f'<a href="{self.target}direct">c</a></body></html>',
        }
        if self.path == "/away":
            self.send_response(302)
            self.send_header("Location", self.target + "trap")
            self.end_headers()
            return
        if self.path == "/https":
            self.send_response(301)
            self.send_header("Location", f"https://127.0.0.1:{self.server.server_port}/x")
            self.end_headers()
            return
        body = pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_redirects_never_leave_the_scope(tmp_path):
    with ReplicaServer(port=0) as trap:
        handler = type("Handler", (_Redirector,), {"target": trap.url})
        site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=site.serve_forever, daemon=True).start()
        try:
            crawl(f"http://127.0.0.1:{site.server_port}/", tmp_path / "archive")
        finally:
            site.shutdown()
        assert trap.request_log == [], "a request left the site's scope"


def test_politeness_delay_user_agent_and_concurrency(replica, tmp_path):
    crawl(replica.url, tmp_path / "archive", "--delay", "0.25", "--max-pages", "12",
          "--contact", "archives@example.org")
    log = replica.request_log
    times = sorted(entry.time for entry in log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 0.2, f"requests {min(gaps):.3f} s apart with a 0.25 s delay"
    agent = log[0].headers["User-Agent"]
    assert agent.startswith("scoparchive/") and agent.endswith("+archives@example.org)")
    with ArchiveReader(tmp_path / "archive").warc_files()[0].open("rb") as stream:
        info = next(iter(ArchiveIterator(stream))).content_stream().read().decode()
    assert "operator: archives@example.org" in info
    assert "br" not in log[-1].headers.get("Accept-Encoding", "")


def test_retry_after_is_honoured_and_a_503_is_no_removal(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive, out = tmp_path / "archive", tmp_path / "out"
        crawl(replica.url, archive)
        slug = replica.site.articles()[3].slug
        replica.add_fault(f"/{slug}", status=503, times=1, retry_after=1)
        replica.site.update_article(slug, lead="Un nouveau chapô pour tester les reprises.")
        crawl(replica.url, archive)
        hits = replica.requests_for(f"/{slug}")[-2:]
        assert [hit.status for hit in hits] == [503, 200]
        assert hits[1].time - hits[0].time >= 1.0, "Retry-After: 1 was not honoured"
        db = build(archive, out)
        page = db.execute("select * from pages where url = ?", (replica.url + slug,)).fetchone()
        assert page["removed_at"] is None and page["http_status"] == 200
        runs = db.execute("select * from crawl_runs order by started_at").fetchall()
        assert runs[1]["errors"] >= 1 and runs[1]["pages_removed"] == 0


def test_unreachable_pages_do_not_stop_the_crawl(tmp_path):
    with ReplicaServer(port=0) as replica:
        slug = replica.site.articles()[5].slug
        replica.add_fault(f"/{slug}", status=None, times=None, drop=True)
        crawled = crawl(replica.url, tmp_path / "archive", check=False)
        assert crawled.returncode == 3, crawled.stderr  # partial: one page given up
        assert "1 request(s) given up" in crawled.stderr
        entries = [entry for log in (tmp_path / "archive" / "logs").glob("*.jsonl")
                   for entry in read_crawl_log(log)]
        failures = [entry for entry in entries if entry["url"].endswith(slug)]
        assert failures and all(entry["status"] == -1 for entry in failures)
        assert len(failures) == 4  # the first try and three retries


# --- recrawls ----------------------------------------------------------------------------------

def own_content(truth) -> dict:
    data = asdict(truth)
    data.pop("latest")  # the teaser block is boilerplate, not the page's content
    return data


def test_recrawl_fetches_only_what_changed_and_counts_exactly(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive, out = tmp_path / "archive", tmp_path / "out"
        crawl(replica.url, archive)
        site = replica.site
        before = {path: own_content(site.truth(path)) for path in site.html_paths()}

        articles = [entry for entry in site.articles() if entry.kind == "article"]
        changed, removed = articles[4], articles[6]
        site.update_article(changed.slug, body=["Un paragraphe entièrement nouveau.",
                                                "## Un intertitre", "Et une suite."])
        site.update_article(articles[5].slug, title=articles[5].title + " (mise à jour)")
        site.remove_article(removed.slug)
        added = site.add_article("Une coopérative de plus dans le Loiret", "15 11 2026",
                                 "Un chapô pour la nouvelle venue.",
                                 ["Un premier paragraphe.", "Un second paragraphe."])
        after = {path: own_content(site.truth(path)) for path in site.html_paths()}
        expected_changed = {p for p in before if p in after and before[p] != after[p]}
        assert {f"/{changed.slug}", f"/{articles[5].slug}"} <= expected_changed

        second_run_start = time.time()
        crawl(replica.url, archive)
        db = build(archive, out)
        _first, second = db.execute("select * from crawl_runs order by started_at").fetchall()
        assert second["pages_new"] == 1
        assert second["pages_removed"] == 1
        changed_urls = {row["url"].removeprefix(replica.url.rstrip("/")) for row in db.execute(
            "select url from page_versions where run_id = ?", (second["id"],))}
        assert changed_urls == expected_changed | {f"/{added}"}
        assert second["pages_changed"] == len(expected_changed)
        assert second["pages_unchanged"] == len(before) - len(expected_changed) - 1

        # Unchanged article pages are answered 304 or not requested at all.
        statuses = {entry.path: entry.status for entry in replica.request_log
                    if entry.time >= second_run_start}
        unchanged_articles = [f"/{entry.slug}" for entry in site.articles()
                              if f"/{entry.slug}" in before
                              and f"/{entry.slug}" not in expected_changed]
        assert unchanged_articles
        for path in unchanged_articles:
            assert statuses.get(path, 304) == 304, (path, statuses.get(path))

        page = db.execute("select * from pages where url = ?",
                          (replica.url + removed.slug,)).fetchone()
        assert page["removed_at"] is not None and page["http_status"] == 404
        assert db.execute("select count(*) from articles where url = ?",
                          (replica.url + removed.slug,)).fetchone()[0] == 1


def test_recrawl_of_an_unchanged_site_downloads_no_article_body(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive = tmp_path / "archive"
        crawl(replica.url, archive)
        started = time.time()
        crawl(replica.url, archive)
        article_paths = {f"/{entry.slug}" for entry in replica.site.articles()}
        bodies = [entry for entry in replica.request_log
                  if entry.time >= started and entry.path in article_paths
                  and entry.status == 200]
        assert bodies == []


# --- resume and lock ---------------------------------------------------------------------------

def _wait_for_log_lines(archive: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list((archive / "logs").glob("*.jsonl")) if (archive / "logs").exists() else []
        if logs and sum(1 for _ in logs[0].open()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the crawl did not get that far")


@pytest.mark.parametrize("stop_signal", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_crawl_resumes_without_duplicates_or_gaps(tmp_path, stop_signal):
    with ReplicaServer(port=0) as replica:
        archive, out = tmp_path / "archive", tmp_path / "out"
        process = subprocess.Popen(
            [sys.executable, "-m", "scoparchive", "crawl", "--site-url", replica.url,
             "--archive", str(archive), "--delay", "0.05"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_log_lines(archive, 25)
        process.send_signal(stop_signal)
        process.wait(timeout=30)
        captured_before = {
            capture.url.removeprefix(replica.url.rstrip("/"))
            for capture in ArchiveReader(archive, include_open=True).captures(bodies=False)
            if capture.status == 200
        }
        assert captured_before, "the crawl was stopped before it archived anything"
        resume_started = time.time()

        done = run_cli("crawl", "--archive", str(archive), "--resume", *FAST_RETRIES)
        assert "pages new" in done.stderr

        refetched = {entry.path for entry in replica.request_log
                     if entry.time >= resume_started} & captured_before
        assert not refetched, f"finished pages fetched again: {refetched}"
        page_paths = set(replica.site.html_paths())

        db = build(archive, out)
        runs = db.execute("select id from crawl_runs").fetchall()
        assert len(runs) == 1, "a resumed crawl is the same run"
        versions = Counter(row["url"] for row in db.execute("select url from page_versions"))
        assert max(versions.values()) == 1, "a page was recorded twice"
        pages = {row["url"].removeprefix(replica.url.rstrip("/"))
                 for row in db.execute("select url from pages")}
        assert page_paths <= pages, f"missing: {page_paths - pages}"
        ok_captures = Counter(capture.url for capture in ArchiveReader(archive).captures(
            bodies=False) if capture.status == 200 and capture.content_type == "text/html")
        assert max(ok_captures.values()) == 1, "a page was fetched twice"


def test_resume_with_nothing_to_resume_says_so(replica, tmp_path):
    crawl(replica.url, tmp_path / "archive", "--max-pages", "3")
    crawl(replica.url, tmp_path / "archive", "--resume")  # the cut run finishes
    done = run_cli("crawl", "--archive", str(tmp_path / "archive"), "--resume", check=False)
    assert done.returncode == 1 and "nothing to resume" in done.stderr


def test_two_crawls_cannot_share_an_archive(tmp_path):
    with ReplicaServer(port=0) as replica:
        archive = tmp_path / "archive"
        first = subprocess.Popen(
            [sys.executable, "-m", "scoparchive", "crawl", "--site-url", replica.url,
             "--archive", str(archive), "--delay", "0.05"],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_log_lines(archive, 3)
            second = crawl(replica.url, archive, check=False)
            assert second.returncode == 1
            assert "another crawl is writing" in second.stderr
        finally:
            first.terminate()
            first.wait(timeout=30)


def test_run_records_say_how_each_run_ended(replica, tmp_path):
    archive = tmp_path / "archive"
    crawl(replica.url, archive, "--max-pages", "4")
    crawl(replica.url, archive)
    runs = [json.loads(path.read_text()) for path in sorted((archive / "runs").glob("*.json"))]
    assert [run["status"] for run in sorted(runs, key=lambda r: r["started_at"])] == [
        "interrupted", "finished"]  # cut at --max-pages: resumable, though exit 0 as asked


def test_robots_crawl_delay_slows_the_crawl_down(tmp_path):
    with ReplicaServer(port=0, crawl_delay=0.4) as replica:
        crawl(replica.url, tmp_path / "archive", "--max-pages", "8")
        times = sorted(entry.time for entry in replica.request_log[2:])
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        assert gaps and min(gaps) >= 0.35, f"{min(gaps):.3f} s between requests"


def test_at_most_two_requests_at_once(tmp_path):
    slow = 0.3
    with ReplicaServer(port=0) as replica:
        replica.add_fault("/*", status=None, times=None, delay=slow)
        crawl(replica.url, tmp_path / "archive", "--delay", "0", "--max-pages", "12")
        arrivals = sorted(entry.time for entry in replica.request_log)
    # Every answer takes `slow` seconds: three arrivals within that span would mean three
    # requests in flight at once.
    in_flight = max(sum(1 for t in arrivals if start <= t < start + slow * 0.9)
                    for start in arrivals)
    assert len(arrivals) >= 10
    assert in_flight == 2, f"{in_flight} requests at once"


def test_scrapy_crawl_on_a_locked_archive_fetches_nothing(tmp_path, replica):
    from scoparchive.archive.lock import ArchiveLock

    lock = ArchiveLock(tmp_path / "archive").acquire()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"site_url={replica.url}",
             "-s", f"ARCHIVE_DIR={tmp_path / 'archive'}", "-s", "LOG_LEVEL=ERROR"],
            cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        lock.release()
    assert "another crawl is writing" in done.stderr
    assert "Traceback" not in done.stderr
    assert replica.request_log == []
