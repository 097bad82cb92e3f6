"""Datasette's ``metadata.json``: ``scoparchive/metadata.yaml``, shipped in the package, plus what
the schema says of every table and column, so the descriptions researchers read are the schema's
own."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import yaml

from scoparchive.schema import Table


def datasette_metadata(template: dict, database: str, tables: Iterable[Table],
                       views: dict[str, str]) -> dict:
    metadata = {key: value for key, value in template.items() if key != "database"}
    database_metadata = dict(template.get("database") or {})
    table_overrides = database_metadata.pop("tables", {}) or {}
    tables_metadata = {}
    for table in tables:
        entry = {
            "title": table.title,
            "description": table.description,
            "columns": {column.name: _column_description(column) for column in table.columns},
        }
        facets = [column.name for column in table.columns if column.facet]
        if facets:
            entry["facets"] = facets
        if table.sort_desc:
            entry["sort_desc"] = table.sort_desc
        if table.label_column:
            entry["label_column"] = table.label_column
        entry.update(table_overrides.get(table.name, {}))
        tables_metadata[table.name] = entry
    for view in views:
        tables_metadata.setdefault(view, {}).update(table_overrides.get(view, {}))
    database_metadata["tables"] = tables_metadata
    metadata["databases"] = {database: database_metadata}
    return metadata


def _column_description(column) -> str:
    text = column.description
    if column.unit:
        text += f" Unit: {column.unit}."
    return text


def write_datasette_metadata(path: Path, template_path: Path, database: str,
                             tables: Iterable[Table], views: dict[str, str]) -> None:
    template = yaml.safe_load(template_path.read_text(encoding="utf-8")) or {}
    metadata = datasette_metadata(template, database, tables, views)
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
