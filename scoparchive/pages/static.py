"""Static pages (about the union, key figures) and pages of the older ``.htm`` generation."""

from __future__ import annotations

from scoparchive.pages import fields
from scoparchive.pages.article import ArticlePage
from scoparchive.text.dates import find_french_date

#: How far into the body a written-out date still dates a legacy page (``Communiqué de presse,
#: 26 novembre 2014``).
_DATED_BLOCKS = 3


class StaticPage(ArticlePage):
    """A title and a text, and no date anywhere: the page is not dated."""

    page_type = "static"


class LegacyArticlePage(ArticlePage):
    """No header line, no date line: the date is in the URL (``/20141126,key.htm``), or
    opens the text (``Communiqué de presse, 26 novembre 2014``).

    The old CMS printed no lead: every paragraph is body.
    """

    page_type = "legacy_article"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.body.lead = None

    def published(self) -> fields.Found | None:
        found = fields.site_date(self.reading)
        if found:
            return found
        for block in self.body.blocks[:_DATED_BLOCKS]:
            written = find_french_date(block.text)
            if written:
                return fields.Found(written.value, written.raw, "landmark")
        return fields.declared_date(self.reading) or fields.library_date(self.reading)
