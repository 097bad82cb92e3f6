"""Rows of every table, from the replayed history of the site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict

from scoparchive import geo
from scoparchive.history import History, PageState
from scoparchive.items import Article, ParsedPage
from scoparchive.organizations import find_organizations
from scoparchive.schema import TABLES_BY_NAME

#: Page types whose record is an article (roundups and programmes are articles with more in them).
ARTICLE_TYPES = frozenset({"article", "roundup", "programme", "legacy_article"})


def table_rows(history: History) -> dict[str, list[dict]]:
    states = sorted(history.pages.values(), key=lambda state: state.url)
    rows: dict[str, list[dict]] = {
        "pages": [page_row(state) for state in states],
        "page_versions": [],
        "article_versions": [],
        "articles": [],
        "initiatives": [],
        "contacts": [],
        "images": [],
        "links": [],
    }
    for state in states:
        for version in state.versions:
            rows["page_versions"].append({
                "url": version.url, "captured_at": version.captured_at,
                "content_sha256": version.content_sha256,
                "content_fingerprint": version.fingerprint, "run_id": version.run_id,
                "http_status": version.http_status, "page_type": version.page.page_type,
                "title": version.page.title, "warc_record_id": version.warc_record_id,
                "warc_file": version.warc_file, "warc_offset": version.warc_offset,
            })
            if version.page.article is not None and version.page.page_type in ARTICLE_TYPES:
                article = version.page.article
                rows["article_versions"].append({
                    "url": version.url, "captured_at": version.captured_at,
                    "title": article.title, "published_date": article.published_date,
                    "lead": article.lead, "body_text": article.body_text,
                    "word_count": article.word_count, "content_fingerprint": version.fingerprint,
                })
        latest = state.latest.page
        rows["contacts"].extend(contact_rows(state.url, latest))
        rows["images"].extend(
            {"page_url": state.url, "position": position, "url": image.url, "alt": image.alt,
             "caption": image.caption, "credit": image.credit}
            for position, image in enumerate(_images(latest), start=1)
        )
        if latest.article is None or latest.page_type not in ARTICLE_TYPES:
            continue
        rows["articles"].append(article_row(state, latest))
        rows["links"].extend(
            {"page_url": state.url, "position": position, "url": link.url, "text": link.text,
             "internal": link.internal}
            for position, link in enumerate(latest.article.links, start=1)
        )
        rows["initiatives"].extend(initiative_rows(state.url, latest))
    organizations, mentions = find_organizations((state.url, state.latest.page)
                                                 for state in states)
    rows["organizations"] = [asdict(organization) for organization in organizations]
    rows["mentions"] = [asdict(mention) for mention in mentions]
    rows["departments"] = department_rows()
    rows["crawl_runs"] = [
        {
            "id": run.run_id, "started_at": run.started_at, "finished_at": run.finished_at,
            "pages_fetched": run.pages_fetched, "pages_new": run.pages_new,
            "pages_changed": run.pages_changed, "pages_unchanged": run.pages_unchanged,
            "pages_removed": run.pages_removed, "errors": run.errors,
            "warc_files": run.warc_files,
        }
        for run in sorted(history.runs.values(), key=lambda run: (run.started_at, run.run_id))
    ]
    _check_columns(rows)
    return rows


def page_row(state: PageState) -> dict:
    latest = state.latest
    return {
        "url": state.url, "page_type": latest.page.page_type, "title": latest.page.title,
        "http_status": state.http_status, "content_type": state.content_type,
        "fetched_at": state.fetched_at, "content_sha256": state.content_sha256,
        "content_fingerprint": latest.fingerprint, "first_seen": state.first_seen,
        "last_seen": state.last_seen, "removed_at": state.removed_at,
        "redirect_to": state.redirect_to, "version_count": len(state.versions),
        "warc_record_id": state.warc_record_id, "warc_file": state.warc_file,
    }


def article_row(state: PageState, page: ParsedPage) -> dict:
    article: Article = page.article
    return {
        "url": state.url, "page_type": page.page_type, "title": article.title,
        "rubric": article.rubric, "published_date": article.published_date,
        "published_date_raw": article.published_date_raw,
        "published_year": article.published_date.year if article.published_date else None,
        "lead": article.lead, "body_text": article.body_text,
        "body_markdown": article.body_markdown, "word_count": article.word_count,
        "image_count": len(article.images), "initiative_count": len(page.initiatives),
        "extraction": json.dumps(article.extraction, sort_keys=True) if article.extraction
        else None,
        "captured_at": state.latest.captured_at,
    }


def initiative_rows(page_url: str, page: ParsedPage) -> Iterator[dict]:
    published = page.article.published_date if page.article else None
    for item in page.initiatives:
        first = item.departments[0] if item.departments else None
        # A town in parentheses places the item on the map, though it names no department code.
        located_in = first or item.place_department
        department = geo.department(located_in) if located_in else None
        yield {
            "id": f"{page_url}#{item.position}", "article_url": page_url,
            "position": item.position, "name": item.name, "heading_raw": item.heading_raw,
            "departments": item.departments, "department": first,
            "region": department.region_name if department else None,
            "place": item.place, "place_department": item.place_department,
            "description": item.description, "emails": item.emails, "phones": item.phones,
            "urls": item.urls,
            "latitude": department.latitude if department else None,
            "longitude": department.longitude if department else None,
            "published_date": published, "extraction_method": item.extraction_method,
        }


def contact_rows(page_url: str, page: ParsedPage) -> Iterator[dict]:
    seen = set()
    for contact in page.contacts:
        key = (contact.kind, contact.value)
        if key in seen:
            continue
        seen.add(key)
        yield {"page_url": page_url, "kind": contact.kind, "value": contact.value,
               "raw": contact.raw, "context": contact.context}


def department_rows() -> list[dict]:
    return [
        {"code": d.code, "name": d.name, "region_code": d.region_code,
         "region_name": d.region_name, "chef_lieu": d.chef_lieu, "latitude": d.latitude,
         "longitude": d.longitude, "kind": d.kind, "in_union": d.code in geo.UNION_DEPARTMENTS}
        for d in sorted(geo.departments().values(), key=lambda d: d.code)
    ]


def _check_columns(rows: dict[str, list[dict]]) -> None:
    """Every row has exactly its table's columns: a column named here but not in the schema, or
    misspelt, fails the build instead of vanishing from the outputs."""
    if rows.keys() != TABLES_BY_NAME.keys():
        raise ValueError(f"tables differ from the schema: {sorted(rows)}")
    for name, table_rows_ in rows.items():
        expected = set(TABLES_BY_NAME[name].column_names)
        for row in table_rows_:
            if row.keys() != expected:
                raise ValueError(f"{name} row columns differ from the schema: "
                                 f"unknown {sorted(row.keys() - expected)}, "
                                 f"missing {sorted(expected - row.keys())}")


def _images(page: ParsedPage):
    return page.article.images if page.article is not None else page.images
