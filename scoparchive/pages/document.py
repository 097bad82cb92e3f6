"""One parse, one linear pass: a page as a flat list of text blocks.

The page objects never look at class names. They work on what this module gives them: blocks of
text in reading order (paragraphs, headings, list items, table cells, and the paragraphs that
``<br><br>`` separates inside one element), each with its heading level, whether it is all bold,
its links, and whether it sits in navigation, a sidebar or a site header/footer. Images are kept
apart, with their position in the flow of blocks.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from scoparchive.text.normalise import clean_line

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
_SKIPPED_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "iframe",
        "object",
        "embed",
        "select",
        "option",
        "textarea",
        "canvas",
        "map",
        "audio",
        "video",
        "input",
        "button",
        "title",
    ]
)
_BOLD_TAGS = frozenset(("b", "strong"))
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LANDMARK_TAGS = {"nav": "nav", "aside": "aside", "footer": "footer", "header": "header",
                  "main": "main", "article": "article"}  # fmt: skip
_LANDMARK_ROLES = {"navigation": "nav", "complementary": "aside", "contentinfo": "footer",
                   "banner": "header", "main": "main", "article": "article", "search": "nav"}  # fmt: skip
_MAIN_LANDMARKS = frozenset(("main", "article"))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TINY_IMAGE = 32  # px: spacers, icons, tracking pixels

_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.I)
#: Browsers read these labels as windows-1252 (WHATWG Encoding), and so does the legacy site.
_WINDOWS_1252_ALIASES = frozenset(("iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii",
                                   "ascii", "l1", "cp819", "ibm819"))  # fmt: skip
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)
_UNPARSABLE_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: A plain etree parser: lxml.html's element classes cost a Python lookup per element.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True)


@dataclass(slots=True)
class Block:
    """A paragraph-like run of text in reading order."""

    index: int
    text: str  # lines joined with "\n"
    lines: list[str]
    tag: str  # the innermost block element: p, div, li, h2, td, figcaption...
    level: int  # 1–6 for h1–h6, else 0
    bold: bool  # every line bold (b/strong) or a heading element
    links: list[tuple[str, str]]  # (href as written, anchor text)
    link_chars: int
    chrome: str  # "" in content; else "nav", "aside", "header" or "footer" (site-wide ones)
    figure: int  # id of the enclosing <figure>, 0 outside one
    container: int  # id of the innermost block element holding it

    @property
    def link_density(self) -> float:
        return min(1.0, self.link_chars / len(self.text)) if self.text else 0.0

    @property
    def is_heading(self) -> bool:
        return self.level > 0 or (self.bold and len(self.text) <= 200)


@dataclass(slots=True)
class RawImage:
    src: str
    alt: str
    title: str
    position: int  # index of the block being built when the image was met
    chrome: str
    figure: int


@dataclass
class Document:
    blocks: list[Block]
    images: list[RawImage]
    anchors: list[tuple[str, str]]  # every <a href> of the page: (href, text)
    title_tag: str | None
    base_href: str | None


LineSplitter = Callable[[str, bool], bool]


def decode(body: bytes | str, content_type: str | None = None) -> str:
    """Bytes → text: the HTTP charset, else a BOM or ``<meta>``, else UTF-8, never an error."""
    if isinstance(body, str):
        return body
    charset = _declared_charset(body, content_type)
    if charset:
        return body.decode(charset, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _declared_charset(body: bytes, content_type: str | None) -> str | None:
    candidates = []
    if content_type and (match := _CONTENT_TYPE_CHARSET.search(content_type)):
        candidates.append(match[1])
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if body.startswith(bom):
            candidates.insert(0, name)
    if match := _META_CHARSET.search(body[:4096]):
        candidates.append(match[1].decode("ascii", "replace"))
    for name in candidates:
        name = name.strip().lower()
        if name in _WINDOWS_1252_ALIASES:
            return "cp1252"
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def parse_html(text: str) -> etree._Element | None:
    text = _XML_DECLARATION.sub("", text, count=1)
    if _UNPARSABLE_CHARS.search(text):
        text = _UNPARSABLE_CHARS.sub("", text)
    if not text.strip():
        return None
    try:
        root = etree.fromstring(text, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def read_document(root: etree._Element | None, split_line: LineSplitter) -> Document:
    if root is None:
        return Document([], [], [], None, None)
    title_tag = base_href = None
    head = root.find("head")
    if head is not None:
        title = head.find("title")
        if title is not None:
            title_tag = clean_line("".join(title.itertext())) or None
        base = head.find("base")
        if base is not None:
            base_href = base.get("href")
    _prune(root)
    walker = _Linearizer(split_line)
    walker.walk(root)
    return Document(walker.blocks, walker.images, walker.anchors, title_tag, base_href)


class _Linearizer:
    """The single pass over the tree, with lxml's iterwalk (start and end events)."""

    def __init__(self, split_line: LineSplitter) -> None:
        self.split_line = split_line
        self.blocks: list[Block] = []
        self.images: list[RawImage] = []
        self.anchors: list[tuple[str, str]] = []
        # The line being built and the lines of the block being built.
        self.parts: list[str] = []
        self.line_bold = True
        self.line_has_text = False
        self.lines: list[str] = []
        self.line_bolds: list[bool] = []
        self.links: list[tuple[str, str]] = []
        self.link_chars = 0
        self.breaks = 0
        # Context of the walk.
        self.bold_depth = 0
        self.heading_level = 0
        self.block_tags: list[str] = []
        self.block_ids: list[int] = []
        self.landmarks: list[str] = []
        self.figures: list[int] = []
        self.open_links: list[list] = []  # [href, text parts, element]
        self.landmark_owners: list[etree._Element] = []
        self.sequence = 0  # numbers the block elements, for containers and figures

    def walk(self, root: etree._Element) -> None:
        """Start and end events of every element, handled inline: this loop is the hot path."""
        block_tags, heading_levels, bold_tags = _BLOCK_TAGS, _HEADING_LEVELS, _BOLD_TAGS
        add_text = self.add_text
        for event, element in etree.iterwalk(root, events=("start", "end")):
            tag = element.tag
            if tag.__class__ is not str:
                continue
            if event == "start":
                if tag in block_tags:
                    self.open_block(element, tag)
                elif tag in bold_tags:
                    self.bold_depth += 1
                elif tag == "br":
                    self.line_break()
                elif tag == "a":
                    href = element.get("href")
                    if href is not None:
                        self.open_links.append([href.strip(), [], element])
                elif tag == "img":
                    self.add_image(element)
                if element.text:
                    add_text(element.text)
                continue
            if tag in block_tags:
                self.flush()
                self.block_tags.pop()
                self.block_ids.pop()
                if tag in heading_levels:
                    self.heading_level = 0
                if self.landmark_owners and self.landmark_owners[-1] is element:
                    self.landmark_owners.pop()
                    self.landmarks.pop()
                if tag == "figure":
                    self.figures.pop()
            elif tag in bold_tags:
                self.bold_depth -= 1
            elif tag == "a" and self.open_links and self.open_links[-1][2] is element:
                href, parts, _ = self.open_links.pop()
                text = clean_line("".join(parts))
                self.anchors.append((href, text))
                if text:
                    self.links.append((href, text))
            if element.tail:
                add_text(element.tail)
        self.flush()

    def open_block(self, element: etree._Element, tag: str) -> None:
        if self.lines or self.line_has_text:
            self.flush()
        self.sequence += 1
        self.block_tags.append(tag)
        self.block_ids.append(self.sequence)
        level = _HEADING_LEVELS.get(tag)
        if level:
            self.heading_level = level
        landmark = _landmark_of(element, tag)
        if landmark:
            self.landmarks.append(landmark)
            self.landmark_owners.append(element)
        if tag == "figure":
            self.figures.append(self.sequence)

    def add_text(self, text: str) -> None:
        if text.isspace():
            if self.line_has_text:
                self.parts.append(" ")
            return
        self.breaks = 0
        self.parts.append(text)
        self.line_has_text = True
        if not (self.bold_depth or self.heading_level):
            self.line_bold = False
        if self.open_links:
            self.open_links[-1][1].append(text)
            self.link_chars += len(text.strip())

    def line_break(self) -> None:
        self.breaks += 1
        if self.breaks >= 2:
            self.flush()
        else:
            self.end_line()

    def end_line(self) -> None:
        if self.line_has_text:
            line = clean_line("".join(self.parts))
            if line:
                self.lines.append(line)
                self.line_bolds.append(self.line_bold)
        self.parts = []
        self.line_bold = True
        self.line_has_text = False

    def flush(self) -> None:
        if self.line_has_text:
            self.end_line()
        self.breaks = 0
        if not self.lines:
            return
        # A link spanning blocks (a card wrapped in <a>) belongs to each block it covers.
        for open_link in self.open_links:
            text = clean_line("".join(open_link[1])) if open_link[1] else ""
            if text:
                self.links.append((open_link[0], text))
                open_link[1] = []
        self.emit(self.lines, self.line_bolds, self.links, self.link_chars)
        self.lines, self.line_bolds, self.links, self.link_chars = [], [], [], 0

    def emit(self, lines: list[str], bolds: list[bool], links: list, link_chars: int) -> None:
        """One block, or several when some lines stand alone (a bold heading, a date line)."""
        if len(lines) > 1 and any(
            self.split_line(line, bold) for line, bold in zip(lines, bolds, strict=True)
        ):
            group: list[int] = []
            for position, (line, bold) in enumerate(zip(lines, bolds, strict=True)):
                if self.split_line(line, bold):
                    self.emit_part(lines, bolds, links, group)
                    self.emit_part(lines, bolds, links, [position])
                    group = []
                else:
                    group.append(position)
            self.emit_part(lines, bolds, links, group)
            return
        self.append_block(lines, all(bolds), links, link_chars)

    def emit_part(
        self, lines: list[str], bolds: list[bool], links: list, chosen: list[int]
    ) -> None:
        if not chosen:
            return
        part_lines = [lines[position] for position in chosen]
        text = "\n".join(part_lines)
        part_links = [link for link in links if link[1] in text]
        link_chars = sum(len(link[1]) for link in part_links)
        self.append_block(part_lines, all(bolds[position] for position in chosen), part_links,
                          link_chars)  # fmt: skip

    def append_block(self, lines: list[str], bold: bool, links: list, link_chars: int) -> None:
        tag = self.block_tags[-1] if self.block_tags else "body"
        self.blocks.append(
            Block(
                index=len(self.blocks),
                text="\n".join(lines),
                lines=lines,
                tag=tag,
                level=self.heading_level,
                bold=bold or self.heading_level > 0,
                links=links,
                link_chars=link_chars,
                chrome=self.in_chrome(),
                figure=self.figures[-1] if self.figures else 0,
                container=self.block_ids[-1] if self.block_ids else 0,
            )
        )

    def in_chrome(self) -> str:
        """Navigation and sidebars always; a header or footer unless inside main/article."""
        in_main = False
        for landmark in self.landmarks:
            if landmark in _MAIN_LANDMARKS:
                in_main = True
            elif landmark in ("nav", "aside") or not in_main:
                return landmark
        return ""

    def add_image(self, element: etree._Element) -> None:
        src = (element.get("src") or element.get("data-src") or element.get("data-lazy-src")
               or "").strip()  # fmt: skip
        if not src or src.startswith("data:") or _is_tiny(element):
            return
        self.images.append(
            RawImage(
                src=src,
                alt=clean_line(element.get("alt") or ""),
                title=clean_line(element.get("title") or ""),
                position=len(self.blocks),
                chrome=self.in_chrome(),
                figure=self.figures[-1] if self.figures else 0,
            )
        )


_HIDDEN = etree.XPath("//*[@hidden or @aria-hidden='true' or @style]")


def _prune(root: etree._Element) -> None:
    """Drop what a reader never sees (scripts, styles, hidden elements), keeping their tails."""
    etree.strip_elements(root, *_SKIPPED_TAGS, with_tail=False)
    for element in _HIDDEN(root):
        if _is_hidden(element):
            _drop(element)


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _landmark_of(element: etree._Element, tag: str) -> str | None:
    role = element.get("role")
    if role:
        landmark = _LANDMARK_ROLES.get(role.strip().lower())
        if landmark:
            return landmark
    return _LANDMARK_TAGS.get(tag)


def _is_hidden(element: etree._Element) -> bool:
    attributes = element.attrib
    if not attributes:
        return False
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = attributes.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _is_tiny(element: etree._Element) -> bool:
    for attribute in ("width", "height"):
        value = element.get(attribute, "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= _TINY_IMAGE:
            return True
    return False
