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
_UNPARSABLE_LITERALS = tuple(
    chr(code) for code in (*range(0x09), 0x0B, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)
)  # _UNPARSABLE_CHARS but the surrogates
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
    """The page as an lxml tree (for CSS selectors); ``read_html`` reads a page without one."""
    text = _parsable(text)
    if not text:
        return None
    try:
        root = etree.fromstring(text, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def _parsable(text: str) -> str:
    """The text without an XML declaration or characters libxml2 cannot take; "" if blank."""
    text = _XML_DECLARATION.sub("", text, count=1)
    if _has_unparsable(text):
        text = _UNPARSABLE_CHARS.sub("", text)
    return "" if text.isspace() else text


def _has_unparsable(text: str) -> bool:
    """Whether ``_UNPARSABLE_CHARS`` would find something, faster than its scan.

    The regex tests each character (~4 ns); ``in`` runs memchr-like loops, and a lone surrogate
    (only in a str given as such, never in decoded bytes) makes UTF-8 encoding fail.
    """
    if any(char in text for char in _UNPARSABLE_LITERALS):
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def read_html(text: str, split_line: LineSplitter) -> Document:
    """The blocks of a page's text: ``read_document(parse_html(text))``, the one reading.

    The C side does all it can before Python sees the page: libxml2 builds the tree (no Python
    call per element, as a parser target would make, nor per text, which libxml2 may report in
    several pieces), and ``prune`` drops scripts, styles and hidden elements with lxml's C
    functions, so the walk meets only what a reader sees, each text whole.
    """
    return read_document(parse_html(text), split_line)


def read_document(root: etree._Element | None, split_line: LineSplitter) -> Document:
    """The blocks of a tree (or of one element of it); the tree is pruned in place."""
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
    prune(root)
    builder = _Linearizer(split_line)
    tag = root.tag
    if tag.__class__ is str:  # comments and processing instructions are skipped, tail too
        builder.walk(root, tag)
        if root.tail:  # the text after an element chosen by a selector
            builder.add_text(root.tail)
    builder.flush()
    return Document(builder.blocks, builder.images, builder.anchors, title_tag, base_href)


class _Linearizer:
    """The single pass over a pruned tree: each element, its text, its children and their tails.

    This is the hot path of extraction, run for every element and text of every page: the
    context of the current position (innermost block, container, figure, chrome) is kept as
    plain attributes, set when a block opens and restored when it closes (from locals of the
    call that walks it), rather than looked up per block. ``prune`` has removed what a reader
    never sees, so nothing here is skipped but comments (not in a tree of ``parse_html``).
    Attributes are read with ``element.get`` (``element.attrib`` builds a proxy object).
    """

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
        self.tag = "body"  # the innermost block element
        self.container = 0  # its number (block elements are numbered from 1 in page order)
        self.figure = 0  # the number of the innermost <figure>
        self.landmarks: list[str] = []
        self.chrome = ""  # in_chrome() of the current landmarks
        self.open_links: list[list] = []  # [href, text parts]
        self.sequence = 0  # the number of the last block element opened

    # --- the walk ------------------------------------------------------------------------------

    def walk(self, element: etree._Element, tag: str) -> None:
        """``element`` and its content, not its tail."""
        if tag in _BLOCK_TAGS:
            self.walk_block(element, tag)
        elif tag == "a":
            href = element.get("href")
            if href is None:
                self.walk_content(element)
                return
            link = [href.strip(), []]
            self.open_links.append(link)
            self.walk_content(element)
            self.close_link(link)
        elif tag in _BOLD_TAGS:
            self.bold_depth += 1
            self.walk_content(element)
            self.bold_depth -= 1
        else:
            if tag == "br":
                self.line_break()
            elif tag == "img":
                self.add_image(element)
            self.walk_content(element)

    def walk_content(self, element: etree._Element) -> None:
        """The text of ``element``, then each child and its tail."""
        text = element.text
        if text:
            self.add_text(text)
        for child in element:
            tag = child.tag
            if tag.__class__ is str:  # comments and processing instructions: skipped, tail too
                self.walk(child, tag)
                text = child.tail
                if text:
                    self.add_text(text)

    def walk_block(self, element: etree._Element, tag: str) -> None:
        if self.lines or self.line_has_text:
            self.flush()
        self.sequence += 1
        outer_tag, outer_container, outer_figure = self.tag, self.container, self.figure
        self.tag, self.container = tag, self.sequence
        level = _HEADING_LEVELS.get(tag, 0)
        if level:
            self.heading_level = level
        elif tag == "figure":
            self.figure = self.sequence
        landmark = _landmark_of(element, tag)
        if landmark:
            self.landmarks.append(landmark)
            self.chrome = self.in_chrome()
        self.walk_content(element)
        if self.lines or self.line_has_text:
            self.flush()
        else:
            self.breaks = 0
        if level:  # the end of a heading ends heading text, even inside an outer heading
            self.heading_level = 0
        self.tag, self.container, self.figure = outer_tag, outer_container, outer_figure
        if landmark:
            self.landmarks.pop()
            self.chrome = self.in_chrome()

    # --- blocks, lines and links ------------------------------------------------------------

    def close_link(self, link: list) -> None:
        self.open_links.pop()
        text = clean_line("".join(link[1]))
        self.anchors.append((link[0], text))
        if text:
            self.links.append((link[0], text))

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
        lines = self.lines
        if not lines:
            return
        # A link spanning blocks (a card wrapped in <a>) belongs to each block it covers.
        for open_link in self.open_links:
            text = clean_line("".join(open_link[1])) if open_link[1] else ""
            if text:
                self.links.append((open_link[0], text))
                open_link[1] = []
        if len(lines) == 1:  # most blocks: nothing to split
            self.append_block(lines, self.line_bolds[0], self.links, self.link_chars)
        else:
            self.emit(lines, self.line_bolds, self.links, self.link_chars)
        self.lines, self.line_bolds, self.links, self.link_chars = [], [], [], 0

    def emit(self, lines: list[str], bolds: list[bool], links: list, link_chars: int) -> None:
        """One block, or several when some lines stand alone (a bold heading, a date line)."""
        split_line = self.split_line
        alone = [split_line(line, bold) for line, bold in zip(lines, bolds, strict=True)]
        if not any(alone):
            self.append_block(lines, all(bolds), links, link_chars)
            return
        group: list[int] = []
        for position, stands_alone in enumerate(alone):
            if stands_alone:
                self.emit_part(lines, bolds, links, group)
                self.emit_part(lines, bolds, links, [position])
                group = []
            else:
                group.append(position)
        self.emit_part(lines, bolds, links, group)

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
        level = self.heading_level
        self.blocks.append(
            Block(
                len(self.blocks),  # index
                "\n".join(lines) if len(lines) > 1 else lines[0],  # text
                lines,
                self.tag,
                level,
                bold or level > 0,  # bold
                links,
                link_chars,
                self.chrome,
                self.figure,
                self.container,
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

    def add_image(self, attrib) -> None:
        src = (attrib.get("src") or attrib.get("data-src") or attrib.get("data-lazy-src")
               or "").strip()  # fmt: skip
        if not src or src.startswith("data:") or _is_tiny(attrib):
            return
        self.images.append(
            RawImage(
                src=src,
                alt=clean_line(attrib.get("alt") or ""),
                title=clean_line(attrib.get("title") or ""),
                position=len(self.blocks),
                chrome=self.chrome,
                figure=self.figure,
            )
        )


_HIDDEN = etree.XPath("//*[@hidden or @aria-hidden='true' or @style]")


def prune(root: etree._Element) -> None:
    """Drop what a reader never sees (scripts, styles, hidden elements), keeping their tails."""
    etree.strip_elements(root, *_SKIPPED_TAGS, with_tail=False)
    for element in _HIDDEN(root):
        if _is_hidden(element.attrib):
            _drop(element)


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        # lxml takes no form feed in text it is given (it parses one): one is a space to us.
        tail = element.tail.replace("\f", " ")
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "").replace("\f", " ") + tail
        else:
            parent.text = (parent.text or "").replace("\f", " ") + tail
    parent.remove(element)


def _landmark_of(attrib, tag: str) -> str | None:
    role = attrib.get("role")
    if role:
        landmark = _LANDMARK_ROLES.get(role.strip().lower())
        if landmark:
            return landmark
    return _LANDMARK_TAGS.get(tag)


def _is_hidden(attributes) -> bool:
    if not attributes:
        return False
    if "hidden" in attributes or attributes.get("aria-hidden") == "true":
        return True
    style = attributes.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _is_tiny(attrib) -> bool:
    for attribute in ("width", "height"):
        value = attrib.get(attribute, "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= _TINY_IMAGE:
            return True
    return False
