"""Builds: incremental through the parse cache, deterministic, and atomic when killed."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO
from test_history import T1, T2, SiteArchive

import scoparchive
from scoparchive.archive import ArchiveReader
from scoparchive.dataset.build import BuildError, build
from scoparchive.dataset.cache import ParseCache, cache_path, parser_files, parser_version
from scoparchive.dataset.replay import ArchivedPageParser, replay_history
from scoparchive.items import ParsedPage
from scoparchive.pages import parse_page
from scoparchive.schema import TABLES


@pytest.fixture(scope="module")
def archive_template(tmp_path_factory) -> SiteArchive:
    """Two runs of the replica: a full crawl, then one old article edited."""
    archive = SiteArchive(tmp_path_factory.mktemp("template") / "archive")
    archive.run("run-1", T1)
    oldest = archive.site.articles()[-1].slug
    archive.site.update_article(oldest, lead="Un chapeau réécrit dix ans plus tard.")
    archive.run("run-2", T2)
    return archive


@pytest.fixture
def archive(archive_template, tmp_path) -> SiteArchive:
    """A copy of the template that a test may extend with more runs."""
    copy = SiteArchive(tmp_path / "archive")
    shutil.copytree(archive_template.directory, copy.directory)
    copy.site = archive_template.site
    copy.app = archive_template.app
    return copy


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return list(db.iterdump())


def payloads(archive_dir: Path, run_id: str | None = None) -> set[tuple]:
    """What a parse depends on, for every 200 HTML capture (of one run)."""
    return {(capture.payload_digest, capture.url, capture.headers.get("Content-Type"))
            for capture in ArchiveReader(archive_dir).captures(bodies=False)
            if capture.status == 200 and capture.content_type == "text/html"
            and run_id in (None, capture.run_id)}


def html_captures(archive_dir: Path) -> int:
    return sum(1 for capture in ArchiveReader(archive_dir).captures(bodies=False)
               if capture.status == 200 and capture.content_type == "text/html")


def build_in_subprocess(archive: Path, out: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "build", "--archive", str(archive),
         "--out", str(out)],
        cwd=REPO, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


# --- the parse cache ---------------------------------------------------------------------------

def test_a_rebuild_parses_nothing_and_gives_the_same_rows(archive, tmp_path):
    first = build(archive.directory, tmp_path / "out")
    assert first.parsed == len(payloads(archive.directory))
    assert first.parsed + first.from_cache == html_captures(archive.directory)
    assert cache_path(archive.directory).is_file()
    before = dump(first.database)
    elsewhere = build(archive.directory, tmp_path / "elsewhere")
    assert (elsewhere.parsed, elsewhere.from_cache) == (0, html_captures(archive.directory))
    assert not elsewhere.up_to_date
    assert dump(elsewhere.database) == before


def test_a_build_with_nothing_new_keeps_the_previous_one(archive, tmp_path):
    out = tmp_path / "out"
    first = build(archive.directory, out)
    kept = build(archive.directory, out)
    assert kept.up_to_date and kept.parsed == 0
    assert out.resolve() == first.database.resolve().parent, "the same build, not a copy"
    assert (kept.row_counts, kept.run_ids, kept.captures, kept.page_counts) == \
        (first.row_counts, first.run_ids, first.captures, first.page_counts)
    # Anything the datasets are made of changes, and it builds again.
    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("article:\n  title: 0.5\n", encoding="utf-8")
    assert not build(archive.directory, out, thresholds_path=thresholds).up_to_date
    assert build(archive.directory, out, thresholds_path=thresholds).up_to_date
    assert not build(archive.directory, out, thresholds_path=thresholds,
                     use_cache=False).up_to_date
    archive.run("run-3", T2 + timedelta(days=7))  # the site unchanged: only revisits
    again = build(archive.directory, out, thresholds_path=thresholds)
    assert not again.up_to_date and "run-3" in again.run_ids


def test_a_rebuild_after_a_small_recrawl_parses_only_new_payloads(archive, tmp_path):
    build(archive.directory, tmp_path / "out")
    known = payloads(archive.directory)
    site = archive.site
    site.update_article(site.articles()[-2].slug, lead="Un autre chapeau réécrit.")
    archive.run("run-3", T2 + timedelta(days=7))
    report = build(archive.directory, tmp_path / "out")
    new_payloads = payloads(archive.directory, "run-3") - known
    assert 1 <= len(new_payloads) <= 4  # the article, and the listing pages showing its lead
    assert report.parsed == len(new_payloads)
    assert report.parsed + report.from_cache == html_captures(archive.directory)
    fresh = build(archive.directory, tmp_path / "fresh", use_cache=False)
    # Without the archive's cache, each payload is still parsed once: its revisits share it.
    assert fresh.parsed == len(payloads(archive.directory))
    assert fresh.parsed + fresh.from_cache == html_captures(archive.directory)
    assert dump(fresh.database) == dump(report.database)


def test_the_datasets_are_the_same_whatever_the_number_of_processes(archive, tmp_path):
    one = build(archive.directory, tmp_path / "one", use_cache=False, jobs=1)
    two = build(archive.directory, tmp_path / "two", use_cache=False, jobs=2)
    assert (one.processes, two.processes) == (1, 2)  # the pool did parse
    assert one.parsed == two.parsed == len(payloads(archive.directory))
    assert dump(one.database) == dump(two.database)
    for path in sorted((tmp_path / "one" / "parquet").glob("*.parquet")):
        other = tmp_path / "two" / "parquet" / path.name
        assert pq.read_table(path).equals(pq.read_table(other)), path.name


def test_a_version_s_page_is_parsed_again_from_the_archive(archive):
    reader = ArchiveReader(archive.directory)
    with ParseCache(cache_path(archive.directory)) as cache, \
            ArchivedPageParser(reader, cache) as parser:
        history = replay_history(reader, parser=parser)
        articles = [state for state in history.pages.values()
                    if state.latest.summary.has_article]
        assert articles
        for state in articles[:5]:
            page = state.latest.page
            assert page.url == state.url and page.article is not None
            assert page.content_fingerprint() == state.latest.fingerprint
            assert page.title == state.latest.summary.title


def test_entries_of_another_parser_version_are_ignored_then_dropped(archive, tmp_path):
    build(archive.directory, tmp_path / "out")
    path = cache_path(archive.directory)
    captures = [capture for capture in ArchiveReader(archive.directory).captures(bodies=False)
                if capture.status == 200 and capture.content_type == "text/html"]
    with ParseCache(path, version="a-parser-of-tomorrow") as cache:
        assert all(cache.get(capture) is None for capture in captures)
    with ParseCache(path) as cache:
        assert cache.version == parser_version()
        assert all(cache.get(capture) is None for capture in captures), "not dropped"


def test_a_damaged_cache_is_started_again(archive, tmp_path):
    path = cache_path(archive.directory)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(b"not a database, a torn file" * 100)
    report = build(archive.directory, tmp_path / "out")
    assert report.parsed == len(payloads(archive.directory))
    assert build(archive.directory, tmp_path / "out").parsed == 0


def test_a_cached_page_is_the_parsed_page(archive):
    for capture in ArchiveReader(archive.directory).captures():
        if capture.status == 200 and capture.content_type == "text/html":
            page = parse_page(capture.url, capture.body, content_type=capture.content_type)
            assert ParsedPage.from_dict(page.to_dict()) == page, capture.url


def test_the_parser_version_covers_the_parser_sources():
    package = Path(scoparchive.__file__).parent
    hashed = set(parser_files(package))
    assert {*package.glob("pages/*.py"), *package.glob("text/*.py"),
            package / "items.py", package / "profiles.py"} <= hashed
    assert parser_version() == parser_version()


# --- determinism -------------------------------------------------------------------------------

def test_two_processes_build_identical_rows(archive, tmp_path):
    """Separate processes with different hash seeds (set orders differ), no cache shared."""
    outputs = []
    for seed in ("1", "2"):
        shutil.rmtree(cache_path(archive.directory).parent, ignore_errors=True)
        out = tmp_path / f"out-{seed}"
        process = build_in_subprocess(archive.directory, out, PYTHONHASHSEED=seed)
        assert process.wait(timeout=120) == 0, process.stderr.read()
        outputs.append(out)
    first, second = outputs
    assert dump(next(first.glob("*.db"))) == dump(next(second.glob("*.db")))
    for table in TABLES:
        one = pq.read_table(first / "parquet" / f"{table.name}.parquet")
        other = pq.read_table(second / "parquet" / f"{table.name}.parquet")
        assert one.equals(other), table.name
        metadata = [{key: value for key, value in parquet.schema.metadata.items()
                     if key != b"scoparchive.created"} for parquet in (one, other)]
        assert metadata[0] == metadata[1], table.name


# --- atomic builds -----------------------------------------------------------------------------

def builds_home(out: Path) -> Path:
    return out.parent / f".{out.name}.builds"


def test_a_build_killed_while_writing_leaves_the_previous_outputs(archive, tmp_path):
    out = tmp_path / "out"
    previous = build(archive.directory, out)
    target, rows = out.resolve(), dump(previous.database)
    archive.run("run-3", T2 + timedelta(days=7))  # something new to build

    process = build_in_subprocess(archive.directory, out)
    partial = _wait_for_a_file_in_a_new_build(builds_home(out), target, process)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL

    assert partial.is_dir(), "the killed build left nothing to clean up"
    assert out.resolve() == target
    assert dump(out / previous.database.name) == rows
    for table in TABLES:
        assert pq.read_table(out / "parquet" / f"{table.name}.parquet").num_rows \
            == previous.row_counts[table.name]

    after = build(archive.directory, out)
    assert after.run_ids == ["run-1", "run-2", "run-3"]
    assert sorted(builds_home(out).iterdir()) == sorted([target, out.resolve()])
    assert not list(tmp_path.glob(".out.swap-*"))


def _wait_for_a_file_in_a_new_build(home: Path, existing: Path,
                                    process: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for candidate in home.iterdir():
            if candidate != existing and any((candidate / "parquet").glob("*.parquet")):
                return candidate
        assert process.poll() is None, "the build ended before it could be killed"
        time.sleep(0.001)
    raise AssertionError("no build folder appeared")


def test_a_failed_build_removes_its_folder_and_keeps_the_previous(archive, tmp_path):
    out = tmp_path / "out"
    previous = build(archive.directory, out)
    with pytest.raises(FileNotFoundError):
        build(archive.directory, out, metadata_template=tmp_path / "missing.yaml")
    assert list(builds_home(out).iterdir()) == [out.resolve()]
    assert dump(out / previous.database.name) == dump(previous.database)


def test_leftovers_of_killed_builds_are_removed(archive, tmp_path):
    out = tmp_path / "out"
    build(archive.directory, out)
    killed = builds_home(out) / "20000101T000000000000-1"
    (killed / "parquet").mkdir(parents=True)
    swap_link = tmp_path / ".out.swap-1"
    swap_link.symlink_to(killed)
    previous = out.resolve()
    build(archive.directory, out, use_cache=False)
    assert not killed.exists() and not swap_link.is_symlink()
    assert sorted(builds_home(out).iterdir()) == sorted([previous, out.resolve()])
    # A build kept as it was clears them too.
    (killed / "parquet").mkdir(parents=True)
    swap_link.symlink_to(killed)
    assert build(archive.directory, out).up_to_date
    assert not killed.exists() and not swap_link.is_symlink()


def test_a_folder_that_is_not_ours_is_refused_before_any_work(archive, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(BuildError, match="did not make"):
        build(archive.directory, out)
    assert (out / "notes.txt").read_text() == "keep me"
    assert not cache_path(archive.directory).exists(), "the archive was parsed anyway"
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(BuildError, match="is a file"):
        build(archive.directory, a_file)


def test_an_empty_folder_becomes_the_link(archive, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    report = build(archive.directory, out)
    assert out.is_symlink() and report.database.is_file()


def test_a_second_build_of_the_same_output_is_refused(archive, tmp_path):
    out = tmp_path / "out"
    with open(tmp_path / ".out.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(BuildError, match="another build"):
            build(archive.directory, out)
    assert not out.exists()
