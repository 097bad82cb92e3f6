"""Parquet files with explicit types from the schema, zstd-compressed, with provenance metadata.

A table is written as its rows come, in row groups of ``ROW_GROUP`` rows (``ParquetTableWriter``):
memory holds a row group, never the table. A table with a page column can start from the same
table of a previous build (``KeptRows``): its rows of the pages that did not change are merged,
in page order, with the rows written, so that the file is the one a whole build would write.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scoparchive.schema import SCHEMA_VERSION, Table

#: Rows per row group, whatever the batches written.
ROW_GROUP = 500


class ParquetTableWriter:
    """One table's Parquet file, written a batch of rows at a time. ``kept``: the previous
    build's rows that stay, merged in (the batches then come in page order, as a build writes
    them)."""

    def __init__(self, path: Path, table: Table, provenance: Mapping[str, object],
                 kept: KeptRows | None = None):
        schema = table.arrow_schema()
        metadata = dict(schema.metadata or {})
        metadata.update({
            b"scoparchive.schema_version": SCHEMA_VERSION.encode(),
            b"scoparchive.table": table.name.encode(),
            b"scoparchive.primary_key": json.dumps(list(table.primary_key)).encode(),
            **{f"scoparchive.{key}".encode(): json.dumps(value, ensure_ascii=False).encode()
               for key, value in provenance.items()},
        })
        self.schema = schema.with_metadata(metadata)
        self.rows = 0
        self._kept = kept
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        columns = {name: [row.get(name) for row in rows] for name in self.schema.names}
        batch = pa.Table.from_pydict(columns, schema=self.schema)
        if self._kept is None:
            self._add(batch)
            return
        # Each page's rows after the kept rows of the pages before it.
        pages = columns[self._kept.column]
        start = 0
        for end in range(1, len(pages) + 1):
            if end == len(pages) or pages[end] != pages[start]:
                for kept in self._kept.before(pages[start]):
                    self._add(kept)
                self._add(batch.slice(start, end - start))
                start = end

    def close(self) -> int:
        if self._kept is not None:
            for kept in self._kept.rest():
                self._add(kept)
        self._flush(every_row=True)
        self._writer.close()
        return self.rows

    def _add(self, rows: pa.Table) -> None:
        if rows.num_rows:
            self._pending.append(rows.replace_schema_metadata(self.schema.metadata))
            self._pending_rows += rows.num_rows
            self._flush()

    def _flush(self, every_row: bool = False) -> None:
        """Full row groups out (and the last, smaller one at the end)."""
        if self._pending_rows < ROW_GROUP and not (every_row and self._pending_rows):
            return
        pending = pa.concat_tables(self._pending)
        start = 0
        while pending.num_rows - start >= ROW_GROUP or (every_row and start < pending.num_rows):
            group = pending.slice(start, ROW_GROUP)
            self._writer.write_table(group)
            self.rows += group.num_rows
            start += group.num_rows
        rest = pending.slice(start)
        self._pending, self._pending_rows = ([rest] if rest.num_rows else []), rest.num_rows


class KeptRows:
    """The rows of a previous build's Parquet file but those of ``stale_pages``, read a batch
    at a time, in the file's order (page order, as every build writes it), the rows of each
    page in their order."""

    def __init__(self, path: Path, table: Table, stale_pages: Iterable[str]):
        if table.page_column is None:
            raise ValueError(f"{table.name} has no page column: its rows cannot be kept")
        self.column = table.page_column
        self.schema = table.arrow_schema()
        self._stale = pa.array(sorted(stale_pages), type=pa.string())
        self._file = pq.ParquetFile(path)
        self._batches = self._file.iter_batches(batch_size=ROW_GROUP, use_threads=False)
        self._buffer = self._empty()

    def before(self, page: str) -> Iterator[pa.Table]:
        """The kept rows of the pages before ``page`` not given yet, a batch at a time."""
        while True:
            if not self._buffer.num_rows:
                batch = self._next()
                if batch is None:
                    return
                self._buffer = batch
            count = pc.sum(pc.less(self._buffer.column(self.column), page)).as_py() or 0
            if count:
                yield self._buffer.slice(0, count)
            if count < self._buffer.num_rows:
                self._buffer = self._buffer.slice(count)
                return
            self._buffer = self._empty()

    def rest(self) -> Iterator[pa.Table]:
        """Every kept row not given yet, a batch at a time."""
        if self._buffer.num_rows:
            yield self._buffer
        self._buffer = self._empty()
        while (batch := self._next()) is not None:
            yield batch
        self._file.close()

    def _next(self) -> pa.Table | None:
        """The next batch of the file, its stale rows left out (None at the end)."""
        for batch in self._batches:
            rows = pa.Table.from_batches([batch])
            if not rows.schema.equals(self.schema):
                rows = rows.cast(self.schema)
            stale = pc.is_in(rows.column(self.column), value_set=self._stale)
            if pc.any(stale).as_py():
                rows = rows.filter(pc.invert(stale))
            if rows.num_rows:
                return rows
        return None

    def _empty(self) -> pa.Table:
        return self.schema.empty_table()


def write_parquet(path: Path, table: Table, rows: Iterable[dict],
                  provenance: Mapping[str, object]) -> int:
    """A whole table in one go: ``ParquetTableWriter`` with a single batch."""
    writer = ParquetTableWriter(path, table, provenance)
    writer.write(list(rows))
    return writer.close()
