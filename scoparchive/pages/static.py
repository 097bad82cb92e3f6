"""Static pages (about the union, key figures) and pages of the older ``.htm`` generation."""

from __future__ import annotations

from datetime import date

from scoparchive.pages.article import ArticlePage
from scoparchive.text.dates import date_from_legacy_url


class StaticPage(ArticlePage):
    """Header line and title, no date line: the page is not dated."""

    page_type = "static"

    def published(self) -> tuple[date | None, str | None, str | None]:
        return None, None, None


class LegacyArticlePage(ArticlePage):
    """No header line, no date line: the date is in the URL (``/20141126,key.htm``).

    The old CMS printed no lead: every paragraph is body.
    """

    page_type = "legacy_article"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.body.lead = None

    def published(self) -> tuple[date | None, str | None, str | None]:
        found = date_from_legacy_url(self.url)
        if found:
            return found.value, found.raw, "structural"
        return super().published()
