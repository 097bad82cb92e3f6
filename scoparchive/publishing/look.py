"""What the Datasette of `scoparchive serve` looks like, in French (registered by ``server``,
beside ``plugin``): the templates of ``TEMPLATES``, the filters they use, and the figures they
show.

- The front page (``index.html``) and the database page say what the dataset is, which site it
  was crawled from, when it was last crawled and built, and how to cite it (``about_the_build``:
  the build writes the site and its own date into ``metadata.json``,
  ``scoparchive.writers.datasette``; the crawl dates are the database's ``crawl_runs``).
- The database page and the pages of the views in ``VIEW_CHARTS`` show them as bar charts,
  inline SVG drawn here (``charts``): nothing is loaded from elsewhere, the pages work offline.
- An article's row page reads as the article: its Markdown body as HTML (``article_html``).
  The text comes from pages of others: raw HTML in it is escaped, never passed through.
- Descriptions (database, tables, columns, queries) are inline Markdown (``inline_html``).
- Datasette's own words are French too: its templates copied in ``TEMPLATES`` and translated
  (each says which Datasette it comes from), the filters' operators and the sentence of a
  table's filters (``FRENCH_FILTERS``), its error messages (``french_error``), the labels of
  the menu's links (``menu_links``), and the column menu its table.js builds
  (``_scoparchive_table_js.html``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import await_me_maybe, escape_sqlite, sqlite3
from markdown_it import MarkdownIt
from markupsafe import Markup

from scoparchive.publishing.charts import Bar, bar_chart

#: Datasette's templates of the look (``template_dir``: they come before Datasette's own, which
#: they extend as ``default:NAME.html`` where they change only a part).
TEMPLATES = Path(__file__).resolve().parent / "templates"

#: Plugin configuration key in ``metadata.json`` where the build describes itself.
PLUGIN = "scoparchive"


# --- Markdown -------------------------------------------------------------------------------

def _markdown() -> MarkdownIt:
    """CommonMark without raw HTML (escaped as text) and without images (they would be loaded
    from the site, online only); markdown-it refuses javascript:, vbscript: and file: links."""
    renderer = MarkdownIt("commonmark", {"html": False}).disable("image")

    def link_open(self, tokens, index, options, env):
        tokens[index].attrSet("rel", "nofollow noopener noreferrer")
        return self.renderToken(tokens, index, options, env)

    renderer.add_render_rule("link_open", link_open)
    return renderer


_MARKDOWN = _markdown()


def article_html(text: str | None) -> Markup:
    """An article's Markdown body as HTML."""
    return Markup(_MARKDOWN.render(text or ""))


def inline_html(text: str | None) -> Markup:
    """A description's inline Markdown (`code`, *emphasis*, links) as HTML, on one line."""
    return Markup(_MARKDOWN.renderInline(text or ""))


# --- French dates and numbers ----------------------------------------------------------------

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def french_date(value: str | date | None) -> str:
    """``2020-04-01`` (or a timestamp of that day) as ``1er avril 2020``; anything else as it
    is."""
    if value is None:
        return ""
    if isinstance(value, date):
        day = value
    else:
        found = _ISO_DAY.match(str(value))
        if not found:
            return str(value)
        try:
            day = date(*(int(part) for part in found.groups()))
        except ValueError:
            return str(value)
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def french_number(value) -> str:
    """``12345`` as ``12 345`` (a narrow no-break space between thousands)."""
    if value is None:
        return ""
    return f"{value:,}".replace(",", "\u202f")


#: Datasette's filters (``datasette.filters.Filters``), by key: the operator as the filter form
#: offers it, and the clause as the description of the rows says it (``{c}`` the column, ``{v}``
#: the value, ``{q}`` the value in quotes or, a number, as it is).
FRENCH_FILTERS = {
    "exact": ("=", "{c} = {q}"),
    "not": ("≠", "{c} ≠ {q}"),
    "contains": ("contient", "{c} contient « {v} »"),
    "endswith": ("se termine par", "{c} se termine par « {v} »"),
    "startswith": ("commence par", "{c} commence par « {v} »"),
    "gt": (">", "{c} > {v}"),
    "gte": ("≥", "{c} ≥ {v}"),
    "lt": ("<", "{c} < {v}"),
    "lte": ("≤", "{c} ≤ {v}"),
    "like": ("ressemble à (like)", "{c} ressemble à « {v} » (like)"),
    "notlike": ("ne ressemble pas à (not like)", "{c} ne ressemble pas à « {v} » (not like)"),
    "glob": ("motif glob (glob)", "{c} suit le motif « {v} » (glob)"),
    "in": ("parmi (in)", "{c} parmi {v}"),
    "notin": ("hors de (not in)", "{c} hors de {v}"),
    "arraycontains": ("la liste contient", "{c} contient « {v} »"),
    "arraynotcontains": ("la liste ne contient pas", "{c} ne contient pas « {v} »"),
    "date": ("date", "{c} à la date du {v}"),
    "isnull": ("est nul", "{c} est nul"),
    "notnull": ("n'est pas nul", "{c} n'est pas nul"),
    "isblank": ("est vide", "{c} est vide"),
    "notblank": ("n'est pas vide", "{c} n'est pas vide"),
}


def french_lookup(display: str, key: str) -> str:
    """A filter's operator in the filter form, in French (Datasette's own for a filter added
    by a plugin)."""
    return FRENCH_FILTERS.get(key, (display,))[0]


#: Datasette's kinds of facets but a column's own values: by date, by item of a JSON list.
FACET_TYPES = {"date": "par date", "array": "par élément"}


def french_facet_type(facet_type: str) -> str:
    return FACET_TYPES.get(facet_type, facet_type)


def _french_clause(filters, column: str, lookup: str, value: str) -> str | None:
    # Datasette 0.65's own table of filters (private): without it, its English clause stays.
    known = getattr(filters, "_filters_by_key", {}).get(lookup)
    if known is None or lookup not in FRENCH_FILTERS:
        return None
    if lookup in ("in", "notin"):
        value = ", ".join(f"« {item} »" for item in known.split_value(value))
        value = f"[{value}]"
    quoted = value if value.isdigit() else f"« {value} »"
    return FRENCH_FILTERS[lookup][1].format(c=column, v=value, q=quoted)


def _joined(bits: list[str]) -> str:
    return " et ".join(part for part in (", ".join(bits[:-1]), bits[-1]) if part)


_SORTED_BY = re.compile(r" ?sorted by (\S+)( descending)?$")


def _sort_phrase(text: str, sort: str | None, sort_desc: str | None
                 ) -> tuple[int, str, bool] | None:
    """Where Datasette's sentence says its sort (its last words), the column and whether
    descending; told by the column sorted by when it is known (a filter's value may end as a
    sort does, a column's name may hold spaces)."""
    for column, descending in ((sort_desc, True), (sort, False)):
        if column:
            english = f"sorted by {column}" + (" descending" if descending else "")
            if text.endswith(english):
                return len(text) - len(english), column, descending
    if sort or sort_desc:
        return None
    found = _SORTED_BY.search(text)
    return (found.start(), found[1], bool(found[2])) if found else None


def french_human_description(text: str | None, filters=None, search: str | None = None,
                             sort: str | None = None, sort_desc: str | None = None) -> str:
    """Datasette's English sentence of a table's filters, search and sort in French ("where x
    contains "a" sorted by y descending": "où x contient « a », triées par y, décroissant").
    The clauses are told again from ``filters`` and ``search`` when they make the same English
    sentence; otherwise (a filter of a plugin, ``_through``) only its frame is French."""
    if not text:
        return ""
    sort_fr = ""
    found = _sort_phrase(text, sort, sort_desc)
    if found:
        start, column, descending = found
        sort_fr = f"triées par {column}" + (", décroissant" if descending else "")
        text = text[:start].rstrip()
    where = ""
    if text:
        where = re.sub(r"^where ", "où ", text).replace(" and ", " et ")
        where = where.replace("search matches ", "la recherche trouve ")
        if filters is not None:
            extra = [f'search matches "{search}"'] if search else []
            clauses = [_french_clause(filters, *selection) for selection in filters.selections()]
            if filters.human_description_en(extra=extra) == text and None not in clauses:
                bits = ([f"la recherche trouve « {search} »"] if search else []) + clauses
                where = "où " + _joined(bits)
    return ", ".join(part for part in (where, sort_fr) if part)


# --- Datasette's words elsewhere: menu links, errors -------------------------------------------

#: Links of the menu added by plugins, by their English label.
MENU_LABELS = {
    # datasette-search-all: its page is search.py's, in French.
    "Search all tables": "Rechercher partout (search all tables)",
}

#: Datasette's messages of the errors a visitor can meet, in French.
ERROR_MESSAGES = {
    "404": "Aucune page à cette adresse (page not found).",
    "Database not found": "Base de données introuvable (database not found).",
    "Table not found": "Table ou vue introuvable (table not found).",
    "Record not found": "Ligne introuvable (record not found).",
    "No data": "Aucune donnée (no data).",
    "Invalid database": "Base de données inconnue (invalid database).",
    "Cannot download database": "Cette base ne peut pas être téléchargée (cannot download "
                                "database).",
    "Cannot download in-memory databases": "Une base en mémoire ne se télécharge pas "
                                           "(cannot download in-memory databases).",
    "Database download is forbidden": "Le téléchargement de la base est interdit (database "
                                      "download is forbidden).",
    "Cannot use _sort and _sort_desc at the same time": "_sort et _sort_desc ne vont pas "
                                                        "ensemble : choisissez un ordre.",
    "_where= is not allowed": "_where= n'est pas permis ici.",
    "You do not have permission to view this table": "Vous n'avez pas accès à cette table.",
    "You do not have permission to view this database": "Vous n'avez pas accès à cette base.",
    "You do not have permission to view this query": "Vous n'avez pas accès à cette requête.",
    "Permission denied": "Accès refusé (permission denied).",
}
#: ``Forbidden(action)`` of ``Datasette.ensure_permissions``.
_PERMISSIONS = ("view-instance", "view-database", "view-database-download", "view-table",
                "view-query", "execute-sql")
_CANNOT_SORT = re.compile(r"^Cannot sort table by (.+)$", re.S)
#: Titles of Datasette's errors.
ERROR_TITLES = {"Invalid SQL": "SQL invalide (invalid SQL)", "Forbidden": "Accès refusé (403)",
                "SQL Interrupted": "Requête interrompue (SQL interrupted)"}
#: The HTML message of a query past ``sql_time_limit_ms`` begins so (its SQL follows).
_TOO_LONG = re.compile(r"^<p>SQL query took too long\..*?(<a [^>]*>sql_time_limit_ms</a>).*?</p>",
                       re.S)


def french_error(message):
    """Datasette's message of an error, in French when it is one of its own; any other (SQLite's,
    a plugin's) as it is."""
    if isinstance(message, Markup):
        return Markup(_TOO_LONG.sub(
            lambda found: "<p>Requête trop longue : elle a dépassé le temps que le serveur "
                          f"accorde à une requête ({found[1]}). Demandez moins de lignes ou "
                          "simplifiez-la. (SQL query took too long.)</p>", str(message), count=1))
    if not isinstance(message, str):
        return message
    if message in ERROR_MESSAGES:
        return ERROR_MESSAGES[message]
    if message in _PERMISSIONS:
        return f"Accès refusé (forbidden: {message})."
    found = _CANNOT_SORT.match(message)
    if found:
        return f"Cette table ne peut pas être triée par {found[1]} (cannot sort table by it)."
    return message


def french_error_title(title: str | None, status) -> str:
    if title:
        return ERROR_TITLES.get(title, title)
    return {400: "Requête invalide", 403: "Accès refusé", 404: "Page introuvable"}.get(
        status, "Erreur") + f" ({status})"


# --- what the build says of itself ---------------------------------------------------------

@dataclass(frozen=True)
class AboutTheBuild:
    title: str
    site_url: str | None
    last_crawl: str | None  # ISO 8601 (UTC)
    crawl_count: int
    built_at: str | None  # ISO 8601 (UTC)
    software: str | None
    here: str  # where this Datasette answers

    @property
    def site_name(self) -> str | None:
        return urlsplit(self.site_url).netloc if self.site_url else None

    @property
    def citation(self) -> str:
        """Title, site, dates and address: enough to find the same data again."""
        parts = [f"{self.title} [jeu de données]."]
        if self.site_url:
            crawled = (f" (dernière collecte le {french_date(self.last_crawl)})"
                       if self.last_crawl else "")
            parts.append(f"Site collecté : {self.site_url}{crawled}.")
        if self.built_at:
            made_by = f" par {self.software}" if self.software else ""
            parts.append(f"Construit le {french_date(self.built_at)}{made_by}.")
        parts.append(f"En ligne : {self.here}")
        return " ".join(parts)


def build_description(datasette) -> dict:
    """What the build wrote of itself in ``metadata.json`` (empty for an older build)."""
    return (datasette.plugin_config(PLUGIN) or {}).get("build") or {}


async def about_the_build(datasette, database: str | None, request) -> AboutTheBuild:
    build = build_description(datasette)
    last_crawl, crawl_count = None, 0
    if database is not None:
        try:
            result = await datasette.get_database(database).execute(
                "select max(coalesce(finished_at, started_at)), count(*) from crawl_runs")
            last_crawl, crawl_count = result.first()
        except (sqlite3.Error, QueryInterrupted):  # no crawl_runs table: no date to give
            pass
    return AboutTheBuild(
        title=datasette.metadata("title") or "Datasette",
        site_url=build.get("site_url") or datasette.metadata("source_url"),
        last_crawl=last_crawl,
        crawl_count=crawl_count or 0,
        built_at=build.get("built_at"),
        software=build.get("software"),
        here=datasette.absolute_url(request, datasette.urls.instance()) if request else "",
    )


def served_database(datasette) -> str | None:
    """The database of the build (``scoparchive serve`` serves one), not Datasette's own."""
    for name, database in datasette.databases.items():
        if not database.is_memory and not name.startswith("_"):
            return name
    return None


# --- charts of the views --------------------------------------------------------------------

@dataclass(frozen=True)
class ViewChart:
    view: str
    title: str
    description: str
    #: SQL giving each row's label, and the column of its value.
    label_sql: str
    value_column: str
    unit: tuple[str, str]  # singular, plural


VIEW_CHARTS = (
    ViewChart("articles_by_year", "Articles publiés par année (articles per year)",
              "Nombre d'articles du site par année de publication.",
              "cast(year as text)", "articles", ("article", "articles")),
    ViewChart("initiatives_by_region", "Initiatives par région (initiatives per region)",
              "Initiatives de coopératives des pages de recensement, par région de leurs "
              "départements.", "coalesce(region, 'sans région')", "initiatives",
              ("initiative", "initiatives")),
    ViewChart("sites_overview", "Pages par site d'union (pages per union site)",
              "Pages archivées de chaque site d'union de la base.", "site", "pages",
              ("page", "pages")),
    ViewChart("initiatives_by_department",
              "Initiatives par département (initiatives per department)",
              "Initiatives de coopératives des pages de recensement, par département.",
              "department || coalesce(' ' || department_name, '')", "initiatives",
              ("initiative", "initiatives")),
)
VIEW_CHARTS_BY_NAME = {chart.view: chart for chart in VIEW_CHARTS}


async def view_chart(datasette, database: str, chart: ViewChart) -> Markup | None:
    """The chart of every row of the view, in its order; None when the build has no such view
    or it is empty."""
    sql = (f"select {chart.label_sql}, {escape_sqlite(chart.value_column)} "
           f"from {escape_sqlite(chart.view)}")
    try:
        rows = (await datasette.get_database(database).execute(sql)).rows
    except (sqlite3.Error, QueryInterrupted):  # an older build without the view: no chart
        return None
    if not rows:
        return None
    bars = [Bar(str(label), int(value or 0)) for label, value in rows]
    return bar_chart(bars, chart_id=f"chart-{chart.view.replace('_', '-')}", title=chart.title,
                     description=chart.description, unit=chart.unit)


# --- Datasette's hooks ------------------------------------------------------------------------

def in_schema_order(tables: list[dict], described: dict) -> list[dict]:
    """Datasette's tables (sorted by name) in the order of their metadata, which is the
    schema's: pages, articles, initiatives… first; the others after, by name."""
    order = {name: index for index, name in enumerate(described)}
    return sorted(tables, key=lambda table: (order.get(table["name"], len(order)),
                                             table["name"]))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.filters["article_html"] = article_html
    env.filters["inline_html"] = inline_html
    env.filters["french_date"] = french_date
    env.filters["french_number"] = french_number
    env.filters["in_schema_order"] = in_schema_order
    env.filters["french_human_description"] = french_human_description
    env.filters["french_lookup"] = french_lookup
    env.filters["french_facet_type"] = french_facet_type
    env.filters["french_error"] = french_error
    env.filters["french_error_title"] = french_error_title


@hookimpl(wrapper=True)
def menu_links(datasette, actor, request):
    """The menu's links of every plugin, their labels in French (``MENU_LABELS``), one per
    address (search.py's search across tables and datasette-search-all's share one)."""
    results = yield

    async def links():
        found, addresses = [], set()
        for result in results:
            for link in await await_me_maybe(result) or []:
                if link.get("href") not in addresses:
                    addresses.add(link.get("href"))
                    found.append({**link, "label": MENU_LABELS.get(link.get("label"),
                                                                   link.get("label"))})
        return found

    return [links]


@hookimpl
def extra_template_vars(template, database, table, request, datasette):
    async def index():
        return {"about": await about_the_build(datasette, served_database(datasette), request)}

    async def database_page():
        charts = [(chart, await view_chart(datasette, database, chart))
                  for chart in VIEW_CHARTS]
        return {
            "about": await about_the_build(datasette, database, request),
            "charts": [(chart, svg) for chart, svg in charts if svg is not None],
            "described_tables": datasette.metadata("tables", database=database) or {},
        }

    async def view_page():
        chart = VIEW_CHARTS_BY_NAME[table]
        return {"chart": await view_chart(datasette, database, chart), "chart_title": chart.title}

    if template == "index.html":
        return index
    if template == "database.html" and database:
        return database_page
    if template == "table.html" and table in VIEW_CHARTS_BY_NAME:
        return view_page
    return None
