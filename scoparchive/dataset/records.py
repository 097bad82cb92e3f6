"""Rows of every table, from the replayed history of the site."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from datetime import datetime

from scoparchive import geo
from scoparchive.dataset.archives import record_sites
from scoparchive.dataset.history import History, PageState
from scoparchive.dataset.organizations import OrganizationFinder
from scoparchive.dataset.reuse import PagesState
from scoparchive.items import ARTICLE_TYPES
from scoparchive.profiles import PROFILES, profile_for_url
from scoparchive.publishing.replay import archived_url
from scoparchive.schema import TABLES_BY_NAME
from scoparchive.textdiff import stored_article_diff, write_diff


def table_rows(history: History) -> dict[str, list[dict]]:
    """Every table's rows in lists (``iter_rows`` collected): for tests and small histories."""
    rows: dict[str, list[dict]] = {name: [] for name in TABLES_BY_NAME}
    for name, row in iter_rows(history):
        rows[name].append(row)
    return rows


def iter_rows(history: History, memo=None, mapper: Callable = map,
              pages_state: PagesState | None = None) -> Iterator[tuple[str, dict]]:
    """(table name, row) of every table, in each table's order, as a build writes them.

    Pages are read one at a time, in URL order: each version's page is loaded from the parse
    cache when a row needs it and dropped after, so memory does not grow with the archive but
    for the history itself and what the organisations need of each page (its date, its items
    and a digest of its texts: the texts are in ``pages_state``, or held compressed without
    it). Each row is checked against the schema (``check_row``). ``memo``: the parse cache,
    which keeps what each page gives the organisations between builds; ``mapper``: what runs
    their search over the pages (``OrganizationFinder``). ``pages_state``: what the build
    keeps of each page for the next one, and the pages whose rows the previous build holds
    already (``dataset.reuse``): of those, only the ``pages`` row is given."""
    organizations = OrganizationFinder(memo, mapper, texts=pages_state)
    kept = pages_state.kept if pages_state is not None else frozenset()
    sites: dict[str, str] = {}  # page URL -> its site, for the organisations' mentions
    for state in sorted(history.pages.values(), key=lambda state: state.url):
        site = sites[state.url] = site_of(state.url)
        if state.url in kept:
            yield from _checked((("pages", page_row(state, site)),))
            text = pages_state.previous_text(state.url)
            if text is not None:
                organizations.add_packed(state.url, text)
            pages_state.add(state.url, text)
        else:
            yield from _checked(_with_site(_page_rows(state, organizations, pages_state, site),
                                           site))
    found, mentions = organizations.finish()
    named_by = organization_sites(mentions, sites)
    yield from _checked(("organizations", organization_row(organization, named_by))
                        for organization in found)
    yield from _checked(("mentions", {**_fields(mention), "site": sites[mention.page_url]})
                        for mention in mentions)
    yield from _checked(("departments", row) for row in department_rows())
    yield from _checked(("crawl_runs", row) for row in crawl_run_rows(history))


def site_of(url: str) -> str:
    """The site of a page: its profile's name (``profiles.profile_for_url``; a loopback
    replica's, once the build registered the sites of the archive's runs)."""
    return profile_for_url(url).name


def _with_site(rows: Iterable[tuple[str, dict]], site: str) -> Iterator[tuple[str, dict]]:
    """A page's rows, each with the page's site (the parse cache keeps rows without it: the
    same payload may be another site's)."""
    for name, row in rows:
        row["site"] = site
        yield name, row


def organization_sites(mentions, sites: dict[str, str]) -> dict[str, Counter]:
    """Organisation id -> the pages naming it, counted by site."""
    named_by: dict[str, Counter] = {}
    for mention in mentions:
        named_by.setdefault(mention.organization_id, Counter())[sites[mention.page_url]] += 1
    return named_by


def organization_row(organization, named_by: dict[str, Counter]) -> dict:
    """An organisation's row: its site is the one naming it on the most pages (ties: the first
    by name), ``sites`` every one."""
    counts = named_by.get(organization.id) or Counter()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {**_fields(organization), "site": ranked[0][0] if ranked else None,
            "sites": sorted(counts)}


def _page_rows(state: PageState, organizations: OrganizationFinder,
               pages_state: PagesState | None = None, site: str | None = None
               ) -> Iterator[tuple[str, dict]]:
    """A page's rows: its own (``pages``, ``page_versions``), then those of its latest version's
    payload (``dataset.fragments``, read from the parse cache) with the history's times, each
    article version with what changed since the one before it."""
    latest = state.latest
    latest_archived = archived_url(latest.url, latest.captured_at)
    fragments = latest.load_fragments()
    yield "pages", page_row(state, site)
    article_before = None
    for version in state.versions:
        archived = archived_url(version.url, version.captured_at)
        yield "page_versions", {
            "url": version.url, "captured_at": version.captured_at,
            "content_sha256": version.content_sha256,
            "content_fingerprint": version.fingerprint, "run_id": version.run_id,
            "http_status": version.http_status, "page_type": version.page_type,
            "title": version.summary.title, "warc_record_id": version.warc_record_id,
            "warc_file": version.warc_file, "warc_offset": version.warc_offset,
            "archived_url": archived,
        }
        if version.summary.has_article and version.page_type in ARTICLE_TYPES:
            of_version = fragments if version is latest else version.load_fragments()
            for row in of_version["article_versions"]:
                yield "article_versions", {**row, "captured_at": version.captured_at,
                                           "content_fingerprint": version.fingerprint,
                                           "archived_url": archived,
                                           **changes_since(article_before, row)}
                article_before = row
    for table in ("contacts", "images"):
        for row in fragments[table]:
            yield table, row
    text = organizations.add_fragment(state.url, fragments["organizations"])
    if pages_state is not None:
        pages_state.add(state.url, text)
    for row in fragments["articles"]:
        yield "articles", {**row, "captured_at": latest.captured_at,
                           "archived_url": latest_archived}
    for row in fragments["links"]:
        yield "links", row
    for row in fragments["initiatives"]:
        yield "initiatives", {**row, "archived_url": latest_archived}


def changes_since(before: dict | None, after: dict) -> dict:
    """What changed in an article version (an ``article_versions`` row) since the one before
    it, word by word: its columns ``changed_fields``, ``words_removed``, ``words_added`` and
    ``diff``. The first version has none: no fields, no diff, and no word counted (0, not
    empty: an integer column with gaps is read as floats by pandas, and by frictionless)."""
    if before is None:
        return {"changed_fields": None, "words_removed": 0, "words_added": 0, "diff": None}
    diffs = stored_article_diff(before, after)
    return {"changed_fields": [diff.name for diff in diffs],
            "words_removed": sum(diff.words_removed for diff in diffs),
            "words_added": sum(diff.words_added for diff in diffs),
            "diff": write_diff(diffs)}


def _fields(record) -> dict:
    """A dataclass's fields as a row: ``asdict`` without its deep copy, which rows, read once,
    do not need."""
    return {field.name: getattr(record, field.name) for field in fields(record)}


def crawl_run_rows(history: History) -> list[dict]:
    """A row per run: every run with captures in the archive, and every run whose record says
    it archived nothing (a site that could not be reached), with how each ended. The workers of
    a distributed run (one run id, an archive each) are one run: the history adds up their
    captures, and their records are merged (``dataset.archives.merged_records``)."""
    rows = []
    for run in history.runs.values():
        record = history.run_records.get(run.run_id)
        sites = run_sites(record) if record else sorted(
            {site_of(url) for url in run.captured_urls or [run.first_url]})
        rows.append({
            "id": run.run_id, "site": sites[0], "sites": sites, "started_at": run.started_at,
            "finished_at": run.finished_at,
            "pages_fetched": run.pages_fetched, "pages_new": run.pages_new,
            "pages_changed": run.pages_changed, "pages_unchanged": run.pages_unchanged,
            "pages_removed": run.pages_removed, "errors": run.errors,
            "warc_files": run.warc_files, "status": record.status if record else None,
            "responses": run.responses,
        })
    for record in history.run_records.values():
        if record.run_id not in history.runs:
            sites = run_sites(record)
            rows.append({
                "id": record.run_id, "site": sites[0], "sites": sites,
                "started_at": _moment(record.started_at),
                "finished_at": _moment(record.finished_at), "pages_fetched": 0,
                "pages_new": 0, "pages_changed": 0, "pages_unchanged": 0, "pages_removed": 0,
                "errors": record.errors, "warc_files": [], "status": record.status,
                "responses": record.responses,
            })
    return sorted(rows, key=lambda row: (row["started_at"] is None, row["started_at"],
                                         row["id"]))


def run_sites(record) -> list[str]:
    """The sites a run's record names, in its order (``dataset.archives.record_sites``)."""
    return list(record_sites(record))


def _moment(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def page_row(state: PageState, site: str | None = None) -> dict:
    """The page's row; ``site`` None: its site, from its URL."""
    latest = state.latest
    return {
        "url": state.url, "site": site or site_of(state.url), "page_type": latest.page_type, "title": latest.summary.title,
        "http_status": state.http_status, "content_type": state.content_type,
        "fetched_at": state.fetched_at, "content_sha256": state.content_sha256,
        "content_fingerprint": latest.fingerprint, "first_seen": state.first_seen,
        "last_seen": state.last_seen, "removed_at": state.removed_at,
        "redirect_to": state.redirect_to, "version_count": len(state.versions),
        "warc_record_id": state.warc_record_id, "warc_file": state.warc_file,
        "archived_url": archived_url(latest.url, latest.captured_at),
    }


def department_rows() -> list[dict]:
    covered_by = union_of_departments()
    return [
        {"code": d.code, "site": covered_by.get(d.code), "name": d.name, "region_code": d.region_code,
         "region_name": d.region_name, "chef_lieu": d.chef_lieu, "latitude": d.latitude,
         "longitude": d.longitude, "kind": d.kind, "in_union": d.code in geo.UNION_DEPARTMENTS}
        for d in sorted(geo.departments().values(), key=lambda d: d.code)
    ]


def union_of_departments() -> dict[str, str]:
    """Department code -> the site of the union covering it (its profile's ``departments``;
    the first profile, where two would)."""
    covered_by: dict[str, str] = {}
    for profile in PROFILES.values():
        for code in profile.departments:
            covered_by.setdefault(code, profile.name)
    return covered_by


def check_row(name: str, row: dict) -> None:
    """A row has exactly its table's columns: a column named here but not in the schema, or
    misspelt, fails the build instead of vanishing from the outputs."""
    table = TABLES_BY_NAME.get(name)
    if table is None:
        raise ValueError(f"no table {name!r} in the schema")
    expected = _COLUMNS[name]
    if row.keys() != expected:
        raise ValueError(f"{name} row columns differ from the schema: "
                         f"unknown {sorted(row.keys() - expected)}, "
                         f"missing {sorted(expected - row.keys())}")


_COLUMNS = {name: frozenset(table.column_names) for name, table in TABLES_BY_NAME.items()}


def _checked(rows: Iterable[tuple[str, dict]]) -> Iterator[tuple[str, dict]]:
    for name, row in rows:
        check_row(name, row)
        yield name, row
