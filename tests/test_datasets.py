"""The built datasets, read with the tools researchers use: SQLite, DuckDB, frictionless, and the
schema that every output must follow."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from test_history import Story

from scoparchive.dataset.build import REPO_METADATA_TEMPLATE, build
from scoparchive.dataset.cache import parser_version
from scoparchive.publishing.search import register_search_functions
from scoparchive.schema import SCHEMA_VERSION, TABLES, VIEWS
from scoparchive.writers.sqlite import FTS_TOKENIZER

SQLITE_DECLARED = {str: "TEXT", int: "INTEGER", float: "REAL"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("datasets")
    story = Story(base / "archive")
    report = build(base / "archive", base / "out")
    return story, report


@pytest.fixture
def db(built):
    _, report = built
    with sqlite3.connect(report.database) as connection:
        connection.row_factory = sqlite3.Row
        register_search_functions(connection)  # as the server does: the canned queries use them
        yield connection


def parquet_path(report, table_name: str) -> Path:
    return report.out_dir / "parquet" / f"{table_name}.parquet"


# --- one schema drives every output ------------------------------------------------------------

def test_sqlite_tables_follow_the_schema(db):
    for table in TABLES:
        info = db.execute(f"pragma table_info({table.name})").fetchall()
        assert [row["name"] for row in info] == table.column_names, table.name
        declared = {name: SQLITE_DECLARED[kind] for name, kind in table.sqlite_columns().items()}
        assert {row["name"]: row["type"] for row in info} == declared, table.name
        assert {row["name"] for row in info if row["notnull"]} \
            == {column.name for column in table.columns if column.required}, table.name
        primary_key = sorted((row["pk"], row["name"]) for row in info if row["pk"])
        assert tuple(name for _, name in primary_key) == table.primary_key, table.name
        foreign_keys = {(row["from"], row["table"], row["to"])
                        for row in db.execute(f"pragma foreign_key_list({table.name})")}
        assert foreign_keys == set(table.foreign_keys()), table.name
        indexed = {tuple(column["name"] for column in
                         db.execute(f"pragma index_info('{index['name']}')"))
                   for index in db.execute(f"pragma index_list({table.name})")}
        assert set(table.indexed_columns()) <= indexed, table.name


def test_full_text_indexes_fold_accents(db):
    for table in TABLES:
        if not table.full_text:
            continue
        (sql,) = db.execute("select sql from sqlite_master where name = ?",
                            (f"{table.name}_fts",)).fetchone()
        assert "fts5" in sql.lower() and FTS_TOKENIZER in sql, table.name
        for column in table.full_text:
            assert f'"{column}"' in sql, (table.name, column)


def test_parquet_files_follow_the_schema(built):
    _, report = built
    for table in TABLES:
        parquet = pq.ParquetFile(parquet_path(report, table.name))
        arrow_schema = parquet.schema_arrow
        assert arrow_schema.remove_metadata().equals(table.arrow_schema().remove_metadata()), \
            table.name
        for field, column in zip(arrow_schema, table.columns, strict=True):
            assert field.metadata[b"description"].decode() == column.description
        metadata = {key.decode(): value.decode() for key, value in arrow_schema.metadata.items()}
        assert metadata["scoparchive.schema_version"] == SCHEMA_VERSION
        assert metadata["scoparchive.table"] == table.name
        assert json.loads(metadata["scoparchive.crawl_runs"]) == ["run-1", "run-2", "run-3"]
        assert json.loads(metadata["scoparchive.source_site"]) == "http://127.0.0.1:8000/"
        assert json.loads(metadata["scoparchive.parser_version"]) == parser_version()
        assert "Licence" in json.loads(metadata["scoparchive.licence"])
        if parquet.metadata.num_rows:
            assert parquet.metadata.row_group(0).column(0).compression == "ZSTD"


def test_datapackage_describes_the_schema(built):
    _, report = built
    package = json.loads((report.out_dir / "datapackage.json").read_text())
    assert package["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert [resource["name"] for resource in package["resources"]] == [t.name for t in TABLES]
    for table, resource in zip(TABLES, package["resources"], strict=True):
        fields = resource["schema"]["fields"]
        assert [field["name"] for field in fields] == table.column_names
        assert [field["description"] for field in fields] \
            == [column.description for column in table.columns]
        assert resource["schema"]["primaryKey"] == list(table.primary_key)
        assert resource["scoparchive:rows"] == report.row_counts[table.name]
        data = (report.out_dir / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_datasette_metadata_describes_the_schema(built):
    _, report = built
    metadata = json.loads((report.out_dir / "metadata.json").read_text())
    tables = metadata["databases"][report.database.stem]["tables"]
    for table in TABLES:
        columns = tables[table.name]["columns"]
        assert list(columns) == table.column_names, table.name
        for column in table.columns:
            assert columns[column.name].startswith(column.description)
    assert set(VIEWS) <= set(tables)


@pytest.mark.slow  # frictionless reads every table through pandas
def test_frictionless_validates_the_package(built):
    _, report = built
    done = subprocess.run(
        [str(Path(sys.executable).parent / "frictionless"), "validate", "--json",
         "datapackage.json"],
        cwd=report.out_dir, capture_output=True, text=True, timeout=120,
    )
    result = json.loads(done.stdout)
    errors = [error["message"] for task in result["tasks"] for error in task["errors"]]
    assert result["valid"] and done.returncode == 0, errors[:5]
    assert len(result["tasks"]) == len(TABLES)


# --- the data, through the tools ---------------------------------------------------------------

def test_foreign_keys_hold(db):
    assert db.execute("pragma foreign_key_check").fetchall() == []


def test_duckdb_reads_and_joins_the_parquet_files(built, db):
    story, report = built
    con = duckdb.connect()
    for table in TABLES:
        (count,) = con.execute("select count(*) from read_parquet(?)",
                               [str(parquet_path(report, table.name))]).fetchone()
        assert count == report.row_counts[table.name] > 0, table.name
    types = dict(con.execute(
        "select column_name, column_type from (describe select * from read_parquet(?))",
        [str(parquet_path(report, "initiatives"))]).fetchall())
    assert types["departments"] == "VARCHAR[]" and types["published_date"] == "DATE"
    assert types["latitude"] == "DOUBLE" and types["position"] == "BIGINT"
    # Initiatives of Paris, with the title and first capture of the roundup page listing them.
    rows = con.execute(
        """select i.name, a.title, p.first_seen
           from read_parquet(?) i
           join read_parquet(?) a on a.url = i.article_url
           join read_parquet(?) p on p.url = a.url
           where list_contains(i.departments, '75') order by i.id""",
        [str(parquet_path(report, name)) for name in ("initiatives", "articles", "pages")],
    ).fetchall()
    expected = db.execute(
        """select i.name, a.title from initiatives i join articles a on a.url = i.article_url
           where exists (select 1 from json_each(i.departments) where value = '75')
           order by i.id""").fetchall()
    assert [row[:2] for row in rows] == [tuple(row) for row in expected] and rows
    assert all(row[2].year == 2026 for row in rows)
    # Versions per run, from the history tables.
    per_run = dict(con.execute(
        "select run_id, count(*) from read_parquet(?) group by run_id",
        [str(parquet_path(report, "page_versions"))]).fetchall())
    assert per_run == {"run-1": len(story.run1), "run-2": 3 + 1}


@pytest.mark.parametrize("query", ["cooperative", "coopérative", "COOPÉRATIVE", "Coopérative"])
def test_french_search_in_articles_ignores_accents_and_case(db, query):
    found = {row["url"] for row in db.execute(
        "select a.url from articles_fts join articles a on a.rowid = articles_fts.rowid "
        "where articles_fts match ?", (query,))}
    word = re.compile(r"\bcoopérative\b", re.IGNORECASE)
    texts = db.execute("select url, title || ' ' || coalesce(lead, '') || ' ' || body_text "
                       "as text from articles")
    with_word = {row["url"] for row in texts if word.search(row["text"])}
    assert with_word and with_word == found


@pytest.mark.parametrize("query, name", [
    ("macons", "Les Maçons parisiens"), ("maçons", "Les Maçons parisiens"),
    ("gatinais", "Gâtinais en transition"), ("GÂTINAIS", "Gâtinais en transition"),
    ("cosmetiques", "NAHé Cosmétiques"), ("nahe", "NAHé Cosmétiques"),
])
def test_french_search_in_initiatives_ignores_accents_and_case(db, query, name):
    names = {row["name"] for row in db.execute(
        "select i.name from initiatives_fts join initiatives i on i.rowid = initiatives_fts.rowid "
        "where initiatives_fts match ?", (query,))}
    assert name in names


def canned_queries() -> dict[str, str]:
    template = yaml.safe_load(REPO_METADATA_TEMPLATE.read_text(encoding="utf-8"))
    return {name: query["sql"] for name, query in template["database"]["queries"].items()}


@pytest.mark.parametrize("query", ["cooperative", "coopérative", "gatinais"])
def test_the_search_everything_query_finds_articles_and_initiatives(db, query):
    rows = db.execute(canned_queries()["search_everything"], {"q": query}).fetchall()
    kinds = {row["kind"] for row in rows}
    assert "initiative" in kinds
    if query != "gatinais":
        assert "article" in kinds
    assert all("[" in row["snippet"] for row in rows)


def test_every_canned_query_runs(built, db):
    story, _ = built
    parameters = {"code": "75", "q": "scop", "url": story.url(story.edited),
                  "start": "2020-01-01", "end": "2020-12-31", "region": "Île-de-France",
                  "site": "les-scop-idf"}
    results = {name: db.execute(sql, parameters).fetchall()
               for name, sql in canned_queries().items()}
    assert all(results.values()), [name for name, rows in results.items() if not rows]
    assert len(results["page_history"]) == 2


def test_views(built, db):
    story, _ = built
    by_department = {row["department"]: row["initiatives"]
                     for row in db.execute("select * from initiatives_by_department")}
    (paris,) = db.execute("select count(*) from initiatives, json_each(departments) "
                          "where value = '75'").fetchone()
    assert by_department["75"] == paris > 0
    regions = {row["region"] for row in db.execute("select * from initiatives_by_region")}
    assert "Île-de-France" in regions and "Centre-Val de Loire" in regions
    years = db.execute("select sum(articles) from articles_by_year").fetchone()[0]
    assert years == db.execute(
        "select count(*) from articles where published_year is not null").fetchone()[0]
    removed = [row["url"] for row in db.execute("select url from removed_pages")]
    assert removed == [story.url(story.moved)]
