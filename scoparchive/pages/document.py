"""One parse, one pass: a page as a flat list of text blocks, and its standard metadata.

The page objects never look at class names. They work on what this module gives them: blocks of
text in reading order (paragraphs, headings, list items, table cells, and the paragraphs that
``<br><br>`` separates inside one element), each with its heading level, whether it is all bold,
its links, and whether it sits in navigation, a sidebar or a site header/footer. Images and
``<time>`` elements are kept apart, with their position in the flow of blocks, and the page's
standard metadata (``<head>``, JSON-LD, microdata) is read before scripts are dropped.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from scoparchive.pages.metadata import Metadata, read_metadata
from scoparchive.text.normalise import clean_line

_BLOCK_TAGS = frozenset(
    [
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
        "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    ]
)  # fmt: skip
#: What a reader never sees.
_SKIPPED_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object",
    "embed", "select", "option", "textarea", "canvas", "map", "audio", "video", "input",
    "button", "title",
)  # fmt: skip
_BOLD_TAGS = frozenset(("b", "strong"))
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LANDMARK_TAGS = {"nav": "nav", "aside": "aside", "footer": "footer", "header": "header",
                  "main": "main", "article": "article"}  # fmt: skip
_LANDMARK_ROLES = {"navigation": "nav", "complementary": "aside", "contentinfo": "footer",
                   "banner": "header", "main": "main", "article": "article", "search": "nav"}  # fmt: skip
_MAIN_LANDMARKS = frozenset(("main", "article"))
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
#: The elements that may be hidden: an XPath selecting the attributes themselves is several times
#: faster than ``//*[@hidden or ...]``, which tests each element.
_HIDING_ATTRIBUTES = etree.XPath("//@hidden | //@aria-hidden | //@style")
_TINY_IMAGE = 32  # px: spacers, icons, tracking pixels

_CONTENT_TYPE_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.I)
#: Browsers read these labels as windows-1252 (WHATWG Encoding), and so does the legacy site.
_WINDOWS_1252_ALIASES = frozenset(("iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii",
                                   "ascii", "l1", "cp819", "ibm819"))  # fmt: skip
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.I)
#: Characters XML forbids: controls but tab and line ends, non-characters and lone surrogates.
_UNPARSABLE_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
#: A plain etree parser (lxml.html's element classes cost a lookup per element) that reads UTF-8
#: bytes (see ``_parsable``), whatever a ``<meta charset>`` in them says. ``huge_tree``: without
#: it libxml2 stops, silently, at depth 256 or at a text or attribute over 10 MB (an inline
#: ``data:`` image), and the rest of the page is lost; a payload's size is bounded before this.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, encoding="utf-8",
                           collect_ids=False, huge_tree=True)  # fmt: skip


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


@dataclass(slots=True)
class RawTime:
    """A ``<time>`` element: its machine-readable value and its text."""

    datetime: str
    text: str
    position: int  # index of the block holding it
    chrome: str


@dataclass
class Document:
    blocks: list[Block]
    images: list[RawImage]
    anchors: list[tuple[str, str]]  # every <a href> of the page: (href, text)
    title_tag: str | None
    base_href: str | None
    times: list[RawTime] = field(default_factory=list)
    metadata: Metadata = field(default_factory=Metadata)


LineSplitter = Callable[[str, bool], bool]


def decode(body: bytes | str, content_type: str | None = None) -> str:
    """Bytes → text: the HTTP charset, else a BOM or ``<meta>``, else UTF-8, never an error."""
    return decode_as_utf8(body, content_type)[0]


def decode_as_utf8(body: bytes | str, content_type: str | None = None) -> tuple[str, bytes | None]:
    """``decode``, and the body itself when it is the text in UTF-8 (valid, without a BOM):
    ``read_html`` parses those bytes rather than the text encoded again."""
    if isinstance(body, str):
        return body, None
    charset = _declared_charset(body, content_type)
    if charset is None or charset == "utf-8":
        try:
            return body.decode("utf-8"), body
        except UnicodeDecodeError:
            pass
    if charset:
        return body.decode(charset, errors="replace"), None
    return body.decode("cp1252", errors="replace"), None


def _declared_charset(body: bytes, content_type: str | None) -> str | None:
    """A BOM, else the HTTP charset, else the ``<meta>`` one: the first that names a codec."""
    candidates = []
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if body.startswith(bom):
            candidates.append(name)
    if content_type and (match := _CONTENT_TYPE_CHARSET.search(content_type)):
        candidates.append(match[1])
    found = _codec(candidates)
    if found is None and (match := _META_CHARSET.search(body[:4096])):
        found = _codec([match[1].decode("ascii", "replace")])
    return found


def _codec(names: list[str]) -> str | None:
    for name in names:
        name = name.strip().lower()
        if name in _WINDOWS_1252_ALIASES:
            return "cp1252"
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def parse_html(text: str, utf8: bytes | None = None) -> etree._Element | None:
    """The page as an lxml tree, or None when there is nothing to parse. ``utf8``: the text in
    UTF-8 already, if known (libxml2 reads UTF-8 bytes faster than a str)."""
    data = _parsable(text, utf8)
    if not data:
        return None
    try:
        return etree.fromstring(data, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _parsable(text: str, utf8: bytes | None = None) -> bytes:
    """The text as UTF-8, without an XML declaration; b"" if blank. libxml2 reads the
    characters XML forbids (controls, U+FFFE) as U+FFFD; a lone surrogate, which only a str
    given as such can hold, has no UTF-8 form and is dropped."""
    if utf8 is None or _XML_DECLARATION.match(text):
        text = _XML_DECLARATION.sub("", text, count=1)
        try:
            utf8 = text.encode("utf-8")
        except UnicodeEncodeError:
            utf8 = _UNPARSABLE_CHARS.sub("", text).encode("utf-8")
    return b"" if utf8.isspace() else utf8


def read_html(text: str, split_line: LineSplitter, utf8: bytes | None = None) -> Document:
    """The blocks and the metadata of a page's text. ``utf8``: the text in UTF-8, when the page
    came so (``decode_as_utf8``)."""
    root = parse_html(text, utf8)
    if root is None:
        return Document([], [], [], None, None)
    metadata = read_metadata(root, utf8 if utf8 is not None else text)
    document = read_document(root, split_line)
    document.metadata = metadata
    return document


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
    reading = _Reading(split_line)
    reading.walk(root)
    return Document(reading.blocks, reading.images, reading.anchors, title_tag, base_href,
                    reading.times)  # fmt: skip


def prune(root: etree._Element) -> None:
    """Drop what a reader never sees (scripts, styles, hidden elements), keeping their tails."""
    etree.strip_elements(root, *_SKIPPED_TAGS, with_tail=False)
    for attribute in _HIDING_ATTRIBUTES(root):
        element = attribute.getparent()
        if element.getparent() is not None and _is_hidden(element):
            _drop(element)


def _is_hidden(element: etree._Element) -> bool:
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    style = element.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _drop(element: etree._Element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = _settable((previous.tail or "") + element.tail)
        else:
            parent.text = _settable((parent.text or "") + element.tail)
    parent.remove(element)


def _settable(text: str) -> str:
    """A text lxml takes to set: it refuses characters XML forbids, which it may have parsed
    (a form feed, U+FFFF); a form feed is a space to a reader."""
    text = text.replace("\f", " ")
    return _UNPARSABLE_CHARS.sub("", text) if not text.isprintable() else text


class _Reading:
    """The one pass over a pruned tree: its blocks, images, anchors and ``<time>`` elements.

    lxml walks the tree in C (``etree.iterwalk``) and hands over each element's start and end;
    each text node is read whole, at its element's start (its text) or end (its tail, the
    root's too: the text after an element chosen by a selector). The context of the current
    position (innermost block, container, figure, chrome) is set when a block element opens and
    restored when it closes.

    This runs for every element and text of every page, so ``walk`` keeps the state it touches
    at each text or element in local variables, and calls a method only where a line, a block
    or a link ends.
    """

    def __init__(self, split_line: LineSplitter) -> None:
        self.split_line = split_line
        self.blocks: list[Block] = []
        self.images: list[RawImage] = []
        self.anchors: list[tuple[str, str]] = []  # every <a href>: (href, text)
        self.times: list[RawTime] = []
        # The block being built: its lines, their boldness, its links and their length.
        self.lines: list[str] = []
        self.line_bolds: list[bool] = []
        self.links: list[tuple[str, str]] = []
        self.link_chars = 0
        self.open_links: list[list] = []  # [href, text parts] of each open <a href>

    def walk(self, root: etree._Element) -> None:
        parts: list[str] = []  # the texts of the line being built
        line_bold = True  # every text of the line so far is bold
        line_has_text = False  # a text of the line is not blank
        bold_depth = heading_level = 0
        breaks = 0  # <br> met in a row: two end the block
        # Where the walk is: the innermost block element, its number (block elements are
        # numbered from 1 in page order), the innermost <figure>'s, the chrome around.
        block_tag, container, figure, chrome = "body", 0, 0, ""
        opened = 0
        landmarks: list[str] = []
        open_links = self.open_links
        end_block = self.end_block
        # What the end of an element undoes: per open block element, the context around it and
        # the landmark it opened (or None); per open <a>, whether it had an href.
        outer_blocks: list[tuple[str, int, int, str | None]] = []
        outer_links: list[bool] = []
        for event, element in etree.iterwalk(root, events=("start", "end")):
            # The parser drops comments and processing instructions (``_PARSER``): every node
            # met is an element, its tag a str.
            tag = element.tag
            if event == "start":
                text = element.text
                if tag in _BLOCK_TAGS:
                    if line_has_text or self.lines:
                        end_block(parts, line_bold, block_tag, heading_level, chrome, figure,
                                  container)  # fmt: skip
                        line_bold, line_has_text = True, False
                    breaks = 0
                    role = element.get("role")
                    landmark = (role and _LANDMARK_ROLES.get(role.strip().lower())) or (
                        _LANDMARK_TAGS.get(tag))
                    outer_blocks.append((block_tag, container, figure, landmark))
                    opened += 1
                    block_tag, container = tag, opened
                    if tag in _HEADING_LEVELS:
                        heading_level = _HEADING_LEVELS[tag]
                    elif tag == "figure":
                        figure = opened
                    if landmark:
                        landmarks.append(landmark)
                        chrome = _chrome_of(landmarks)
                elif tag == "a":
                    href = element.get("href")
                    if href is None or len(element):  # its texts are gathered as they come
                        if href is not None:
                            open_links.append([href.strip(), []])
                        outer_links.append(href is not None)
                    else:
                        # Most links hold one text alone: the link is read here whole, and its
                        # end has only its tail to read.
                        outer_links.append(False)
                        link_text = ""
                        if text:
                            if not text.isspace():
                                link_text = clean_line(text)
                                breaks = 0
                                parts.append(text)
                                line_has_text = True
                                if not (bold_depth or heading_level):
                                    line_bold = False
                                self.link_chars += len(text.strip())
                            elif line_has_text:
                                parts.append(" ")
                        anchor = (href.strip(), link_text)
                        self.anchors.append(anchor)
                        if link_text:
                            self.links.append(anchor)
                        continue
                elif tag in _BOLD_TAGS:
                    bold_depth += 1
                elif tag == "br":
                    breaks += 1
                    if breaks >= 2:
                        end_block(parts, line_bold, block_tag, heading_level, chrome, figure,
                                  container)  # fmt: skip
                        line_bold, line_has_text, breaks = True, False, 0
                    elif line_has_text:
                        self.end_line(parts, line_bold)
                        line_bold, line_has_text = True, False
                elif tag == "img":
                    self.add_image(element, chrome, figure)
                elif tag == "time":
                    self.add_time(element, chrome)
            else:
                text = element.tail
                if tag in _BLOCK_TAGS:
                    if line_has_text or self.lines:
                        end_block(parts, line_bold, block_tag, heading_level, chrome, figure,
                                  container)  # fmt: skip
                        line_bold, line_has_text = True, False
                    breaks = 0
                    if tag in _HEADING_LEVELS:  # ends heading text, even inside an outer heading
                        heading_level = 0
                    block_tag, container, figure, landmark = outer_blocks.pop()
                    if landmark:
                        landmarks.pop()
                        chrome = _chrome_of(landmarks)
                elif tag == "a":
                    if outer_links.pop():
                        self.close_link()
                elif tag in _BOLD_TAGS:
                    bold_depth -= 1
            if not text:
                continue
            if text.isspace():  # mostly the indentation between elements
                if line_has_text:
                    parts.append(" ")
                continue
            breaks = 0
            parts.append(text)
            line_has_text = True
            if not (bold_depth or heading_level):
                line_bold = False
            if open_links:
                # Whitespace inside a link is not link text; its length is counted per text.
                open_links[-1][1].append(text)
                self.link_chars += len(text.strip())
        if line_has_text or self.lines:
            end_block(parts, line_bold, block_tag, heading_level, chrome, figure, container)

    def close_link(self) -> None:
        href, texts = self.open_links.pop()
        text = clean_line(texts[0] if len(texts) == 1 else "".join(texts)) if texts else ""
        self.anchors.append((href, text))
        if text:
            self.links.append((href, text))

    def add_image(self, element: etree._Element, chrome: str, figure: int) -> None:
        src = (element.get("src") or element.get("data-src") or element.get("data-lazy-src")
               or "").strip()  # fmt: skip
        if not src or src.startswith("data:") or _is_tiny(element):
            return
        self.images.append(RawImage(
            src=src,
            alt=clean_line(element.get("alt") or ""),
            title=clean_line(element.get("title") or ""),
            position=len(self.blocks),
            chrome=chrome,
            figure=figure,
        ))  # fmt: skip

    def add_time(self, element: etree._Element, chrome: str) -> None:
        text = clean_line("".join(element.itertext()))
        value = (element.get("datetime") or "").strip()
        if value or text:
            self.times.append(RawTime(value, text, len(self.blocks), chrome))

    def end_line(self, parts: list[str], bold: bool) -> None:
        """The line being built (``parts``, then emptied), if not blank, to the block."""
        line = clean_line(parts[0] if len(parts) == 1 else "".join(parts))
        parts.clear()
        if line:
            self.lines.append(line)
            self.line_bolds.append(bold)

    def end_block(
        self, parts: list[str], line_bold: bool, tag: str, level: int, chrome: str, figure: int,
        container: int,
    ) -> None:
        """The block being built (its last line in ``parts``), if it has text, to ``blocks``;
        a new one starts."""
        lines = self.lines
        if parts:
            line = clean_line(parts[0] if len(parts) == 1 else "".join(parts))
            parts.clear()
            if line and not lines and not self.open_links:  # most blocks: one line, no more
                self.blocks.append(Block(len(self.blocks), line, [line], tag, level,
                                         line_bold or level > 0, self.links, self.link_chars,
                                         chrome, figure, container))  # fmt: skip
                self.links, self.link_chars = [], 0
                return
            if line:
                lines.append(line)
                self.line_bolds.append(line_bold)
        if not lines:
            return
        # A link spanning blocks (a card wrapped in <a>) belongs to each block it covers.
        for open_link in self.open_links:
            text = clean_line("".join(open_link[1])) if open_link[1] else ""
            if text:
                self.links.append((open_link[0], text))
                open_link[1] = []
        blocks = self.blocks
        if len(lines) == 1:  # most blocks: nothing to split
            blocks.append(Block(len(blocks), lines[0], lines, tag, level,
                                self.line_bolds[0] or level > 0, self.links, self.link_chars,
                                chrome, figure, container))  # fmt: skip
        else:
            for block_lines, bold, links, link_chars in _split_block(
                lines, self.line_bolds, self.links, self.link_chars, self.split_line
            ):
                blocks.append(Block(
                    index=len(blocks),
                    text="\n".join(block_lines) if len(block_lines) > 1 else block_lines[0],
                    lines=block_lines,
                    tag=tag,
                    level=level,
                    bold=bold or level > 0,
                    links=links,
                    link_chars=link_chars,
                    chrome=chrome,
                    figure=figure,
                    container=container,
                ))  # fmt: skip
        self.lines, self.line_bolds, self.links, self.link_chars = [], [], [], 0


def _split_block(
    lines: list[str], bolds: list[bool], links: list, link_chars: int, split_line: LineSplitter
) -> list[tuple[list[str], bool, list, int]]:
    """One block, or several when some lines stand alone (a bold heading, a date line):
    (lines, bold, links, link length) of each."""
    alone = [split_line(line, bold) for line, bold in zip(lines, bolds, strict=True)]
    if not any(alone):
        return [(lines, all(bolds), links, link_chars)]
    split: list[tuple[list[str], bool, list, int]] = []

    def add(chosen: list[int]) -> None:
        if not chosen:
            return
        part_lines = [lines[position] for position in chosen]
        text = "\n".join(part_lines)
        part_links = [link for link in links if link[1] in text]
        split.append((part_lines, all(bolds[position] for position in chosen), part_links,
                      sum(len(link[1]) for link in part_links)))  # fmt: skip

    group: list[int] = []
    for position, stands_alone in enumerate(alone):
        if stands_alone:
            add(group)
            add([position])
            group = []
        else:
            group.append(position)
    add(group)
    return split


def _chrome_of(landmarks: list[str]) -> str:
    """Navigation and sidebars always; a header or footer unless inside main/article."""
    in_main = False
    for landmark in landmarks:
        if landmark in _MAIN_LANDMARKS:
            in_main = True
        elif landmark in ("nav", "aside") or not in_main:
            return landmark
    return ""


def _is_tiny(element: etree._Element) -> bool:
    for attribute in ("width", "height"):
        value = (element.get(attribute) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= _TINY_IMAGE:
            return True
    return False
