"""Parquet files with explicit types from the schema, zstd-compressed, with provenance metadata.

A table is written as its rows come, one row group per batch (``ParquetTableWriter``): memory
holds a batch, never the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scoparchive.schema import SCHEMA_VERSION, Table


class ParquetTableWriter:
    """One table's Parquet file, written a batch of rows at a time."""

    def __init__(self, path: Path, table: Table, provenance: Mapping[str, object]):
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
        self._writer = pq.ParquetWriter(path, self.schema, compression="zstd")

    def write(self, rows: list[dict]) -> None:
        if not rows:
            return
        columns = {name: [row.get(name) for row in rows] for name in self.schema.names}
        self._writer.write_table(pa.Table.from_pydict(columns, schema=self.schema))
        self.rows += len(rows)

    def close(self) -> int:
        self._writer.close()
        return self.rows


def write_parquet(path: Path, table: Table, rows: Iterable[dict],
                  provenance: Mapping[str, object]) -> int:
    """A whole table in one go: ``ParquetTableWriter`` with a single batch."""
    writer = ParquetTableWriter(path, table, provenance)
    writer.write(list(rows))
    return writer.close()
