"""HTML of replica pages: one content, several markups (Jinja2 templates per markup).

The markups share no class name or id, so that an extractor tuned to one cannot pass on another
by accident. Views here are plain dicts, markup-neutral; templates decide the tags.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape

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
MARKUPS = ("drupal", "wordpress", "semantic", "divsoup")
#: The markup whose pages declare their charset in a meta tag only (no HTTP charset).
META_CHARSET_ONLY = frozenset({"divsoup"})
FILES_PREFIX = "/sites/default/files/"
#: The banner logo of the older generation's pages.
LEGACY_LOGO = FILES_PREFIX + "logos/logo-urscop-2010.png"


@functools.lru_cache(maxsize=4)
def boilerplate(content_dir: str | None = None) -> dict:
    root = Path(content_dir) if content_dir else CONTENT_DIR
    return yaml.safe_load((root / "site.yaml").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def environment(markup: str) -> Environment:
    if markup not in MARKUPS:
        raise ValueError(f"unknown markup {markup!r}; one of {MARKUPS}")
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


class Renderer:
    """Renders the views of one markup; thread-safe (Jinja templates are)."""

    def __init__(self, markup: str, base_url: str = "/", content_dir: str | None = None):
        self.markup = markup
        self.env = environment(markup)
        self.base_url = base_url
        self.content_dir = content_dir

    def render(self, template: str, site: ReplicaSite, **view) -> bytes:
        context = {
            **boilerplate(self.content_dir),
            "base_url": self.base_url,
            "latest": [teaser_view(entry) for entry in site.latest()],
            **view,
        }
        folder = "legacy" if template.startswith("legacy") else self.markup
        html = self.env.get_template(f"{folder}/{template}").render(context)
        return html.encode("utf-8")

    def entry(self, site: ReplicaSite, entry: Entry) -> bytes:
        template = "home.html" if entry.kind == "home" else "page.html"
        view = {"page": entry_view(entry)}
        if entry.kind == "home":
            view["featured"] = [teaser_view(e) for e in site.articles()[:3]]
        return self.render(template, site, **view)

    def news_listing(self, site: ReplicaSite, page: int) -> bytes:
        articles = site.articles()[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        return self.render(
            "listing.html",
            site,
            page={"title": "Actualités", "path": NEWS_PATH},
            items=[teaser_view(entry) for entry in articles],
            pager=pager_view(NEWS_PATH, page, site.news_pages()),
        )

    def press_listing(self, site: ReplicaSite, page: int) -> bytes:
        items = site.press_items()[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        return self.render(
            "press.html",
            site,
            page={"title": "On parle de nous", "path": PRESS_PATH},
            items=[press_view(item) for item in items],
            pager=pager_view(PRESS_PATH, page, site.press_pages()),
        )

    def utility(self, site: ReplicaSite, title: str, message: str, form: str | None = None):
        """Search, login and error pages: a title and a sentence in the site's chrome."""
        page = {"title": title, "message": message, "form": form}
        return self.render("utility.html", site, page=page)

    def legacy(self, site: ReplicaSite, page: LegacyPage) -> bytes:
        view = {"title": page.title, "blocks": page.blocks, "files_dir": "/images/"}
        return self.render("legacy.html", site, page=view, legacy_logo=LEGACY_LOGO)


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


def press_view(item: PressItem) -> dict:
    return {
        "headline": item.headline,
        "summary": item.summary,
        "media": item.media,
        "url": item.url,
        "date_raw": item.date_raw,
        "date_iso": item.date.isoformat(),
        "logo": f"{FILES_PREFIX}logos/{item.logo}" if item.logo else None,
        "logo_alt": f"Logo {item.media}",
    }


def pager_view(path: str, current: int, count: int) -> dict:
    """Drupal's full pager: page 0 has no query, the others ``?page=N``."""

    def href(number: int) -> str:
        return path if number == 0 else f"{path}?page={number}"

    last = count - 1
    return {
        "current": current,
        "count": count,
        "pages": [{"number": n, "label": str(n + 1), "href": href(n)} for n in range(count)],
        "first": href(0) if current > 0 else None,
        "previous": href(current - 1) if current > 0 else None,
        "next": href(current + 1) if current < last else None,
        "last": href(last) if current < last else None,
    }
