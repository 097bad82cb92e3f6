"""The replica's content language: a small Markdown dialect, parsed to markup-neutral blocks.

Content is stored as text, not HTML, so that one source renders in every markup and yields the
ground truth of extraction tests. Blocks are separated by blank lines:

- ``## Text``                     a short subheading
- ``### Name (75, 92)``           a roundup item heading: cooperative name and department codes
- ``![alt](file.jpg "Crédits : …")``  an image, optionally wrapped in a link: ``[![alt](f.png)](url)``
- ``@ 13h30 | Accueil``           one time slot of an event programme (one per line)
- anything else                   a paragraph; a single newline inside it is a line break

Inline: ``[text](href)`` links and ``**bold**``. An href starting with ``site:`` is made absolute
on the server's own base URL, as editors sometimes paste full URLs of the site into articles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

_IMAGE = re.compile(
    r'^(?:\[)?!\[(?P<alt>[^\]]*)\]\((?P<src>[^\s)]+)(?:\s+"(?P<credit>[^"]*)")?\)'
    r"(?:\]\((?P<href>[^)]+)\))?$"
)
_SLOT = re.compile(
    r"^@\s*(?P<start>\d{1,2}h\d{0,2})(?:\s*-\s*(?P<end>\d{1,2}h\d{0,2}))?\s*\|\s*(?P<label>.+)$"
)
_INLINE = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<href>[^)\s]+)\)|\*\*(?P<bold>[^*]+)\*\*")
_ROUNDUP_HEADING = re.compile(r"^(?P<name>.+?)\s*\((?P<inner>[^()]+)\)\s*$")
_DEPARTMENT_CODE = re.compile(r"^(?:2[AB]|97[1-8]|98[4-9]|0[1-9]|[1-8]\d|9[0-5])$")
_CODE_SEPARATORS = re.compile(r"\s*(?:,|\bet\b|/)\s*")

#: Towns that roundups give in parentheses instead of codes, with their department.
KNOWN_PLACES = {"Ivry": "94", "Montreuil": "93", "Tours": "37", "Orléans": "45"}


@dataclass(frozen=True)
class Image:
    src: str  # file name; the URL is built from the page's date
    alt: str
    credit: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Slot:
    start: str
    end: str | None
    label: str

    @property
    def text(self) -> str:
        times = f"{self.start} - {self.end}" if self.end else self.start
        return f"{times} | {self.label}"


@dataclass(frozen=True)
class Block:
    kind: str  # "p" | "h" | "item" (roundup heading) | "img" | "slots"
    source: str = ""  # inline source of p / h / item
    image: Image | None = None
    slots: tuple[Slot, ...] = ()

    @property
    def text(self) -> str:
        return inline_text(self.source).strip()


@dataclass
class RoundupItem:
    heading: str
    name: str
    departments: list[str] = field(default_factory=list)
    place: str | None = None
    place_department: str | None = None
    paragraphs: list[str] = field(default_factory=list)


def parse_blocks(source: str) -> tuple[Block, ...]:
    blocks: list[Block] = []
    for chunk in re.split(r"\n[ \t]*\n", source.strip("\n ")):
        # Only ASCII blanks are layout: French text keeps its no-break spaces, even at line ends.
        lines = [line.rstrip(" \t") for line in chunk.strip("\n").splitlines() if line.strip()]
        if lines:
            blocks.extend(_parse_chunk(lines))
    return tuple(blocks)


def _parse_chunk(lines: list[str]) -> list[Block]:
    first = lines[0]
    if first.startswith("### "):
        return [Block("item", first[4:].strip())]
    if first.startswith("## "):
        return [Block("h", first[3:].strip())]
    if all(_SLOT.match(line) for line in lines):
        slots = tuple(_slot(line) for line in lines)
        return [Block("slots", slots=slots)]
    if all(_IMAGE.match(line) for line in lines):
        return [Block("img", image=_image(line)) for line in lines]
    return [Block("p", "\n".join(line.strip(" \t") for line in lines))]


def _slot(line: str) -> Slot:
    match = _SLOT.match(line)
    assert match
    return Slot(match["start"], match["end"], match["label"].strip())


def _image(line: str) -> Image:
    match = _IMAGE.match(line)
    assert match
    return Image(match["src"], match["alt"], match["credit"] or None, match["href"])


def inline_text(source: str) -> str:
    """The text a reader sees: link texts kept, markers dropped."""
    return _INLINE.sub(lambda m: m["text"] or m["bold"], source)


def inline_html(source: str, base_url: str = "/", bold_tag: str = "strong") -> Markup:
    """HTML of inline source; line breaks become ``<br>``."""
    parts: list[str] = []
    position = 0
    for match in _INLINE.finditer(source):
        parts.append(str(escape(source[position : match.start()])))
        if match["bold"]:
            parts.append(f"<{bold_tag}>{escape(match['bold'])}</{bold_tag}>")
        else:
            href = resolve_href(match["href"], base_url)
            parts.append(f'<a href="{escape(href)}">{escape(match["text"])}</a>')
        position = match.end()
    parts.append(str(escape(source[position:])))
    return Markup("".join(parts).replace("\n", "<br>\n"))


def resolve_href(href: str, base_url: str) -> str:
    if href.startswith("site:"):
        return base_url.rstrip("/") + href.removeprefix("site:")
    return href


def links_in(source: str) -> list[str]:
    return [m["href"] for m in _INLINE.finditer(source) if m["href"]]


def parse_roundup_heading(heading: str) -> RoundupItem:
    """``"Artefacts et CEFIM (45 et 37)"`` → name, codes ``["45", "37"]``; ``"(Ivry)"`` → place."""
    match = _ROUNDUP_HEADING.match(heading)
    if not match:
        return RoundupItem(heading=heading, name=heading)
    inner = match["inner"].strip()
    tokens = [token for token in _CODE_SEPARATORS.split(inner) if token]
    if tokens and all(_DEPARTMENT_CODE.match(token) for token in tokens):
        return RoundupItem(heading=heading, name=match["name"], departments=tokens)
    return RoundupItem(
        heading=heading, name=match["name"], place=inner, place_department=KNOWN_PLACES.get(inner)
    )


def roundup_items(blocks: tuple[Block, ...]) -> list[RoundupItem]:
    """Each roundup heading with the paragraphs that follow it, up to the next heading."""
    items: list[RoundupItem] = []
    current: RoundupItem | None = None
    for block in blocks:
        if block.kind == "item":
            current = parse_roundup_heading(block.text)
            items.append(current)
        elif block.kind == "h":
            current = None
        elif block.kind == "p" and current is not None:
            current.paragraphs.append(block.text)
    return items
