"""Parquet files with explicit types from the schema, zstd-compressed, with provenance metadata."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scoparchive.schema import SCHEMA_VERSION, Table


def write_parquet(path: Path, table: Table, rows: Iterable[dict],
                  provenance: Mapping[str, object]) -> int:
    schema = table.arrow_schema()
    rows = list(rows)
    columns = {name: [row.get(name) for row in rows] for name in schema.names}
    arrow_table = pa.Table.from_pydict(columns, schema=schema)
    metadata = dict(schema.metadata or {})
    metadata.update({
        b"scoparchive.schema_version": SCHEMA_VERSION.encode(),
        b"scoparchive.table": table.name.encode(),
        b"scoparchive.primary_key": json.dumps(list(table.primary_key)).encode(),
        **{f"scoparchive.{key}".encode(): json.dumps(value, ensure_ascii=False).encode()
           for key, value in provenance.items()},
    })
    arrow_table = arrow_table.replace_schema_metadata(metadata)
    pq.write_table(arrow_table, path, compression="zstd")
    return arrow_table.num_rows
