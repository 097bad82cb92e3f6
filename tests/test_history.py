"""The history of the site across crawl runs: versions, removals and the counts of each run.

Archives are written straight from the replica's application into WARC files (``SiteArchive``),
at chosen times and with chosen answers, so that every count can be asserted exactly; one test
crawls the replica twice for real.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path

import pytest
from conftest import run_cli

from scoparchive.archive import ArchiveReader, ArchiveWriter
from scoparchive.dataset.records import table_rows
from scoparchive.dataset.replay import replay_history
from scoparchive.replica import ReplicaServer
from scoparchive.replica.app import ReplicaApp
from scoparchive.replica.model import ReplicaSite

BASE = "http://127.0.0.1:8000/"
T1 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T2 = T1 + timedelta(days=7)
T3 = T2 + timedelta(days=7)


class SiteArchive:
    """The replica written straight into an archive, one crawl run at a time: each path of a run
    is answered by the replica's application and archived by the real ``ArchiveWriter`` (so
    identical payloads become revisits), one second apart from ``at``. No HTTP, no crawl."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.site = ReplicaSite.load()
        self.app = ReplicaApp(self.site, "drupal", BASE)

    def url(self, path: str) -> str:
        return BASE.rstrip("/") + path

    def run(self, run_id: str, at: datetime, paths: list[str] | None = None, *,
            answers: dict[str, tuple[int, dict[str, str]]] | None = None) -> dict[str, datetime]:
        """Archives one run; ``answers`` replaces the replica's answer for a path by a status
        and headers (a 503, a 304, a redirect). Returns the capture time of each path."""
        paths = self.site.html_paths() if paths is None else paths
        answers = answers or {}
        known = ArchiveReader(self.directory).recrawl_state() if self.directory.exists() \
            else ({}, {})
        times = {}
        with ArchiveWriter(self.directory, run_id=run_id, software="tests", operator="tests",
                           known_digests=known[0], latest_by_url=known[1]) as writer:
            for number, path in enumerate(paths):
                reply = self.app.handle(path)
                status, headers = answers.get(path, (reply.status, reply.headers))
                payload = reply.body if status == reply.status else b""
                times[path] = at + timedelta(seconds=number)
                writer.write_exchange(
                    url=self.url(path), method="GET", request_headers=[], request_body=b"",
                    http_version="HTTP/1.1", status=status, reason=HTTPStatus(status).phrase,
                    response_headers=[("Content-Type", reply.content_type), *headers.items()],
                    payload=payload, fetched_at=times[path],
                )
        return times


class Story:
    """Three runs of the replica: a full crawl; a week later one article added (which changes
    the latest-news block of every page), one edited, one removed and one answering 503; then
    the removed article back, one page answering 304 and one redirecting away."""

    def __init__(self, directory: Path):
        self.archive = SiteArchive(directory)
        site = self.archive.site
        articles = [entry.slug for entry in site.articles()]
        self.edited, self.removed, self.failing, self.steady, self.confirmed, self.moved = (
            "/" + slug for slug in articles[3:9])
        self.run1 = self.archive.run("run-1", T1)

        removed_entry = site.article(self.removed)
        self.added = "/" + site.add_article(
            "Une coopérative d'énergie citoyenne à Bourges", "2026-01-10",
            "Les habitants deviennent sociétaires.", ["La Scic produit une électricité locale."])
        site.update_article(self.edited, lead="Un chapeau entièrement réécrit.")
        site.remove_article(self.removed)
        self.run2 = self.archive.run(
            "run-2", T2, [*site.html_paths(), self.removed],
            answers={self.failing: (503, {"Retry-After": "60"})})

        site.add_article(removed_entry.title, removed_entry.date, removed_entry.lead,
                         removed_entry.body, rubric=removed_entry.rubric,
                         kind=removed_entry.kind, hero=removed_entry.hero,
                         slug=self.removed.lstrip("/"))
        self.run3 = self.archive.run(
            "run-3", T3, [self.removed, self.confirmed, self.moved],
            answers={self.confirmed: (304, {}),
                     self.moved: (301, {"Location": self.archive.url(self.added)})})
        self.history = replay_history(ArchiveReader(directory))
        self.rows = table_rows(self.history)

    def url(self, path: str) -> str:
        return self.archive.url(path)

    def rows_of(self, table: str, url: str, key: str = "url") -> list[dict]:
        return [row for row in self.rows[table] if row[key] == self.url(url)]


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    return Story(tmp_path_factory.mktemp("history") / "archive")


def test_each_run_counts_its_pages_exactly(story):
    pages = len(story.run1)
    runs = {row["id"]: row for row in story.rows["crawl_runs"]}
    assert [row["id"] for row in story.rows["crawl_runs"]] == ["run-1", "run-2", "run-3"]
    assert runs["run-1"] | {"warc_files": None} == {
        "id": "run-1", "started_at": T1, "finished_at": T1 + timedelta(seconds=pages - 1),
        "pages_fetched": pages, "pages_new": pages, "pages_changed": 0, "pages_unchanged": 0,
        "pages_removed": 0, "errors": 0, "warc_files": None, "status": None,
        "responses": pages, "site": "les-scop-idf", "sites": ["les-scop-idf"]}
    # Run 2: the home page and the news listing show the new article instead of the removed one
    # (the second listing page keeps its count), the edited article changed; the 503 is an
    # error, not a page fetched.
    outcomes = story.history.runs["run-2"].outcome
    assert {path for path in story.run2 if outcomes(story.url(path)) == "changed"} \
        == {"/", "/actualites", story.edited}
    run2 = runs["run-2"]
    assert (run2["pages_new"], run2["pages_changed"], run2["pages_removed"], run2["errors"]) \
        == (1, 3, 1, 1)
    assert run2["pages_unchanged"] == (pages + 1) - 1 - 3 - 1 - 1
    assert run2["pages_fetched"] == pages + 1 - 1
    assert run2["responses"] == pages + 1  # the 503 too
    # Run 3: the removed article is back (changed), the 304 is unchanged, the redirect removes.
    assert {key: runs["run-3"][key] for key in
            ("pages_fetched", "pages_new", "pages_changed", "pages_unchanged", "pages_removed")} \
        == {"pages_fetched": 3, "pages_new": 0, "pages_changed": 1, "pages_unchanged": 1,
            "pages_removed": 1}


def test_an_edited_article_has_two_versions(story):
    versions = story.rows_of("page_versions", story.edited)
    assert [(v["captured_at"], v["run_id"]) for v in versions] == [
        (story.run1[story.edited], "run-1"), (story.run2[story.edited], "run-2")]
    assert versions[0]["content_fingerprint"] != versions[1]["content_fingerprint"]
    leads = [v["lead"] for v in story.rows_of("article_versions", story.edited)]
    assert leads[1] == "Un chapeau entièrement réécrit." != leads[0]
    (article,) = story.rows_of("articles", story.edited)
    assert article["lead"] == leads[1] and article["captured_at"] == story.run2[story.edited]
    (page,) = story.rows_of("pages", story.edited)
    assert page["version_count"] == 2 and page["first_seen"] == story.run1[story.edited]


def test_a_boilerplate_change_is_no_new_version(story):
    """Publishing an article changes the latest-news block, hence the bytes, of every page."""
    (page,) = story.rows_of("pages", story.steady)
    (version,) = story.rows_of("page_versions", story.steady)
    assert page["content_sha256"] != version["content_sha256"], "the bytes did not change"
    assert page["content_fingerprint"] == version["content_fingerprint"]
    assert page["version_count"] == 1 and page["last_seen"] == story.run2[story.steady]
    one_version = [row for row in story.rows["pages"] if row["version_count"] == 1]
    assert len(one_version) == len(story.rows["pages"]) - 3


def test_pages_content_sha256_is_the_latest_payload(story):
    reader = ArchiveReader(story.archive.directory)
    latest = {}
    for capture in reader.captures():
        if capture.status == 200:
            latest[capture.url] = hashlib.sha256(capture.body).hexdigest()
    for row in story.rows["pages"]:
        assert row["content_sha256"] == latest[row["url"]], row["url"]


def test_a_new_article_is_first_seen_in_its_run(story):
    (page,) = story.rows_of("pages", story.added)
    assert page["first_seen"] == page["last_seen"] == story.run2[story.added]
    assert page["removed_at"] is None and page["version_count"] == 1
    assert story.rows_of("articles", story.added)[0]["title"].startswith("Une coopérative")


def test_a_removed_page_keeps_its_rows_and_comes_back(story):
    history = story.history.pages[story.url(story.removed)]
    # Run 2 found it gone; run 3 found it back with the same content: no new version.
    assert [v.captured_at for v in history.versions] == [story.run1[story.removed]]
    (page,) = story.rows_of("pages", story.removed)
    assert page["removed_at"] is None and page["last_seen"] == story.run3[story.removed]
    runs = story.history.runs
    assert runs["run-2"].outcome(story.url(story.removed)) == "removed"
    assert runs["run-3"].outcome(story.url(story.removed)) == "changed"


def test_a_redirect_away_is_a_removal(story):
    (page,) = story.rows_of("pages", story.moved)
    assert page["removed_at"] == story.run3[story.moved]
    assert page["redirect_to"] == story.url(story.added)
    assert page["http_status"] == 301 and page["last_seen"] == story.run2[story.moved]
    assert story.rows_of("articles", story.moved), "a removed article keeps its row"


def test_a_server_error_is_neither_removal_nor_change(story):
    (page,) = story.rows_of("pages", story.failing)
    assert page["removed_at"] is None and page["http_status"] == 200
    assert page["last_seen"] == story.run1[story.failing]
    assert story.history.runs["run-2"].outcome(story.url(story.failing)) is None


def test_a_not_modified_answer_confirms_the_page(story):
    (page,) = story.rows_of("pages", story.confirmed)
    assert page["last_seen"] == page["fetched_at"] == story.run3[story.confirmed]
    assert page["version_count"] == 1 and page["http_status"] == 200
    assert story.history.runs["run-3"].outcome(story.url(story.confirmed)) == "unchanged"


@pytest.mark.slow
def test_two_real_crawls_of_a_changing_site(tmp_path):
    """Crawl, change the site while it runs, recrawl on the same port, build."""
    archive, out = tmp_path / "archive", tmp_path / "out"
    with ReplicaServer(port=0) as server:
        run_cli("crawl", "--site-url", server.url, "--archive", str(archive))
        site = server.site
        slugs = [entry.slug for entry in site.articles()]
        edited, removed = slugs[3], slugs[10]
        added = site.add_article("Une coopérative d'énergie citoyenne à Bourges", "2026-01-10",
                                 "Les habitants deviennent sociétaires.",
                                 ["La Scic produit une électricité locale."])
        site.update_article(edited, lead="Un chapeau entièrement réécrit.")
        site.remove_article(removed)
        run_cli("crawl", "--site-url", server.url, "--archive", str(archive))
        run_cli("build", "--archive", str(archive), "--out", str(out))
        base = server.url
    with sqlite3.connect(next(out.glob("*.db"))) as db:
        db.row_factory = sqlite3.Row
        first, second = [dict(row) for row in db.execute(
            "select * from crawl_runs order by started_at")]
        counts = {row["url"]: row["version_count"] for row in db.execute(
            "select url, version_count from pages")}
        removed_row = db.execute("select * from pages where url = ?", (base + removed,)).fetchone()
        leads = [row[0] for row in db.execute(
            "select lead from article_versions where url = ? order by captured_at",
            (base + edited,))]
    assert first["pages_new"] == len(counts) - 1 and json.loads(first["warc_files"])
    assert (second["pages_new"], second["pages_removed"]) == (1, 1)
    assert second["pages_changed"] >= 2  # the edited article and the home page at least
    # Every page is accounted for, those the recrawl did not request (known unchanged) too.
    assert second["pages_new"] + second["pages_changed"] + second["pages_unchanged"] \
        + second["pages_removed"] == len(counts)
    assert second["pages_fetched"] < len(counts)
    assert counts[base + added] == 1 and counts[base + edited] == 2
    assert removed_row["removed_at"] is not None and counts[base + removed] == 1
    assert leads[-1] == "Un chapeau entièrement réécrit."
    # Only pages whose own content changed have a second version, whatever their bytes did.
    assert {url for url, count in counts.items() if count > 1} <= {
        base, base + edited, base + "actualites", base + "actualites?page=1"}


def test_two_captures_in_one_second_make_one_version_the_later(tmp_path):
    """WARC dates may hold seconds only (wget's do): a page captured twice in one second, its
    content changed in between, is one version, the later content, and the build goes on."""
    archive = SiteArchive(tmp_path / "archive")
    slug = archive.site.articles()[0].slug
    archive.run("run-1", T1, [f"/{slug}"])
    archive.site.update_article(slug, lead="Un chapeau changé dans la même seconde.")
    archive.run("run-2", T1, [f"/{slug}"])
    rows = table_rows(replay_history(ArchiveReader(archive.directory)))
    (version,) = [row for row in rows["page_versions"] if row["url"] == archive.url(f"/{slug}")]
    assert version["run_id"] == "run-2"
    (article,) = rows["article_versions"]
    assert article["lead"] == "Un chapeau changé dans la même seconde."
