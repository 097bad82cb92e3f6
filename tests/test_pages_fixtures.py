"""Golden fixtures: every content in five markups that share no class name, one test per field.

``fixtures/pages/<name>.<markup>.html`` are saved pages; ``<name>.expected.json`` is what every
markup of that content must give. ``fixtures/pages/generate.py`` wrote them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from itertools import combinations
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from scoparchive.pages import extract
from scoparchive.text.dates import read_date

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
ARTICLE_TYPES = ("article", "roundup", "programme", "static", "legacy_article")
#: Strings that may never appear in a body, whatever the markup.
FORBIDDEN_IN_BODY = ("Bienvenue sur le site", "Lire plus", "bandeau-", "Crédits", "Logo La Tribune",
                     "Partager", "Étiquettes", "©", "prev", "Les dernières actualités")  # fmt: skip
_TOKEN = re.compile(r"\w+")
#: Markups that write dates in words (``Publié le 4 avril 2020``), not as the site's date line.
WORDED_DATES = frozenset(("blocktheme",))


def token_f1(got: str, expected: str) -> float:
    """Bag-of-words F1 between two texts, case-folded, punctuation ignored."""
    got_tokens = Counter(_TOKEN.findall(got.casefold()))
    expected_tokens = Counter(_TOKEN.findall(expected.casefold()))
    if not got_tokens and not expected_tokens:
        return 1.0
    common = sum((got_tokens & expected_tokens).values())
    if not common:
        return 0.0
    precision = common / sum(got_tokens.values())
    recall = common / sum(expected_tokens.values())
    return 2 * precision * recall / (precision + recall)


def collapse(text: str | None) -> str | None:
    return " ".join(text.split()) if text is not None else None


def _cases() -> list[tuple[str, str]]:
    return sorted(
        (path.name.split(".")[0], path.name.split(".")[1]) for path in FIXTURES.glob("*.html")
    )


CASES = _cases()
_PARSED: dict[tuple[str, str], tuple] = {}


def parsed(name: str, markup: str):
    """The page and its expected record, parsed once per session."""
    key = (name, markup)
    if key not in _PARSED:
        expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
        body = (FIXTURES / f"{name}.{markup}.html").read_bytes()
        _PARSED[key] = (extract(expected["url"], body), expected)
    return _PARSED[key]


def article_cases() -> list[tuple[str, str]]:
    return [case for case in CASES if parsed(*case)[1]["page_type"] in ARTICLE_TYPES]


def ids(cases):
    return [f"{name}-{markup}" for name, markup in cases]


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_page_type(name, markup):
    page, expected = parsed(name, markup)
    assert page.page_type == expected["page_type"]


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_title(name, markup):
    page, expected = parsed(name, markup)
    assert page.title == expected["title"]


ARTICLES = article_cases()


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_published_date(name, markup):
    page, expected = parsed(name, markup)
    published = page.article.published_date
    assert (published.isoformat() if published else None) == expected["published_date"]
    if expected["published_date_raw"]:
        assert_written_as_on_the_page(page.article.published_date_raw, published, name, markup,
                                      expected["published_date_raw"])  # fmt: skip


def assert_written_as_on_the_page(raw, value, name, markup, expected_raw) -> None:
    """A raw date is the date as the page writes it: the site's ``04 04 2020``, or the words of
    a theme that writes ``4 avril 2020``."""
    if markup not in WORDED_DATES:
        assert raw == expected_raw
        return
    assert read_date(raw).value == value
    html = (FIXTURES / f"{name}.{markup}.html").read_text(encoding="utf-8")
    assert raw in collapse(lxml.html.fromstring(html).text_content())


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_rubric(name, markup):
    page, expected = parsed(name, markup)
    assert page.article.rubric == expected["rubric"]


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_lead(name, markup):
    page, expected = parsed(name, markup)
    assert collapse(page.article.lead) == collapse(expected["lead"])


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_body_text_f1(name, markup):
    page, expected = parsed(name, markup)
    assert token_f1(page.article.body_text, expected["body_text"]) >= 0.97
    assert page.article.word_count == len(page.article.body_text.split())


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_no_boilerplate_in_body(name, markup):
    page, expected = parsed(name, markup)
    body = page.article.body_text
    lines = {line.strip() for line in body.splitlines()}
    assert not [line for line in expected["boilerplate"] if line in lines]
    assert not [text for text in FORBIDDEN_IN_BODY if text in body]


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_body_markdown_has_subheadings(name, markup):
    page, expected = parsed(name, markup)
    markdown = page.article.body_markdown
    for initiative in expected["initiatives"]:
        assert re.search(rf"^#+ {re.escape(initiative['name'])} \(", markdown, re.M)


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_initiatives(name, markup):
    page, expected = parsed(name, markup)
    got = [{"name": i.name, "departments": i.departments, "place": i.place}
           for i in page.initiatives]  # fmt: skip
    assert got == expected["initiatives"]
    assert [i.position for i in page.initiatives] == list(range(1, len(got) + 1))


@pytest.mark.parametrize("markup", sorted({markup for _, markup in CASES}))
def test_town_in_parentheses_gets_its_department(markup):
    """``Envie de Lire (Ivry)``: the place stays "Ivry", the only Ivry of the union's territory
    (Ivry-sur-Seine) gives its department, and no department code is invented."""
    page, _ = parsed("cooperatives-d-ici-et-d-ailleurs", markup)
    ivry = next(i for i in page.initiatives if i.name == "Envie de Lire")
    assert (ivry.place, ivry.place_department, ivry.departments) == ("Ivry", "94", [])
    assert all(i.place_department is None for i in page.initiatives if i.place is None)


def test_initiative_descriptions_and_contacts():
    page, _ = parsed("scopetscicsolidaires", "divsoup")
    by_name = {i.name: i for i in page.initiatives}
    mellpop = by_name["Mell'Pop"]
    assert mellpop.emails == ["epiceriechezmell@gmail.com"]
    assert mellpop.phones == ["+33608532534", "+33238288857"]
    assert by_name["France Barter"].urls == ["http://www.francebarter.coop"]
    assert by_name["La MedNum"].phones == ["+33170772372"]
    assert by_name["Dire le travail"].description.count("\n\n") == 2  # three paragraphs
    assert by_name["NAHé Cosmétiques"].description.endswith("dont la commune est fière !")
    # The introduction belongs to the body, not to the first item.
    assert "Dans ce contexte" not in by_name["Artefacts et CEFIM"].description
    ivry, _ = parsed("cooperatives-d-ici-et-d-ailleurs", "semantic")
    coopaname = next(i for i in ivry.initiatives if i.name == "Coopaname")
    assert "Son rapport annuel" in coopaname.description  # "(2022)" is not an item heading


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_contacts(name, markup):
    page, expected = parsed(name, markup)
    found = {(c.kind, c.value) for c in page.contacts}
    missing = [c for c in expected["contacts"] if (c["kind"], c["value"]) not in found]
    assert not missing
    assert all(c.raw and c.context for c in page.contacts)


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_programme(name, markup):
    page, expected = parsed(name, markup)
    got = [{"start": s.start, "end": s.end, "label": s.label} for s in page.programme]
    assert got == expected["programme"]


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_teasers(name, markup):
    page, expected = parsed(name, markup)
    wanted = expected.get("teasers", [])
    assert [t.title for t in page.teasers] == [t["title"] for t in wanted]
    for teaser, truth in zip(page.teasers, wanted, strict=True):
        if "path" in truth:
            assert teaser.url == "https://les-scop-idf.coop" + truth["path"]
            day, month, year = truth["published_date_raw"].split()
            assert teaser.published_date == date(int(year), int(month), int(day))
            assert_written_as_on_the_page(teaser.published_date_raw, teaser.published_date,
                                          name, markup, truth["published_date_raw"])  # fmt: skip
            assert teaser.lead
        if "url" in truth:
            assert teaser.url == truth["url"]
            assert teaser.media == truth["media"]


@pytest.mark.parametrize(("name", "markup"), ARTICLES, ids=ids(ARTICLES))
def test_images(name, markup):
    page, expected = parsed(name, markup)
    names = [image.url.rsplit("/", 1)[-1] for image in page.article.images]
    assert names == expected["images"]
    assert all(image.url.startswith("https://les-scop-idf.coop/") for image in page.article.images)
    if name == "communique-bilan-2023":
        credited = {i.url.rsplit("/", 1)[-1]: i.credit for i in page.article.images}
        assert credited["bilan-2023.jpg"] == "Union régionale"


@pytest.mark.parametrize(("name", "markup"), CASES, ids=ids(CASES))
def test_links_absolute_and_classified(name, markup):
    page, _ = parsed(name, markup)
    assert page.links
    for link in page.links:
        assert link.url.startswith(("http://", "https://")) and "#" not in link.url
        host = urlsplit(link.url).hostname
        assert link.internal == (host in ("les-scop-idf.coop", "www.les-scop-idf.coop"))
    if page.article:
        assert {link.url for link in page.article.links} <= {link.url for link in page.links}


def test_every_content_in_five_markups_sharing_no_class():
    names = {name for name, _ in CASES}
    for name in names:
        classes = {}
        for markup in ("drupal", "wordpress", "semantic", "divsoup", "blocktheme"):
            root = lxml.html.fromstring((FIXTURES / f"{name}.{markup}.html").read_bytes())
            classes[markup] = {c for el in root.iter() for c in (el.get("class") or "").split()}
        for first, second in combinations(classes, 2):
            assert not classes[first] & classes[second], (name, first, second)
        assert not classes["semantic"] and not classes["divsoup"]
