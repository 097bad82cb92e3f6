"""The replica site: a real server on 127.0.0.1, fetched with the standard library's client."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import time
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import lxml.html
import pytest

from scoparchive.replica import (
    DISALLOWED_PATHS,
    MARKUPS,
    NEWS_PATH,
    PAGE_SIZE,
    PRESS_PATH,
    Fault,
    ReplicaServer,
    ReplicaSite,
    slugify,
)
from scoparchive.replica.render import INLINE_DATES, LANDMARK_FREE, date_fr, published_datetime

HEADER_LINE = "Bienvenue sur le site de votre Union Régionale"
ROUNDUP_PATH = "/scopetscicsolidaires"
ROUNDUP_TEXT = Path("/work/shared/site/scopetscicsolidaires.txt")
SECOND_ROUNDUP = "/fetes-de-fin-d-annee-offrez-cooperatif"
PROGRAMME = "/rencontre-regionale-des-scop-et-scic-2023-le-programme"
LEGACY_200 = "/actualite-presse/communiques-de-presse/20141126,bilan-emploi-scop-idf.htm"
LEGACY_301 = "/actualite-presse/actualite/20150312,delegation-orleans.htm"
LEGACY_410 = "/union-regionale-scop/temoignages/la-fournee-tourangelle.htm"
OLD_ARTICLE = "/les-scic-un-outil-au-service-des-collectivites-territoriales"


# ---------------------------------------------------------------------- helpers


class Client:
    """One keep-alive connection to a replica, as a crawler would hold."""

    def __init__(self, server: ReplicaServer):
        parts = urlsplit(server.url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def get(self, path: str, headers: dict | None = None, method: str = "GET"):
        self.connection.request(method, path, headers=headers or {})
        response = self.connection.getresponse()
        return response, response.read()

    def close(self) -> None:
        self.connection.close()


def fetch(server: ReplicaServer, path: str, headers: dict | None = None, method: str = "GET"):
    client = Client(server)
    try:
        return client.get(path, headers, method)
    finally:
        client.close()


def page_text(html: bytes) -> str:
    """Visible text with whitespace collapsed; ``<br>`` counts as a blank."""
    tree = lxml.html.fromstring(html)
    for node in tree.xpath("//script|//style|//title"):
        node.drop_tree()
    for br in tree.iter("br"):
        br.tail = " " + (br.tail or "")
    return squash(tree.text_content())


def squash(text: str) -> str:
    return " ".join(text.split())


def printed_date(markup: str, truth) -> str | None:
    """The page's date as the markup prints it: the ``DD MM YYYY`` line, or French words inside
    a byline for the markups of ``INLINE_DATES``."""
    if not truth.date_raw:
        return None
    return date_fr(truth.date) if markup in INLINE_DATES else truth.date_raw


def links_of(html: bytes, base: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    found = [urljoin(base, href) for href in tree.xpath("//a/@href|//img/@src")]
    return [url.split("#")[0] for url in found if not url.startswith(("mailto:", "tel:"))]


def published_roundup() -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(body lines, the 15 headings, teaser (title, lead) pairs) of the real page's text."""
    text = ROUNDUP_TEXT.read_text(encoding="utf-8")
    body, teasers = text.split("\nLes dernières actualités\n")
    body_lines = [line.strip() for line in body.splitlines() if line.strip()]
    headings = [line for line in body_lines if re.fullmatch(r".+ \([^()]+\)", line)]
    pairs = []
    for chunk in teasers.split("Lire plus..."):
        parts = [part.strip() for part in chunk.strip().split("\n\n")]
        if len(parts) == 2:
            pairs.append((parts[0], parts[1]))
    return body_lines, headings, pairs


@pytest.fixture(scope="module")
def servers():
    """One running replica per markup, shared by the tests that only read."""
    started = {markup: ReplicaServer(markup=markup).start() for markup in MARKUPS}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def fresh():
    """A replica of its own, for tests that change content or inject faults."""
    server = ReplicaServer().start()
    yield server
    server.stop()


# ---------------------------------------------------------------------- slugs


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("#ScopetScicSolidaires", "scopetscicsolidaires"),
        ("Mois de l'ESS 2024 : notre sélection", "mois-de-l-ess-2024-notre-selection"),
        ("Édito | Et Duralex devint Scop…", "edito-et-duralex-devint-scop"),
        (
            "Retour sur... 2e rencontre des coopératives d'Ivry-Val-de-Bièvre",
            "retour-sur-2e-rencontre-des-cooperatives-d-ivry-val-de-bievre",
        ),
        (
            "60 ans de créations engagées pour le Théâtre du Soleil",
            "60-ans-de-creations-engagees-pour-le-theatre-du-soleil",
        ),
        ("Les Scop mettent en œuvre l’entraide", "les-scop-mettent-en-oeuvre-l-entraide"),
    ],
)
def test_slugify_follows_the_site_rules(title, slug):
    assert slugify(title) == slug


def test_long_slugs_are_cut_on_a_word_boundary():
    title = (
        "Le Relais Val de Seine : 30 ans d’impact social et environnemental vertueux sur le "
        "territoire du nord ouest de l’Ile-de-France"
    )
    slug = slugify(title)
    assert len(slug) <= 100
    assert slug == (
        "le-relais-val-de-seine-30-ans-d-impact-social-et-environnemental-vertueux-sur-le-"
        "territoire-du-nord"
    )


def test_a_taken_slug_gets_a_suffix(fresh):
    first = fresh.site.add_article("Double anniversaire pour Néodyme", "2025-01-02", "Encore.")
    assert first == "double-anniversaire-pour-neodyme-0"


# ---------------------------------------------------------------------- pages in every markup


@pytest.mark.parametrize("markup", MARKUPS)
def test_every_kind_of_page_is_served(servers, markup):
    server = servers[markup]
    for path in ["/", ROUNDUP_PATH, PROGRAMME, NEWS_PATH, PRESS_PATH, "/contact", "/chiffres-cles"]:
        response, body = fetch(server, path)
        assert response.status == 200, path
        text = page_text(body)
        assert text.startswith(HEADER_LINE), path
        assert "Les dernières actualités" in text
        assert "Lire plus..." in text
        truth = server.site.truth(path)
        assert squash(truth.title) in text
    charset_in_header = "charset=utf-8" in response.getheader("Content-Type")
    assert charset_in_header == (markup != "divsoup")
    assert re.search(rb'<meta [^>]*charset="?utf-8', body, re.IGNORECASE)


@pytest.mark.parametrize("markup", MARKUPS)
def test_ground_truth_is_on_every_page(servers, markup):
    """Title, rubric, date line, lead, subheadings and paragraphs are all visible."""
    server = servers[markup]
    for path in server.site.html_paths():
        response, body = fetch(server, path)
        assert response.status == 200, path
        text = page_text(body)
        truth = server.site.truth(path)
        date = printed_date(markup, truth)
        for piece in [truth.title, truth.rubric, date, truth.lead, *truth.subheadings]:
            if piece:
                assert squash(piece) in text, (path, piece)
        if markup in INLINE_DATES and truth.date_raw:
            assert truth.date_raw not in text, path  # no numeric date line at all
        for paragraph in truth.paragraphs:
            assert squash(paragraph) in text, (path, paragraph)
        for teaser in truth.teasers:
            assert squash(teaser.title) in text


def test_truth_leaves_image_names_and_credits_out(servers):
    truth = servers["drupal"].site.truth(ROUNDUP_PATH)
    assert "bandeau-ScopScicSolidaires" not in truth.body_text
    assert truth.images[0].alt == "bandeau-ScopScicSolidaires"
    text = page_text(
        fetch(servers["drupal"], "/une-scop-du-batiment-a-noumea-bati-pacifique-rejoint-le-reseau")[
            1
        ]
    )
    assert "Crédits" not in text  # an article without images has no credit line
    text = page_text(
        fetch(servers["drupal"], "/portrait-atelier-lumen-des-eclairagistes-en-scop-a-montreuil")[1]
    )
    assert "Crédits : Atelier Lumen" in text


def test_markups_share_no_class_or_id(servers):
    names: dict[str, set[str]] = {}
    for markup, server in servers.items():
        found: set[str] = set()
        for path in ["/", ROUNDUP_PATH, PROGRAMME, NEWS_PATH, PRESS_PATH, "/contact", "/recherche"]:
            tree = lxml.html.fromstring(fetch(server, path)[1])
            for value in tree.xpath("//@class"):
                found |= {"class:" + token for token in value.split()}
            found |= {"id:" + value for value in tree.xpath("//@id")}
        names[markup] = found
    for first in MARKUPS:
        for second in MARKUPS:
            if first < second:
                assert not names[first] & names[second], (
                    first,
                    second,
                    names[first] & names[second],
                )
    assert names["divsoup"] == set()
    assert len(names["semantic"]) == 0


def test_divsoup_is_divs_breaks_and_bold(servers):
    html = fetch(servers["divsoup"], ROUNDUP_PATH)[1].decode()
    for tag in ("<h1", "<h2", "<h3", "<article", "<main", "<nav", "<section", "<time"):
        assert tag not in html
    assert "<div><strong>Artefacts et CEFIM (45 et 37)</strong></div>" in html
    assert "<div>04 04 2020</div>" in html
    assert "<br><br>" in html
    programme = fetch(servers["divsoup"], PROGRAMME)[1].decode()
    assert "<p><b>Programme de la journée</b></p>" in programme


def test_semantic_markup_uses_html5_elements(servers):
    html = fetch(servers["semantic"], ROUNDUP_PATH)[1].decode()
    for tag in (
        "<header>",
        "<nav",
        "<main>",
        "<article>",
        '<time datetime="2020-04-04">',
        "<footer>",
    ):
        assert tag in html


_DATE_ONLY = re.compile(
    r"\d{2} \d{2} \d{4}|\d{1,2}(?:er)? (?:janvier|février|mars|avril|mai|juin|juillet|août|"
    r"septembre|octobre|novembre|décembre) \d{4}"
)


def standalone_dates(html: bytes) -> list[str]:
    """Texts of elements (other than ``<time>`` itself) whose whole text is a date."""
    tree = lxml.html.fromstring(html)
    return [
        squash(element.text_content())
        for element in tree.iter()
        if isinstance(element.tag, str)
        and element.tag not in ("time", "script", "style", "title")
        and _DATE_ONLY.fullmatch(squash(element.text_content()))
    ]


def yoast_metadata(html: bytes) -> tuple[dict[str, str], dict[str, dict]]:
    """The ``og:``/``article:`` meta properties, and the JSON-LD graph's nodes by type."""
    tree = lxml.html.fromstring(html)
    meta = {m.get("property"): m.get("content") for m in tree.xpath("//meta[@property]")}
    (script,) = tree.xpath('//script[@type="application/ld+json"]')
    graph = json.loads(script.text)["@graph"]
    return meta, {node["@type"]: node for node in graph}


def test_french_dates():
    assert date_fr("2020-04-04") == "4 avril 2020"
    assert date_fr("2021-05-01") == "1er mai 2021"
    assert date_fr("2024-08-28") == "28 août 2024"
    assert published_datetime("2020-04-04") == "2020-04-04T09:30:00+02:00"
    assert published_datetime("2024-11-21") == "2024-11-21T09:30:00+01:00"


def test_blocktheme_writes_the_date_inline_with_yoast_metadata(servers):
    server = servers["blocktheme"]
    html = fetch(server, ROUNDUP_PATH)[1]
    assert (
        '<p>Publié le <time class="wp-block-post-date" datetime="2020-04-04T09:30:00+02:00">'
        "4 avril 2020</time> par "
    ).encode() in html
    assert b'<html lang="fr-FR">' in html and b'<h1 class="wp-block-post-title">' in html
    meta, graph = yoast_metadata(html)
    url = server.url + ROUNDUP_PATH.lstrip("/")
    assert meta["og:type"] == "article" and meta["og:locale"] == "fr_FR"
    assert meta["og:title"] == "#ScopetScicSolidaires" and meta["og:url"] == url
    assert meta["og:site_name"] == "Scop et Scic ICD"
    assert meta["article:published_time"] == "2020-04-04T09:30:00+02:00"
    assert meta["og:description"] == server.site.truth(ROUNDUP_PATH).lead
    assert f'<link rel="canonical" href="{url}">'.encode() in html
    article = graph["Article"]
    assert article["headline"] == "#ScopetScicSolidaires"
    assert article["datePublished"] == "2020-04-04T09:30:00+02:00"
    assert article["mainEntityOfPage"] == {"@id": url} == {"@id": graph["WebPage"]["url"]}
    assert article["publisher"] == {"@id": graph["Organization"]["@id"]}
    assert {"WebSite", "BreadcrumbList"} <= set(graph)
    for path in ["/contact", "/qui-sommes-nous", "/"]:
        meta, graph = yoast_metadata(fetch(server, path)[1])
        assert meta["og:type"] == "website" and "article:published_time" not in meta, path
        assert "Article" not in graph, path
    assert "ContactPage" in yoast_metadata(fetch(server, "/contact")[1])[1]
    for path in (NEWS_PATH, PRESS_PATH):
        assert "CollectionPage" in yoast_metadata(fetch(server, path)[1])[1]
    # No element anywhere holds a date alone: dates sit in bylines and meta lines.
    for path in server.site.html_paths():
        if path not in server.site.legacy:
            assert standalone_dates(fetch(server, path)[1]) == [], path
    assert "wp-block-query-pagination" in fetch(server, NEWS_PATH)[1].decode()


def test_landmark_free_variant_drops_every_landmark():
    with ReplicaServer(markup=LANDMARK_FREE) as server:
        assert LANDMARK_FREE not in MARKUPS
        for path in ["/", ROUNDUP_PATH, PROGRAMME, NEWS_PATH, PRESS_PATH, "/contact"]:
            response, body = fetch(server, path)
            assert response.status == 200, path
            html = body.decode()
            assert "Bienvenue sur le site" not in html, path
            assert "Les dernières actualités" not in html, path
            assert "À lire aussi" in page_text(body), path
            assert standalone_dates(body) == [], path
            truth = server.site.truth(path)
            assert squash(truth.title) in page_text(body)
            for teaser in truth.latest:
                assert squash(teaser.title) in page_text(body)
        html = fetch(server, ROUNDUP_PATH)[1]
        assert b'datetime="2020-04-04T09:30:00+02:00">4 avril 2020</time> par' in html
        meta, graph = yoast_metadata(html)
        assert meta["article:published_time"] == "2020-04-04T09:30:00+02:00"
        assert graph["Article"]["datePublished"] == "2020-04-04T09:30:00+02:00"


def test_the_cli_offers_every_markup():
    from scoparchive.cli import replica

    (option,) = [p for p in replica.params if p.name == "markup"]
    assert tuple(option.type.choices) == MARKUPS


# ---------------------------------------------------------------------- the real page


def test_roundup_has_the_published_text(servers):
    body_lines, headings, _ = published_roundup()
    assert len(headings) == 15
    truth = servers["drupal"].site.truth(ROUNDUP_PATH)
    assert [item.heading_raw for item in truth.initiatives] == headings
    assert truth.date_raw == "04 04 2020"
    assert truth.initiatives[0].departments == ["45", "37"]
    alts = {image.alt for image in truth.images}
    for markup, server in servers.items():
        html = fetch(server, ROUNDUP_PATH)[1]
        text = page_text(html)
        for line in body_lines:
            if line in alts:  # the published text shows the banner's alternative text
                assert f'alt="{line}"'.encode() in html
            elif line == truth.date_raw:  # the date line, or the date inside a byline
                assert printed_date(markup, truth) in text, markup
            else:
                assert squash(line) in text, (markup, line)


def test_roundup_teaser_block_is_the_published_one(servers):
    _, _, published = published_roundup()
    truth = servers["drupal"].site.truth(ROUNDUP_PATH)
    assert [(t.title, t.lead) for t in truth.latest] == published
    text = page_text(fetch(servers["wordpress"], ROUNDUP_PATH)[1])
    assert squash(published[4][1]) in text


def test_second_roundup_has_every_kind_of_code(servers):
    items = {i.name: i for i in servers["drupal"].site.truth(SECOND_ROUNDUP).initiatives}
    assert items["Envie de Lire"].departments == []
    assert items["Envie de Lire"].place == "Ivry"
    assert items["Envie de Lire"].place_department == "94"
    assert items["Savonnerie du Maquis"].departments == ["2A"]
    assert items["Kafé Lontan"].departments == ["974"]
    assert items["Les Ateliers du Grand Paris"].departments == ["75", "92"]
    assert items["Artisans du Val de Loire"].departments == ["45", "37"]
    assert items["Vanille de Lifou"].departments == ["988"]


def test_programme_slots(servers):
    truth = servers["drupal"].site.truth(PROGRAMME)
    assert truth.page_type == "programme"
    slots = [(s.start, s.end, s.label) for s in truth.programme]
    assert ("13h30", None, "Accueil des délégués pour l'assemblée générale") in slots
    assert slots[-1][:2] == ("17h30", "19h00")
    text = page_text(fetch(servers["semantic"], PROGRAMME)[1])
    assert "17h30 - 19h00 | Conférence" in text


def test_press_release_has_contacts(servers):
    text = page_text(
        fetch(
            servers["drupal"],
            "/bilan-2021-les-scop-et-scic-de-la-region-franchissent-le-cap-des-16-000-emplois",
        )[1]
    )
    assert "Communiqué de presse – Paris, le 17 mars 2022" in text
    for contact in (
        "01 99 007 372",
        "02.61.91.28.29",
        "c.durand[at]scop.coop",
        "75020 Paris",
        "www.example.coop",
    ):
        assert contact in text


# ---------------------------------------------------------------------- HTTP behaviour


def test_conditional_requests_answer_304(servers):
    server = servers["drupal"]
    response, body = fetch(server, OLD_ARTICLE)
    etag, modified = response.getheader("ETag"), response.getheader("Last-Modified")
    assert etag.startswith('"') and not etag.startswith("W/")
    again, empty = fetch(server, OLD_ARTICLE, {"If-None-Match": etag})
    assert again.status == 304 and empty == b""
    again, empty = fetch(server, OLD_ARTICLE, {"If-Modified-Since": modified})
    assert again.status == 304 and empty == b""
    stale = "Mon, 01 Jan 2001 00:00:00 GMT"
    again, full = fetch(server, OLD_ARTICLE, {"If-Modified-Since": stale})
    assert again.status == 200 and full == body
    # A validator of the gzip variant validates the identity one too.
    zipped, _ = fetch(server, OLD_ARTICLE, {"Accept-Encoding": "gzip"})
    again, _ = fetch(server, OLD_ARTICLE, {"If-None-Match": zipped.getheader("ETag")})
    assert again.status == 304


def test_gzip_on_request_and_optional():
    with ReplicaServer() as server:
        plain = fetch(server, ROUNDUP_PATH)
        zipped = fetch(server, ROUNDUP_PATH, {"Accept-Encoding": "gzip, deflate"})
        assert plain[0].getheader("Content-Encoding") is None
        assert zipped[0].getheader("Content-Encoding") == "gzip"
        assert zipped[0].getheader("Vary") == "Accept-Encoding"
        assert gzip.decompress(zipped[1]) == plain[1]
    with ReplicaServer(gzip=False) as server:
        response, _ = fetch(server, ROUNDUP_PATH, {"Accept-Encoding": "gzip"})
        assert response.getheader("Content-Encoding") is None


def test_news_listing_paginates_from_zero(servers):
    server = servers["drupal"]
    site = server.site
    pages = site.news_pages()
    assert pages == -(-len(site.articles()) // PAGE_SIZE) >= 3
    seen = []
    for number in range(pages):
        response, body = fetch(server, f"{NEWS_PATH}?page={number}")
        assert response.status == 200
        truth = site.truth(f"{NEWS_PATH}?page={number}")
        assert len(truth.teasers) == (
            PAGE_SIZE if number < pages - 1 else len(site.articles()) - PAGE_SIZE * number
        )
        seen += [t.url for t in truth.teasers]
        if number < pages - 1:
            assert f'href="{NEWS_PATH}?page={number + 1}"'.encode() in body
    assert seen == [a.path for a in site.articles()]
    assert fetch(server, f"{NEWS_PATH}?page={pages}")[0].status == 404
    assert fetch(server, NEWS_PATH)[1] == fetch(server, f"{NEWS_PATH}?page=0")[1]


def test_press_listing(servers):
    server = servers["semantic"]
    truth = server.site.truth(PRESS_PATH)
    assert truth.page_type == "press_listing"
    first = truth.teasers[0]
    assert first.media == "La Tribune" and first.url.startswith("https://www.latribune.fr/")
    text = page_text(fetch(server, PRESS_PATH)[1])
    assert first.title in text and "La Tribune" in text
    assert fetch(server, f"{PRESS_PATH}?page=1")[0].status == 200
    assert fetch(server, f"{PRESS_PATH}?page=2")[0].status == 404
    drupal = fetch(servers["drupal"], PRESS_PATH)[1]
    assert b'alt="Logo La Tribune"' in drupal


def test_unknown_query_parameters_are_ignored(servers):
    server = servers["drupal"]
    assert fetch(server, OLD_ARTICLE + "?utm_source=x&fbclid=1")[1] == fetch(server, OLD_ARTICLE)[1]


def test_internal_links_come_in_three_forms(servers):
    server = servers["drupal"]
    relais = server.site.latest()[4].path
    assert f'href="{server.url}scopetscicsolidaires"'.encode() in fetch(server, relais)[1]
    assert (
        b'href="/scopetscicsolidaires?utm_source=accueil&amp;utm_medium=bandeau"'
        in fetch(server, "/")[1]
    )
    assert b'href="/contact"' in fetch(server, "/")[1]


def test_static_pages_can_change_too(fresh):
    before, _ = fetch(fresh, "/contact")
    assert fresh.site.update_page("/contact", lead="Nouveaux horaires.")
    after, body = fetch(fresh, "/contact", {"If-None-Match": before.getheader("ETag")})
    assert after.status == 200 and "Nouveaux horaires." in page_text(body)


def test_unknown_paths_get_a_404_page(servers):
    response, body = fetch(servers["wordpress"], "/cette-page-n-existe-pas")
    assert response.status == 404
    assert page_text(body).startswith(HEADER_LINE)


def test_robots_txt_and_sitemap(servers):
    server = servers["drupal"]
    robots = fetch(server, "/robots.txt")[1].decode()
    for path in ("/user/login", "/recherche"):
        assert f"Disallow: {path}" in robots
    assert f"Sitemap: {server.url}sitemap.xml" in robots
    home = fetch(server, "/")[1]
    assert b'href="/user/login"' in home and b'href="/recherche"' in home
    sitemap = fetch(server, "/sitemap.xml")[1].decode()
    locs = re.findall(r"<loc>(.*?)</loc>", sitemap)
    assert sitemap.count("<lastmod>") == len(locs)
    assert server.url.rstrip("/") + ROUNDUP_PATH in locs
    assert len(locs) == len(server.site.html_paths()) - 1  # legacy pages are not listed
    assert "<lastmod>2020-04-04T" in sitemap


def test_sitemap_can_be_switched_off():
    with ReplicaServer(sitemap=False) as server:
        assert "Sitemap:" not in fetch(server, "/robots.txt")[1].decode()
        assert fetch(server, "/sitemap.xml")[0].status == 404


def test_legacy_urls(servers):
    server = servers["drupal"]
    response, body = fetch(server, LEGACY_200)
    assert response.status == 200
    text = page_text(body)
    assert "Communiqué de presse, 26 novembre 2014" in text
    assert HEADER_LINE not in text and "26 11 2014" not in text
    response, _ = fetch(server, LEGACY_301)
    assert response.status == 301
    target = response.getheader("Location")
    assert fetch(server, target)[0].status == 200
    assert server.site.article(target).date_raw == "12 03 2015"
    assert fetch(server, LEGACY_410)[0].status == 410
    truth = server.site.truth(LEGACY_200)
    assert truth.page_type == "legacy_article" and truth.date.isoformat() == "2014-11-26"


def test_images_and_pdf_are_real_files(servers):
    server = servers["drupal"]
    paths = server.app.asset_paths()
    for suffix, magic, kind in (
        (".jpg", b"\xff\xd8\xff", "image/jpeg"),
        (".png", b"\x89PNG", "image/png"),
        (".pdf", b"%PDF-", "application/pdf"),
    ):
        path = next(p for p in sorted(paths) if p.endswith(suffix))
        response, body = fetch(server, path)
        assert response.status == 200 and response.getheader("Content-Type") == kind
        assert body.startswith(magic)
    assert fetch(server, "/sites/default/files/2020-04/inconnu.jpg")[0].status == 404


# ---------------------------------------------------------------------- the whole link graph


@pytest.mark.parametrize("markup", MARKUPS)
def test_every_internal_link_resolves(servers, markup):
    """Crawl from the home page: every internal link answers 200 (after a redirect), except
    the legacy page that is gone; external hosts are linked but never served."""
    server = servers[markup]
    client = Client(server)
    host = urlsplit(server.url).netloc
    queue, seen, broken, external = deque([server.url]), {server.url}, [], set()
    try:
        while queue:
            url = queue.popleft()
            target = _target(url)
            response, body = client.get(target)
            if response.status == 301:
                location = urljoin(url, response.getheader("Location"))
                response, body = client.get(urlsplit(location).path)
            if response.status != 200:
                broken.append((target, response.status))
                continue
            if not response.getheader("Content-Type").startswith("text/html"):
                continue
            for link in links_of(body, url):
                if urlsplit(link).netloc != host:
                    external.add(urlsplit(link).netloc)
                elif link not in seen:
                    seen.add(link)
                    queue.append(link)
    finally:
        client.close()
    assert broken == [(LEGACY_410, 410)]
    assert {"www.les-scop.coop", "www.facebook.com", "www.latribune.fr"} <= external
    crawled = {_target(url) for url in seen}
    assert set(server.site.html_paths()) <= crawled
    assert {LEGACY_301, LEGACY_200} <= crawled
    # Pages link to paths that robots.txt disallows (a polite crawler must skip them).
    assert {"/user/login", "/recherche"} <= crawled & set(DISALLOWED_PATHS)


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---------------------------------------------------------------------- changes while running


def test_add_update_remove_while_running(fresh):
    site = fresh.site
    before_old, _ = fetch(fresh, OLD_ARTICLE)
    before_other, _ = fetch(fresh, "/contact")
    slug = site.add_article(
        "Une nouvelle Scop à Bourges",
        "2025-03-04",
        "Le chapô de l'article.",
        ["Premier paragraphe.", "## Un intertitre", "Deuxième paragraphe."],
        rubric="La force du réseau",
    )
    assert slug == "une-nouvelle-scop-a-bourges"
    response, body = fetch(fresh, "/" + slug)
    assert response.status == 200
    text = page_text(body)
    assert "04 03 2025" in text and "Un intertitre" in text
    assert site.truth("/" + slug).subheadings == ["Un intertitre"]
    assert site.latest()[0].slug == slug
    assert f'href="/{slug}"'.encode() in fetch(fresh, NEWS_PATH)[1]
    # The teaser block changed on every page, so every page's validators moved.
    after_old, _ = fetch(fresh, OLD_ARTICLE)
    assert after_old.getheader("ETag") != before_old.getheader("ETag")
    assert (
        fetch(fresh, "/contact", {"If-None-Match": before_other.getheader("ETag")})[0].status == 200
    )

    # Editing an old article (not among the latest) changes that page only.
    other, _ = fetch(fresh, "/contact")
    old, _ = fetch(fresh, OLD_ARTICLE)
    assert site.update_article(OLD_ARTICLE.lstrip("/"), lead="Un chapô corrigé.")
    changed, body = fetch(fresh, OLD_ARTICLE, {"If-None-Match": old.getheader("ETag")})
    assert changed.status == 200 and "Un chapô corrigé." in page_text(body)
    assert (
        fetch(fresh, OLD_ARTICLE, {"If-Modified-Since": old.getheader("Last-Modified")})[0].status
        == 200
    )
    assert fetch(fresh, "/contact", {"If-None-Match": other.getheader("ETag")})[0].status == 304
    assert not site.update_article(OLD_ARTICLE.lstrip("/"), lead="Un chapô corrigé.")

    site.remove_article(slug)
    assert fetch(fresh, "/" + slug)[0].status == 404
    site.remove_article(OLD_ARTICLE.lstrip("/"), gone=True)
    assert fetch(fresh, OLD_ARTICLE)[0].status == 410
    assert "/" + slug not in site.html_paths()


def test_a_new_page_of_listing_appears_and_disappears(fresh):
    site = fresh.site
    pages = site.news_pages()
    needed = PAGE_SIZE * pages - len(site.articles()) + 1
    slugs = [
        site.add_article(f"Article de test numéro {n}", "2013-01-01", "Chapô.")
        for n in range(needed)
    ]
    assert fetch(fresh, f"{NEWS_PATH}?page={pages}")[0].status == 200
    site.remove_article(slugs[0])
    assert fetch(fresh, f"{NEWS_PATH}?page={pages}")[0].status == 404


# ---------------------------------------------------------------------- log and faults


def test_request_log_records_method_path_status_headers(fresh):
    fetch(fresh, "/contact?x=1", {"User-Agent": "scoparchive-test"})
    fetch(fresh, "/contact", method="HEAD")
    entries = fresh.request_log[-2:]
    assert (entries[0].method, entries[0].path, entries[0].status) == ("GET", "/contact?x=1", 200)
    assert entries[0].headers["User-Agent"] == "scoparchive-test"
    assert entries[1].method == "HEAD" and entries[1].time >= entries[0].time
    assert fresh.requests_for("/contact") == [entries[1]]


def test_faults_503_with_retry_after_then_recovery(fresh):
    fresh.add_fault(ROUNDUP_PATH, 503, times=2, retry_after=3)
    statuses = []
    for _ in range(3):
        response, _ = fetch(fresh, ROUNDUP_PATH)
        statuses.append((response.status, response.getheader("Retry-After")))
    assert statuses == [(503, "3"), (503, "3"), (200, None)]


def test_fault_429_on_a_glob_and_from_the_constructor():
    with ReplicaServer(fault=Fault(f"{NEWS_PATH}*", 429, times=None, retry_after=1)) as server:
        assert fetch(server, f"{NEWS_PATH}?page=1")[0].status == 429
        assert fetch(server, NEWS_PATH)[0].status == 429
        assert fetch(server, "/contact")[0].status == 200


def test_fault_hang_past_a_client_timeout(fresh):
    fresh.add_fault("/contact", None, delay=2)
    parts = urlsplit(fresh.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(socket.timeout):
        connection.request("GET", "/contact")
        connection.getresponse()
    connection.close()
    assert time.monotonic() - started < 1.5


def test_fault_drop_closes_the_connection(fresh):
    fresh.add_fault("/contact", drop=True)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        fetch(fresh, "/contact")
    assert fetch(fresh, "/contact")[0].status == 200


def test_site_loads_from_another_content_dir(tmp_path):
    (tmp_path / "articles").mkdir()
    (tmp_path / "pages").mkdir()
    (tmp_path / "site.yaml").write_text(
        (Path(ReplicaSite.load.__code__.co_filename).parent / "content" / "site.yaml").read_text(
            encoding="utf-8"
        ),
        encoding="utf-8",
    )
    (tmp_path / "articles" / "a.md").write_text(
        "---\ntitle: Un seul article\ndate: 2020-01-02\nlead: Chapô.\n---\nTexte.\n",
        encoding="utf-8",
    )
    with ReplicaServer(content_dir=tmp_path) as server:
        assert [a.slug for a in server.site.articles()] == ["un-seul-article"]
        assert fetch(server, "/un-seul-article")[0].status == 200
        assert fetch(server, "/")[0].status == 404  # no home page in that content
