"""The body of an article: the blocks between the date line and the teaser block, cleaned.

Nothing here reads class names. Navigation and sidebars are known by their elements (``nav``,
``aside``) when a theme uses them and otherwise by their link density; the rest of the chrome is
outside the range by construction (above the title, below ``Les dernières actualités``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from scoparchive.pages.document import Block
from scoparchive.pages.layout import (
    SiteText,
    is_boilerplate_line,
    is_credit,
    is_footer_text,
    is_item_heading,
    is_logo_line,
    is_pager,
    is_share_line,
)
from scoparchive.text.dates import parse_date_line
from scoparchive.text.normalise import fold

_CREDIT_PREFIX = re.compile(
    r"^(?:cr[ée]dits?(?:\s+photos?)?|photos?|copyright)\s*[:\-–]\s*|^(?:©|\(c\))\s*", re.I
)
_SITE_LINK = re.compile(
    r"^(?:nous contacter|contact|contactez-nous|mentions légales|plan du site|haut de page|"
    r"retour en haut|accueil|retour à l'accueil)$",
    re.I,
)
_SITE_LINE_MAX = 120
_MENU_RUN = 3  # this many one-link blocks in a row are a menu, not prose
_SUBHEADING_MAX = 100
_FOOTER_BLOCKS = 5  # a site footer's lines above its copyright line, at most
#: Longer than any credit (150), header line (120), date line (40), share line (60), and any
#: boilerplate line but a logo line: one test is left for such a paragraph.
_LONG_LINE = 150


@dataclass
class Body:
    blocks: list[Block]  # the lead first, when there is one
    lead: Block | None
    credits: list[tuple[int, str]] = field(default_factory=list)  # (block index, credit)
    captions: dict[int, str] = field(default_factory=dict)  # figure id → caption

    @property
    def text_blocks(self) -> list[Block]:
        return [block for block in self.blocks if block is not self.lead]

    def text(self) -> str:
        return "\n\n".join(block.text for block in self.text_blocks)

    def markdown(self) -> str:
        return "\n\n".join(_markdown(block) for block in self.text_blocks)


def is_subheading(block: Block) -> bool:
    if "\n" in block.text:
        return False
    return is_item_heading(block.text) or (block.is_heading and len(block.text) <= _SUBHEADING_MAX)


def extract_body(
    blocks: list[Block],
    text: SiteText,
    image_alts: frozenset[str] = frozenset(),
    *,
    only: frozenset[str] | None = None,
) -> Body:
    """The body among ``blocks`` (the content of a page, or its main text as a library found
    it); ``only`` restricts it to texts a profile's body selector matched."""
    kept: list[Block] = []
    credits: list[tuple[int, str]] = []
    captions: dict[int, str] = {}
    for block in blocks:
        line = block.text
        if only is not None and line not in only:
            continue
        is_long = len(line) > _LONG_LINE
        if not is_long and is_credit(line):
            credits.append((block.index, _CREDIT_PREFIX.sub("", line).strip()))
        elif block.tag == "figcaption" and block.figure:
            captions[block.figure] = line
        elif (
            # (No teaser heading here: the content ends at the first one.) A long paragraph
            # is too long for every test but the logo line's and the image alt's.
            (
                is_logo_line(line)
                if is_long
                else (
                    text.is_header_line(line)
                    or is_boilerplate_line(line)
                    or parse_date_line(line) is not None
                    or (is_share_line(block) and block.link_density > 0.5)
                )
            )
            or (
                image_alts
                and not block.is_heading
                and "\n" not in line
                and fold(line) in image_alts
            )
        ):
            continue
        else:
            kept.append(block)
    kept = _trim_tail(_drop_menus(kept))
    return Body(kept, _lead(kept), credits, captions)


def _is_menu_item(block: Block) -> bool:
    return block.link_density >= 0.8 and len(block.text.split()) <= 8


def _drop_menus(blocks: list[Block]) -> list[Block]:
    """Runs of one-link blocks (a menu, tags, related links) and inline link lists go."""
    kept: list[Block] = []
    run: list[Block] = []
    for block in blocks:
        if len(block.links) >= 3 and block.link_density >= 0.7:
            continue
        if _is_menu_item(block):
            run.append(block)
            continue
        if len(run) < _MENU_RUN:
            kept.extend(run)
        run = []
        kept.append(block)
    if len(run) < _MENU_RUN:
        kept.extend(run)
    return kept


def _trim_tail(blocks: list[Block]) -> list[Block]:
    """A footer without a ``<footer>`` element: copyright, legal links, share buttons.

    The blocks before a copyright line that share its element (the union's address above it)
    are the same footer.
    """
    end = len(blocks)
    while end and _is_tail_chrome(blocks[end - 1]):
        end -= 1
        footer, limit = blocks[end], max(0, end - _FOOTER_BLOCKS)
        if not is_footer_text(footer.text):
            continue
        while end > limit and blocks[end - 1].container == footer.container:
            end -= 1
    return blocks[:end]


def _is_tail_chrome(block: Block) -> bool:
    return (
        is_footer_text(block.text)
        or is_share_line(block)
        or is_pager(block.text)
        or (block.link_density >= 0.5 and len(block.links) >= 2)
        or (
            len(block.text) < _SITE_LINE_MAX
            and any(_SITE_LINK.match(text) for _, text in block.links)
        )
    )


def _lead(blocks: list[Block]) -> Block | None:
    """The first paragraph after the date line, unless the body opens on a subheading.

    A lead is often set in bold, so only a heading element or an item heading disqualifies it.
    """
    if not blocks:
        return None
    first = blocks[0]
    if is_item_heading(first.text) or (first.level > 0 and len(first.text) <= 80):
        return None
    return first


def _markdown(block: Block) -> str:
    if is_subheading(block):
        return ("### " if block.level >= 3 else "## ") + block.text
    if block.tag == "li":
        return "- " + block.text.replace("\n", " ")
    if block.tag == "blockquote":
        return "> " + block.text.replace("\n", "\n> ")
    return block.text
