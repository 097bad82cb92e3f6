"""The SQLite database: tables, keys, indexes and French full-text search, from the schema."""

from __future__ import annotations

import functools
import heapq
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from scoparchive.schema import TABLES, Table
from scoparchive.stemming import STEMS_COLUMN, full_text_source, stem_text
from scoparchive.writers import iso_date, iso_datetime

#: Folds case and diacritics: a search for "cooperative" finds "coopérative".
FTS_TOKENIZER = "unicode61 remove_diacritics 2"


class DatabaseWriter:
    """The database written as rows come: tables created first (referenced ones first), rows
    inserted in batches, then indexes, full-text search and views once every row is in.

    ``base``: a previous build's database (``BaseDatabase``) whose rows of the pages that did
    not change are kept. They are inserted in page order among the rows written, so the
    database is the one a whole build would write, row for row and rowid for rowid."""

    def __init__(self, path: Path, tables: Iterable[Table] = TABLES,
                 views: Mapping[str, str] | None = None, base: BaseDatabase | None = None):
        self.tables = {table.name: table for table in tables}
        self.views = dict(views or {})
        self.db = sqlite_utils.Database(path)
        # The database is written once, in a build folder that is fsynced as a whole before it
        # is swapped in: per-commit syncs and a journal would only slow the build down.
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        for table in _in_dependency_order(list(self.tables.values())):
            _create_table(self.db, table)
        self._kept: dict[str, _KeptRows] = {}
        if base is not None:
            # Only read; a plain path (a ``file:`` URI would need the connection opened so).
            self.db.execute("ATTACH DATABASE ? AS base", [str(base.path)])
            self.db.execute("CREATE TEMP TABLE stale_pages (url TEXT PRIMARY KEY)")
            self.db.conn.executemany("INSERT INTO stale_pages VALUES (?)",
                                     ((url,) for url in sorted(base.stale_pages)))
            self._kept = {table.name: _KeptRows(self.db, table) for table in self.tables.values()
                          if table.page_column is not None}

    def insert(self, name: str, rows: Iterable[dict]) -> None:
        statement, converters = _insert_statement(self.tables[name])
        values = (tuple(convert(row.get(column)) for column, convert in converters)
                  for row in rows)
        kept = self._kept.get(name)
        if kept is None:
            self.db.conn.executemany(statement, values)
            return
        # Each page's rows after the kept rows of the pages before it.
        position = self.tables[name].column_names.index(self.tables[name].page_column)
        for page, page_values in itertools.groupby(values, key=lambda row: row[position]):
            kept.insert_before(page)
            self.db.conn.executemany(statement, page_values)

    def close(self) -> None:
        db = self.db
        for kept in self._kept.values():
            kept.insert_rest()
        for table in self.tables.values():
            for columns in table.indexed_columns():
                db[table.name].create_index(list(columns), if_not_exists=True)
        _index_full_texts(db, [table for table in self.tables.values() if table.full_text])
        for name, sql in self.views.items():
            db.create_view(name, sql, replace=True)
        db.execute("ANALYZE")
        db.conn.commit()
        db.vacuum()
        db.close()


@dataclass(frozen=True)
class BaseDatabase:
    """A previous build's database, and the pages whose rows a new build replaces."""

    path: Path
    stale_pages: frozenset[str]


#: Above any URL in SQLite's order (UTF-8 bytes): the last code point.
_AFTER_EVERY_PAGE = "\U0010ffff"


class _KeptRows:
    """The rows of one table of the base database that stay, inserted a run of pages at a time
    in the order of their pages (the base holds them so: every build inserts them in page
    order), the rows of each page in their order."""

    def __init__(self, db: sqlite_utils.Database, table: Table):
        self.db = db
        columns = ", ".join(f'"{column}"' for column in table.column_names)
        page = f'"{table.page_column}"'
        self._select = (f'INSERT INTO main."{table.name}" ({columns}) SELECT {columns} '
                        f'FROM base."{table.name}" WHERE {page} > ? AND {page} < ? '
                        f"AND {page} NOT IN (SELECT url FROM temp.stale_pages) ORDER BY rowid")
        self._done = ""  # pages up to this one are in

    def insert_before(self, page: str) -> None:
        """The kept rows of the pages before ``page`` that are not in yet."""
        if page > self._done:
            self.db.execute(self._select, [self._done, page])
            self._done = page

    def insert_rest(self) -> None:
        self.insert_before(_AFTER_EVERY_PAGE)


def write_database(path: Path, rows_by_table: Mapping[str, Iterable[dict]],
                   tables: Iterable[Table] = TABLES,
                   views: Mapping[str, str] | None = None) -> None:
    """A whole database in one go (``DatabaseWriter``)."""
    writer = DatabaseWriter(path, tables, views)
    for table in _in_dependency_order(list(writer.tables.values())):
        writer.insert(table.name, rows_by_table.get(table.name, ()))
    writer.close()


def _index_full_texts(db: sqlite_utils.Database, tables: list[Table]) -> None:
    """``{table}_fts`` for each table: FTS5 over the table's ``full_text`` columns, and their
    French stems in ``STEMS_COLUMN`` (``scoparchive.stemming``). The index reads its text from a
    view of the table, where the stems column is the original text of those columns: no text is
    stored twice, and ``snippet()`` marks the words the stems matched as they are written.

    Stemming is most of the cost of indexing, and tables of one page's history repeat its texts
    (an article and its versions): the tables with a page column are indexed together, a page at
    a time, and a text met again within a page is stemmed once. Each index gets its rows in
    rowid order, as an ``INSERT … SELECT`` would give them."""
    for table in tables:
        _create_full_text(db, table)
    paged = [table for table in tables if table.page_column is not None]
    rows = heapq.merge(*(_full_text_rows(db, table) for table in paged),
                       key=lambda row: row[0] or "")
    for table in tables:
        if table.page_column is None:
            rows = itertools.chain(rows, _full_text_rows(db, table))
    batches: dict[str, list[tuple]] = {table.name: [] for table in tables}
    by_name = {table.name: table for table in tables}
    stems_of_page: dict[str, str | None] = {}
    current_page = None
    for page, name, values, text in rows:
        if page != current_page or page is None:
            stems_of_page.clear()
            current_page = page
        stems = stems_of_page.get(text)
        if stems is None:
            stems = stems_of_page[text] = stem_text(text)
        batch = batches[name]
        batch.append((*values, stems))
        if len(batch) >= _FULL_TEXT_BATCH:
            _insert_full_text(db, by_name[name], batch)
    for name, batch in batches.items():
        _insert_full_text(db, by_name[name], batch)


#: Rows per insert into a full-text index.
_FULL_TEXT_BATCH = 500


def _create_full_text(db: sqlite_utils.Database, table: Table) -> None:
    fts, source = f"{table.name}_fts", full_text_source(table.name)
    columns = ", ".join(f'"{column}"' for column in table.full_text)
    joined = " || char(10) || ".join(f"""coalesce("{column}", '')""" for column in table.full_text)
    db.execute(f'CREATE VIEW "{source}" AS SELECT rowid AS rowid, {columns}, {joined} '
               f'AS "{STEMS_COLUMN}" FROM "{table.name}"')
    db.execute(f'CREATE VIRTUAL TABLE "{fts}" USING FTS5 ({columns}, "{STEMS_COLUMN}", '
               f"""tokenize='{FTS_TOKENIZER}', content="{source}")""")


def _full_text_rows(db: sqlite_utils.Database, table: Table) -> Iterator[tuple]:
    """(page or None, table, (rowid, the full-text columns), the text to stem) of each row, in
    rowid order: the order of pages, for a table with a page column (rows are written so)."""
    columns = ", ".join(f's."{column}"' for column in table.full_text)
    page = f't."{table.page_column}"' if table.page_column else "NULL"
    cursor = db.conn.execute(
        f'SELECT {page}, s.rowid, {columns}, s."{STEMS_COLUMN}" '
        f'FROM "{full_text_source(table.name)}" AS s JOIN "{table.name}" AS t '
        f"ON t.rowid = s.rowid ORDER BY s.rowid")
    for row in cursor:
        yield row[0], table.name, row[1:-1], row[-1]


def _insert_full_text(db: sqlite_utils.Database, table: Table, batch: list[tuple]) -> None:
    """(rowid, the full-text columns, their stems) of each row of ``batch``, then emptied."""
    if not batch:
        return
    columns = ", ".join(f'"{column}"' for column in table.full_text)
    marks = ", ".join("?" * len(batch[0]))
    db.conn.executemany(f'INSERT INTO "{table.name}_fts" (rowid, {columns}, "{STEMS_COLUMN}") '
                        f"VALUES ({marks})", batch)
    batch.clear()


def _create_table(db: sqlite_utils.Database, table: Table) -> None:
    db[table.name].create(
        table.sqlite_columns(),
        pk=table.primary_key[0] if len(table.primary_key) == 1 else table.primary_key,
        not_null={c.name for c in table.columns if c.required},
        foreign_keys=table.foreign_keys(),
    )


def _in_dependency_order(tables: list[Table]) -> list[Table]:
    """Referenced tables first, so that foreign keys point at tables that exist."""
    by_name = {table.name: table for table in tables}
    ordered: list[Table] = []

    def visit(table: Table, path: tuple[str, ...] = ()) -> None:
        if table in ordered or table.name in path:
            return
        for _, other, _ in table.foreign_keys():
            if other in by_name and other != table.name:
                visit(by_name[other], (*path, table.name))
        ordered.append(table)

    for table in tables:
        visit(table)
    return ordered


@functools.cache
def _insert_statement(table: Table) -> tuple[str, tuple[tuple[str, Callable], ...]]:
    """The INSERT of a table's rows, and for each column the function giving its SQLite value
    (rows go through ``executemany`` as they are: the build writes every row of every page)."""
    columns = ", ".join(f'"{column.name}"' for column in table.columns)
    marks = ", ".join("?" for _ in table.columns)
    converters = tuple((column.name, _CONVERTERS.get(column.type, _as_is))
                       for column in table.columns)
    return f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', converters


def _as_is(value):
    return value


def _json_list(value):
    return None if value is None else json.dumps(list(value), ensure_ascii=False)


def _boolean(value):
    return None if value is None else int(bool(value))


_CONVERTERS: dict[str, Callable] = {
    "date": iso_date,
    "datetime": iso_datetime,
    "list<string>": _json_list,
    "boolean": _boolean,
}
