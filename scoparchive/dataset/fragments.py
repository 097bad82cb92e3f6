"""The rows one parsed page gives, worked out once per payload, when it is parsed.

Most rows of the datasets depend on one page alone: its article, links, initiatives, contacts
and images, and the texts in which organisations are looked for. They are made here, beside the
parse (in the build's processes, in parallel), and kept in the parse cache with it; a build then
reads them back as JSON, and never rebuilds the page objects. What depends on the site's history
is added by ``scoparchive.dataset.records``: the capture times, the versions, the pages' standing.

Because these rows are cached with the parse, this module is one of the parser's sources
(``cache.PARSER_SOURCES``): changing it invalidates the cache, as changing a page object does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date

from scoparchive import geo
from scoparchive.items import ARTICLE_TYPES, Article, ParsedPage
from scoparchive.schema import TABLES_BY_NAME
from scoparchive.text.departments import departments_source, item_departments

#: The tables whose rows come whole from one page. ``articles`` lacks ``captured_at`` and
#: ``article_versions`` lacks ``captured_at`` and ``content_fingerprint``: the history adds them.
PAGE_TABLES = ("article_versions", "articles", "links", "initiatives", "contacts", "images")


def page_fragments(url: str, page: ParsedPage) -> dict:
    """The page's rows by table (JSON values: dates as ISO strings), and under
    ``organizations`` what the organisation finder reads of it (None without an article)."""
    article = page.article if page.page_type in ARTICLE_TYPES else None
    fragments: dict = {
        "article_versions": [article_version_row(url, article)] if article else [],
        "articles": [article_row(url, page)] if article else [],
        "links": [
            {"page_url": url, "position": position, "url": link.url, "text": link.text,
             "internal": link.internal}
            for position, link in enumerate(article.links, start=1)
        ] if article else [],
        "initiatives": list(initiative_rows(url, page)) if article else [],
        "contacts": list(contact_rows(url, page)),
        "images": [
            {"page_url": url, "position": position, "url": image.url, "alt": image.alt,
             "caption": image.caption, "credit": image.credit}
            for position, image in enumerate(_images(page), start=1)
        ],
        "organizations": {
            "published": page.article.published_date.isoformat()
            if page.article.published_date else None,
            "texts": [text for text in (page.article.title, page.article.lead,
                                        page.article.body_text) if text],
            "initiatives": [asdict(item) for item in page.initiatives],
        } if page.article is not None else None,
    }
    for table in PAGE_TABLES:
        fragments[table] = [_as_json(row) for row in fragments[table]]
    return fragments


def read_fragments(data: dict) -> dict:
    """``page_fragments`` as read back from JSON: dates are dates again."""
    for table in PAGE_TABLES:
        columns = _DATE_COLUMNS[table]
        if columns:
            for row in data[table]:
                for column in columns:
                    if row.get(column) is not None:
                        row[column] = date.fromisoformat(row[column])
    return data


def article_version_row(url: str, article: Article) -> dict:
    return {"url": url, "title": article.title, "published_date": article.published_date,
            "lead": article.lead, "body_text": article.body_text,
            "word_count": article.word_count}


def article_row(url: str, page: ParsedPage) -> dict:
    article = page.article
    return {
        "url": url, "page_type": page.page_type, "title": article.title,
        "rubric": article.rubric, "published_date": article.published_date,
        "published_date_raw": article.published_date_raw,
        "published_year": article.published_date.year if article.published_date else None,
        "lead": article.lead, "body_text": article.body_text,
        "body_markdown": article.body_markdown, "word_count": article.word_count,
        "image_count": len(article.images), "initiative_count": len(page.initiatives),
        "extraction": json.dumps(article.extraction, sort_keys=True) if article.extraction
        else None,
    }


def initiative_rows(page_url: str, page: ParsedPage) -> Iterator[dict]:
    published = page.article.published_date if page.article else None
    for item in page.initiatives:
        # A town in parentheses places the item in its department, as a code would.
        located = item_departments(item.departments, item.place_department)
        first = located[0] if located else None
        department = geo.department(first) if first else None
        yield {
            "id": f"{page_url}#{item.position}", "article_url": page_url,
            "position": item.position, "sort_key": initiative_sort_key(page_url, published,
                                                                       item.position),
            "name": item.name, "heading_raw": item.heading_raw,
            "departments": item.departments, "all_departments": located,
            "departments_source": departments_source(item.departments, item.place_department),
            "department": first,
            "region": department.region_name if department else None,
            "regions": regions_of(located),
            "place": item.place, "place_department": item.place_department,
            "description": item.description, "emails": item.emails, "phones": item.phones,
            "urls": item.urls,
            "latitude": department.latitude if department else None,
            "longitude": department.longitude if department else None,
            "published_date": published, "extraction_method": item.extraction_method,
        }


def regions_of(departments: list[str]) -> list[str]:
    """The regions of these departments, each once, in their order (those without a region,
    such as New Caledonia's, left out)."""
    regions = (getattr(geo.department(code), "region_name", None) for code in departments)
    return list(dict.fromkeys(region for region in regions if region))


def initiative_sort_key(page_url: str, published: date | None, position: int) -> str:
    """``2020-04-04 https://…/scopetscicsolidaires #0002``: the roundups by date, each one's
    items in page order. The id sorts as text (``#1``, ``#10``, ``#2``), and a sort on a column
    with ties would not do either: Datasette pages on past the ties by the id."""
    return f"{published.isoformat() if published else 'sans date'} {page_url} #{position:04d}"


def contact_rows(page_url: str, page: ParsedPage) -> Iterator[dict]:
    seen = set()
    for contact in page.contacts:
        key = (contact.kind, contact.value)
        if key in seen:
            continue
        seen.add(key)
        yield {"page_url": page_url, "kind": contact.kind, "value": contact.value,
               "raw": contact.raw, "context": contact.context}


def _images(page: ParsedPage):
    return page.article.images if page.article is not None else page.images


def _as_json(row: dict) -> dict:
    return {key: value.isoformat() if isinstance(value, date) else value
            for key, value in row.items()}


_DATE_COLUMNS = {
    table: tuple(column.name for column in TABLES_BY_NAME[table].columns
                 if column.type == "date")
    for table in PAGE_TABLES
}
