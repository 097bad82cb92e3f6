"""Routing of the replica: a request path in, a status, headers and body out (no sockets here).

Last-Modified follows the bytes: a page keeps its date for as long as it renders the same, and
moves when its body changes, teaser block included (publishing one article changes every page).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape as xml_escape

from .assets import asset_bytes, content_type
from .flavour import DRUPAL
from .model import ReplicaSite
from .render import META_CHARSET_ONLY, Renderer
from .text import links_in

SEARCH_PATH = DRUPAL.search_path
LOGIN_PATH = DRUPAL.login_path
#: The union's robots.txt rules (another flavour's: ``site.flavour.disallowed``).
DISALLOWED_PATHS = DRUPAL.disallowed


@dataclass
class Reply:
    status: int
    content_type: str = "text/html; charset=utf-8"
    body: bytes = b""
    last_modified: float | None = None  # epoch seconds; set on cacheable answers
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        """A strong validator of the (uncompressed) body."""
        return hashlib.sha256(self.body).hexdigest()[:24]


class ReplicaApp:
    def __init__(
        self,
        site: ReplicaSite,
        markup: str | None = None,
        base_url: str = "/",
        *,
        sitemap: bool = True,
        crawl_delay: float | None = None,
        content_dir: str | None = None,
    ):
        self.site = site
        self.flavour = site.flavour
        #: The site's own markup unless another is asked for.
        markup = markup or site.flavour.markup
        self.markup = markup
        self.base_url = base_url
        self.sitemap = sitemap
        self.crawl_delay = crawl_delay
        # The words of the chrome (site.yaml) come from the site's own folder.
        content_dir = content_dir or site.content_dir
        self.renderer = Renderer(markup, base_url, content_dir, site.flavour)
        self._seen: dict[str, tuple[str, float]] = {}  # page key → (digest, last modified)
        self._seen_lock = threading.Lock()
        self._assets: tuple[tuple, set[str]] | None = None  # (site revision, asset paths)

    @property
    def html_type(self) -> str:
        if self.markup in META_CHARSET_ONLY:
            return "text/html"
        return "text/html; charset=utf-8"

    # ------------------------------------------------------------------ dispatch

    def handle(self, target: str) -> Reply:
        parts = urlsplit(target)
        path = parts.path or "/"
        query = parse_qs(parts.query)
        with self.site.lock:
            if parts.query and f"{path}?{parts.query}" in self.site.legacy:
                # The old CMS named pages by their query: ``/spip.php?article12``.
                return self._legacy(f"{path}?{parts.query}")
            return self._route(path, query)

    def _route(self, path: str, query: dict[str, list[str]]) -> Reply:
        flavour = self.flavour
        if path == "/robots.txt":
            return self._text(self.robots_txt(), "text/plain; charset=utf-8")
        if path in (flavour.sitemap_path, flavour.sitemap_child):
            if not self.sitemap:
                return self.not_found()
            if path == flavour.sitemap_path and flavour.sitemap_child:
                return self._text(self.sitemap_index_xml(), "application/xml; charset=utf-8")
            return self._text(self.sitemap_xml(), "application/xml; charset=utf-8")
        if path.startswith(flavour.files_prefix):
            return self._asset(path)
        if path in (flavour.news_path, flavour.press_path):
            return self._listing(path, query)
        if path in (flavour.search_path, flavour.login_path):
            return self._utility(path)
        if path in self.site.legacy:
            return self._legacy(path)
        if path in self.site.gone:
            return self._error(self.site.gone[path])
        entry = self.site.page(path)
        if entry is not None:
            body = self.renderer.entry(self.site, entry)
            return self._page(path, body, entry.modified)
        if len(path) > 1 and path.endswith("/") and self.site.page(path.rstrip("/")):
            return Reply(301, headers={"Location": path.rstrip("/")})
        return self.not_found()

    # ------------------------------------------------------------------ pages

    def _page(self, key: str, body: bytes, content_modified: float) -> Reply:
        baseline = max(content_modified, self.site.news_changed())
        return Reply(200, self.html_type, body, self._last_modified(key, body, baseline))

    def _last_modified(self, key: str, body: bytes, baseline: float) -> float:
        """Keep the date while the bytes stay; move it, strictly, when they change."""
        digest = hashlib.sha256(body).hexdigest()
        with self._seen_lock:
            previous = self._seen.get(key)
            if previous is None:
                modified = float(int(baseline))
            elif previous[0] == digest:
                modified = previous[1]
            else:
                # HTTP dates count whole seconds: two changes within one must still differ.
                modified = max(float(int(self.site.clock())), previous[1] + 1)
            self._seen[key] = (digest, modified)
            return modified

    def _listing(self, path: str, query: dict[str, list[str]]) -> Reply:
        page = _page_number(query)
        news = path == self.flavour.news_path
        count = self.site.news_pages() if news else self.site.press_pages()
        if page is None or page >= count:
            return self.not_found()
        if news:
            body = self.renderer.news_listing(self.site, page)
        else:
            body = self.renderer.press_listing(self.site, page)
        key = path if page == 0 else f"{path}?page={page}"
        return self._page(key, body, self.site.structure_changed)

    def _utility(self, path: str) -> Reply:
        if path == self.flavour.search_path:
            body = self.renderer.utility(
                self.site, "Rechercher", "Saisissez un ou plusieurs mots.", form="search"
            )
        else:
            body = self.renderer.utility(
                self.site, "Espace adhérents", "Connectez-vous à votre compte.", form="login"
            )
        return self._page(path, body, 0.0)

    def _legacy(self, path: str) -> Reply:
        page = self.site.legacy[path]
        if page.status == 301 and page.redirect_to:
            return Reply(301, headers={"Location": page.redirect_to})
        if page.status != 200:
            return self._error(page.status)
        body = self.renderer.legacy(self.site, page)
        modified = datetime(page.date.year, page.date.month, page.date.day, tzinfo=UTC)
        # The old generation's pages are frozen: their date never moves.
        return Reply(200, "text/html; charset=utf-8", body, modified.timestamp())

    def _error(self, status: int) -> Reply:
        if status == 410:
            message = "Ce contenu a été supprimé et n'est plus disponible."
            body = self.renderer.utility(self.site, "Contenu supprimé", message)
            return Reply(410, self.html_type, body)
        return self.not_found()

    def not_found(self) -> Reply:
        message = "La page demandée n'existe pas ou a été déplacée."
        body = self.renderer.utility(self.site, "Page introuvable", message)
        return Reply(404, self.html_type, body)

    def _asset(self, path: str) -> Reply:
        kind = content_type(path)
        if kind is None or path not in self.asset_paths():
            return self.not_found()
        # Uploaded files do not change: their date is the upload month's first day.
        day = self.flavour.upload_day(path)
        when = datetime(day.year, day.month, day.day) if day else datetime(2014, 1, 6)
        uploaded = when.replace(tzinfo=UTC).timestamp()
        return Reply(200, kind, asset_bytes(path.rsplit("/", 1)[-1]), uploaded)

    def asset_paths(self) -> set[str]:
        """Every file URL a page refers to: images, heroes, logos, linked documents."""
        site = self.site
        key = (site.revision, len(site.entries), len(site.press))
        if self._assets is None or self._assets[0] != key:
            self._assets = (key, self._find_asset_paths())
        return set(self._assets[1])

    def _find_asset_paths(self) -> set[str]:
        found: set[str] = {self.flavour.legacy_logo_path}
        for entry in self.site.entries.values():
            if entry.hero:
                found.add(entry.files_dir + entry.hero)
            for block in entry.blocks:
                if block.image:
                    found.add(entry.files_dir + block.image.src)
                found.update(h for h in links_in(block.source)
                             if h.startswith(self.flavour.files_prefix))  # fmt: skip
        for item in self.site.press:
            if item.logo:
                found.add(f"{self.flavour.files_prefix}logos/{item.logo}")
        return found

    def _text(self, text: str, kind: str) -> Reply:
        body = text.encode("utf-8")
        return Reply(200, kind, body, self._last_modified(kind, body, self.site.news_changed()))

    # ------------------------------------------------------------------ robots, sitemap

    def robots_txt(self) -> str:
        flavour = self.flavour
        lines = [*flavour.robots_header, "User-agent: *"]
        if self.crawl_delay is not None:
            lines.append(f"Crawl-delay: {self.crawl_delay:g}")
        if flavour.robots_comment:
            lines.append(flavour.robots_comment)
        lines += [f"Disallow: {path}" for path in flavour.disallowed]
        lines += [*flavour.robots_rules, ""]
        if self.sitemap:
            lines.append(f"Sitemap: {self.base_url.rstrip('/')}{flavour.sitemap_path}")
        return "\n".join(lines) + "\n"

    def sitemap_urls(self) -> list[tuple[str, float]]:
        """(path, lastmod) of every page worth indexing; lastmod is the page's own content
        change, as CMS sitemap modules report it, not the teaser block's."""
        site = self.site
        news = site.news_changed()
        news_path, press_path = self.flavour.news_path, self.flavour.press_path
        urls: list[tuple[str, float]] = []
        for entry in site.entries.values():
            urls.append((entry.path, news if entry.kind == "home" else entry.modified))
        for number in range(site.news_pages()):
            urls.append((news_path if number == 0 else f"{news_path}?page={number}", news))
        press_changed = max([site.structure_changed, *(_noon(i.date) for i in site.press)])
        for number in range(site.press_pages()):
            urls.append(
                (press_path if number == 0 else f"{press_path}?page={number}", press_changed)
            )
        return sorted(urls, key=lambda item: (item[0] != "/", item[0]))

    def sitemap_index_xml(self) -> str:
        """A sitemap index of the one urlset at ``flavour.sitemap_child``."""
        latest = max(modified for _, modified in self.sitemap_urls())
        lastmod = datetime.fromtimestamp(int(latest), UTC).isoformat()
        child = xml_escape(self.base_url.rstrip("/") + (self.flavour.sitemap_child or ""))
        return "\n".join([
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
            f"  <sitemap><loc>{child}</loc><lastmod>{lastmod}</lastmod></sitemap>",
            "</sitemapindex>",
        ]) + "\n"

    def sitemap_xml(self) -> str:
        base = self.base_url.rstrip("/")
        rows = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
        ]
        for path, modified in self.sitemap_urls():
            lastmod = datetime.fromtimestamp(int(modified), UTC).isoformat()
            rows.append(
                f"  <url><loc>{xml_escape(base + path)}</loc><lastmod>{lastmod}</lastmod></url>"
            )
        rows.append("</urlset>")
        return "\n".join(rows) + "\n"


def _noon(day) -> float:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()


def _page_number(query: dict[str, list[str]]) -> int | None:
    """Drupal reads ``?page=N`` from 0; junk counts as 0, a negative number as nothing."""
    values = query.get("page")
    if not values:
        return 0
    try:
        number = int(values[0])
    except ValueError:
        return 0
    return number if number >= 0 else None
