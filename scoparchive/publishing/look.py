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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from datasette import hookimpl
from datasette.database import QueryInterrupted
from datasette.utils import escape_sqlite, sqlite3
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


_SORTED_BY = re.compile(r"sorted by (\S+)( descending)?$")


def french_human_description(text: str | None) -> str:
    """Datasette's English sentence of a table's filters and sort, its frame in French
    ("where x = 1 sorted by y descending": "où x = 1, triées par y, décroissant"); the
    clauses of the filters stay as Datasette writes them."""
    if not text:
        return ""
    text = _SORTED_BY.sub(lambda found: f"triées par {found[1]}"
                          + (", décroissant" if found[2] else ""), text)
    text = re.sub(r"^where ", "où ", text).replace(" and ", " et ")
    return text.replace("search matches ", "la recherche trouve ")


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
