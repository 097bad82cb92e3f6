"""The compiled helpers (``scoparchive/_speedups.pyx``) give what their Python functions give.

``document._linearize`` is the reference of ``_speedups.linearize``, which walks libxml2's
nodes in C: both must give equal blocks, images and anchors on every fixture, every replica page
in every markup and random markup, trees with comments, processing instructions, namespaces and
entities, and walks started inside a tree (a selector's element, with its tail). So must the
two searches for the holders of hiding attributes, ``clean_line`` and its compiled shortcut, and
the scans of text (unparsable bytes, the signs of a contact).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import lxml.html
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from test_pages_robustness import attributed_soup

import scoparchive
from scoparchive import speedups
from scoparchive.items import Link
from scoparchive.pages import document
from scoparchive.pages.document import (
    _HIDING_ATTRIBUTES,
    _attribute_holders,
    _holds_unparsable,
    _linearize,
    _parsable,
    _parse,
    decode,
    prune,
)
from scoparchive.pages.layout import site_text
from scoparchive.profiles import DEFAULT_PROFILE
from scoparchive.text import contacts
from scoparchive.text.normalise import clean_line

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "pages"
SPLIT_LINE = site_text(DEFAULT_PROFILE).stands_alone


def _compiler() -> str | None:
    command = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(command)


try:
    from scoparchive import _speedups
except ImportError:  # not built: the tests below say why
    _speedups = None

needs_speedups = pytest.mark.skipif(
    _speedups is None and _compiler() is None,
    reason="no C compiler: scoparchive runs its pure Python functions",
)


@pytest.fixture(scope="module")
def compiled():
    if _speedups is None:
        pytest.fail("scoparchive/_speedups.pyx is not built although a C compiler is here: "
                    "run `make install` (pip install -e .)")  # fmt: skip
    return _speedups.linearize


@needs_speedups
def test_the_compiled_helpers_are_the_ones_in_use(compiled):
    assert speedups.compiled() is _speedups
    assert document.linearize is compiled
    assert document.linearize is not _linearize
    assert document.attribute_holders is _speedups.attribute_holders
    assert document.holds_unparsable is _speedups.holds_unparsable
    assert document.tags_present is _speedups.tags_present
    assert contacts.contact_signs is _speedups.contact_signs
    assert _speedups.block_slots_known()  # Blocks made without a Python call
    assert _speedups.link_slots_known(Link)


def assert_same_walk(compiled, root) -> None:
    if root is None:
        return
    assert compiled(root, SPLIT_LINE) == _linearize(root, SPLIT_LINE)


def _tree(html: str):
    root = _parse(_parsable(html))
    if root is not None:
        prune(root)
    return root


@needs_speedups
def test_same_walk_on_the_fixtures(compiled):
    paths = sorted(FIXTURES.glob("*.html"))
    assert len(paths) >= 30
    for path in paths:
        assert_same_walk(compiled, _tree(decode(path.read_bytes())))


@needs_speedups
def test_same_walk_on_every_replica_page_in_every_markup(compiled):
    from scoparchive.replica.app import ReplicaApp
    from scoparchive.replica.model import ReplicaSite
    from scoparchive.replica.render import MARKUPS

    site = ReplicaSite.load(clock=lambda: 1_700_000_000.0)
    walked = 0
    for markup in MARKUPS:
        app = ReplicaApp(site, markup, DEFAULT_PROFILE.base_url)
        for path in site.html_paths():
            reply = app.handle(path)
            assert_same_walk(compiled, _tree(decode(reply.body, reply.content_type)))
            walked += 1
    assert walked >= 4 * 40


@needs_speedups
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup())
def test_same_walk_on_random_markup(compiled, html):
    assert_same_walk(compiled, _tree(html))
    # lxml.html keeps comments and processing instructions: both walks skip them, tails too.
    if html.strip():
        try:
            tree = lxml.html.document_fromstring(html)
        except (etree.ParserError, ValueError):
            return
        assert_same_walk(compiled, tree)
        # A walk from inside the tree, as for a profile's selector: the element and its tail.
        for element in list(tree.iter(etree.Element))[1::7]:
            assert_same_walk(compiled, element)


@needs_speedups
@pytest.mark.parametrize(
    "html",
    [
        "<p>a<!-- comment -->b<?pi x?>c<br><!-- x --><br>d</p>",
        "<div><a href='/x'>a<!-- c -->b</a> <a href>empty href</a> <a>no href</a></div>",
        "<ul role='navigation'><li><a href=' /y '>menu</a></li></ul><main><p>x</p></main>",
        "<figure><img src='/i.png' alt=' A  b '><figcaption>cap</figcaption></figure>",
        "<p><b>bold</b> <strong>x</strong><br><b>all bold</b></p><h2><b>T</b>itle</h2>",
        "<p><a href='/a'><b>in</b> link <i>text</i></a><a href='/b'>\u00a0</a></p>",
        "<p>x&nbsp;y &amp; z</p><p>\u200b</p><p>\u00a0</p>",
        "<div>one<br>two<br><br>three<p>four</p>five</div>six",
    ],
)
def test_same_walk_on_edge_cases(compiled, html):
    assert_same_walk(compiled, _tree(html))
    assert_same_walk(compiled, lxml.html.document_fromstring(html))


@needs_speedups
def test_same_walk_with_namespaced_elements_and_attributes(compiled):
    root = _tree("<html><body><div><p>before</p></div></body></html>")
    div = root.find(".//div")
    foreign = etree.SubElement(div, "{http://example.org/ns}p")
    foreign.text, foreign.tail = "namespaced", " tail"
    link = etree.SubElement(div, "a", {"{http://example.org/ns}href": "/not-an-href"})
    link.text = "a link without href"
    nav = etree.SubElement(div, "nav", {"{http://example.org/ns}role": "main"})
    nav.text = "navigation all the same"
    assert_same_walk(compiled, root)
    blocks, _, anchors = compiled(root, SPLIT_LINE)
    assert [b.chrome for b in blocks if b.text == "navigation all the same"] == ["nav"]
    assert anchors == []


def assert_same_holders(root) -> None:
    if root is None:
        return
    for names in _HIDING_ATTRIBUTES.values():
        if names:
            assert _speedups.attribute_holders(root, names) == _attribute_holders(root, names)


@needs_speedups
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup())
def test_same_holders_of_hiding_attributes_on_random_markup(compiled, html):
    root = _parse(_parsable(html))
    assert_same_holders(root)
    if root is not None:
        for element in list(root.iter())[1::5]:  # the whole document, whatever the start
            assert_same_holders(element)
    if html.strip():
        with contextlib.suppress(etree.ParserError, ValueError):
            assert_same_holders(lxml.html.document_fromstring(html))


@needs_speedups
def test_same_holders_with_namespaces_and_nested_holders(compiled):
    root = _parse(_parsable("<div hidden><p style='display:none' aria-hidden='true'>x"
                            "<span hidden>y</span></p></div><p style='color:red'>z</p>"))
    etree.SubElement(root.find(".//body"), "p", {"{http://example.org/ns}hidden": ""})
    assert_same_holders(root)
    holders = _speedups.attribute_holders(root, ("hidden", "aria-hidden", "style"))
    assert [element.tag for element in holders] == ["div", "p", "p", "span", "p"]


@needs_speedups
@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    "ab é’\u00a0\u202f\u2009\u200b\u00ad\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\u2028\u3000\U0001F600"
)))  # fmt: skip
def test_compiled_clean_line_is_clean_line(compiled, text):
    assert _speedups.clean(text) == clean_line(text)


@needs_speedups
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup())
def test_compiled_tags_present(compiled, html):
    root = _parse(_parsable(html))
    if root is None:
        return
    for start in list(root.iter())[::4]:
        tags = {element.tag for element in start.iter() if isinstance(element.tag, str)}
        present = _speedups.tags_present(start, document._SKIPPED_TAGS)
        assert set(present) == tags & document._SKIPPED_TAGS
        assert len(present) == len(set(present))


@needs_speedups
@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=60) | st.text(max_size=40).map(lambda text: text.encode("utf-8")))
def test_compiled_scan_for_unparsable_bytes(compiled, data):
    assert _speedups.holds_unparsable(data) == _holds_unparsable(data)


@needs_speedups
@pytest.mark.parametrize("text", ["", "a\x00", "\x1f", "\x7f", "\t\n\r\x0c", "\ufffe", "x\uffff",
                                  "\uffbf\uefbe", "é’", "\x0b", "\x08"])  # fmt: skip
def test_compiled_scan_for_unparsable_bytes_on_edges(compiled, text):
    data = text.encode("utf-8")
    assert _speedups.holds_unparsable(data) == _holds_unparsable(data)


CONTACT_ALPHABET = "0123456789 .-/\u00a0\u0660\u0661\u06f5@[({)}:wW.Www/at"


@needs_speedups
@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=st.sampled_from(CONTACT_ALPHABET), max_size=30) | st.text(max_size=30))
def test_compiled_signs_of_a_contact(compiled, text):
    assert _speedups.contact_signs(text) == contacts._contact_signs(text)


@needs_speedups
def test_compiled_signs_of_a_contact_on_the_replica_texts(compiled):
    texts = [block.text for path in sorted(FIXTURES.glob("*.html"))
             for block in document.read_html(decode(path.read_bytes()), SPLIT_LINE).blocks]  # fmt: skip
    assert len(texts) > 500
    signs = [_speedups.contact_signs(text) for text in texts]
    assert signs == [contacts._contact_signs(text) for text in texts]
    assert {sign[2] >= 0 for sign in signs} == {True, False}  # numbers found, and not


def _pure_python(patch: pytest.MonkeyPatch) -> None:
    """scoparchive's Python functions where the compiled ones run, as without the build."""
    from scoparchive.pages import urls

    patch.setattr(urls, "_SPEEDUPS", None)
    patch.setattr(document, "linearize", document._linearize)
    patch.setattr(document, "attribute_holders", document._attribute_holders)
    patch.setattr(document, "holds_unparsable", document._holds_unparsable)
    patch.setattr(document, "tags_present", document._tags_present)
    patch.setattr(contacts, "contact_signs", contacts._contact_signs)


def _corpus() -> list[tuple[str, bytes, str | None]]:
    from scoparchive.replica.app import ReplicaApp
    from scoparchive.replica.model import ReplicaSite
    from scoparchive.replica.render import MARKUPS

    pages = [(f"https://les-scop-idf.coop/{path.stem}", path.read_bytes(), None)
             for path in sorted(FIXTURES.glob("*.html"))]  # fmt: skip
    site = ReplicaSite.load(clock=lambda: 1_700_000_000.0)
    base = DEFAULT_PROFILE.base_url.rstrip("/")
    for markup in MARKUPS:
        app = ReplicaApp(site, markup, DEFAULT_PROFILE.base_url)
        for path in site.html_paths():
            reply = app.handle(path)
            pages.append((base + path, reply.body, reply.content_type))
    return pages


@needs_speedups
def test_records_are_the_same_in_pure_python(compiled):
    from scoparchive.pages import extract

    pages = _corpus()
    records = [extract(url, body, content_type=content_type) for url, body, content_type in pages]
    with pytest.MonkeyPatch.context() as patch:
        _pure_python(patch)
        assert document.linearize is _linearize
        in_pure_python = [extract(url, body, content_type=content_type)
                          for url, body, content_type in pages]  # fmt: skip
    assert len(records) > 200
    for (url, _, _), record, pure in zip(pages, records, in_pure_python, strict=True):
        assert pure == record, url


@needs_speedups
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(attributed_soup())
def test_pure_python_reading_keeps_its_shortcut_true(compiled, html):
    """In pure Python, read_html searches the bytes for hiding attributes before the tree."""
    from test_pages_robustness import assert_same_reading

    with pytest.MonkeyPatch.context() as patch:
        _pure_python(patch)
        assert_same_reading(html)


def _run(code: str, *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


WHICH_WALK = """
    import warnings
    warnings.simplefilter("always")
    from scoparchive.pages import document
    print(document.linearize is document._linearize, document.__file__)
"""


@needs_speedups
def test_pure_python_on_request(compiled, tmp_path):
    env = {**os.environ, "SCOPARCHIVE_PURE_PYTHON": "1"}
    result = _run(WHICH_WALK, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "True"


@needs_speedups
def test_a_build_older_than_its_source_is_not_used(compiled, tmp_path):
    package = Path(scoparchive.__file__).parent
    copy = tmp_path / "scoparchive"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    built = copy / Path(_speedups.__file__).name
    source = copy / "_speedups.pyx"
    env = {key: value for key, value in os.environ.items() if key != "SCOPARCHIVE_PURE_PYTHON"}
    env["PYTHONPATH"] = str(tmp_path)

    os.utime(source, (built.stat().st_mtime - 10,) * 2)
    current = _run(WHICH_WALK, env=env, cwd=tmp_path)
    assert current.returncode == 0, current.stderr
    assert current.stdout.split() == ["False", str(copy / "pages" / "document.py")]
    assert "older than" not in current.stderr

    os.utime(source, (built.stat().st_mtime + 10,) * 2)
    stale = _run(WHICH_WALK, env=env, cwd=tmp_path)
    assert stale.returncode == 0, stale.stderr
    assert stale.stdout.split() == ["True", str(copy / "pages" / "document.py")]
    assert "older than _speedups.pyx" in stale.stderr


@needs_speedups
def test_links_of_a_class_without_slots_are_made_by_calling_it(compiled):
    from dataclasses import dataclass

    from scoparchive.pages.urls import Resolver

    @dataclass
    class PlainLink:
        url: str
        text: str
        internal: bool

    assert not _speedups.link_slots_known(PlainLink)
    resolver = Resolver("https://les-scop-idf.coop/a", None, DEFAULT_PROFILE)
    made = _speedups.page_links([("/x", "X"), ("/x", ""), ("/y", "")], resolver.origin,
                                resolver._internal_prefixes, PlainLink, resolver.link,
                                resolver.is_internal)  # fmt: skip
    assert made == [PlainLink("https://les-scop-idf.coop/x", "X", True),
                    PlainLink("https://les-scop-idf.coop/y", "", True)]  # fmt: skip
    assert _speedups.link_slots_known(Link)
