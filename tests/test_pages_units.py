"""Page objects on small hand-written pages: decoding, linearisation, classification, options."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from scoparchive.pages import extract, parse_page
from scoparchive.pages.document import read_document
from scoparchive.pages.layout import site_text
from scoparchive.profiles import DEFAULT_PROFILE

URL = "https://les-scop-idf.coop/un-article"
HEADER = "Bienvenue sur le site de votre Union Régionale"
LATEST = (
    "<div><b>Les dernières actualités</b><br><a href='/t1'>Teaser un</a><br>Résumé un.<br>"
    "<a href='/t1'>Lire plus...</a><br><a href='/t2'>Teaser deux</a><br>Résumé deux.<br>"
    "<a href='/t2'>Lire plus...</a><br>prev next</div>"
)


def page(body: str, title: str = "Titre") -> str:
    return (f"<html><head><title>{title} | Les Scop</title></head><body><div>{HEADER}</div>"
            f"{body}{LATEST}<div>© 2024 Les Scop - Mentions légales</div></body></html>")  # fmt: skip


def blocks(html: str) -> list:
    from scoparchive.pages.document import parse_html

    return read_document(parse_html(html), site_text(DEFAULT_PROFILE).stands_alone).blocks


def test_br_br_splits_paragraphs_and_bold_lines_stand_alone():
    found = blocks("<div>Un<br>deux<br><br><b>Titre gras</b><br>trois<br> <br>quatre</div>")
    assert [(b.text, b.bold) for b in found] == [
        ("Un\ndeux", False),
        ("Titre gras", True),
        ("trois", False),
        ("quatre", False),
    ]


def test_hidden_script_and_style_are_skipped():
    found = blocks("<p>vu<script>x()</script><span style='display: none'>caché</span></p>"
                   "<div hidden>non</div><style>p{}</style><p>aussi<!-- note --> vu</p>")  # fmt: skip
    assert [b.text for b in found] == ["vu", "aussi vu"]


def test_charset_from_meta_header_and_fallback():
    html = page("<h1>Coopératives</h1><p>04 04 2020</p><p>Été.</p><p>Corps.</p>")
    latin = html.replace("<head>", "<head><meta charset='iso-8859-1'>").encode("cp1252")
    assert extract(URL, latin).title == "Coopératives"
    assert extract(URL, html.encode("cp1252"), content_type="text/html; charset=windows-1252"
                   ).title == "Coopératives"  # fmt: skip
    # Undeclared and not UTF-8: windows-1252, as browsers do.
    assert extract(URL, html.encode("cp1252")).title == "Coopératives"
    assert extract(URL, b"\xef\xbb\xbf" + html.encode()).title == "Coopératives"
    assert extract(URL, html.encode(), content_type="text/html; charset=nonsense").title


def test_article_fields_and_day_first_date():
    parsed = extract(URL, page(
        "<p>La force du réseau</p><h1>Titre</h1><p>04 11 2024</p><p>Le chapô.</p>"
        "<p>Premier paragraphe avec <a href='https://ex.org/a'>un lien</a>.</p>"
        "<p><b>Un intertitre</b></p><p>Suite, www.exemple.coop.</p>"
    ))  # fmt: skip
    article = parsed.article
    assert parsed.page_type == "article"
    assert (article.title, article.rubric) == ("Titre", "La force du réseau")
    assert (article.published_date, article.published_date_raw) == (date(2024, 11, 4), "04 11 2024")
    assert article.lead == "Le chapô."
    assert article.body_text == (
        "Premier paragraphe avec un lien.\n\nUn intertitre\n\nSuite, www.exemple.coop."
    )
    assert "## Un intertitre" in article.body_markdown
    assert [(link.url, link.internal) for link in article.links] == [("https://ex.org/a", False)]
    assert article.extraction["published_date"] == "landmark"
    assert [c.value for c in parsed.contacts] == ["http://www.exemple.coop"]


def test_title_printed_below_the_date_line():
    parsed = extract(URL, page("<p>04 04 2020</p><h1>Titre</h1><p>Chapô.</p><p>Corps.</p>"))
    assert (parsed.title, parsed.article.body_text) == ("Titre", "Corps.")


def test_classification_of_home_legacy_static_unknown():
    assert extract("https://les-scop-idf.coop/", page("<h1>Accueil</h1>")).page_type == "home"
    legacy = extract(
        "https://les-scop-idf.coop/actualite-presse/actualite/20150312,x.htm",
        "<html><body><h1>Ancien</h1><p>Texte ancien.</p></body></html>",
    )
    assert legacy.page_type == "legacy_article"
    assert legacy.article.published_date == date(2015, 3, 12)
    static = extract(URL, page("<h1>Qui sommes-nous</h1><p>Nous sommes une union.</p>"))
    assert (static.page_type, static.article.published_date) == ("static", None)
    unknown = extract(URL, "<html><body><p>rien</p></body></html>")
    assert (unknown.page_type, unknown.article) == ("unknown", None)


def test_teaser_block_is_never_body_nor_teasers_of_an_article():
    parsed = extract(URL, page("<h1>Titre</h1><p>04 04 2020</p><p>Chapô.</p><p>Corps.</p>"))
    assert parsed.teasers == []
    assert "Teaser" not in parsed.article.body_text
    assert {link.url for link in parsed.links} >= {"https://les-scop-idf.coop/t1"}


def test_teaser_heading_above_the_header_line_ends_nothing():
    """The content and the search for the date line end at the first teaser heading after the
    header line; a teaser heading above it (a menu entry) does not count."""
    from scoparchive.pages.document import read_html
    from scoparchive.pages.layout import analyse

    text = site_text(DEFAULT_PROFILE)
    html = page("<h1>Titre</h1><p>04 04 2020</p><p>Corps.</p>").replace(
        "<body>", "<body><p>Les dernières actualités</p>"
    )
    doc = read_html(html, text.stands_alone)
    layout = analyse(doc, text)
    texts = [block.text for block in doc.blocks]
    assert layout.teaser == 0 and layout.header == 1
    assert texts[layout.date] == "04 04 2020" and texts[layout.title] == "Titre"
    assert texts[layout.content_start : layout.content_end] == ["Corps."]
    assert texts[layout.content_end] == "Les dernières actualités"
    assert layout.content_end > layout.header


def test_fingerprint_ignores_the_teaser_block():
    article = "<h1>Titre</h1><p>04 04 2020</p><p>Chapô.</p><p>Corps.</p>"
    first = extract(URL, page(article))
    other = page(article).replace("Teaser un", "Un nouvel article").replace("/t1", "/t3")
    assert first.content_fingerprint() == extract(URL, other).content_fingerprint()


def test_profile_selectors_are_tried_first():
    profile = replace(DEFAULT_PROFILE, selectors={"title": "h2.titre", "body": "div.corps"})
    html = page("<h1>Autre</h1><p>04 04 2020</p><h2 class='titre'>Le vrai titre</h2>"
                "<div class='corps'><p>Chapô.</p><p>Corps choisi.</p></div><p>Hors corps.</p>")  # fmt: skip
    parsed = extract(URL, html, profile=profile)
    assert parsed.title == "Le vrai titre"
    assert parsed.article.extraction["title"] == "selector"
    assert parsed.article.body_text == "Corps choisi."
    assert extract(URL, html, profile=replace(DEFAULT_PROFILE, selectors={"title": "[["})).title


def test_sister_site_header_line():
    html = page("<h1>Titre</h1><p>04 04 2020</p><p>Chapô.</p><p>Corps.</p>").replace(
        HEADER, "Bienvenue sur le site de votre Fédération"
    )
    parsed = parse_page(URL, html)
    assert parsed.page_type == "article"
    assert "Bienvenue" not in parsed.article.body_text
