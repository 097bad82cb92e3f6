"""Every table of the datasets, declared once.

The Parquet schemas, the SQLite tables and their full-text indexes, ``datapackage.json`` and the
column descriptions that Datasette shows are all generated from the declarations below. Add a
column here and every output gains it; never declare a column anywhere else.

Renaming a column of the data contract (pages, articles, initiatives, crawl_runs, page_versions)
breaks the notebooks and the tools of others: add, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

SCHEMA_VERSION = "1.0.0"

#: Logical types, and how each one is stored in every output.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("us", tz="UTC"),
    "list<string>": pa.list_(pa.string()),
}
#: SQLite has no date, list or boolean types: dates are ISO 8601 text, lists are JSON arrays.
SQLITE_TYPES: dict[str, type] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": int,
    "date": str,
    "datetime": str,
    "list<string>": str,
}
#: Table Schema (Data Package v2) types. A list of strings is a native Parquet list, which v2
#: would call ``list`` (or ``array``); but frictionless-py (5.21) reads Parquet through pandas,
#: which hands it numpy arrays that both types reject, so ``frictionless validate`` would fail
#: every row. ``any`` validates, and the field's ``scoparchive:type`` keeps the exact type.
FRICTIONLESS_TYPES: dict[str, str] = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "list<string>": "any",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    required: bool = False
    references: str | None = None  # "table.column"
    unit: str | None = None
    facet: bool = False  # offered as a facet in Datasette, and indexed in SQLite
    example: str | None = None

    def __post_init__(self):
        if self.type not in ARROW_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    #: Columns indexed for full-text search (FTS5, diacritics folded).
    full_text: tuple[str, ...] = ()
    #: The default sort in Datasette, newest first where it makes sense.
    sort_desc: str | None = None
    label_column: str | None = None
    extra_indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    #: The column naming the page a row comes from, in the tables whose rows each come from one
    #: page's own history (its versions, its latest content): a build reuses the previous
    #: build's rows of a page whose history did not change. None: a table built whole.
    page_column: str | None = None

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def arrow_schema(self) -> pa.Schema:
        fields = [
            pa.field(
                column.name,
                ARROW_TYPES[column.type],
                nullable=not (column.required or column.name in self.primary_key),
                metadata={"description": column.description},
            )
            for column in self.columns
        ]
        return pa.schema(fields, metadata={"description": self.description})

    def sqlite_columns(self) -> dict[str, type]:
        return {column.name: SQLITE_TYPES[column.type] for column in self.columns}

    def foreign_keys(self) -> list[tuple[str, str, str]]:
        return [
            (column.name, *column.references.split("."))
            for column in self.columns
            if column.references
        ]

    def indexed_columns(self) -> list[tuple[str, ...]]:
        singles = [
            (column.name,)
            for column in self.columns
            if (column.facet or column.references) and (column.name,) != self.primary_key
        ]
        return singles + list(self.extra_indexes)


def _col(name, type_, description, **options) -> Column:
    return Column(name, type_, description, **options)


URL = "Canonical URL of the page (bare host, no fragment, no tracking parameter)."

PAGES = Table(
    name="pages",
    title="Pages",
    description="Every page ever archived, one row per canonical URL, in its latest known state. "
    "A page that left the site keeps its row, with removed_at set.",
    primary_key=("url",),
    sort_desc="last_seen",
    label_column="title",
    columns=(
        _col("url", "string", URL, required=True),
        _col("page_type", "string", "Type found by the classifier: home, listing, article, "
             "roundup, press_listing, programme, static, legacy_article or unknown.", facet=True),
        _col("title", "string", "Title of the page, as published."),
        _col("http_status", "integer", "HTTP status of the latest capture.", facet=True),
        _col("content_type", "string", "Media type of the latest capture (without parameters)."),
        _col("fetched_at", "datetime", "Time of the latest capture (UTC)."),
        _col("content_sha256", "string", "SHA-256 of the latest payload, decoded (hex)."),
        _col("content_fingerprint", "string", "SHA-256 of the page's own extracted content, blind "
             "to the boilerplate around it; a new value means a new version."),
        _col("first_seen", "datetime", "First capture of the page with content (UTC)."),
        _col("last_seen", "datetime", "Latest capture that found the page on the site (UTC)."),
        _col("removed_at", "datetime", "Capture that found the page gone (404, 410 or redirected "
             "away); empty while the page is online."),
        _col("redirect_to", "string", "Target of the redirect, for pages that redirect."),
        _col("version_count", "integer", "Number of distinct contents captured for the page."),
        _col("warc_record_id", "string", "WARC-Record-ID of the latest capture."),
        _col("warc_file", "string", "WARC file holding the latest capture."),
    ),
)

ARTICLES = Table(
    name="articles",
    page_column="url",
    title="Articles",
    description="News articles, portraits, editorials, press releases and roundups: the latest "
    "version of each article page.",
    primary_key=("url",),
    full_text=("title", "lead", "body_text"),
    sort_desc="published_date",
    label_column="title",
    columns=(
        _col("url", "string", URL, required=True, references="pages.url"),
        _col("page_type", "string", "article, roundup, programme or legacy_article.", facet=True),
        _col("title", "string", "Title, as published."),
        _col("rubric", "string", "Rubric line above the title, when there is one.", facet=True),
        _col("published_date", "date", "Publication date (ISO 8601), from the DD MM YYYY date "
             "line, a French date in the body, or the date in a legacy URL."),
        _col("published_date_raw", "string", "The date as written on the page or in the URL.",
             example="04 04 2020"),
        _col("published_year", "integer", "Year of publication.", facet=True),
        _col("lead", "string", "Lead paragraph."),
        _col("body_text", "string", "Text of the article body, without header, navigation, "
             "teasers, footer, image names or credits."),
        _col("body_markdown", "string", "The body as Markdown, with its subheadings."),
        _col("word_count", "integer", "Words in body_text.", unit="words"),
        _col("image_count", "integer", "Images in the body.", unit="images"),
        _col("initiative_count", "integer", "Initiatives listed, on roundup pages.",
             unit="initiatives"),
        _col("extraction", "string", "How each field was found (JSON: field → method). The "
             "site's own landmarks first (selector, landmark, url), then the page's standard "
             "metadata (json-ld, microdata, opengraph, meta, time, heading, title-tag, "
             "structure), then libraries (trafilatura, htmldate); a field without any stays "
             "empty."),
        _col("captured_at", "datetime", "Capture this version comes from (UTC)."),
    ),
)

INITIATIVES = Table(
    name="initiatives",
    page_column="article_url",
    title="Initiatives",
    description="Initiatives of cooperatives listed on roundup pages (such as "
    "#ScopetScicSolidaires): one row per item, from the latest version of each page.",
    primary_key=("id",),
    full_text=("name", "description"),
    label_column="name",
    columns=(
        _col("id", "string", "Stable identifier: the article URL and the item's position.",
             required=True),
        _col("article_url", "string", "Roundup page listing the initiative.", required=True,
             references="articles.url"),
        _col("position", "integer", "Position of the item on the page, from 1.", required=True),
        _col("name", "string", "Name of the cooperative(s), from the item heading."),
        _col("heading_raw", "string", "The item heading as written.",
             example="Artefacts et CEFIM (45 et 37)"),
        _col("departments", "list<string>", "Department codes from the heading, as strings "
             "(\"45\", \"2A\", \"974\"); a JSON array in SQLite."),
        _col("department", "string", "First department code, for faceting.", facet=True,
             references="departments.code"),
        _col("region", "string", "Region of the first department (or of the town's "
             "department, for an item that names a town).", facet=True),
        _col("place", "string", "Town given in parentheses instead of department codes.",
             example="Ivry"),
        _col("place_department", "string", "Department of that town, when its name is "
             "unambiguous."),
        _col("description", "string", "Text of the item."),
        _col("emails", "list<string>", "E-mail addresses in the item."),
        _col("phones", "list<string>", "Phone numbers in the item (E.164)."),
        _col("urls", "list<string>", "Web addresses in the item."),
        _col("latitude", "number", "Latitude of the prefecture of the first department, or of "
             "the town's department (an approximate position, for maps).", unit="degrees"),
        _col("longitude", "number", "Longitude of the prefecture of the same department.",
             unit="degrees"),
        _col("published_date", "date", "Publication date of the roundup page."),
        _col("extraction_method", "string", "How the item was found: landmark (a heading "
             "`Name (75)` of the roundup) or selector.", facet=True),
    ),
)

ORGANIZATIONS = Table(
    name="organizations",
    title="Cooperatives",
    description="Cooperatives and other organisations named on the site, from the headings of "
    "roundup items and from the text of articles (legal-form mentions such as \"la Scic X\", "
    "and names already known found again), with name variants merged: one row per organisation.",
    primary_key=("id",),
    full_text=("name",),
    label_column="name",
    columns=(
        _col("id", "string", "Stable identifier: normalized_name with hyphens for spaces.",
             required=True, example="mednum"),
        _col("name", "string", "Most frequent name as written in headings and legal-form "
             "mentions (the first one on a tie).", example="La MedNum"),
        _col("normalized_name", "string", "Merge key: lower case, accents folded, punctuation "
             "as spaces, leading articles and legal-form words dropped.", required=True,
             example="mednum"),
        _col("legal_form", "string", "Scop, Scic, CAE, association, or other when the text "
             "does not say (or says only coopérative).", facet=True),
        _col("legal_form_evidence", "string", "The text stating the legal form.",
             example="La Scic MedNum, coopérative nationale des acteurs du numérique, ..."),
        _col("legal_form_evidence_url", "string", "Page holding that text.",
             references="pages.url"),
        _col("departments", "list<string>", "Department codes of the roundup items naming the "
             "organisation (all the codes of a heading naming several); a JSON array in "
             "SQLite."),
        _col("first_mentioned", "date", "Earliest publication date of a page mentioning it."),
        _col("mention_count", "integer", "Distinct pages mentioning it.", unit="pages"),
        _col("name_variants", "list<string>", "Every form of the name found, most frequent "
             "first; a JSON array in SQLite."),
    ),
)

MENTIONS = Table(
    name="mentions",
    title="Mentions of cooperatives",
    description="Pages naming an organisation: one row per organisation and page.",
    primary_key=("organization_id", "page_url"),
    columns=(
        _col("organization_id", "string", "The organisation.", required=True,
             references="organizations.id"),
        _col("page_url", "string", "The page naming it.", required=True,
             references="pages.url"),
        _col("source", "string", "Strongest way the page names it: heading (a roundup item), "
             "legal_form (\"la Scop X\") or name_match (a known name in the text).",
             facet=True),
        _col("context", "string", "The heading, or the sentence (clause) of the mention."),
    ),
)

CONTACTS = Table(
    name="contacts",
    page_column="page_url",
    title="Contacts",
    description="E-mail addresses, phone numbers, web addresses and postal addresses found in the "
    "text of the latest version of each page.",
    primary_key=("page_url", "kind", "value"),
    columns=(
        _col("page_url", "string", "Page the contact appears on.", required=True,
             references="pages.url"),
        _col("kind", "string", "email, phone, url or address.", required=True, facet=True),
        _col("value", "string", "Normalised value: lower-case e-mail, E.164 phone, absolute URL.",
             required=True),
        _col("raw", "string", "As written on the page.", example="02.38.84.28.29"),
        _col("context", "string", "The sentence around it."),
    ),
)

IMAGES = Table(
    name="images",
    page_column="page_url",
    title="Images",
    description="Images of the latest version of each page, with their alt texts and credits.",
    primary_key=("page_url", "position"),
    columns=(
        _col("page_url", "string", "Page showing the image.", required=True,
             references="pages.url"),
        _col("position", "integer", "Position on the page, from 1.", required=True),
        _col("url", "string", "Absolute URL of the image."),
        _col("alt", "string", "Alternative text."),
        _col("caption", "string", "Caption."),
        _col("credit", "string", "Photo credit, without the word Crédits."),
    ),
)

LINKS = Table(
    name="links",
    page_column="page_url",
    title="Links",
    description="Links found in the body of the latest version of each article.",
    primary_key=("page_url", "position"),
    columns=(
        _col("page_url", "string", "Page holding the link.", required=True,
             references="pages.url"),
        _col("position", "integer", "Position in the body, from 1.", required=True),
        _col("url", "string", "Absolute target URL."),
        _col("text", "string", "Anchor text."),
        _col("internal", "boolean", "Whether the target is on the same site.", facet=True),
    ),
)

DEPARTMENTS = Table(
    name="departments",
    title="Departments",
    description="Reference table of French departments and overseas collectivities (INSEE "
    "official geographic code), with the coordinates of their prefecture.",
    primary_key=("code",),
    label_column="name",
    columns=(
        _col("code", "string", "INSEE department code.", required=True, example="2A"),
        _col("name", "string", "Name of the department."),
        _col("region_code", "string", "INSEE region code."),
        _col("region_name", "string", "Name of the region.", facet=True),
        _col("chef_lieu", "string", "Prefecture (chef-lieu)."),
        _col("latitude", "number", "Latitude of the prefecture.", unit="degrees"),
        _col("longitude", "number", "Longitude of the prefecture.", unit="degrees"),
        _col("kind", "string", "Department or overseas collectivity.", facet=True),
        _col("in_union", "boolean", "Whether the union covers it.", facet=True),
    ),
)

CRAWL_RUNS = Table(
    name="crawl_runs",
    title="Crawl runs",
    description="One row per crawl run found in the archive, with what it saw change. Changes are "
    "judged on the pages' extracted content, not on their bytes.",
    primary_key=("id",),
    sort_desc="started_at",
    columns=(
        _col("id", "string", "Crawl run identifier (also in every WARC file's warcinfo).",
             required=True),
        _col("started_at", "datetime", "Start of the run (UTC)."),
        _col("finished_at", "datetime", "Last capture of the run (UTC)."),
        _col("pages_fetched", "integer", "Pages captured in the run, each counted once (304 "
             "answers included, server errors not).", unit="pages"),
        _col("pages_new", "integer", "Pages seen for the first time.", unit="pages"),
        _col("pages_changed", "integer", "Pages whose content changed.", unit="pages"),
        _col("pages_unchanged", "integer", "Known pages still online with no change, fetched or "
             "left unrequested because the sitemap dated them before the archived copy.",
             unit="pages"),
        _col("pages_removed", "integer", "Pages found gone (404, 410, redirected away) that were "
             "online before the run.", unit="pages"),
        _col("errors", "integer", "Server errors (5xx) answered to the run, and its requests "
             "that got no answer (the crawl report's \"errors\").", unit="requests"),
        _col("warc_files", "list<string>", "WARC files written by the run."),
        _col("status", "string", "How the run ended, from its record (runs/<id>.json): "
             "finished; partial (went through, with errors or parts not read); failed "
             "(nothing usable); interrupted (stopped, to resume); running (or killed). Empty "
             "for a WARC another tool wrote."),
        _col("responses", "integer", "Answers archived in the run: pages, robots.txt, "
             "sitemaps, files and server errors (the crawl report's \"responses "
             "received\").", unit="responses"),
    ),
)

PAGE_VERSIONS = Table(
    name="page_versions",
    page_column="url",
    title="Page versions",
    description="One row per distinct content ever captured for a URL: the history of the site.",
    primary_key=("url", "captured_at"),
    sort_desc="captured_at",
    columns=(
        _col("url", "string", URL, required=True, references="pages.url"),
        _col("captured_at", "datetime", "Capture that first showed this content (UTC).",
             required=True),
        _col("content_sha256", "string", "SHA-256 of the payload of that capture (hex)."),
        _col("content_fingerprint", "string", "SHA-256 of the extracted content."),
        _col("run_id", "string", "Crawl run of the capture.", references="crawl_runs.id",
             facet=True),
        _col("http_status", "integer", "HTTP status of the capture."),
        _col("page_type", "string", "Type found by the classifier.", facet=True),
        _col("title", "string", "Title in this version."),
        _col("warc_record_id", "string", "WARC-Record-ID of the capture."),
        _col("warc_file", "string", "WARC file holding the capture."),
        _col("warc_offset", "integer", "Offset of the record in that file.", unit="bytes"),
    ),
)

ARTICLE_VERSIONS = Table(
    name="article_versions",
    page_column="url",
    title="Article versions",
    description="Every version of every article: what changed, and when.",
    primary_key=("url", "captured_at"),
    sort_desc="captured_at",
    full_text=("title", "lead", "body_text"),
    columns=(
        _col("url", "string", URL, required=True, references="pages.url"),
        _col("captured_at", "datetime", "Capture that first showed this version (UTC).",
             required=True),
        _col("title", "string", "Title in this version."),
        _col("published_date", "date", "Publication date in this version."),
        _col("lead", "string", "Lead paragraph in this version."),
        _col("body_text", "string", "Body text in this version."),
        _col("word_count", "integer", "Words in body_text.", unit="words"),
        _col("content_fingerprint", "string", "SHA-256 of the extracted content."),
    ),
)

TABLES: tuple[Table, ...] = (
    PAGES,
    ARTICLES,
    INITIATIVES,
    ORGANIZATIONS,
    MENTIONS,
    CONTACTS,
    IMAGES,
    LINKS,
    DEPARTMENTS,
    CRAWL_RUNS,
    PAGE_VERSIONS,
    ARTICLE_VERSIONS,
)
TABLES_BY_NAME: dict[str, Table] = {table.name: table for table in TABLES}

#: Views that researchers want ready-made, created in SQLite beside the tables.
VIEWS: dict[str, str] = {
    "initiatives_by_department": """
        select d.code as department, d.name as department_name, d.region_name as region,
               count(distinct i.id) as initiatives, count(distinct i.article_url) as pages
        from initiatives i, json_each(i.departments) j
        join departments d on d.code = j.value
        group by d.code order by initiatives desc, d.code""",
    "initiatives_by_region": """
        select d.region_name as region, count(distinct i.id) as initiatives
        from initiatives i, json_each(i.departments) j
        join departments d on d.code = j.value
        group by d.region_name order by initiatives desc""",
    "articles_by_year": """
        select published_year as year, count(*) as articles, sum(word_count) as words
        from articles where published_year is not null
        group by published_year order by published_year""",
    "removed_pages": """
        select url, title, page_type, first_seen, last_seen, removed_at, redirect_to
        from pages where removed_at is not null order by removed_at desc""",
}
