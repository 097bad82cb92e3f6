"""Every table of a build written as its rows come, to Parquet and SQLite at once, a batch at a
time: the build never holds a whole table."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from scoparchive.schema import Table
from scoparchive.writers.parquet import ParquetTableWriter
from scoparchive.writers.sqlite import DatabaseWriter

#: Rows per batch: a Parquet row group and a few SQLite insert statements.
BATCH = 500


class TablesWriter:
    """``add(table, row)`` for every row, then ``close()``: the row counts per table."""

    def __init__(self, parquet_dir: Path, database: Path, tables: Iterable[Table],
                 views: Mapping[str, str], provenance: Mapping[str, object]):
        tables = list(tables)
        self._parquet = {table.name: ParquetTableWriter(
            parquet_dir / f"{table.name}.parquet", table, provenance) for table in tables}
        self._database = DatabaseWriter(database, tables, views)
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
