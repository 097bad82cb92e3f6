"""Every table of a build written as its rows come, to Parquet and SQLite at once, a batch at a
time: the build never holds a whole table.

A build may start from the previous one's outputs (``BaseOutputs``): it then writes the rows of
the pages that changed and the tables built whole, and keeps the rest of the previous tables; the
files are those a whole build would write (row order and row groups included)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from scoparchive.schema import Table
from scoparchive.writers.parquet import KeptRows, ParquetTableWriter
from scoparchive.writers.sqlite import BaseDatabase, DatabaseWriter

#: Rows per batch: a Parquet row group and a few SQLite insert statements.
BATCH = 500


@dataclass(frozen=True)
class BaseOutputs:
    """A previous build's outputs a new build starts from. ``stale_pages``: the pages whose
    rows the new build writes again (or drops): its pages that changed and those it no longer
    has. The rows of every other page stay, in every table that has a page column."""

    database: Path
    parquet_dir: Path
    stale_pages: frozenset[str]


class TablesWriter:
    """``add(table, row)`` for every row, then ``close()``: the row counts per table. With a
    ``base``, only the rows of the pages not kept are added to the tables with a page column,
    in page order, as a whole build adds them."""

    def __init__(self, parquet_dir: Path, database: Path, tables: Iterable[Table],
                 views: Mapping[str, str], provenance: Mapping[str, object],
                 base: BaseOutputs | None = None):
        tables = list(tables)
        self._parquet = {table.name: ParquetTableWriter(
            parquet_dir / f"{table.name}.parquet", table, provenance,
            kept=_kept_rows(base, table)) for table in tables}
        self._database = DatabaseWriter(
            database, tables, views,
            base=BaseDatabase(base.database, base.stale_pages) if base is not None else None)
        self._batches: dict[str, list[dict]] = {table.name: [] for table in tables}

    def add(self, name: str, row: dict) -> None:
        batch = self._batches[name]
        batch.append(row)
        if len(batch) >= BATCH:
            self._flush(name)

    def close(self) -> dict[str, int]:
        for name in self._batches:
            self._flush(name)
        counts = {name: writer.close() for name, writer in self._parquet.items()}
        self._database.close()
        return counts

    def _flush(self, name: str) -> None:
        batch = self._batches[name]
        if batch:
            self._parquet[name].write(batch)
            self._database.insert(name, batch)
            self._batches[name] = []


def _kept_rows(base: BaseOutputs | None, table: Table) -> KeptRows | None:
    if base is None or table.page_column is None:
        return None
    return KeptRows(base.parquet_dir / f"{table.name}.parquet", table, base.stale_pages)
