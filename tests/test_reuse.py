"""A build keeps the previous build's rows of the pages whose history did not change, and its
outputs are still those of a whole build: the same database file, the same Parquet tables."""

from __future__ import annotations

import filecmp
import json
import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_history import T1, T2, SiteArchive

from scoparchive.archive import ArchiveReader
from scoparchive.dataset.build import BuildReport, build
from scoparchive.dataset.reuse import PAGES_STATE
from scoparchive.schema import TABLES, TABLES_BY_NAME
from scoparchive.writers.parquet import KeptRows, ParquetTableWriter
from scoparchive.writers.tables import BaseOutputs, TablesWriter


@pytest.fixture(scope="module")
def archive_template(tmp_path_factory) -> SiteArchive:
    archive = SiteArchive(tmp_path_factory.mktemp("reuse") / "archive")
    archive.run("run-1", T1)
    return archive


@pytest.fixture
def archive(archive_template, tmp_path) -> SiteArchive:
    copy = SiteArchive(tmp_path / "archive")
    shutil.copytree(archive_template.directory, copy.directory)
    return copy


def assert_same_outputs(kept: BuildReport, whole: BuildReport) -> None:
    """The database file byte for byte, every Parquet table row for row and row group for row
    group, the completeness report."""
    assert filecmp.cmp(kept.database, whole.database, shallow=False)
    for table in TABLES:
        a = pq.ParquetFile(kept.out_dir / "parquet" / f"{table.name}.parquet")
        b = pq.ParquetFile(whole.out_dir / "parquet" / f"{table.name}.parquet")
        assert a.read().equals(b.read()), table.name
        assert [a.metadata.row_group(i).num_rows for i in range(a.num_row_groups)] == \
            [b.metadata.row_group(i).num_rows for i in range(b.num_row_groups)], table.name
    assert json.loads((kept.out_dir / "quality.json").read_text()) == \
        json.loads((whole.out_dir / "quality.json").read_text())


def test_a_rebuild_after_a_recrawl_keeps_the_rows_of_the_unchanged_pages(archive, tmp_path):
    first = build(archive.directory, tmp_path / "out")
    assert first.kept_pages == 0  # nothing to start from
    pages = first.row_counts["pages"]
    site = archive.site
    edited = site.articles()[-1]
    site.update_article(edited.slug, lead="Un chapeau réécrit pour la reprise.")
    gone = site.articles()[-2].path
    archive.run("run-2", T2, answers={gone: (410, {})})
    again = build(archive.directory, tmp_path / "out")
    # Every page but those whose content changed (the article, the listings showing its lead).
    assert pages - 5 <= again.kept_pages < pages
    whole = build(archive.directory, tmp_path / "whole", use_cache=False)
    assert whole.kept_pages == 0
    assert_same_outputs(again, whole)
    with sqlite3.connect(again.database) as db:
        # The page that left the site: its pages row says so, its article stays.
        removed = db.execute("SELECT removed_at FROM pages WHERE url = ?",
                             [archive.url(gone)]).fetchone()[0]
        assert removed is not None
        assert db.execute("SELECT count(*) FROM articles WHERE url = ?",
                          [archive.url(gone)]).fetchone()[0] == 1
        # The edited article is found by its new words, in French, accents folded.
        found = db.execute("SELECT a.url FROM articles a JOIN articles_fts f "
                           "ON f.rowid = a.rowid WHERE articles_fts MATCH 'reecrit reprise'")
        assert [row[0] for row in found] == [archive.url(edited.path)]


def test_rows_of_captures_no_longer_in_the_archive_are_dropped(archive, tmp_path):
    site = archive.site
    site.update_article(site.articles()[0].slug, lead="Un chapeau qui ne restera pas.")
    archive.run("run-2", T2)
    with_run_2 = build(archive.directory, tmp_path / "out")
    with sqlite3.connect(with_run_2.database) as db:
        assert db.execute("SELECT count(*) FROM article_versions WHERE lead = ?",
                          ["Un chapeau qui ne restera pas."]).fetchone()[0] == 1
    for run in ArchiveReader(archive.directory).runs():
        if run.run_id == "run-2":
            for path in run.files:
                path.unlink()
    without = build(archive.directory, tmp_path / "out")
    assert without.kept_pages > 0
    assert_same_outputs(without, build(archive.directory, tmp_path / "whole", use_cache=False))
    with sqlite3.connect(without.database) as db:
        assert db.execute("SELECT count(*) FROM article_versions WHERE lead = ?",
                          ["Un chapeau qui ne restera pas."]).fetchone()[0] == 0


def test_a_previous_build_made_by_other_code_is_not_reused(archive, tmp_path):
    out = tmp_path / "out"
    build(archive.directory, out)
    with sqlite3.connect(out / PAGES_STATE) as state:
        state.execute("UPDATE build SET value = 'another version' WHERE name = 'code'")
    archive.run("run-2", T2)
    again = build(archive.directory, out)
    assert again.kept_pages == 0
    assert_same_outputs(again, build(archive.directory, tmp_path / "whole", use_cache=False))


def test_a_damaged_pages_state_means_a_whole_build(archive, tmp_path):
    out = tmp_path / "out"
    build(archive.directory, out)
    (out / PAGES_STATE).write_bytes(b"not a database")
    archive.run("run-2", T2 + timedelta(days=1))
    again = build(archive.directory, out)
    assert again.kept_pages == 0
    assert_same_outputs(again, build(archive.directory, tmp_path / "whole", use_cache=False))


# --- the writers, on rows made here ------------------------------------------------------------

LINKS = TABLES_BY_NAME["links"]


def link(page: str, position: int) -> dict:
    return {"page_url": page, "position": position, "site": "les-scop-idf",
            "url": f"{page}/to/{position}", "text": f"{page} {position}", "internal": True}


def write(folder: Path, batches: list[list[dict]], base: BaseOutputs | None = None) -> Path:
    (folder / "parquet").mkdir(parents=True)
    # links refer to pages: the table must be there, empty.
    writer = TablesWriter(folder / "parquet", folder / "x.db", [TABLES_BY_NAME["pages"], LINKS],
                          {}, {}, base=base)
    for batch in batches:
        for row in batch:
            writer.add("links", row)
        writer._flush("links")  # one batch each, as the build's batches may cut a page
    writer.close()
    return folder


def rows_of(folder: Path) -> tuple[list[tuple], list[tuple]]:
    parquet = pq.read_table(folder / "parquet" / "links.parquet").to_pylist()
    with sqlite3.connect(folder / "x.db") as db:
        database = db.execute("SELECT page_url, position FROM links ORDER BY rowid").fetchall()
    return [(row["page_url"], row["position"]) for row in parquet], database


def test_kept_rows_are_merged_in_page_order_with_the_rows_written(tmp_path):
    previous = write(tmp_path / "previous", [[link("a", 1), link("b", 1), link("b", 2)],
                                             [link("c", 1), link("d", 1), link("f", 1)]])
    # b changed (three links now), d is gone, e is new; a, c and f are kept. The batches cut
    # page b in two.
    base = BaseOutputs(previous / "x.db", previous / "parquet", frozenset({"b", "d"}))
    patched = write(tmp_path / "patched", [[link("b", 1), link("b", 2)],
                                           [link("b", 3), link("e", 1)]], base=base)
    expected = [("a", 1), ("b", 1), ("b", 2), ("b", 3), ("c", 1), ("e", 1), ("f", 1)]
    assert rows_of(patched) == (expected, expected)
    whole = write(tmp_path / "whole", [[link(page, position) for page, position in expected]])
    assert filecmp.cmp(patched / "x.db", whole / "x.db", shallow=False)
    assert rows_of(whole) == (expected, expected)


def test_a_table_without_a_page_column_cannot_keep_rows(tmp_path):
    with pytest.raises(ValueError, match="no page column"):
        KeptRows(tmp_path / "x.parquet", TABLES_BY_NAME["pages"], [])


def test_the_tables_kept_in_part_are_those_of_one_page_each():
    assert {table.name for table in TABLES if table.page_column} == {
        "articles", "initiatives", "contacts", "images", "links", "page_versions",
        "article_versions"}
    # Each of them names its page in a column that leads an index, for the build's lookups.
    for table in TABLES:
        if table.page_column:
            assert any(columns[0] == table.page_column for columns in
                       [table.primary_key, *table.indexed_columns()]), table.name


def test_row_groups_are_whole_whatever_the_batches(tmp_path):
    (tmp_path / "parquet").mkdir()
    writer = ParquetTableWriter(tmp_path / "parquet" / "links.parquet", LINKS, {})
    writer.write([link("a", position) for position in range(1, 1201)])
    assert writer.close() == 1200
    groups = pq.ParquetFile(tmp_path / "parquet" / "links.parquet").metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [500, 500, 200]
