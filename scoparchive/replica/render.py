"""HTML of replica pages: one content, several markups (Jinja2 templates per markup).

The markups share no class name or id, so that an extractor tuned to one cannot pass on another
by accident. Views here are plain dicts, markup-neutral; templates decide the tags.
"""

from __future__ import annotations

import functools
import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from markupsafe import Markup

from .flavour import DRUPAL, Flavour
from .model import (
    CONTENT_DIR,
    NEWS_PATH,
    PAGE_SIZE,
    PRESS_PATH,
    Entry,
    LegacyPage,
    PressItem,
    ReplicaSite,
)
from .text import inline_html, resolve_href

TEMPLATES_DIR = Path(__file__).parent / "templates"
MARKUPS = ("drupal", "wordpress", "semantic", "divsoup", "blocktheme")
#: The union's texts in a theme that dropped every site landmark (header line, "Les dernières
#: actualités"), for the tests of extraction fallbacks; not one of the served site markups.
LANDMARK_FREE = "nolandmarks"
#: Template folders that extend another's: a template missing here is taken from the parent.
TEMPLATE_PARENTS = {LANDMARK_FREE: "blocktheme"}
#: The markup whose pages declare their charset in a meta tag only (no HTTP charset).
META_CHARSET_ONLY = frozenset({"divsoup"})
#: The markups that print dates in French words inside a byline or a meta line ("Publié le
#: 4 avril 2020 par …"), never as a ``DD MM YYYY`` line of their own.
INLINE_DATES = frozenset({"blocktheme", LANDMARK_FREE})
FILES_PREFIX = DRUPAL.files_prefix
#: The banner logo of the older generation's pages (the union's; ``Flavour.legacy_logo_path``).
LEGACY_LOGO = DRUPAL.legacy_logo_path


@functools.lru_cache(maxsize=4)
def boilerplate(content_dir: str | None = None) -> dict:
    root = Path(content_dir) if content_dir else CONTENT_DIR
    return yaml.safe_load((root / "site.yaml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def environment(markup: str) -> Environment:
    if markup not in (*MARKUPS, LANDMARK_FREE):
        raise ValueError(f"unknown markup {markup!r}; one of {(*MARKUPS, LANDMARK_FREE)}")
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inline"] = _inline_filter
    env.filters["inline_b"] = _inline_b_filter
    env.filters["href"] = _href_filter
    env.filters["date_fr"] = date_fr
    env.filters["datetime_fr"] = published_datetime
    env.globals["schema_graph"] = _schema_graph
    return env


@pass_context
def _inline_filter(context, source: str):
    return inline_html(source, context.get("base_url", "/"))


@pass_context
def _inline_b_filter(context, source: str):
    """For the old-fashioned markup: ``<b>`` instead of ``<strong>``."""
    return inline_html(source, context.get("base_url", "/"), bold_tag="b")


@pass_context
def _href_filter(context, href: str):
    return resolve_href(href, context.get("base_url", "/"))


# ---------------------------------------------------------------------- dates and metadata

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")  # fmt: skip
#: The time of day a dated entry is said to be published at (the date alone is the content's).
PUBLISHED_AT = time(9, 30)


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def date_fr(value: date | str) -> str:
    """The date in French words, as WordPress prints ``j F Y``: ``4 avril 2020``, ``1er mai 2021``."""
    day = _as_day(value)
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


def published_datetime(value: date | str) -> str:
    """ISO 8601 with a time and the Paris offset: ``2020-04-04T09:30:00+02:00``."""
    day = _as_day(value)
    return datetime.combine(day, PUBLISHED_AT, tzinfo=_paris_offset(day)).isoformat()


def _paris_offset(day: date) -> timezone:
    """Paris time on the morning of ``day``: summer time (UTC+2) from the last Sunday of March
    to the day before the last Sunday of October (the EU rule since 1996), else UTC+1. Computed
    here so that no time zone database is needed."""

    def last_sunday(month: int) -> date:
        last = date(day.year, month + 1, 1) - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - 6) % 7)

    summer = last_sunday(3) <= day < last_sunday(10)
    return timezone(timedelta(hours=2 if summer else 1))


#: schema.org types of the WebPage node, by page path (Yoast lets editors pick them).
_PAGE_SCHEMA_TYPES = {
    NEWS_PATH: "CollectionPage",
    PRESS_PATH: "CollectionPage",
    "/qui-sommes-nous": "AboutPage",
    "/contact": "ContactPage",
}
#: The WordPress user every article of the union is signed by, and the page presenting it.
BYLINE_AUTHOR = {"name": "Union régionale", "href": "/qui-sommes-nous"}


@pass_context
def _schema_graph(context, tagline: str | None = None) -> Markup:
    """The JSON-LD ``@graph`` that Yoast SEO writes in the head of every page; ``tagline`` is
    the site's slogan (the WebSite's description), left out when empty."""
    base = context.get("base_url", "/").rstrip("/")
    page = context.get("page") or {}
    news_path = context.get("news_path", NEWS_PATH)
    schema_types = {**_PAGE_SCHEMA_TYPES, news_path: "CollectionPage",
                    context.get("press_path", PRESS_PATH): "CollectionPage"}  # fmt: skip
    short_name, site_name = context.get("short_name"), context.get("site_name")
    org_id, site_id = f"{base}/#organization", f"{base}/#website"
    organization = {
        "@type": "Organization",
        "@id": org_id,
        "name": site_name,
        "alternateName": short_name,
        "url": f"{base}/",
        "sameAs": [link["href"] for link in (context.get("footer") or {}).get("social", [])],
    }
    website = {
        "@type": "WebSite",
        "@id": site_id,
        "url": f"{base}/",
        "name": short_name,
        "publisher": {"@id": org_id},
        "inLanguage": "fr-FR",
    }
    if tagline:
        website["description"] = tagline
    path = page.get("path")
    url = f"{base}{path}" if path else None
    webpage: dict = {
        "@type": schema_types.get(path, "WebPage"),
        "name": f"{page.get('title')} – {short_name}",
    }
    if url:
        webpage = {"@type": webpage["@type"], "@id": url, "url": url, "name": webpage["name"]}
    webpage["isPartOf"] = {"@id": site_id}
    graph = [webpage, website, organization]
    if page.get("lead"):
        webpage["description"] = page["lead"]
    if url and page.get("hero"):
        image = {"@type": "ImageObject", "@id": f"{url}#primaryimage", "inLanguage": "fr-FR",
                 "url": base + page["hero"], "contentUrl": base + page["hero"]}  # fmt: skip
        webpage["primaryImageOfPage"] = {"@id": image["@id"]}
        graph.append(image)
    if url and page.get("date_iso"):
        published = published_datetime(page["date_iso"])
        webpage["datePublished"] = published
        article = {
            "@type": "Article",
            "@id": f"{url}#article",
            "isPartOf": {"@id": url},
            "author": {
                "@type": "Person",
                "name": BYLINE_AUTHOR["name"],
                "url": base + BYLINE_AUTHOR["href"],
            },
            "headline": page.get("title"),
            "datePublished": published,
            "mainEntityOfPage": {"@id": url},
            "publisher": {"@id": org_id},
            "inLanguage": "fr-FR",
        }
        if page.get("rubric"):
            article["articleSection"] = [page["rubric"]]
        if page.get("hero"):
            article["image"] = {"@id": f"{url}#primaryimage"}
        graph.insert(0, article)
    if url:
        crumbs = [("Accueil", f"{base}/")]
        if page.get("date_iso"):
            crumbs.append((context.get("news_title", "Actualités"), base + news_path))
        if path != "/":
            crumbs.append((page.get("title"), None))
        webpage["breadcrumb"] = {"@id": f"{url}#breadcrumb"}
        webpage["inLanguage"] = "fr-FR"
        items = []
        for position, (name, item) in enumerate(crumbs, 1):
            crumb = {"@type": "ListItem", "position": position, "name": name}
            if item:
                crumb["item"] = item
            items.append(crumb)
        graph.append({"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb",
                      "itemListElement": items})  # fmt: skip
    text = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
    # Inside <script>, only "</" could end the element early.
    return Markup(text.replace("</", "<\\/"))


class Renderer:
    """Renders the views of one markup; thread-safe (Jinja templates are)."""

    def __init__(
        self,
        markup: str,
        base_url: str = "/",
        content_dir: str | None = None,
        flavour: Flavour = DRUPAL,
    ):
        self.markup = markup
        self.env = environment(markup)
        self.base_url = base_url
        self.content_dir = content_dir
        self.flavour = flavour

    def render(self, template: str, site: ReplicaSite, **view) -> bytes:
        context = {
            **boilerplate(self.content_dir),
            "base_url": self.base_url,
            "markup": self.markup,
            "byline_author": BYLINE_AUTHOR,
            "news_path": self.flavour.news_path,
            "news_title": self.flavour.news_title,
            "press_path": self.flavour.press_path,
            "search_path": self.flavour.search_path,
            "login_path": self.flavour.login_path,
            "latest": [teaser_view(entry) for entry in site.latest()],
            **view,
        }
        if template.startswith("legacy"):
            found = self.env.get_template(f"legacy/{self.flavour.legacy_template}")
        else:
            folders = [self.markup]
            while folders[-1] in TEMPLATE_PARENTS:
                folders.append(TEMPLATE_PARENTS[folders[-1]])
            found = self.env.select_template([f"{folder}/{template}" for folder in folders])
        html = found.render(context)
        return html.encode("utf-8")

    def entry(self, site: ReplicaSite, entry: Entry) -> bytes:
        template = "home.html" if entry.kind == "home" else "page.html"
        view = {"page": entry_view(entry)}
        if entry.kind == "home":
            view["featured"] = [teaser_view(e) for e in site.articles()[:3]]
        return self.render(template, site, **view)

    def news_listing(self, site: ReplicaSite, page: int) -> bytes:
        articles = site.articles()[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        path = self.flavour.news_path
        return self.render(
            "listing.html",
            site,
            page={"title": self.flavour.news_title, "path": path},
            items=[teaser_view(entry) for entry in articles],
            pager=pager_view(path, page, site.news_pages()),
        )

    def press_listing(self, site: ReplicaSite, page: int) -> bytes:
        items = site.press_items()[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        path = self.flavour.press_path
        return self.render(
            "press.html",
            site,
            page={"title": self.flavour.press_title, "path": path},
            items=[press_view(item, self.flavour.files_prefix) for item in items],
            pager=pager_view(path, page, site.press_pages()),
        )

    def utility(self, site: ReplicaSite, title: str, message: str, form: str | None = None):
        """Search, login and error pages: a title and a sentence in the site's chrome."""
        page = {"title": title, "message": message, "form": form}
        return self.render("utility.html", site, page=page)

    def legacy(self, site: ReplicaSite, page: LegacyPage) -> bytes:
        view = {"title": page.title, "blocks": page.blocks, "files_dir": "/images/"}
        logo = self.flavour.legacy_logo_path
        return self.render("legacy.html", site, page=view, legacy_logo=logo)


def entry_view(entry: Entry) -> dict:
    return {
        "path": entry.path,
        "kind": entry.kind,
        "title": entry.title,
        "rubric": entry.rubric,
        "date_raw": entry.date_raw,
        "date_iso": entry.date.isoformat() if entry.date else None,
        "lead": entry.lead,
        "blocks": entry.blocks,
        "files_dir": entry.files_dir,
        "hero": entry.files_dir + entry.hero if entry.hero else None,
    }


def teaser_view(entry: Entry) -> dict:
    return {
        "title": entry.title,
        "href": entry.path,
        "lead": entry.lead,
        "date_raw": entry.date_raw,
        "date_iso": entry.date.isoformat() if entry.date else None,
        "image": entry.files_dir + entry.hero if entry.hero else None,
    }


def press_view(item: PressItem, files_prefix: str = FILES_PREFIX) -> dict:
    return {
        "headline": item.headline,
        "summary": item.summary,
        "media": item.media,
        "url": item.url,
        "date_raw": item.date_raw,
        "date_iso": item.date.isoformat(),
        "logo": f"{files_prefix}logos/{item.logo}" if item.logo else None,
        "logo_alt": f"Logo {item.media}",
    }


#: Page links Drupal's full pager shows at most, around the current page (its ``quantity``).
PAGER_QUANTITY = 9


def pager_view(path: str, current: int, count: int) -> dict:
    """Drupal's full pager: page 0 has no query, the others ``?page=N``; at most
    ``PAGER_QUANTITY`` page links, around the current page (a scaled site has hundreds)."""

    def href(number: int) -> str:
        return path if number == 0 else f"{path}?page={number}"

    last = count - 1
    start = max(0, min(current - PAGER_QUANTITY // 2, count - PAGER_QUANTITY))
    shown = range(start, min(count, start + PAGER_QUANTITY))
    return {
        "current": current,
        "count": count,
        "pages": [{"number": n, "label": str(n + 1), "href": href(n)} for n in shown],
        "first": href(0) if current > 0 else None,
        "previous": href(current - 1) if current > 0 else None,
        "next": href(current + 1) if current < last else None,
        "last": href(last) if current < last else None,
    }
