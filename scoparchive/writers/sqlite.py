"""The SQLite database: tables, keys, indexes and French full-text search, from the schema."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import sqlite_utils

from scoparchive.schema import TABLES, Table
from scoparchive.writers import iso_date, iso_datetime

#: Folds case and diacritics: a search for "cooperative" finds "coopérative".
FTS_TOKENIZER = "unicode61 remove_diacritics 2"


def write_database(path: Path, rows_by_table: Mapping[str, Iterable[dict]],
                   tables: Iterable[Table] = TABLES,
                   views: Mapping[str, str] | None = None) -> None:
    db = sqlite_utils.Database(path)
    # The database is written once, in a build folder that is fsynced as a whole before it is
    # swapped in: per-commit syncs and a journal would only slow the build down.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    tables = list(tables)
    for table in _in_dependency_order(tables):
        _create_table(db, table)
        rows = (_to_sqlite(table, row) for row in rows_by_table.get(table.name, ()))
        db[table.name].insert_all(rows, batch_size=500)
    for table in tables:
        for columns in table.indexed_columns():
            db[table.name].create_index(list(columns), if_not_exists=True)
        if table.full_text:
            db[table.name].enable_fts(list(table.full_text), fts_version="FTS5",
                                      tokenize=FTS_TOKENIZER, create_triggers=False)
    for name, sql in (views or {}).items():
        db.create_view(name, sql, replace=True)
    db.execute("ANALYZE")
    db.conn.commit()
    db.vacuum()
    db.close()


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


def _to_sqlite(table: Table, row: dict) -> dict:
    out = {}
    for column in table.columns:
        value = row.get(column.name)
        if value is None:
            out[column.name] = None
        elif column.type == "date":
            out[column.name] = iso_date(value)
        elif column.type == "datetime":
            out[column.name] = iso_datetime(value)
        elif column.type == "list<string>":
            out[column.name] = json.dumps(list(value), ensure_ascii=False)
        elif column.type == "boolean":
            out[column.name] = int(bool(value))
        else:
            out[column.name] = value
    return out
