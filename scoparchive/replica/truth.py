"""Ground truth of every replica page: what an extractor should find, in every markup.

Texts are plain: links reduced to their text, image names and credits left out of the body.
A paragraph may hold ``\\n`` where the page shows a line break; compare with whitespace collapsed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from .text import RoundupItem, roundup_items


@dataclass
class TeaserTruth:
    title: str
    url: str  # root-relative for internal pages, absolute for press items
    lead: str | None = None
    date_raw: str | None = None
    media: str | None = None


@dataclass
class ImageTruth:
    url: str
    alt: str
    credit: str | None = None


@dataclass
class SlotTruth:
    start: str
    end: str | None
    label: str


@dataclass
class InitiativeTruth:
    position: int
    name: str
    heading_raw: str
    departments: list[str] = field(default_factory=list)
    place: str | None = None
    place_department: str | None = None
    description: str = ""


@dataclass
class PageTruth:
    path: str
    page_type: str  # one of scoparchive.items.PAGE_TYPES
    title: str | None
    rubric: str | None = None
    date_raw: str | None = None  # the date line as printed: "04 04 2020"
    date: date | None = None
    lead: str | None = None
    #: ("h" | "p", text) in page order; roundup item headings are "h".
    blocks: list[tuple[str, str]] = field(default_factory=list)
    initiatives: list[InitiativeTruth] = field(default_factory=list)
    programme: list[SlotTruth] = field(default_factory=list)
    images: list[ImageTruth] = field(default_factory=list)
    #: Items of a listing (news or press), not the boilerplate block.
    teasers: list[TeaserTruth] = field(default_factory=list)
    #: The "Les dernières actualités" boilerplate block at the bottom of the page.
    latest: list[TeaserTruth] = field(default_factory=list)

    @property
    def paragraphs(self) -> list[str]:
        return [text for kind, text in self.blocks if kind == "p"]

    @property
    def subheadings(self) -> list[str]:
        return [text for kind, text in self.blocks if kind == "h"]

    @property
    def body_text(self) -> str:
        """Subheadings and paragraphs, lead excluded, separated by blank lines."""
        return "\n\n".join(text for _, text in self.blocks)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["blocks"] = [list(block) for block in self.blocks]
        return data


def block_truth(blocks, files_dir: str) -> dict:
    """The text blocks, programme slots and images of a body."""
    texts: list[tuple[str, str]] = []
    slots: list[SlotTruth] = []
    images: list[ImageTruth] = []
    for block in blocks:
        if block.kind in ("h", "item"):
            texts.append(("h", block.text))
        elif block.kind == "p":
            texts.append(("p", block.text))
        elif block.kind == "slots":
            for slot in block.slots:
                texts.append(("p", slot.text))
                slots.append(SlotTruth(slot.start, slot.end, slot.label))
        elif block.kind == "img" and block.image:
            image = block.image
            images.append(ImageTruth(files_dir + image.src, image.alt, image.credit))
    return {"blocks": texts, "programme": slots, "images": images}


def initiatives_truth(blocks) -> list[InitiativeTruth]:
    return [_initiative(position, item) for position, item in enumerate(roundup_items(blocks), 1)]


def _initiative(position: int, item: RoundupItem) -> InitiativeTruth:
    return InitiativeTruth(
        position=position,
        name=item.name,
        heading_raw=item.heading,
        departments=list(item.departments),
        place=item.place,
        place_department=item.place_department,
        description="\n\n".join(item.paragraphs),
    )


# ---------------------------------------------------------------------- per page

_PAGE_TYPES = {"article": "article", "roundup": "roundup", "programme": "programme"}


def page_truth(site, target: str) -> PageTruth:
    """The truth of the page at ``target`` (a path, with ``?page=N`` for listings)."""
    from urllib.parse import parse_qs, urlsplit

    from .model import PAGE_SIZE

    flavour = site.flavour
    parts = urlsplit(target)
    path = parts.path or "/"
    page = int(parse_qs(parts.query).get("page", ["0"])[0])
    latest = [_teaser(entry) for entry in site.latest()]
    with site.lock:
        if parts.query and target in site.legacy:
            return _legacy_truth(site.legacy[target])
        if path == flavour.news_path:
            items = site.articles()[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            teasers = [_teaser(entry, dated=True) for entry in items]
            title = flavour.news_title
            return PageTruth(target, "listing", title, teasers=teasers, latest=latest)
        if path == flavour.press_path:
            items = site.press_items()[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
            teasers = [
                TeaserTruth(i.headline, i.url, i.summary, i.date_raw, i.media) for i in items
            ]
            title = flavour.press_title
            return PageTruth(target, "press_listing", title, teasers=teasers, latest=latest)
        if path in site.legacy:
            return _legacy_truth(site.legacy[path])
        entry = site.page(path)
        if entry is None:
            raise KeyError(target)
        return _entry_truth(site, entry, latest)


def _entry_truth(site, entry, latest: list[TeaserTruth]) -> PageTruth:
    found = block_truth(entry.blocks, entry.files_dir)
    truth = PageTruth(
        path=entry.path,
        page_type=_PAGE_TYPES.get(entry.kind, entry.kind),
        title=entry.title,
        rubric=entry.rubric,
        date_raw=entry.date_raw,
        date=entry.date,
        lead=entry.lead,
        latest=latest,
        initiatives=initiatives_truth(entry.blocks) if entry.kind == "roundup" else [],
        **found,
    )
    if entry.kind == "home":
        truth.teasers = [_teaser(article, dated=True) for article in site.articles()[:3]]
    return truth


def _legacy_truth(page) -> PageTruth:
    found = block_truth(page.blocks, "/images/")
    return PageTruth(page.path, "legacy_article", page.title, date=page.date, **found)


def _teaser(entry, dated: bool = False) -> TeaserTruth:
    return TeaserTruth(entry.title, entry.path, entry.lead, entry.date_raw if dated else None)
