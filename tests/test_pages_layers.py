"""The layers of extraction, one test each: the site's landmarks, then the page's standard
metadata, then libraries made for any page, then nothing. Every value says which layer gave it.

The pages here are written for each test; the landmark-free fixtures
(``fixtures/pages/landmark-free/``) are the union's own texts in a theme that dropped every
landmark of the site, as a redesign would.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from test_pages_fixtures import token_f1

from scoparchive.items import EXTRACTION_LAYERS, EXTRACTION_METHODS
from scoparchive.pages import extract
from scoparchive.profiles import DEFAULT_PROFILE

FIXTURES = Path(__file__).parent / "fixtures" / "pages"
LANDMARK_FREE = sorted((FIXTURES / "landmark-free").glob("*.html"))
SITE_URL = "https://les-scop-idf.coop/un-article"
#: A page of another site: no landmark of the union's can frame it.
URL = "https://www.exemple-cooperatives.fr/actualites/une-scop-fete-ses-dix-ans"
HEADER = "Bienvenue sur le site de votre Union Régionale"
PROSE = (
    "<p>La coopérative réunit aujourd’hui quarante salariés associés, qui décident ensemble des "
    "grandes orientations de l’entreprise et partagent les résultats de leur travail.</p>"
    "<p>Ses fondateurs rappellent que le choix de la forme Scop s’est imposé dès le départ, "
    "pour garantir que le pouvoir reste entre les mains de celles et ceux qui travaillent.</p>"
    "<p>Un nouvel atelier ouvrira au printemps à Montreuil, avec une dizaine d’embauches "
    "prévues, toutes ouvertes au sociétariat après un an dans la maison.</p>"
)
MENU = "<nav><ul><li><a href='/'>Accueil</a></li><li><a href='/actualites'>Actualités</a></li></ul></nav>"


def other_site(head: str = "", body: str = "", title: str = "Une Scop fête ses dix ans") -> str:
    """A page of another site: a menu, a heading, prose, and what each test adds."""
    return (f"<html lang='fr'><head><title>{title} – Exemple</title>{head}</head><body>{MENU}"
            f"<main><article><h1>{title}</h1>{body}{PROSE}</article></main>"
            "<footer><p>© 2024 Exemple</p></footer></body></html>")  # fmt: skip


def methods_are_known(page) -> None:
    found = {**page.extraction, **(page.article.extraction if page.article else {})}
    assert set(found.values()) <= set(EXTRACTION_METHODS), found


# --- 1. the site's landmarks ---------------------------------------------------------------------

def test_landmarks_frame_the_page_and_say_so():
    page = extract(SITE_URL, (
        f"<html><body><div>{HEADER}</div><h1>Titre</h1><p>04 11 2024</p><p>Le chapô.</p>"
        f"{PROSE}<div><b>Les dernières actualités</b><br><a href='/t1'>Teaser</a><br>Résumé.<br>"
        "<a href='/t1'>Lire plus...</a></div></body></html>"))  # fmt: skip
    assert page.page_type == "article"
    assert (page.title, page.article.published_date) == ("Titre", date(2024, 11, 4))
    assert page.article.extraction == {"title": "landmark", "published_date": "landmark",
                                       "body_text": "landmark", "lead": "landmark"}  # fmt: skip
    assert page.extraction["page_type"] == "landmark"
    assert "Teaser" not in page.article.body_text
    methods_are_known(page)


def test_a_byline_beside_the_title_is_the_date_line_of_a_theme_that_writes_it_inline():
    page = extract(SITE_URL, (
        f"<html><body><div>{HEADER}</div><h1>Titre</h1><p>Publié le <time>4 avril 2020</time> "
        f"par <a href='/u'>Union régionale</a></p><p>Le chapô.</p>{PROSE}</body></html>"))  # fmt: skip
    assert page.article.published_date == date(2020, 4, 4)
    assert page.article.published_date_raw == "4 avril 2020"
    assert page.article.extraction["published_date"] == "landmark"
    assert page.article.lead == "Le chapô."  # the byline is neither lead nor body
    assert "Publié" not in page.article.body_text


def test_a_selector_of_the_profile_comes_first():
    profile = replace(DEFAULT_PROFILE, selectors={"title": "h2.titre"})
    page = extract(SITE_URL, f"<div>{HEADER}</div><h1>Autre</h1><h2 class='titre'>Le vrai</h2>"
                             "<p>04 04 2020</p><p>Corps.</p>", profile=profile)  # fmt: skip
    assert page.title == "Le vrai" and page.article.extraction["title"] == "selector"


def test_a_legacy_url_dates_the_page():
    url = "https://les-scop-idf.coop/actualite-presse/communiques-de-presse/20141126,bilan.htm"
    page = extract(url, f"<html><body><h1>Bilan 2014</h1>{PROSE}</body></html>")
    assert page.page_type == "legacy_article"
    assert page.article.published_date == date(2014, 11, 26)
    assert page.article.extraction["published_date"] == "url"


# --- 2. the page's standard metadata ------------------------------------------------------------

def test_json_ld_declares_the_type_and_the_date():
    head = ('<script type="application/ld+json">{"@context": "https://schema.org", "@graph": ['
            '{"@type": "WebSite", "name": "Exemple"}, {"@type": "NewsArticle", '
            '"headline": "Une Scop fête ses dix ans", '
            '"datePublished": "2024-09-24T09:00:00+02:00"}]}</script>')  # fmt: skip
    page = extract(URL, other_site(head))
    assert page.page_type == "article" and page.extraction["page_type"] == "json-ld"
    assert page.article.published_date == date(2024, 9, 24)
    assert page.article.extraction["published_date"] == "json-ld"
    assert page.title == "Une Scop fête ses dix ans"
    methods_are_known(page)


def test_microdata_declares_the_type_and_the_date():
    body = ('<div itemscope itemtype="https://schema.org/BlogPosting">'
            '<meta itemprop="datePublished" content="2021-03-05"></div>')  # fmt: skip
    page = extract(URL, other_site(body=body))
    assert page.page_type == "article" and page.extraction["page_type"] == "microdata"
    assert page.article.published_date == date(2021, 3, 5)
    assert page.article.extraction["published_date"] == "microdata"


def test_opengraph_declares_the_type_and_the_date():
    head = ('<meta property="og:type" content="article">'
            '<meta property="og:title" content="Une Scop fête ses dix ans – Exemple">'
            '<meta property="og:site_name" content="Exemple">'
            '<meta property="article:published_time" content="2023-06-01T08:00:00+02:00">')  # fmt: skip
    page = extract(URL, other_site(head))
    assert page.extraction["page_type"] == "opengraph"
    assert page.article.published_date == date(2023, 6, 1)
    assert page.article.extraction["published_date"] == "opengraph"
    # The heading, confirmed by the og:title once the site's name is cut from it.
    assert page.title == "Une Scop fête ses dix ans"
    assert page.article.extraction["title"] == "heading"


def test_a_time_element_beside_the_title_dates_an_article():
    page = extract(URL, other_site(body='<p><time datetime="2022-11-04">4/11/22</time></p>'))
    assert page.page_type == "article"
    assert page.article.published_date == date(2022, 11, 4)
    assert page.article.extraction["published_date"] == "time"


def test_dublin_core_dates_a_page():
    page = extract(URL, other_site('<meta name="DC.date.issued" content="2019-02-14">'))
    assert page.article.published_date == date(2019, 2, 14)
    assert page.article.extraction["published_date"] == "meta"


def test_an_instant_in_utc_gives_way_to_the_same_day_written_with_its_offset():
    head = ('<script type="application/ld+json">{"@type": "Article", '
            '"datePublished": "2020-02-25T02:25:54Z"}</script>'
            '<meta property="article:published_time" content="2020-02-24T21:25:54-05:00">')  # fmt: skip
    page = extract(URL, other_site(head))
    assert page.article.published_date == date(2020, 2, 24)


def test_the_title_tag_without_the_sites_name_when_nothing_else_names_the_page():
    html = other_site().replace("<h1>Une Scop fête ses dix ans</h1>", "")
    page = extract(URL, html)
    assert page.title == "Une Scop fête ses dix ans"
    assert page.extraction["title"] == "title-tag"


def test_a_heading_that_is_the_sites_name_is_not_the_title():
    head = '<meta property="og:title" content="Une Scop fête ses dix ans">'
    html = other_site(head).replace("<main>", "<main><h1>exemple-cooperatives.fr</h1>")
    page = extract(URL, html)
    assert page.title == "Une Scop fête ses dix ans"


def test_a_listing_declared_or_shaped_as_one():
    teasers = "".join(
        f"<h2><a href='/actualites/a{n}'>Article {n}</a></h2><p>{n:02d} 03 2024</p>"
        f"<p>Résumé de l’article {n}, en quelques mots.</p><p><a href='/actualites/a{n}'>Lire "
        "plus</a></p>" for n in range(1, 6))  # fmt: skip
    html = (f"<html><head><title>Actualités</title></head><body>{MENU}<h1>Actualités</h1>"
            f"{teasers}<p><a href='?page=1'>Page suivante</a></p></body></html>")  # fmt: skip
    page = extract("https://www.exemple-cooperatives.fr/actualites", html)
    assert page.page_type == "listing" and page.extraction["page_type"] == "structure"
    assert [t.title for t in page.teasers] == [f"Article {n}" for n in range(1, 6)]
    assert page.teasers[0].published_date == date(2024, 3, 1)


def test_an_article_followed_by_teasers_is_never_a_listing():
    related = "".join(
        f"<h3><a href='/actualites/a{n}'>Article {n}</a></h3><p>{n:02d} 03 2024</p>"
        f"<p>Résumé {n}.</p><p><a href='/actualites/a{n}'>Lire plus</a></p>" for n in range(6))
    html = other_site(body="<p>Publié le 2 mars 2024</p>").replace(
        "</article>", f"</article><section><h2>À lire aussi</h2>{related}</section>")
    page = extract(URL, html)
    assert page.page_type == "article"
    assert page.article.published_date == date(2024, 3, 2)


# --- 3. libraries made for any page --------------------------------------------------------------

def test_trafilatura_finds_the_main_text_of_a_page_outside_the_sites_frame():
    page = extract(URL, other_site('<meta property="og:type" content="article">'))
    assert page.article.extraction["body_text"] == "trafilatura"
    assert "quarante salariés associés" in page.article.body_text
    assert "Accueil" not in page.article.body_text and "©" not in page.article.body_text


def test_htmldate_dates_a_page_that_declares_nothing():
    url = "https://www.exemple-cooperatives.fr/2021/06/15/une-scop-fete-ses-dix-ans"
    page = extract(url, other_site())
    assert page.article.published_date == date(2021, 6, 15)
    assert page.article.extraction["published_date"] == "htmldate"
    assert EXTRACTION_METHODS["htmldate"][0] == "library"


def test_htmldate_does_not_date_a_page_by_the_teasers_of_others():
    related = "".join(
        f"<h3><a href='/actualites/a{n}'>Article {n}</a></h3>"
        f"<p>Publié le <time datetime='2024-03-0{n}'>{n} mars 2024</time></p>"
        f"<p>Résumé de l’article {n}, en quelques mots de plus.</p>" for n in range(1, 4))
    html = other_site().replace("</article>", f"</article><aside><h2>À lire aussi</h2>{related}"
                                              "</aside>")  # fmt: skip
    page = extract(URL, html)
    assert page.article.published_date is None
    assert page.page_type == "static"


# --- 4. nothing -----------------------------------------------------------------------------------

def test_a_field_without_evidence_stays_empty():
    page = extract(URL, other_site())
    assert page.page_type == "static"
    assert page.article.published_date is None and page.article.published_date_raw is None
    assert "published_date" not in page.article.extraction
    assert page.article.rubric is None


def test_the_layers_are_documented():
    assert {layer for layer, _ in EXTRACTION_METHODS.values()} == set(EXTRACTION_LAYERS)


# --- the union's texts with every landmark gone ---------------------------------------------------

@pytest.mark.parametrize("path", LANDMARK_FREE, ids=[p.name.split(".")[0] for p in LANDMARK_FREE])
def test_a_page_without_its_landmarks_is_read_through_the_fallbacks(path):
    name = path.name.split(".")[0]
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    page = extract(expected["url"], path.read_bytes())
    assert page.page_type == expected["page_type"]
    assert page.title == expected["title"]
    assert "landmark" not in (page.extraction["title"], page.extraction["page_type"]) or \
        page.page_type == "roundup"  # item headings `Name (75)` are in the text, whatever the theme
    if expected["page_type"] in ("listing", "press_listing"):
        assert [t.title for t in page.teasers] == [t["title"] for t in expected["teasers"]]
        return
    article = page.article
    published = article.published_date
    assert (published.isoformat() if published else None) == expected["published_date"]
    if published:  # from the byline, or the metadata: never a library's guess
        assert article.extraction["published_date"] in ("landmark", "json-ld", "opengraph", "time")
    assert article.extraction["body_text"] == "trafilatura"
    assert token_f1(article.body_text, expected["body_text"]) >= 0.97
    for needle in ("Bienvenue sur le site", "À lire aussi", "Lire plus", "©"):
        assert needle not in article.body_text
    assert [i.name for i in page.initiatives] == [i["name"] for i in expected["initiatives"]]
