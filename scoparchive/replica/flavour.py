"""What a site's CMS decides besides its markup: section paths, upload folders, robots rules, the
older generation's pages. Read from the ``flavour`` table of a content folder's ``site.yaml``;
a folder without one is the union's Drupal-like site, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date


@dataclass(frozen=True)
class Flavour:
    #: The CMS it stands for; the name profiles.yaml gives as a profile's ``cms``.
    cms: str = "drupal"
    #: The markup served when none is asked for.
    markup: str = "drupal"
    news_path: str = "/actualites"
    news_title: str = "Actualités"
    press_path: str = "/on-parle-de-nous"
    press_title: str = "On parle de nous"
    #: Where uploads live, and the upload folder of a month below it (``strftime``).
    files_prefix: str = "/sites/default/files/"
    files_month: str = "%Y-%m/"
    search_path: str = "/recherche"
    login_path: str = "/user/login"
    #: robots.txt: the comment lines above its rules, the comment above the ``Disallow:``
    #: lines, those paths in order, then its other rules.
    robots_header: tuple[str, ...] = (
        "#", "# robots.txt", "#",
        "# This file is to prevent the crawling and indexing of certain parts",
        "# of your site by web crawlers and spiders run by sites like Yahoo!",
        "# and Google.", "",
    )
    robots_comment: str = "# Paths (clean URLs)"
    disallowed: tuple[str, ...] = ("/user/login", "/recherche", "/admin/", "/node/add")
    robots_rules: tuple[str, ...] = ("Disallow: /*?search=",)
    #: The sitemap robots.txt names; with ``sitemap_child``, an index of that one urlset (as
    #: WordPress's ``/wp-sitemap.xml``).
    sitemap_path: str = "/sitemap.xml"
    sitemap_child: str | None = None
    #: The template of the older generation's pages (``templates/legacy/``) and its logo.
    legacy_template: str = "legacy.html"
    legacy_logo: str = "logos/logo-urscop-2010.png"

    @classmethod
    def from_yaml(cls, raw: dict | None) -> Flavour:
        if not raw:
            return cls()
        known = {item.name for item in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"site.yaml, flavour : clé inconnue (unknown key) {sorted(unknown)[0]!r}")
        values = {key: tuple(value) if isinstance(value, list) else value
                  for key, value in raw.items()}  # fmt: skip
        return cls(**values)

    @property
    def legacy_logo_path(self) -> str:
        return self.files_prefix + self.legacy_logo

    @property
    def paths(self) -> frozenset[str]:
        """The paths the site serves itself: no article may take them as its slug."""
        own = {"/", self.news_path, self.press_path, "/robots.txt", "/sitemap.xml",
               self.sitemap_path, self.search_path, self.login_path}
        if self.sitemap_child:
            own.add(self.sitemap_child)
        return frozenset(own)

    def files_dir(self, when: date) -> str:
        """The upload folder of a month: ``/sites/default/files/2020-04/``."""
        return self.files_prefix + when.strftime(self.files_month)

    def upload_day(self, path: str) -> date | None:
        """The first day of the upload month of a file URL, or None if the path holds none."""
        from datetime import datetime

        depth = self.files_month.rstrip("/").count("/") + 1
        parts = path.removeprefix(self.files_prefix).split("/")[:depth]
        try:
            return datetime.strptime("/".join(parts), self.files_month.rstrip("/")).date()
        except ValueError:
            return None


DRUPAL = Flavour()
