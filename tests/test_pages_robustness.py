"""parse_page never raises: random and malformed HTML, random bytes, random URLs.

And the page's reading from its text (``read_html``, the hot path, which skips the search for
hidden elements when no attribute can hide one) equals the reading of a tree given as such
(``read_document``), on random markup; so does the reader's shortcut for links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from scoparchive.items import PAGE_TYPES
from scoparchive.pages import extract, parse_page
from scoparchive.pages.document import decode, parse_html, read_document, read_html
from scoparchive.pages.layout import site_text
from scoparchive.profiles import DEFAULT_PROFILE
from scoparchive.text.normalise import clean_line, collapse

FIXTURE = Path(__file__).parent / "fixtures" / "pages" / "scopetscicsolidaires.divsoup.html"
TAGS = ["p", "div", "br", "b", "strong", "a", "h1", "h3", "li", "ul", "table", "td", "tr", "img",
        "nav", "footer", "header", "main", "article", "figure", "figcaption", "script", "span"]  # fmt: skip
LINES = ["Bienvenue sur le site de votre Union Régionale", "04 04 2020", "31 02 2020",
         "Les dernières actualités", "Lire plus...", "prev", "next", "La cachette de Paris (75)",
         "Envie de Lire (Ivry)", "13h30 | Accueil", "17h30 - 19h00 | Conférence", "© 2024",
         "Crédits : X", "bandeau-ScopScicSolidaires", "06 08 53 25 34", "x[at]scop.coop",
         "74 rue Léon Frot\n75011 Paris", "www.francebarter.coop", "\u00a0", "\x00", "é"]  # fmt: skip
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def html_soup(draw):
    """Tags opened and closed at random (often not at all), with the site's landmark lines."""
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 4))
        tag = draw(st.sampled_from(TAGS))
        if kind == 0:
            href = draw(st.sampled_from(["/x", "http://[::1", "mailto:a@b.fr", "tel:0612", "?page=2",
                                         "javascript:void(0)", "", "https://ex.org/a#b"]))  # fmt: skip
            parts.append(f'<{tag} href="{href}" src="{href}" alt="{draw(st.sampled_from(LINES))}">')
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append(draw(st.sampled_from(LINES)))
        else:
            parts.append(draw(st.text(max_size=30)))
    return "".join(parts)


@SETTINGS
@given(html_soup(), st.sampled_from(["https://les-scop-idf.coop/x", "https://les-scop-idf.coop/",
                                     "https://les-scop-idf.coop/a/20141126,b.htm"]))  # fmt: skip
def test_random_html_never_raises(document, url):
    page = extract(url, document)
    assert page.page_type in PAGE_TYPES


@SETTINGS
@given(st.binary(max_size=3000), st.one_of(st.none(), st.text(max_size=40)))
def test_random_bytes_never_raise(body, content_type):
    page = extract("https://les-scop-idf.coop/x", body, content_type=content_type)
    assert page.page_type in PAGE_TYPES


@SETTINGS
@given(st.text(max_size=80))
def test_random_urls_never_raise(url):
    page = extract(url, FIXTURE.read_bytes())
    assert page.page_type in PAGE_TYPES


@SETTINGS
@given(st.integers(0, 20000), st.binary(max_size=20))
def test_truncated_and_corrupted_pages_never_raise(cut, noise):
    body = FIXTURE.read_bytes()
    page = extract("https://les-scop-idf.coop/x", body[:cut] + noise + body[cut:])
    assert page.page_type in PAGE_TYPES


def test_parse_page_is_a_safety_net():
    assert parse_page("https://les-scop-idf.coop/x", b"").page_type == "unknown"
    assert parse_page("not a url", None).page_type == "unknown"  # type: ignore[arg-type]


# --- the two readings of a page: from its text (the hot path) and from an existing tree ------

SOUP_TAGS = [*TAGS, "head", "title", "base", "html", "body", "style", "aside", "section", "svg",
             "template", "em", "h2", "blockquote"]  # fmt: skip
SOUP_ATTRIBUTES = ["", " hidden", ' aria-hidden="true"', ' style="display:none"',
                   ' style="color:red"', ' role="navigation"', ' role="main"', ' href="/x"',
                   ' href=" /y "', ' src="/i.png"', ' src="/i.png" width="10"', ' alt="logo X"',
                   ' href="https://ex.org/a#b"', ' STYLE = "display: none"',
                   ' Aria-Hidden="true"', ' style']  # fmt: skip
SOUP_TEXTS = [*LINES, " ", "\n", "&amp;", "&nbsp;", "<!-- c -->", "<?pi x?>", "<br><br>", "\x0c"]


@st.composite
def attributed_soup(draw):
    """Like ``html_soup``, with hidden elements, landmarks, <head> parts and entities."""
    parts = []
    for _ in range(draw(st.integers(0, 50))):
        kind = draw(st.integers(0, 5))
        tag = draw(st.sampled_from(SOUP_TAGS))
        if kind <= 1:
            parts.append(f"<{tag}{draw(st.sampled_from(SOUP_ATTRIBUTES))}>")
        elif kind == 2:
            parts.append(f"</{tag}>")
        elif kind == 3:
            parts.append(draw(st.sampled_from(SOUP_TEXTS)))
        else:
            parts.append(draw(st.text(max_size=20)))
    return "".join(parts)


def assert_same_reading(text: str) -> None:
    split_line = site_text(DEFAULT_PROFILE).stands_alone
    streamed = read_html(text, split_line)
    walked = read_document(parse_html(text), split_line)
    assert streamed.blocks == walked.blocks
    assert streamed.images == walked.images
    assert streamed.anchors == walked.anchors
    assert (streamed.title_tag, streamed.base_href) == (walked.title_tag, walked.base_href)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup())
def test_reading_events_is_reading_the_tree(document):
    assert_same_reading(document)


@pytest.mark.parametrize(
    "document",
    [
        "<html><body><p>a</p></body></html>text after the root",
        "<p>a</p></body>x</html>y",
        "<body hidden><p>x</p></body>",
        "<html hidden><p>x</p></html>",
        "<head><title>A</title><title>B</title><base href='/b'><base href='/c'></head><p>x",
        "<head><title></title><title>B</title></head><p>x",
        "<html><head><title>x<b>y</b>z</title></head></html>",
        "<div><head><title>not the page's</title></head><p>x</p></div>",
        "<p>a<span hidden>b</span>c</p><p><a href='/x'>a <span hidden>b</span> c</a></p>",
        "<p hidden></p>\x0c<p>form feed after a hidden element</p>",
        "<p>\x01x\ud800</p>",
        "<p STYLE='DISPLAY:NONE'>x</p>y<p Aria-Hidden='true'>z</p><p HIDDEN>w</p>v",
        '<p sTyLe="visibility: hidden">x</p>shown',
        # prune looks only for the hiding attributes whose names the page holds: "style" needs
        # an "=" after it (blanks allowed), "hidden" covers aria-hidden too.
        "<p style\n\t =\r'display:none'>x</p>shown<p hidden>y</p>",
        "<p STYLE ='display:none'>x</p>shown",
        "<p style>x</p><style>p{}</style>shown",
        "<p aria-hidden='true'>x</p>shown<p style='color:red'>y</p>",
        "<p class='hidden'>x</p><p/style='display:none'>y</p>z",
        "<?xml version='1.0'?><p>x</p>",
        "",
        " ",
    ],
)
def test_reading_events_is_reading_the_tree_on_edge_cases(document):
    assert_same_reading(document)


def test_reading_events_is_reading_the_tree_on_the_fixtures():
    for path in sorted(FIXTURE.parent.glob("*.html")):
        assert_same_reading(decode(path.read_bytes()))


# --- the reader's shortcut for a link holding a text alone, against its general path ----------


def _with_empty_children_in_links(text: str):
    """The tree of ``text``, each ``<a>`` without children given an empty ``<span>``: nothing
    to read in it, but the link no longer holds a text alone."""
    root = parse_html(text)
    if root is not None:
        for link in root.iter("a"):
            if not len(link):
                link.append(etree.Element("span"))
    return root


def assert_link_shortcut_reads_the_same(text: str) -> None:
    split_line = site_text(DEFAULT_PROFILE).stands_alone
    shortcut = read_document(parse_html(text), split_line)
    general = read_document(_with_empty_children_in_links(text), split_line)
    assert shortcut.blocks == general.blocks
    assert shortcut.images == general.images
    assert shortcut.anchors == general.anchors


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup())
def test_a_link_with_a_text_alone_reads_as_any_link(document):
    assert_link_shortcut_reads_the_same(document)


@pytest.mark.parametrize(
    "document",
    [
        "<p>a <a href='/x'> b </a> c</p>",
        "<p><a href='/x'> </a>x<a href=''>\u200b</a><a>no href</a></p>",
        "<a href='/card'><div><b>Titre</b></div><p>a <a href=' /in '>lien\u00a0</a> b</p></a>",
        "<h2><a href='/t'>Titre</a></h2><p><b><a href='/g'>gras</a></b> puis non</p>",
        "<li><a href='/a'>A</a></li><li>\n  <a href='/b'>B</a>\n</li>",
    ],
)
def test_a_link_with_a_text_alone_reads_as_any_link_on_edge_cases(document):
    assert_link_shortcut_reads_the_same(document)


def test_a_link_with_a_text_alone_reads_as_any_link_on_the_fixtures():
    for path in sorted(FIXTURE.parent.glob("*.html")):
        assert_link_shortcut_reads_the_same(decode(path.read_bytes()))


# --- the text helpers' shortcuts against their definitions ---------------------------------

_SPACES_AND_MARKS = (
    "ab é\t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2009\u200a\u2028\u202f\u3000\u200b\u00ad\ufeff"
)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_SPACES_AND_MARKS) | st.characters(), max_size=12))
@example("a  b")
@example(" a\u00a0\u200b b ")
@example("\tx y\n")
def test_clean_line_and_collapse_shortcuts_keep_their_definitions(text):
    invisible = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
    words = " ".join(text.split())
    assert clean_line(text) == (
        words if words.isprintable() else " ".join(invisible.sub("", words).split())
    )
    assert collapse(text) == (
        words if text.isprintable() else " ".join(invisible.sub("", text).split())
    )


# --- a page read from its UTF-8 bytes as from its text -----------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup(), st.sampled_from(["", "<?xml version='1.0'?>", " <?XML x?>\n"]))
def test_reading_the_utf8_bytes_is_reading_the_text(document, declaration):
    text = declaration + document
    split_line = site_text(DEFAULT_PROFILE).stands_alone
    from_text = read_html(text, split_line)
    try:
        utf8 = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no UTF-8 form
        return
    from_bytes = read_html(text, split_line, utf8)
    assert (from_bytes.blocks, from_bytes.images, from_bytes.anchors, from_bytes.title_tag) == (
        from_text.blocks, from_text.images, from_text.anchors, from_text.title_tag)


@SETTINGS
@given(st.binary(max_size=200) | st.text(max_size=60).map(lambda text: text.encode("utf-8")),
       st.sampled_from([None, "text/html", "text/html; charset=utf-8", "text/html; charset=latin-1",
                        "text/html; charset=utf-8-sig"]))  # fmt: skip
def test_decode_as_utf8_gives_the_bytes_only_when_they_are_the_text(body, content_type):
    from scoparchive.pages.document import _declared_charset, decode_as_utf8

    def by_definition() -> str:  # the declared charset, else UTF-8, else windows-1252
        charset = _declared_charset(body, content_type)
        if charset:
            return body.decode(charset, errors="replace")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body.decode("cp1252", errors="replace")

    text, utf8 = decode_as_utf8(body, content_type)
    assert text == by_definition() == decode(body, content_type)
    if utf8 is not None:
        assert utf8 is body
        assert utf8.decode("utf-8") == text


@pytest.mark.parametrize("obstacle", [
    pytest.param("<div>" * 2000, id="nesting-2000-deep"),
    pytest.param('<img alt="inline" src="data:image/png;base64,' + "A" * (11 * 2**20) + '">',
                 id="attribute-over-10MB"),
    pytest.param("<p>" + "texte " * (2 * 2**20) + "</p>", id="text-node-over-10MB"),
])
def test_a_page_is_read_past_libxml2s_default_limits(obstacle):
    """libxml2 stops at depth 256, or at a text node or attribute over 10 MB, unless told
    (huge_tree, which reads 2,048 deep): whatever came after would be lost without a word."""
    html = (f"<html><body><h1>Avant</h1>{obstacle}<p>Le paragraphe d'après l'obstacle.</p>"
            '<a href="/apres">après</a></body></html>')
    root = parse_html(html)
    assert root.xpath("string(//p[last()])") == "Le paragraphe d'après l'obstacle."
    page = parse_page("https://les-scop-idf.coop/page", html.encode(), profile=DEFAULT_PROFILE,
                      content_type="text/html; charset=utf-8")
    assert "https://les-scop-idf.coop/apres" in {link.url for link in page.links}
