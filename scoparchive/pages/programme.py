"""Event programmes: time slots such as ``13h30 | Accueil`` or ``17h30 - 19h00 | Conférence``."""

from __future__ import annotations

import re

from scoparchive.items import ParsedPage, ProgrammeSlot
from scoparchive.pages.article import ArticlePage
from scoparchive.pages.document import Block

_TIME = r"\d{1,2}\s?h\s?(?:\d{2})?"
_SLOT = re.compile(
    rf"^(?P<start>{_TIME})(?:\s*(?:-|–|—|à)\s*(?P<end>{_TIME}))?\s*(?:\||:|–|—|-)\s*(?P<label>\S.*)$",
    re.I,
)
_TIME_ONLY = re.compile(
    rf"^(?P<start>{_TIME})(?:\s*(?:-|–|—|à)\s*(?P<end>{_TIME}))?(?:\s*[|:–—-])?$", re.I
)


def find_slots(blocks: list[Block]) -> list[ProgrammeSlot]:
    """Slots written on one line, or as a time cell followed by a label cell (tables, lists)."""
    slots: list[ProgrammeSlot] = []
    pending: re.Match | None = None
    for block in blocks:
        for line in block.lines:
            if pending is not None:
                slots.append(_slot(pending, line))
                pending = None
            elif not line[:1].isdigit():  # both patterns open on a digit: spare them
                continue
            elif match := _TIME_ONLY.match(line):
                pending = match
            elif match := _SLOT.match(line):
                slots.append(_slot(match, match["label"]))
    return slots


def _slot(match: re.Match, label: str) -> ProgrammeSlot:
    end = match["end"]
    return ProgrammeSlot(
        start=match["start"].replace(" ", ""),
        end=end.replace(" ", "") if end else None,
        label=label.strip(),
    )


class ProgrammePage(ArticlePage):
    page_type = "programme"

    def to_item(self) -> ParsedPage:
        item = super().to_item()
        item.programme = find_slots(self.body.blocks)
        item.extraction["programme"] = "landmark"
        return item
