"""Roundup pages: one item per cooperative, each under a heading ``Name (department codes)``."""

from __future__ import annotations

from scoparchive.items import Initiative, ParsedPage
from scoparchive.pages.article import ArticlePage
from scoparchive.pages.document import Block
from scoparchive.text.departments import parse_item_heading

try:  # INSEE-backed place lookup, written by another module; optional here.
    from scoparchive.geo import UNION_DEPARTMENTS, department_of_place
except ImportError:  # pragma: no cover - depends on the checkout
    UNION_DEPARTMENTS, department_of_place = None, None

_HEADING_MAX = 120


def item_heading(block: Block) -> tuple[str, list[str], str | None] | None:
    """Decided by the text, not the tag: a short single line ending in ``(…)``."""
    text = block.text
    if "\n" in text or len(text) > _HEADING_MAX or not text.rstrip(" :.").endswith(")"):
        return None
    return parse_item_heading(text)


class RoundupPage(ArticlePage):
    page_type = "roundup"

    def initiatives(self) -> list[Initiative]:
        groups: list[tuple[Block, tuple, list[Block]]] = []
        for block in self.body.text_blocks:
            parsed = item_heading(block)
            if parsed:
                groups.append((block, parsed, []))
            elif groups:  # paragraphs before the first item are the introduction
                groups[-1][2].append(block)
        return [
            self._initiative(position, heading, parsed, paragraphs)
            for position, (heading, parsed, paragraphs) in enumerate(groups, 1)
        ]

    def _initiative(
        self, position: int, heading: Block, parsed: tuple, paragraphs: list[Block]
    ) -> Initiative:
        name, codes, place = parsed
        contacts = self.contacts_in(paragraphs)
        return Initiative(
            position=position,
            name=name,
            heading_raw=heading.text,
            departments=codes,
            place=place,
            place_department=_department_of(place),
            description="\n\n".join(block.text for block in paragraphs),
            emails=[c.value for c in contacts if c.kind == "email"],
            phones=[c.value for c in contacts if c.kind == "phone"],
            urls=[c.value for c in contacts if c.kind == "url"],
        )

    def to_item(self) -> ParsedPage:
        item = super().to_item()
        item.initiatives = self.initiatives()
        item.extraction["initiatives"] = "landmark"
        return item


def _department_of(place: str | None) -> str | None:
    """The department of a town named in parentheses: the union's pages speak of its territory,
    so a short form (``Ivry``) is read there (Ivry-sur-Seine, 94); see ``department_of_place``."""
    if not place or department_of_place is None:
        return None
    try:
        return department_of_place(place, within=UNION_DEPARTMENTS)
    except Exception:  # the lookup is a bonus; a failing one must not lose the page
        return None
