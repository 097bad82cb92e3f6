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
from collections.abc import Callable, Collection
from dataclasses import dataclass

from lxml import etree

from scoparchive import speedups
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
_UNPARSABLE_SEQUENCES = tuple(char.encode("utf-8") for char in _UNPARSABLE_LITERALS)
#: A plain etree parser: lxml.html's element classes cost a Python lookup per element. It reads
#: UTF-8 bytes (see ``_parsable``), whatever a ``<meta charset>`` in them says; no table of ids.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, recover=True, encoding="utf-8",
                           collect_ids=False)  # fmt: skip


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
    candidates = []
    if content_type and (match := _CONTENT_TYPE_CHARSET.search(content_type)):
        candidates.append(match[1])
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # fmt: skip
        if body.startswith(bom):
            candidates.insert(0, name)
    head = body[:4096]
    # Where a match can start: at most 205 bytes ("<meta" and 200 more) before the first
    # "charset", found by memchr-like search rather than by the regex at every byte.
    first = head.lower().find(b"charset")
    if first >= 0 and (match := _META_CHARSET.search(head, max(0, first - 205))):
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
    """The page as an lxml tree, or None when there is nothing to parse."""
    return _parse(_parsable(text))


def _parse(data: bytes) -> etree._Element | None:
    if not data:
        return None
    try:
        return etree.fromstring(data, parser=_PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None


def _parsable(text: str, utf8: bytes | None = None) -> bytes:
    """The text as UTF-8, without an XML declaration or characters libxml2 cannot take;
    b"" if blank. ``utf8``: the text in UTF-8 already, if known.

    libxml2 parses UTF-8 bytes (with the parser's encoding given) a quarter faster than a str,
    which lxml has to hand over in another form.
    """
    if utf8 is not None and not _XML_DECLARATION.match(text):
        data = utf8
    else:
        text = _XML_DECLARATION.sub("", text, count=1)
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (only in a str given as such)
            data = None
    # The usual case, found on the bytes: the scan of a str is slower once it holds a ``’``.
    if data is not None and not holds_unparsable(data):
        return b"" if text.isspace() else data
    if any(char in text for char in _UNPARSABLE_LITERALS):
        text = _UNPARSABLE_CHARS.sub("", text)
    if text.isspace():
        return b""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _UNPARSABLE_CHARS.sub("", text).encode("utf-8")


def _holds_unparsable(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a character of ``_UNPARSABLE_CHARS`` (each is a byte
    sequence of its own in UTF-8; ``in`` on bytes runs memchr)."""
    return any(sequence in data for sequence in _UNPARSABLE_SEQUENCES)


def read_html(text: str, split_line: LineSplitter, utf8: bytes | None = None) -> Document:
    """The blocks of a page's text: the reading of ``read_document(parse_html(text))``.
    ``utf8``: the text in UTF-8, when the page came so (``decode_as_utf8``).

    The C side does all it can before Python sees the page: libxml2 builds the tree, and
    ``prune`` drops scripts, styles and hidden elements with lxml's C functions, so that the one
    walk (``linearize``) meets only what a reader sees, each text whole. (This reading once ran
    as the parser's target, a Python call per start, end and piece of text: slower than a tree
    and one ``iterwalk`` loop.)
    """
    data = _parsable(text, utf8)
    hiding = _HIDING_ATTRIBUTES[True, True]
    if attribute_holders is _attribute_holders:
        # The XPath search looks only for the hiding attributes the page can hold: without
        # "hidden" in it, no hidden or aria-hidden attribute; without "style" and "=" (blanks
        # between them allowed), no style attribute with a value. libxml2 lowers the names of
        # HTML attributes as bytes.lower() does (ASCII letters only). Each attribute looked for
        # costs one walk of the tree in libxml2, more than this search of the bytes; the
        # compiled search looks at every attribute in one walk, for less than this search.
        # The tests check this shortcut against read_document.
        lowered = data.lower()
        hiding = _HIDING_ATTRIBUTES[
            b"hidden" in lowered, _STYLE_ATTRIBUTE.search(lowered) is not None
        ]
    return _read(_parse(data), split_line, hiding)


def read_document(root: etree._Element | None, split_line: LineSplitter) -> Document:
    """The blocks of a tree (or of one element of it); the tree is pruned in place."""
    return _read(root, split_line, _HIDING_ATTRIBUTES[True, True])


def _read(
    root: etree._Element | None, split_line: LineSplitter, hiding: tuple[str, ...]
) -> Document:
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
    _prune(root, hiding)
    blocks, images, anchors = linearize(root, split_line)
    return Document(blocks, images, anchors, title_tag, base_href)


def _linearize(
    root: etree._Element, split_line: LineSplitter
) -> tuple[list[Block], list[RawImage], list[tuple[str, str]]]:
    """The single pass over a pruned tree: the blocks, images and anchors of ``root``.

    The reference of ``_speedups.linearize``, which does the same over libxml2's nodes in C and
    runs in its stead where scoparchive is compiled (``linearize`` below): an edit here is an
    edit there, and ``tests/test_speedups.py`` compares the two.

    This is the hot path of extraction, run for every element and text of every page, so it is
    one loop over ``etree.iterwalk`` (lxml walks the tree in C and hands over each element's
    start and end) with its state in local variables: a method call and an attribute access
    per element and per text cost more than the reading itself. The context of the current
    position (innermost block, container, figure, chrome) is set when a block opens and
    restored when it closes, rather than looked up per block.

    ``prune`` has removed what a reader never sees, so nothing is skipped here but comments and
    processing instructions, with their tails (a tree of ``parse_html`` has none). Each text
    node is read whole, at an element's start (its text) or end (its tail, the root's too: the
    text after an element chosen by a selector). Attributes are read with ``element.get``
    (``element.attrib`` builds a proxy object).
    """
    blocks: list[Block] = []
    images: list[RawImage] = []
    anchors: list[tuple[str, str]] = []  # every <a href>: (href, text)
    # The line being built: its texts, whether all of them are bold, whether one is not blank.
    parts: list[str] = []
    line_bold = True
    line_has_text = False
    # The block being built: its lines, their boldness, its links and their length.
    lines: list[str] = []
    line_bolds: list[bool] = []
    links: list[tuple[str, str]] = []
    link_chars = 0
    breaks = 0  # <br> met in a row (two end the block)
    # Context of the walk.
    bold_depth = heading_level = 0
    block_tag = "body"  # the innermost block element
    container = 0  # its number (block elements are numbered from 1 in page order)
    figure = 0  # the number of the innermost <figure>
    sequence = 0  # the number of the last block element opened
    landmarks: list[str] = []
    chrome = ""  # _chrome_of(landmarks)
    open_links: list[list] = []  # [href, text parts] of each open <a href>
    # What the end of an element undoes: per open block, the context around it and the landmark
    # it opened (or None); per open <a>, its entry of open_links (None without href).
    outer_blocks: list[tuple[str, int, int, str | None]] = []
    outer_links: list[list | None] = []

    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if tag.__class__ is not str:  # a comment or processing instruction: skipped, tail too
            continue
        if event == "start":
            if tag in _BLOCK_TAGS:
                if lines or line_has_text:
                    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links,
                               link_chars, open_links, block_tag, heading_level, chrome, figure,
                               container, split_line)  # fmt: skip
                    lines, line_bolds, links, link_chars = [], [], [], 0
                    line_bold, line_has_text, breaks = True, False, 0
                sequence += 1
                role = element.get("role")
                landmark = (role and _LANDMARK_ROLES.get(role.strip().lower())) or (
                    _LANDMARK_TAGS.get(tag)
                )
                outer_blocks.append((block_tag, container, figure, landmark))
                block_tag, container = tag, sequence
                if tag in _HEADING_LEVELS:
                    heading_level = _HEADING_LEVELS[tag]
                elif tag == "figure":
                    figure = sequence
                if landmark:
                    landmarks.append(landmark)
                    chrome = _chrome_of(landmarks)
            elif tag == "a":
                href = element.get("href")
                if href is None:
                    outer_links.append(None)
                elif len(element):  # its texts are gathered as they come
                    link = [href.strip(), []]
                    open_links.append(link)
                    outer_links.append(link)
                else:
                    # Most links hold a text alone: read here, as at its end with that one text
                    # gathered (see below); the end of the element has only its tail to read.
                    outer_links.append(None)
                    href = href.strip()
                    text = element.text
                    link_text = ""
                    if text:
                        if not text.isspace():
                            link_text = clean_line(text)
                            breaks = 0
                            parts.append(text)
                            line_has_text = True
                            if not (bold_depth or heading_level):
                                line_bold = False
                            link_chars += len(text.strip())
                        elif line_has_text:
                            parts.append(" ")
                    anchor = (href, link_text)  # one tuple for both lists
                    anchors.append(anchor)
                    if link_text:
                        links.append(anchor)
                    continue
            elif tag in _BOLD_TAGS:
                bold_depth += 1
            elif tag == "br":
                breaks += 1
                if breaks >= 2:
                    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links,
                               link_chars, open_links, block_tag, heading_level, chrome, figure,
                               container, split_line)  # fmt: skip
                    lines, line_bolds, links, link_chars = [], [], [], 0
                    line_bold, line_has_text, breaks = True, False, 0
                elif line_has_text:
                    _end_line(parts, line_bold, lines, line_bolds)
                    line_bold, line_has_text = True, False
            elif tag == "img":
                image = _image(element, len(blocks), chrome, figure)
                if image is not None:
                    images.append(image)
            text = element.text
        else:
            if tag in _BLOCK_TAGS:
                if lines or line_has_text:
                    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links,
                               link_chars, open_links, block_tag, heading_level, chrome, figure,
                               container, split_line)  # fmt: skip
                    lines, line_bolds, links, link_chars = [], [], [], 0
                    line_bold, line_has_text = True, False
                breaks = 0
                if tag in _HEADING_LEVELS:  # ends heading text, even inside an outer heading
                    heading_level = 0
                block_tag, container, figure, landmark = outer_blocks.pop()
                if landmark:
                    landmarks.pop()
                    chrome = _chrome_of(landmarks)
            elif tag == "a":
                link = outer_links.pop()
                if link is not None:
                    open_links.pop()
                    texts = link[1]
                    link_text = clean_line(texts[0] if len(texts) == 1 else "".join(texts))
                    anchor = (link[0], link_text)
                    anchors.append(anchor)
                    if link_text:
                        links.append(anchor)
            elif tag in _BOLD_TAGS:
                bold_depth -= 1
            text = element.tail
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
            # Whitespace inside a link is not link text; its length is counted per text node.
            open_links[-1][1].append(text)
            link_chars += len(text.strip())
    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links, link_chars,
               open_links, block_tag, heading_level, chrome, figure, container, split_line)
    return blocks, images, anchors


def _end_line(parts: list[str], bold: bool, lines: list[str], line_bolds: list[bool]) -> None:
    """The line being built (``parts``, emptied), if not blank, to ``lines``."""
    line = clean_line(parts[0] if len(parts) == 1 else "".join(parts))
    parts.clear()
    if line:
        lines.append(line)
        line_bolds.append(bold)


def _end_block(
    blocks: list[Block],
    parts: list[str],
    line_bold: bool,
    line_has_text: bool,
    lines: list[str],
    line_bolds: list[bool],
    links: list[tuple[str, str]],
    link_chars: int,
    open_links: list[list],
    tag: str,
    level: int,
    chrome: str,
    figure: int,
    container: int,
    split_line: LineSplitter,
) -> None:
    """The block being built (its last line in ``parts``, then emptied; its lines and links),
    if it has text, to ``blocks``. The caller starts the next block: new lists, scalars reset."""
    if line_has_text:
        _end_line(parts, line_bold, lines, line_bolds)
    if not lines:
        return
    # A link spanning blocks (a card wrapped in <a>) belongs to each block it covers.
    for open_link in open_links:
        text = clean_line("".join(open_link[1])) if open_link[1] else ""
        if text:
            links.append((open_link[0], text))
            open_link[1] = []
    if len(lines) == 1:  # most blocks: nothing to split
        blocks.append(Block(len(blocks), lines[0], lines, tag, level,
                            line_bolds[0] or level > 0, links, link_chars, chrome, figure,
                            container))  # fmt: skip
    else:
        for block_lines, bold, block_links, block_link_chars in _split_block(
            lines, line_bolds, links, link_chars, split_line
        ):
            blocks.append(
                Block(
                    len(blocks),  # index
                    "\n".join(block_lines) if len(block_lines) > 1 else block_lines[0],
                    block_lines,
                    tag,
                    level,
                    bold or level > 0,
                    block_links,
                    block_link_chars,
                    chrome,
                    figure,
                    container,
                )
            )


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


def _image(element: etree._Element, position: int, chrome: str, figure: int) -> RawImage | None:
    src = (element.get("src") or element.get("data-src") or element.get("data-lazy-src")
           or "").strip()  # fmt: skip
    if not src or src.startswith("data:") or _is_tiny(element):
        return None
    return RawImage(
        src=src,
        alt=clean_line(element.get("alt") or ""),
        title=clean_line(element.get("title") or ""),
        position=position,
        chrome=chrome,
        figure=figure,
    )


#: The attributes that can hide an element, by (the page may hold hidden/aria-hidden, it may hold
#: style). Their holders are found by libxml2 (``_attribute_holders``) or by the compiled walk.
_HIDING_ATTRIBUTES: dict[tuple[bool, bool], tuple[str, ...]] = {
    (True, True): ("hidden", "aria-hidden", "style"),
    (True, False): ("hidden", "aria-hidden"),
    (False, True): ("style",),
    (False, False): (),
}
#: An XPath selecting the attributes themselves is several times faster than
#: ``//*[@hidden or ...]``, which tests each element.
_HOLDERS_XPATH = {
    names: etree.XPath(" | ".join(f"//@{name}" for name in names))
    for names in _HIDING_ATTRIBUTES.values()
    if names
}


def _tags_present(root: etree._Element, tags: Collection[str]) -> Collection[str]:
    """Tags among ``tags`` that ``strip_elements`` may meet in ``root``: all of them (the
    compiled ``tags_present`` finds which the tree has, so that it tests each element against
    those only)."""
    return tags


def _attribute_holders(root: etree._Element, names: tuple[str, ...]) -> list[etree._Element]:
    """The elements of ``root``'s whole document with one of the attributes ``names`` (without
    namespace), once per such attribute, in document order."""
    return [attribute.getparent() for attribute in _HOLDERS_XPATH[names](root)]


_STYLE_ATTRIBUTE = re.compile(rb"style\s*=")  # in lowered bytes


def prune(root: etree._Element, *, may_hide: bool = True) -> None:
    """Drop what a reader never sees (scripts, styles, hidden elements), keeping their tails.

    ``may_hide=False`` says that no element has an attribute that can hide it.
    """
    _prune(root, _HIDING_ATTRIBUTES[may_hide, may_hide])


def _prune(root: etree._Element, hiding: tuple[str, ...]) -> None:
    """``prune``, looking for hidden elements among those with an attribute named in ``hiding``."""
    skipped = tags_present(root, _SKIPPED_TAGS)
    if skipped:
        etree.strip_elements(root, *skipped, with_tail=False)
    if not hiding:
        return
    for element in attribute_holders(root, hiding):
        if element.getparent() is not None and _is_hidden(element.attrib):
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


_SPEEDUPS = speedups.compiled()
if _SPEEDUPS is not None:
    _SPEEDUPS.setup_walk(_BLOCK_TAGS, _HEADING_LEVELS, _LANDMARK_TAGS, _LANDMARK_ROLES, Block,
                         _image, _chrome_of, clean_line)  # fmt: skip
#: What ``read_html`` and ``read_document`` run: the compiled walk when there is one.
linearize: Callable[[etree._Element, LineSplitter], tuple[list[Block], list[RawImage],
                    list[tuple[str, str]]]] = _SPEEDUPS.linearize if _SPEEDUPS else _linearize  # fmt: skip
attribute_holders: Callable[[etree._Element, tuple[str, ...]], list[etree._Element]] = (
    _SPEEDUPS.attribute_holders if _SPEEDUPS else _attribute_holders
)
tags_present: Callable[[etree._Element, Collection[str]], Collection[str]] = (
    _SPEEDUPS.tags_present if _SPEEDUPS else _tags_present
)
holds_unparsable: Callable[[bytes], bool] = (
    _SPEEDUPS.holds_unparsable if _SPEEDUPS else _holds_unparsable
)
