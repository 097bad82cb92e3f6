"""``datapackage.json``: a Frictionless Data Package (v2) describing the Parquet files.

Properties that the standard does not define are namespaced ``scoparchive:``; ``unit`` and
``example`` are Table Schema field properties.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from scoparchive import __version__
from scoparchive.schema import FRICTIONLESS_TYPES, SCHEMA_VERSION, Table

PROFILE_URL = "https://datapackage.org/profiles/2.0/datapackage.json"


def table_schema(table: Table) -> dict:
    fields = []
    for column in table.columns:
        field = {
            "name": column.name,
            "type": FRICTIONLESS_TYPES[column.type],
            "description": column.description,
        }
        if field["type"] != column.type:
            field["scoparchive:type"] = column.type  # the exact type, where v2's is looser
        if column.required or column.name in table.primary_key:
            field["constraints"] = {"required": True}
        if column.unit:
            field["unit"] = column.unit
        if column.example:
            field["example"] = column.example
        fields.append(field)
    schema: dict = {"fields": fields, "primaryKey": list(table.primary_key)}
    foreign_keys = [
        {"fields": [name], "reference": {"resource": other, "fields": [other_column]}}
        for name, other, other_column in table.foreign_keys()
    ]
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def write_datapackage(path: Path, *, name: str, title: str, description: str, site_url: str,
                      licence: Mapping[str, str], tables: Iterable[Table],
                      row_counts: Mapping[str, int], created: str,
                      run_ids: list[str], parser_version: str,
                      sites: Mapping[str, str] | None = None) -> None:
    """Describes the Parquet files already written under ``path.parent``. ``sites``: name ->
    base URL of every site the build holds, each a source (a build of the network has
    several)."""
    sources = [{"title": title, "path": site_url}] if not sites or len(sites) == 1 else [
        {"title": name, "path": url} for name, url in sites.items()]
    package = {
        "$schema": PROFILE_URL,
        "name": name,
        "title": title,
        "description": description,
        "version": SCHEMA_VERSION,
        "created": created,
        "homepage": site_url,
        "licenses": [dict(licence)],
        "sources": sources,
        "scoparchive:sites": dict(sites or {}),
        "contributors": [{"title": f"scoparchive {__version__}", "roles": ["creator"]}],
        "scoparchive:crawl_runs": run_ids,
        "scoparchive:software_version": __version__,
        "scoparchive:parser_version": parser_version,
        "resources": [
            _resource(path.parent, table, row_counts.get(table.name, 0)) for table in tables
        ],
    }
    path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _resource(root: Path, table: Table, rows: int) -> dict:
    relative = f"parquet/{table.name}.parquet"
    return {
        "name": table.name,
        "type": "table",
        "title": table.title,
        "description": table.description,
        "path": relative,
        "format": "parquet",
        "mediatype": "application/vnd.apache.parquet",
        # Fixity for archives; no "bytes": frictionless-py cannot count a Parquet file's bytes
        # and would report every resource as invalid.
        "hash": "sha256:" + hashlib.sha256((root / relative).read_bytes()).hexdigest(),
        "scoparchive:rows": rows,
        "schema": table_schema(table),
    }
