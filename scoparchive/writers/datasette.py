"""Datasette's ``metadata.json``: ``scoparchive/metadata.yaml``, shipped in the package, plus what
the schema says of every table and column, so the descriptions researchers read are the schema's
own, and what the build says of itself: the site it was crawled from (the data source) and its
date, which the front page shows and cites (``scoparchive.publishing.look``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from scoparchive.schema import Table

#: The units of the schema, as the column descriptions say them.
UNITS_IN_FRENCH = {"words": "mots", "degrees": "degrés", "bytes": "octets",
                   "requests": "requêtes", "responses": "réponses"}


def datasette_metadata(template: dict, database: str, tables: Iterable[Table],
                       views: dict[str, str], provenance: Mapping | None = None) -> dict:
    """``provenance``: the build's (``source_site``, ``created``, ``software``, ``crawl_runs``);
    the site crawled is then the data source, whatever the template says."""
    metadata = {key: value for key, value in template.items() if key != "database"}
    if provenance:
        described = _build_description(provenance)
        plugins = {**(metadata.get("plugins") or {}), **described.pop("plugins")}
        metadata.update(described, plugins=plugins)
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
        if table.sort:
            entry["sort"] = table.sort
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
        text += f" Unité : {UNITS_IN_FRENCH.get(column.unit, column.unit)}."
    return text


def _build_description(provenance: Mapping) -> dict:
    """The source and the plugin configuration ``look`` reads (``plugins.scoparchive.build``)."""
    site = provenance.get("source_site")
    described = {"plugins": {"scoparchive": {"build": {
        "site_url": site, "built_at": provenance.get("created"),
        "software": provenance.get("software"),
        "crawl_runs": list(provenance.get("crawl_runs") or ())}}}}
    if site:
        described["source"] = urlsplit(site).netloc or site
        described["source_url"] = site
    return described


def write_datasette_metadata(path: Path, template_path: Path, database: str,
                             tables: Iterable[Table], views: dict[str, str],
                             provenance: Mapping | None = None) -> None:
    template = yaml.safe_load(template_path.read_text(encoding="utf-8")) or {}
    metadata = datasette_metadata(template, database, tables, views, provenance)
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
