# cython: language_level=3, boundscheck=False, initializedcheck=False
"""Compiled forms of a few Python functions of scoparchive, for speed; see ``speedups.py``.

- ``linearize``: ``pages.document._linearize``, the reading of a page as blocks. The Python one
  loops over ``etree.iterwalk``, where lxml builds a Python proxy per element and Python reads
  each tag, attribute and text through it. This one walks the same tree in C, through lxml's
  public C API (the nodes of the tree lxml built, its own ``textOf``/``tailOf`` for texts), and
  makes Python objects only of what the reading keeps: the texts, the blocks, the links.
  Everything the Python loop decides, it decides the same way, in the same order.
- ``attribute_holders``: ``pages.document._attribute_holders`` (elements with a hiding
  attribute), by a scan of the nodes rather than an XPath.
- ``holds_unparsable``: ``pages.document._holds_unparsable``, one scan of the bytes.
- ``contact_signs``: ``text.contacts._contact_signs``, the cheap tests before the contact
  patterns, in one scan of the text.

``tests/test_speedups.py`` holds each to the Python function's output on fixtures, replica pages
and random input. Change one, change the other.
"""

from cpython.list cimport PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from cpython.unicode cimport (
    PyUnicode_1BYTE_KIND,
    Py_UNICODE_ISDECIMAL,
    Py_UNICODE_ISPRINTABLE,
    Py_UNICODE_ISSPACE,
    PyUnicode_DATA,
    PyUnicode_KIND,
    PyUnicode_READ,
)
from libc.string cimport strcmp, strlen

cimport lxml.includes.etreepublic as cetree
from lxml.includes.tree cimport (
    XML_CDATA_SECTION_NODE,
    XML_ELEMENT_NODE,
    XML_TEXT_NODE,
    XML_XINCLUDE_END,
    XML_XINCLUDE_START,
    xmlAttr,
    xmlChar,
    xmlDoc,
    xmlNode,
)

cetree.import_lxml__etree()

# What the walk does with an element, by tag.
cdef enum Kind:
    INLINE = 0  # read through: its text and tail only
    BLOCK = 1
    LINK = 2
    BOLD = 3
    BREAK = 4
    IMAGE = 5

cdef dict _KINDS = {}  # tag name (bytes, as libxml2 has it) → (Kind, tag as str, heading level)

cdef object _Block = None
cdef object _image = None
cdef object _chrome_of = None
cdef object _clean_line = None
cdef dict _LANDMARK_TAGS = None
cdef dict _LANDMARK_ROLES = None


def setup_walk(block_tags, heading_levels, landmark_tags, landmark_roles, block_class, image,
               chrome_of, clean_line):
    """Hand over document.py's tables and helpers: one definition of each, there."""
    global _Block, _image, _chrome_of, _clean_line, _LANDMARK_TAGS, _LANDMARK_ROLES, _BLOCK_SLOTS
    _KINDS.clear()
    for tag in block_tags:
        _KINDS[tag.encode("ascii")] = (BLOCK, tag, heading_levels.get(tag, 0))
    _KINDS[b"a"] = (LINK, "a", 0)
    _KINDS[b"b"] = (BOLD, "b", 0)
    _KINDS[b"strong"] = (BOLD, "strong", 0)
    _KINDS[b"br"] = (BREAK, "br", 0)
    _KINDS[b"img"] = (IMAGE, "img", 0)
    _Block, _image, _chrome_of, _clean_line = block_class, image, chrome_of, clean_line
    _BLOCK_SLOTS = _Slots(block_class, BLOCK_FIELDS)
    _LANDMARK_TAGS = dict(landmark_tags)
    _LANDMARK_ROLES = dict(landmark_roles)


cdef inline object _attribute(xmlNode* c_node, const char* name):
    """``element.get(name)``: the value of the attribute without namespace, as libxml2's
    ``xmlGetNoNsProp`` (which lxml calls) gives it, or None. Read from the node's structs:
    lxml links libxml2 statically and does not export its functions."""
    cdef xmlAttr* c_attr = c_node.properties
    cdef xmlNode* c_text
    while c_attr is not NULL:
        if c_attr.ns is NULL and strcmp(<const char*>c_attr.name, name) == 0:
            c_text = c_attr.children
            if c_text is NULL:
                return ""
            if c_text.next is NULL and c_text.type == XML_TEXT_NODE:
                return _text(c_text.content)
            pieces = []
            while c_text is not NULL:
                if c_text.content is not NULL:
                    pieces.append(_text(c_text.content))
                c_text = c_text.next
            return "".join(pieces)
        c_attr = c_attr.next
    return None


cdef inline str _text(const xmlChar* c_value):
    if c_value is NULL:
        return ""
    return (<const char*>c_value)[:strlen(<const char*>c_value)].decode("utf-8")


# What is read at an event: nothing, the element's text, or its tail.
cdef enum Reading:
    NOTHING = 0
    TEXT = 1
    TAIL = 2

# A text as lxml would give it (``_collectText``), told before a str is made of it.
cdef enum Blank:
    NO_TEXT = 0  # None or ""
    ASCII_BLANK = 1  # spaces, tabs and line breaks only: blank to str.isspace() too
    NOT_BLANK = 2  # anything else (it may still be blank to str.isspace(): NBSP...)

cdef enum:
    KNOWN_NAMES = 48  # distinct tag names remembered per page


cdef inline xmlNode* _text_node_or_skip(xmlNode* c_node) noexcept:
    """lxml's ``_textNodeOrSkip``: a text or CDATA node, over XInclude markers."""
    while c_node is not NULL:
        if c_node.type == XML_TEXT_NODE or c_node.type == XML_CDATA_SECTION_NODE:
            return c_node
        if c_node.type == XML_XINCLUDE_START or c_node.type == XML_XINCLUDE_END:
            c_node = c_node.next
        else:
            return NULL
    return NULL


cdef int _blank(xmlNode* c_node) noexcept:
    """The ``Blank`` of the text lxml collects from ``c_node`` on (``textOf``: the children;
    ``tailOf``: the next siblings)."""
    cdef int found = NO_TEXT
    cdef const unsigned char* c_byte
    c_node = _text_node_or_skip(c_node)
    while c_node is not NULL:
        c_byte = <const unsigned char*>c_node.content
        if c_byte is not NULL:
            while c_byte[0]:
                if c_byte[0] not in (32, 9, 10, 11, 12, 13):
                    return NOT_BLANK
                found = ASCII_BLANK
                c_byte += 1
        c_node = _text_node_or_skip(c_node.next)
    return found


cdef inline int _element_children(xmlNode* c_node):
    """``len(element)``: the children lxml counts (elements, comments, PIs, entities)."""
    cdef int count = 0
    cdef xmlNode* c_child = c_node.children
    while c_child is not NULL:
        if cetree._isElement(c_child):
            count += 1
        c_child = c_child.next
    return count


cdef inline xmlNode* _next_element(xmlNode* c_node):
    """The next sibling that iterwalk visits."""
    while c_node is not NULL and not cetree._isElement(c_node):
        c_node = c_node.next
    return c_node


# Latin-1 characters (a str of one byte a character): blank to str.isspace(), and the class of
# each for clean_line's usual case: 0 printable, 1 the plain space, 2 not printable.
cdef bint _LATIN1_SPACE[256]
cdef unsigned char _LATIN1_CLASS[256]
for _code in range(256):
    _LATIN1_SPACE[_code] = chr(_code).isspace()
    _LATIN1_CLASS[_code] = 1 if _code == 32 else (0 if chr(_code).isprintable() else 2)


cdef str _clean(str text):
    """``clean_line(text)``: its usual case (a strip, then a printable line without a double
    space: the line as it is) done here in one scan, anything else handed to it."""
    if PyUnicode_KIND(text) == PyUnicode_1BYTE_KIND:
        return _clean_latin1(text)
    cdef Py_ssize_t length = len(text), start = 0, end = length, position
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 char
    cdef bint after_space = False
    while start < end and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start)):
        start += 1
    while end > start and Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1)):
        end -= 1
    for position in range(start, end):
        char = PyUnicode_READ(kind, data, position)
        if char < 128:
            if char == 32:
                if after_space:
                    return _clean_line(text)
                after_space = True
                continue
            if char < 32 or char == 127:
                return _clean_line(text)
        elif char <= 0xFF:  # Latin-1: printable from U+00A1 on, the soft hyphen aside
            if char <= 0xA0 or char == 0xAD:
                return _clean_line(text)
        elif 0x2010 <= char <= 0x2027:  # dashes, quotes, ellipsis: printable
            pass
        elif not Py_UNICODE_ISPRINTABLE(char):
            return _clean_line(text)
        after_space = False
    if start == 0 and end == length:
        return text
    return text[start:end]


cdef str _clean_latin1(str text):
    """``_clean`` of a str of one byte a character, by tables."""
    cdef Py_ssize_t length = len(text), start = 0, end = length, position
    cdef const unsigned char* chars = <const unsigned char*>PyUnicode_DATA(text)
    cdef unsigned char kind
    cdef bint after_space = False
    while start < end and _LATIN1_SPACE[chars[start]]:
        start += 1
    while end > start and _LATIN1_SPACE[chars[end - 1]]:
        end -= 1
    for position in range(start, end):
        kind = _LATIN1_CLASS[chars[position]]
        if kind == 0:
            after_space = False
        elif kind == 1:
            if after_space:
                return _clean_line(text)
            after_space = True
        else:
            return _clean_line(text)
    if start == 0 and end == length:
        return text
    return text[start:end]


def clean(text):
    """``_clean``, for the tests that hold it to ``clean_line``."""
    return _clean(text)


cdef extern from "Python.h":
    ctypedef struct PyMemberDef:
        const char* name
        int type
        Py_ssize_t offset
        int flags
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member
    object PyType_GenericAlloc(object type, Py_ssize_t items)
    int T_OBJECT_EX
    int READONLY

cdef class _Slots:
    """Where a class keeps each of its fields, when every one is a plain writable object slot
    (a dataclass with ``slots=True``): an object of it is then made by setting them, without
    its ``__init__`` (a call of Python code). ``known`` is false otherwise: call the class."""

    cdef object cls
    cdef Py_ssize_t offsets[12]
    cdef bint known

    def __init__(self, cls, fields):
        cdef PyMemberDef* member
        self.cls = cls
        self.known = False
        member_descriptor = type(type.__dict__["__weakrefoffset__"])
        if type(cls) is not type or len(fields) > 12 or not all(
                isinstance(cls.__dict__.get(name), member_descriptor) for name in fields):
            return
        for position, name in enumerate(fields):
            member = (<PyMemberDescrObject*>cls.__dict__[name]).d_member
            if member.type != T_OBJECT_EX or member.flags & READONLY:
                return
            self.offsets[position] = member.offset
        self.known = True


cdef inline void _set_slot(object instance, Py_ssize_t offset, object value) noexcept:
    """A slot of a new object (NULL until set), taking a reference to ``value``."""
    Py_INCREF(value)
    (<PyObject**>(<char*><PyObject*>instance + offset))[0] = <PyObject*>value


BLOCK_FIELDS = ("index", "text", "lines", "tag", "level", "bold", "links", "link_chars",
                "chrome", "figure", "container")
LINK_FIELDS = ("url", "text", "internal")
cdef _Slots _BLOCK_SLOTS = None
cdef _Slots _LINK_SLOTS = None


def block_slots_known():
    """Whether Blocks are made by setting their slots (for the tests)."""
    return _BLOCK_SLOTS is not None and _BLOCK_SLOTS.known


def link_slots_known(link_class):
    """Whether Links are made by setting their slots (for the tests)."""
    return _link_slots(link_class).known


cdef _Slots _link_slots(link_class):
    global _LINK_SLOTS
    if _LINK_SLOTS is None or _LINK_SLOTS.cls is not link_class:
        _LINK_SLOTS = _Slots(link_class, LINK_FIELDS)
    return _LINK_SLOTS


cdef object _new_block(index, text, lines, tag, level, bold, links, link_chars, chrome, figure,
                       container):
    """``Block(...)``: its slots set directly, or its ``__init__`` where they are not known."""
    cdef _Slots slots = _BLOCK_SLOTS
    if not slots.known:
        return _Block(index, text, lines, tag, level, bold, links, link_chars, chrome, figure,
                      container)
    cdef object block = PyType_GenericAlloc(_Block, 0)
    _set_slot(block, slots.offsets[0], index)
    _set_slot(block, slots.offsets[1], text)
    _set_slot(block, slots.offsets[2], lines)
    _set_slot(block, slots.offsets[3], tag)
    _set_slot(block, slots.offsets[4], level)
    _set_slot(block, slots.offsets[5], bold)
    _set_slot(block, slots.offsets[6], links)
    _set_slot(block, slots.offsets[7], link_chars)
    _set_slot(block, slots.offsets[8], chrome)
    _set_slot(block, slots.offsets[9], figure)
    _set_slot(block, slots.offsets[10], container)
    return block


cdef object _new_link(_Slots slots, url, text, internal):
    """``Link(url, text, internal)``, as ``_new_block`` makes a Block."""
    if not slots.known:
        return slots.cls(url, text, internal)
    cdef object link = PyType_GenericAlloc(slots.cls, 0)
    _set_slot(link, slots.offsets[0], url)
    _set_slot(link, slots.offsets[1], text)
    _set_slot(link, slots.offsets[2], internal)
    return link


cdef void _end_line(list parts, bint bold, list lines, list line_bolds) except *:
    cdef str line
    if PyList_GET_SIZE(parts) == 1:
        line = _clean(parts[0])
    else:
        line = _clean("".join(parts))
    del parts[:]
    if line:
        lines.append(line)
        line_bolds.append(bold)


cdef void _end_block(list blocks, list parts, bint line_bold, bint line_has_text, list lines,
                     list line_bolds, list links, Py_ssize_t link_chars, list open_links,
                     str tag, int level, str chrome, Py_ssize_t figure, Py_ssize_t container,
                     object split_line) except *:
    cdef list open_link
    cdef str text
    if line_has_text:
        _end_line(parts, line_bold, lines, line_bolds)
    if not lines:
        return
    for open_link in open_links:
        text = _clean("".join(open_link[1])) if open_link[1] else ""
        if text:
            links.append((open_link[0], text))
            open_link[1] = []
    if PyList_GET_SIZE(lines) == 1:
        blocks.append(_new_block(len(blocks), lines[0], lines, tag, level,
                                 line_bolds[0] or level > 0, links, link_chars, chrome, figure,
                                 container))
        return
    _split_block(blocks, lines, line_bolds, links, link_chars, tag, level, chrome, figure,
                 container, split_line)


cdef void _split_block(list blocks, list lines, list bolds, list links, Py_ssize_t link_chars,
                       str tag, int level, str chrome, Py_ssize_t figure, Py_ssize_t container,
                       object split_line) except *:
    """``document._split_block``, and a Block of each part: the lines that stand alone (a bold
    heading, a date line) are blocks of their own."""
    cdef Py_ssize_t count = PyList_GET_SIZE(lines), position, start = 0
    cdef list alone = [bool(split_line(lines[position], bolds[position]))
                       for position in range(count)]
    if not any(alone):
        blocks.append(_new_block(len(blocks), "\n".join(lines), lines, tag, level,
                                 all(bolds) or level > 0, links, link_chars, chrome, figure,
                                 container))
        return
    for position in range(count):
        if alone[position]:
            _add_part(blocks, lines, bolds, links, start, position, tag, level, chrome, figure,
                      container)
            _add_part(blocks, lines, bolds, links, position, position + 1, tag, level, chrome,
                      figure, container)
            start = position + 1
    _add_part(blocks, lines, bolds, links, start, count, tag, level, chrome, figure, container)


cdef void _add_part(list blocks, list lines, list bolds, list links, Py_ssize_t start,
                    Py_ssize_t end, str tag, int level, str chrome, Py_ssize_t figure,
                    Py_ssize_t container) except *:
    """The Block of lines ``start:end``, if any, with the links whose text it holds."""
    if start >= end:
        return
    cdef list part_lines = lines[start:end]
    cdef str text = "\n".join(part_lines) if end - start > 1 else part_lines[0]
    cdef list part_links = [link for link in links if link[1] in text]
    cdef Py_ssize_t part_link_chars = 0
    for link in part_links:
        part_link_chars += len(link[1])
    blocks.append(_new_block(len(blocks), text, part_lines, tag, level,
                             all(bolds[start:end]) or level > 0, part_links, part_link_chars,
                             chrome, figure, container))


def linearize(cetree._Element root not None, split_line):
    """``document._linearize(root, split_line)``: (blocks, images, anchors)."""
    if _Block is None:
        raise RuntimeError("scoparchive._speedups.setup_walk() was not called")
    cdef cetree._Document doc = root._doc
    cdef xmlNode* c_root = root._c_node
    cdef xmlNode* c_node = c_root
    cdef xmlNode* c_next
    cdef list blocks = [], images = [], anchors = []
    cdef list parts = []
    cdef bint line_bold = True, line_has_text = False
    cdef list lines = [], line_bolds = [], links = []
    cdef Py_ssize_t link_chars = 0
    cdef int breaks = 0
    cdef int bold_depth = 0, heading_level = 0
    cdef str block_tag = "body"
    cdef Py_ssize_t container = 0, figure = 0, sequence = 0
    cdef list landmarks = []
    cdef str chrome = ""
    cdef list open_links = []
    cdef list outer_blocks = [], outer_links = []
    cdef tuple kind_entry
    cdef int kind, level, reading, blank
    cdef const xmlChar* known_names[KNOWN_NAMES]
    cdef PyObject* known_kinds[KNOWN_NAMES]  # borrowed from _KINDS (or None), alive meanwhile
    cdef int names_known = 0, position
    cdef bint starting = True, is_element
    cdef object text, role, landmark, href, link, anchor, image
    cdef str tag, link_text
    cdef list texts

    while True:
        is_element = c_node.type == XML_ELEMENT_NODE
        if not is_element:
            # A comment, processing instruction or entity: skipped with its tail, as
            # _linearize skips it (and nothing below it is visited).
            starting = False
            reading = NOTHING
        else:
            # The kind of a tag name, looked up once per name in a page: libxml2 keeps one
            # copy of each name per document.
            kind_entry = None
            if c_node.ns is not NULL and cetree._getNs(c_node) is not NULL:
                pass  # "{namespace}tag": no tag the walk knows
            else:
                for position in range(names_known):
                    if known_names[position] is c_node.name:
                        kind_entry = <tuple>known_kinds[position]
                        break
                else:
                    kind_entry = _KINDS.get(<bytes>(<const char*>c_node.name))
                    if names_known < KNOWN_NAMES:
                        known_names[names_known] = c_node.name
                        known_kinds[names_known] = <PyObject*>kind_entry
                        names_known += 1
            if kind_entry is None:
                kind, tag, level = INLINE, None, 0
            else:
                kind, tag, level = kind_entry
        if not is_element:
            pass  # nothing to do at its start or end
        elif starting:
            reading = TEXT
            if kind == BLOCK:
                if lines or line_has_text:
                    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links,
                               link_chars, open_links, block_tag, heading_level, chrome, figure,
                               container, split_line)
                    lines, line_bolds, links, link_chars = [], [], [], 0
                    line_bold, line_has_text, breaks = True, False, 0
                sequence += 1
                role = _attribute(c_node, "role")
                landmark = (role and _LANDMARK_ROLES.get(role.strip().lower())) or (
                    _LANDMARK_TAGS.get(tag))
                outer_blocks.append((block_tag, container, figure, landmark))
                block_tag, container = tag, sequence
                if level:
                    heading_level = level
                elif tag == "figure":
                    figure = sequence
                if landmark:
                    landmarks.append(landmark)
                    chrome = _chrome_of(landmarks)
            elif kind == LINK:
                href = _attribute(c_node, "href")
                if href is None:
                    outer_links.append(None)
                elif _element_children(c_node):
                    link = [href.strip(), []]
                    open_links.append(link)
                    outer_links.append(link)
                else:
                    outer_links.append(None)
                    href = href.strip()
                    reading = NOTHING
                    blank = _blank(c_node.children)
                    text = cetree.textOf(c_node) if blank == NOT_BLANK else None
                    link_text = ""
                    if blank:
                        if blank == NOT_BLANK and not text.isspace():
                            link_text = _clean(text)
                            breaks = 0
                            parts.append(text)
                            line_has_text = True
                            if not (bold_depth or heading_level):
                                line_bold = False
                            link_chars += len(text.strip())
                        elif line_has_text:
                            parts.append(" ")
                    anchor = (href, link_text)
                    anchors.append(anchor)
                    if link_text:
                        links.append(anchor)
            elif kind == BOLD:
                bold_depth += 1
            elif kind == BREAK:
                breaks += 1
                if breaks >= 2:
                    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links,
                               link_chars, open_links, block_tag, heading_level, chrome, figure,
                               container, split_line)
                    lines, line_bolds, links, link_chars = [], [], [], 0
                    line_bold, line_has_text, breaks = True, False, 0
                elif line_has_text:
                    _end_line(parts, line_bold, lines, line_bolds)
                    line_bold, line_has_text = True, False
            elif kind == IMAGE:
                image = _image(cetree.elementFactory(doc, c_node), len(blocks), chrome, figure)
                if image is not None:
                    images.append(image)
        else:
            if kind == BLOCK:
                if lines or line_has_text:
                    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links,
                               link_chars, open_links, block_tag, heading_level, chrome, figure,
                               container, split_line)
                    lines, line_bolds, links, link_chars = [], [], [], 0
                    line_bold, line_has_text = True, False
                breaks = 0
                if level:
                    heading_level = 0
                block_tag, container, figure, landmark = outer_blocks.pop()
                if landmark:
                    landmarks.pop()
                    chrome = _chrome_of(landmarks)
            elif kind == LINK:
                link = outer_links.pop()
                if link is not None:
                    open_links.pop()
                    texts = link[1]
                    link_text = _clean(texts[0] if len(texts) == 1 else "".join(texts))
                    anchor = (link[0], link_text)
                    anchors.append(anchor)
                    if link_text:
                        links.append(anchor)
            elif kind == BOLD:
                bold_depth -= 1
            reading = TAIL

        # The text read at this event, told blank or not before any str is made of it.
        if reading == TEXT:
            blank = _blank(c_node.children)
        elif reading == TAIL:
            blank = _blank(c_node.next)
        else:
            blank = NO_TEXT
        if blank == NOT_BLANK:
            text = cetree.textOf(c_node) if reading == TEXT else cetree.tailOf(c_node)
        if blank:
            if blank == ASCII_BLANK or text.isspace():
                if line_has_text:
                    parts.append(" ")
            else:
                breaks = 0
                parts.append(text)
                line_has_text = True
                if not (bold_depth or heading_level):
                    line_bold = False
                if open_links:
                    open_links[-1][1].append(text)
                    link_chars += len(text.strip())

        # The next event of iterwalk: into the first child, else this element's end, then the
        # next sibling's start, else the parent's end.
        if starting:
            c_next = _next_element(c_node.children)
            if c_next is not NULL:
                c_node = c_next
            else:
                starting = False
        else:
            if c_node is c_root:
                break
            c_next = _next_element(c_node.next)
            if c_next is not NULL:
                c_node = c_next
                starting = True
            else:
                c_node = c_node.parent

    _end_block(blocks, parts, line_bold, line_has_text, lines, line_bolds, links, link_chars,
               open_links, block_tag, heading_level, chrome, figure, container, split_line)
    return blocks, images, anchors


def attribute_holders(cetree._Element root not None, tuple names):
    """``document._attribute_holders(root, names)``: the elements of the whole document of
    ``root`` with an attribute (without namespace) named in ``names``, once per such attribute,
    in document order, as the XPath ``//@name | ...`` finds them."""
    cdef cetree._Document doc = root._doc
    cdef xmlDoc* c_doc = root._c_node.doc
    cdef xmlNode* c_node = c_doc.children
    cdef xmlAttr* c_attr
    cdef list wanted = [wanted_name.encode("utf-8") for wanted_name in names]
    cdef bytes name
    cdef list holders = []
    while c_node is not NULL:
        if c_node.type == XML_ELEMENT_NODE:
            c_attr = c_node.properties
            while c_attr is not NULL:
                if c_attr.ns is NULL:
                    for name in wanted:
                        if strcmp(<const char*>c_attr.name, name) == 0:
                            holders.append(cetree.elementFactory(doc, c_node))
                            break
                c_attr = c_attr.next
            if c_node.children is not NULL:
                c_node = c_node.children
                continue
        # Document order: the next sibling, else the next sibling of the nearest ancestor.
        while c_node is not NULL and c_node.next is NULL:
            c_node = c_node.parent
            if c_node is <xmlNode*>c_doc:
                c_node = NULL
        if c_node is not NULL:
            c_node = c_node.next
    return holders


# --- scans of text ----------------------------------------------------------------------------

cdef bint _UNPARSABLE_BYTE[256]
for _byte in range(256):
    _UNPARSABLE_BYTE[_byte] = _byte < 0x20 and _byte not in (0x09, 0x0A, 0x0C, 0x0D)


def holds_unparsable(const unsigned char[:] data not None):
    """``_holds_unparsable(data)``: a control character (tab, line feed, form feed and
    carriage return aside) or U+FFFE/U+FFFF (``EF BF BE``/``EF BF BF``) in UTF-8 ``data``."""
    cdef Py_ssize_t position, length = data.shape[0]
    cdef unsigned char byte
    for position in range(length):
        byte = data[position]
        if _UNPARSABLE_BYTE[byte]:
            return True
        if (byte == 0xEF and position + 2 < length and data[position + 1] == 0xBF
                and (data[position + 2] == 0xBE or data[position + 2] == 0xBF)):
            return True
    return False


cdef inline bint _is_separator(Py_UCS4 char):
    return char == 32 or char == 46 or char == 45 or char == 0xA0 or char == 47  # " .-\xa0/"


def contact_signs(str text not None):
    """``_contact_signs(text)``: (holds "@", holds one of ``[({``, where the first run of five
    digits starts or -1, holds "://" or "www." in any case)."""
    cdef Py_ssize_t length = len(text), position, step, count
    cdef int kind = PyUnicode_KIND(text)
    cdef void* data = PyUnicode_DATA(text)
    cdef Py_UCS4 char, following
    cdef bint at = False, bracket = False, web = False
    cdef Py_ssize_t digits_from = -1
    for position in range(length):
        char = PyUnicode_READ(kind, data, position)
        if char == 64:  # @
            at = True
        elif char == 91 or char == 40 or char == 123:  # [ ( {
            bracket = True
        elif char == 58:  # :
            if (not web and position + 2 < length and PyUnicode_READ(kind, data, position + 1) == 47
                    and PyUnicode_READ(kind, data, position + 2) == 47):
                web = True
        elif char == 46:  # .
            if (not web and position >= 3
                    and PyUnicode_READ(kind, data, position - 1) in (87, 119)
                    and PyUnicode_READ(kind, data, position - 2) in (87, 119)
                    and PyUnicode_READ(kind, data, position - 3) in (87, 119)):
                web = True
        elif digits_from < 0 and Py_UNICODE_ISDECIMAL(char):
            # \d(?:[ .\-\u00a0/]?\d){4} from here: a digit, or a separator then a digit, four times
            step = position + 1
            count = 0
            while count < 4 and step < length:
                following = PyUnicode_READ(kind, data, step)
                if Py_UNICODE_ISDECIMAL(following):
                    step += 1
                elif (_is_separator(following) and step + 1 < length
                      and Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, step + 1))):
                    step += 2
                else:
                    break
                count += 1
            if count == 4:
                digits_from = position
    return at, bracket, digits_from, web


def tags_present(cetree._Element root not None, tags):
    """Which of ``tags`` the elements of ``root``'s subtree (itself included) have, in the
    order of ``tags``: ``etree.strip_elements`` then tests each element against those only."""
    cdef xmlNode* c_root = root._c_node
    cdef xmlNode* c_node = c_root
    cdef list wanted = [tag.encode("utf-8") for tag in tags]
    cdef set found = set()
    cdef bytes name
    while c_node is not NULL:
        if c_node.type == XML_ELEMENT_NODE:
            if c_node.ns is NULL:
                for name in wanted:
                    if strcmp(<const char*>c_node.name, name) == 0:
                        found.add(name)
                        break
            if c_node.children is not NULL:
                c_node = c_node.children
                continue
        while c_node is not c_root and c_node.next is NULL:
            c_node = c_node.parent
        if c_node is c_root:
            break
        c_node = c_node.next
    return tuple(tag for tag, name in zip(tags, wanted) if name in found)


# --- links of a page --------------------------------------------------------------------------

cdef object _UNSEEN = object()


cdef inline bint _root_relative(str href):
    """An href joined to the origin as it is: "/path", without "//", "/.", "#" or a trailing
    blank (``Resolver.link`` strips and joins those its own way)."""
    cdef Py_ssize_t length = len(href)
    if length == 0 or href[0] != "/" or (length > 1 and href[1] == "/"):
        return False
    if Py_UNICODE_ISSPACE(href[length - 1]):
        return False
    return "/." not in href and "#" not in href


def page_links(anchors, origin, tuple internal_prefixes, link_class, link, is_internal):
    """``Resolver.links``, given the resolver's origin, internal prefixes, ``link`` and
    ``is_internal``, and the Link class: every page link once, with the first anchor text."""
    cdef dict seen = {}, urls = {}
    cdef object href, text, url, found
    cdef _Slots slots = _link_slots(link_class)
    for href, text in anchors:
        url = urls.get(href, _UNSEEN)
        if url is _UNSEEN:
            if origin and type(href) is str and _root_relative(href):
                url = origin + href
                found = _new_link(slots, url, text, url.startswith(internal_prefixes)
                                  or is_internal(url))
            else:
                found = link(href, text)
            if found is None:
                urls[href] = None
                continue
            url = urls[href] = found.url
            if url not in seen:
                seen[url] = found
                continue
        elif url is None:
            continue
        if text and not seen[url].text:
            seen[url].text = text
    return list(seen.values())
