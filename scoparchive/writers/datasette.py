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

#: The title of a build of several sites (the template's is one union's).
NETWORK_TITLE = ("Archive des sites du réseau des unions régionales des Scop et Scic (archive "
                 "of the sites of the network of regional unions)")

#: The units of the schema, as the column descriptions say them.
UNITS_IN_FRENCH = {"words": "mots", "degrees": "degrés", "bytes": "octets",
                   "requests": "requêtes", "responses": "réponses"}


def datasette_metadata(template: dict, database: str, tables: Iterable[Table],
                       views: dict[str, str], provenance: Mapping | None = None) -> dict:
    """``provenance``: the build's (``source_site``, ``sites``, ``created``, ``software``,
    ``crawl_runs``); the site crawled is then the data source, whatever the template says. The
    facet by site is offered by default in a build of several sites only."""
    metadata = {key: value for key, value in template.items() if key != "database"}
    if provenance:
        described = _build_description(provenance)
        plugins = {**(metadata.get("plugins") or {}), **described.pop("plugins")}
        metadata.update(described, plugins=plugins)
        sites = provenance.get("sites") or {}
        if len(sites) > 1 and metadata.get("description_html"):
            # The template's first paragraph speaks of one union: the network's instead.
            _, _, rest = metadata["description_html"].partition("</p>")
            metadata["description_html"] = _network_paragraph(sites) + rest
    several_sites = len((provenance or {}).get("sites") or {}) > 1
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
        if not several_sites and "facets" in entry:
            # One site: a facet of one value says nothing (the column stays, for filters).
            entry["facets"] = [facet for facet in entry["facets"] if facet != "site"]
        tables_metadata[table.name] = entry
    for view in views:
        tables_metadata.setdefault(view, {}).update(table_overrides.get(view, {}))
    database_metadata["tables"] = tables_metadata
    metadata["databases"] = {database: database_metadata}
    return metadata


def _network_paragraph(sites: Mapping[str, str]) -> str:
    names = ", ".join(f"<code>{name}</code>" for name in sites)
    return ("<p>Les articles, les initiatives des coopératives, les contacts et l'histoire des "
            f"sites de plusieurs unions du réseau ({names}), tirés par "
            '<a href="https://github.com/scoparchive/scoparchive">scoparchive</a> de leurs '
            "archives web (WARC), dans une seule base : la colonne <code>site</code> de chaque "
            "table dit de quel site vient chaque ligne ; la vue "
            "<code>initiatives_by_region_and_site</code> compare les régions d'union en union. "
            "<em>(The sites of several unions of the network in one database: every table's "
            "site column says which site a row comes from.)</em></p>")


def _column_description(column) -> str:
    text = column.description
    if column.unit:
        text += f" Unité : {UNITS_IN_FRENCH.get(column.unit, column.unit)}."
    return text


def _build_description(provenance: Mapping) -> dict:
    """The source and the plugin configuration ``look`` reads (``plugins.scoparchive.build``).
    A build of several sites (``sites``) is the network's: its title and source say so."""
    site = provenance.get("source_site")
    sites = dict(provenance.get("sites") or {})
    described = {"plugins": {"scoparchive": {"build": {
        "site_url": site, "built_at": provenance.get("created"),
        "software": provenance.get("software"),
        "crawl_runs": list(provenance.get("crawl_runs") or ()),
        "sites": sites}}}}
    if len(sites) > 1:
        described["title"] = NETWORK_TITLE
        described["source"] = ", ".join(urlsplit(url).netloc or url for url in sites.values())
        described["source_url"] = site
    elif site:
        described["source"] = urlsplit(site).netloc or site
        described["source_url"] = site
    return described


def write_datasette_metadata(path: Path, template_path: Path, database: str,
                             tables: Iterable[Table], views: dict[str, str],
                             provenance: Mapping | None = None) -> None:
    template = yaml.safe_load(template_path.read_text(encoding="utf-8")) or {}
    metadata = datasette_metadata(template, database, tables, views, provenance)
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
