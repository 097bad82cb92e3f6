"""What changed: each new article version carries a word diff against the one before, made by
the same function as `scoparchive changes`, shown in Datasette with its removed and added words
marked (and escaped), and the page_history canned query says what changed in each version and
links it as archived."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest
from conftest import REPO, free_port, wait_for_http
from test_history import T1, T2, SiteArchive, Story

from scoparchive.dataset.build import build
from scoparchive.dataset.changes import article_diff
from scoparchive.textdiff import read_diff

#: A lead rewritten with markup in its text: the page shows it as text, and so must Datasette.
HOSTILE_LEAD = "Un chapô <script>alert('diff')</script> & tout réécrit."


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    return Story(tmp_path_factory.mktemp("versions") / "archive")


def test_a_new_article_version_carries_its_word_diff(story):
    first, second = story.rows_of("article_versions", story.edited)
    assert (first["changed_fields"], first["diff"], first["words_added"]) == (None, None, 0)
    assert second["changed_fields"] == ["lead"]
    hunks = list(read_diff(second["diff"]))
    assert {label for label, _ in hunks} == {"chapô (lead)"}
    removed = " ".join(text for _, segments in hunks for kind, text in segments if kind == "-")
    added = " ".join(text for _, segments in hunks for kind, text in segments if kind == "+")
    assert "réécrit." in added.split() and "réécrit." not in removed.split()
    assert second["words_removed"] == len(removed.split()) > 0
    assert second["words_added"] == len(added.split())
    # Every word of each side is accounted for: the old lead is context and removed words,
    # the new one context and added words.
    context = [text for _, segments in hunks for kind, text in segments if kind == "="]
    assert sorted(" ".join([*context, removed]).split()) == sorted(first["lead"].split())
    assert sorted(" ".join([*context, added]).split()) == sorted(second["lead"].split())


def test_the_stored_diff_is_the_one_scoparchive_changes_shows(story):
    """One word diff for both: the run's diff of the article, as `scoparchive changes` makes
    it, has the same changes as the version's row."""
    (_, second) = story.rows_of("article_versions", story.edited)
    shown = article_diff(story.history.pages[story.url(story.edited)], "run-2")
    assert [field.name for field in shown.fields] == second["changed_fields"]
    assert [segments for _, segments in read_diff(second["diff"])] == [
        hunk.segments for field in shown.fields for hunk in field.hunks]


def test_an_unchanged_article_has_no_diff(story):
    for row in story.rows_of("article_versions", story.steady):
        assert row["diff"] is None and row["changed_fields"] is None


@pytest.fixture(scope="module")
def served_versions(tmp_path_factory):
    """An article archived twice, its lead rewritten with markup in it; built, and served by
    `scoparchive serve` (no pywb: the replay is tested in test_replay_links.py)."""
    base = tmp_path_factory.mktemp("served-versions")
    archive = SiteArchive(base / "archive")
    slug = archive.site.articles()[0].slug
    archive.run("run-1", T1, [f"/{slug}"])
    archive.site.update_article(slug, lead=HOSTILE_LEAD)
    archive.run("run-2", T2, [f"/{slug}"])
    report = build(base / "archive", base / "out")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "serve", "--out", str(base / "out"),
         "--archive", str(base / "no-archive"), "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/-/versions.json")
        yield url, report.database.stem, archive.url(f"/{slug}")
    finally:
        process.terminate()
        process.wait(timeout=30)


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def test_datasette_shows_the_diff_marked_and_escaped(served_versions):
    base, database, url = served_versions
    page = get(f"{base}/{database}/article_versions?" + urllib.parse.urlencode({"url": url}))
    inserted = re.findall(r"<ins style=\"[^\"]*\">(.*?)</ins>", page)
    deleted = re.findall(r"<del style=\"[^\"]*\">(.*?)</del>", page)
    assert deleted and inserted
    assert "&lt;script&gt;alert(&#x27;diff&#x27;)&lt;/script&gt;" in " ".join(inserted)
    assert "<script>alert(" not in page
    assert "<strong>chapô (lead)</strong>" in page


def test_page_history_says_what_changed_and_links_each_version(served_versions):
    base, database, url = served_versions
    query = urllib.parse.urlencode({"url": url, "_shape": "objects"})
    first, second = json.loads(get(f"{base}/{database}/page_history.json?{query}"))["rows"]
    assert first["what_changed"] == "première version (first version)"
    assert second["what_changed"].startswith("lead : −") and "mots (words)" in \
        second["what_changed"]
    assert [row["archived_url"] for row in (first, second)] == [
        f"/archive/{T1:%Y%m%d%H%M%S}/{url}", f"/archive/{T2:%Y%m%d%H%M%S}/{url}"]
    assert "script" in html.unescape("".join(text for _, segments in read_diff(second["diff"])
                                             for _, text in segments))
    page = get(f"{base}/{database}/page_history?" + urllib.parse.urlencode({"url": url}))
    assert f'<a href="/archive/{T2:%Y%m%d%H%M%S}/{url}"' in page
    assert "<ins style=" in page and "<del style=" in page
