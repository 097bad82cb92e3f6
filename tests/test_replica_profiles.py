"""The replica of a sister site (les-scop-ouest: its own texts, a WordPress-like flavour, an older
SPIP generation) served over HTTP on 127.0.0.1 beside the union's, each known by its netloc,
and its pages parsed into the right records under its registered profile."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from collections import deque
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
import yaml
from test_replica import links_of

from scoparchive.pages import parse_page
from scoparchive.profiles import (
    DEFAULT_PROFILE,
    LES_SCOP_OUEST,
    clear_registered_sites,
    parse_site,
    profile_for_url,
)
from scoparchive.replica import ReplicaApp, ReplicaServer, ReplicaSite
from scoparchive.replica.model import content_dir_for, replica_profiles

WEST_DEPARTMENTS = {"22", "29", "35", "56", "44", "49", "53", "72", "85"}
ROUNDUP = "/rentree-cooperative-neuf-initiatives-a-suivre-dans-l-ouest"
SPIP_PAGE = "/spip.php?article42"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module")
def west():
    with ReplicaServer(profile="les-scop-ouest") as server:
        yield server


@pytest.fixture(scope="module")
def union():
    with ReplicaServer() as server:
        yield server


@pytest.fixture(autouse=True)
def no_registration():
    clear_registered_sites()
    yield
    clear_registered_sites()


def fetch(server: ReplicaServer, target: str):
    """(status, final URL, headers, body) of a GET, redirects followed, errors answered."""
    try:
        with urllib.request.urlopen(server.url + target.lstrip("/"), timeout=10) as response:
            return response.status, response.url, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.url, error.headers, error.read()


def parsed(server: ReplicaServer, target: str):
    """The page at ``target``, fetched and parsed under the profile of its URL."""
    status, url, headers, body = fetch(server, target)
    assert status == 200, target
    return parse_page(url, body, profile=profile_for_url(url),
                      content_type=headers["Content-Type"])  # fmt: skip


def test_the_sister_replica_agrees_with_its_profile(west):
    words = yaml.safe_load((content_dir_for("les-scop-ouest") / "site.yaml").read_text("utf-8"))
    flavour = west.site.flavour
    assert replica_profiles() == ["les-scop-idf", "les-scop-ouest"]
    assert west.profile_name == "les-scop-ouest"
    assert words["header_line"] in LES_SCOP_OUEST.header_lines
    assert words["header_line"] not in DEFAULT_PROFILE.header_lines  # the "régionale" variant
    assert words["latest_heading"] in LES_SCOP_OUEST.teaser_headings
    assert words["site_name"] == LES_SCOP_OUEST.title
    assert flavour.cms == west.markup == LES_SCOP_OUEST.cms == "wordpress"
    assert {"news": flavour.news_path, "press": flavour.press_path} == LES_SCOP_OUEST.sections
    assert set(LES_SCOP_OUEST.denied_paths) <= set(flavour.disallowed)
    for path in west.site.legacy:
        base, _, query = path.partition("?")
        assert LES_SCOP_OUEST.is_legacy_path(base, query), path
    # The union's replica is the default, in its own flavour.
    assert ReplicaSite.load().flavour.cms == DEFAULT_PROFILE.cms == "drupal"


def test_the_sister_site_is_served_in_its_own_flavour(west):
    status, _, _, robots = fetch(west, "/robots.txt")
    robots = robots.decode()
    assert status == 200 and "Disallow: /wp-admin/" in robots and "/user/login" not in robots
    assert f"Sitemap: {west.url}wp-sitemap.xml" in robots
    # A sitemap index, as WordPress writes it, of one urlset that lists every page.
    index = ElementTree.fromstring(fetch(west, "/wp-sitemap.xml")[3])
    (child,) = [loc.text for loc in index.findall("s:sitemap/s:loc", SITEMAP_NS)]
    urlset = ElementTree.fromstring(fetch(west, child.removeprefix(west.url))[3])
    listed = {loc.text.removeprefix(west.url.rstrip("/"))
              for loc in urlset.findall("s:url/s:loc", SITEMAP_NS)}  # fmt: skip
    assert {entry.path for entry in west.site.entries.values()} <= listed
    assert {"/nos-actualites", "/nos-actualites?page=1", "/espace-presse"} <= listed

    home = fetch(west, "/")[3].decode()
    assert "Bienvenue sur le site de votre Union régionale" in home
    assert "Nos dernières actualités" in home and 'class="entry-title"' in home
    assert "node__title" not in home and "/sites/default/files/" not in home
    assert 'href="https://les-scop-idf.coop/"' in home  # the network, linked

    article = fetch(west, "/le-mans-sarthe-impressions-fete-ses-quarante-ans-de-cooperation")[3]
    image = "/wp-content/uploads/2023/11/sarthe-impressions.jpg"
    assert image.encode() in article
    status, _, headers, jpeg = fetch(west, image)
    assert (status, headers["Content-Type"], jpeg[:2]) == (200, "image/jpeg", b"\xff\xd8")
    assert headers["Last-Modified"] == "Wed, 01 Nov 2023 00:00:00 GMT"

    assert fetch(west, "/nos-actualites?page=1")[0] == 200
    assert fetch(west, "/nos-actualites?page=2")[0] == 404
    assert fetch(west, "/actualites")[0] == 404  # the union's section is not the West's
    assert fetch(west, "/wp-login.php")[0] == 200  # linked, but robots.txt keeps crawlers out


def test_the_older_spip_generation(west):
    status, _, _, body = fetch(west, SPIP_PAGE)
    assert status == 200 and b"SPIP" in body and b"Bienvenue sur le site" not in body
    status, final, _, _ = fetch(west, "/spip.php?article57")
    assert status == 200
    assert final == west.url + "reprise-en-scop-les-salaries-des-conserveries-de-l-aber-reprennent-leur-usine"
    assert fetch(west, "/spip.php?rubrique3")[0] == 410
    assert fetch(west, "/spip.php")[0] == 404


def test_every_internal_link_of_the_sister_resolves(west):
    """From the home page, every internal link answers 200 (after a redirect) but the old
    section that is gone: a crawl finds every page, the SPIP one included."""
    host = urlsplit(west.url).netloc
    queue, seen, broken, external = deque([west.url]), {west.url}, [], set()
    while queue:
        url = queue.popleft()
        status, _, headers, body = fetch(west, _target(url))
        if status != 200:
            broken.append((_target(url), status))
            continue
        if not headers["Content-Type"].startswith("text/html"):
            continue
        for link in links_of(body, url):
            if urlsplit(link).netloc != host:
                external.add(urlsplit(link).netloc)
            elif link not in seen:
                seen.add(link)
                queue.append(link)
    assert broken == [("/spip.php?rubrique3", 410)]
    crawled = {_target(url) for url in seen}
    assert set(west.site.html_paths()) <= crawled
    assert {SPIP_PAGE, "/spip.php?article57", "/wp-content/uploads/2021/03/bilan-2020-scop-ouest.pdf"
            } <= crawled  # fmt: skip
    assert {"les-scop-idf.coop", "www.les-scop.coop", "www.ouest-france.fr"} <= external
    # Linked, but robots.txt keeps a polite crawler out.
    assert {"/wp-login.php", "/recherche"} <= crawled


def _target(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_the_roundup_covers_the_west(west):
    truth = west.site.truth(ROUNDUP)
    codes = {code for item in truth.initiatives for code in item.departments}
    assert codes == WEST_DEPARTMENTS
    assert ["44", "85"] in [item.departments for item in truth.initiatives]


def test_every_page_of_the_sister_parses_into_its_records(west):
    west.register()
    problems = []
    for path in west.site.html_paths():
        page, truth = parsed(west, path), west.site.truth(path)
        found = []
        if page.page_type != truth.page_type:
            found.append(f"type {page.page_type} != {truth.page_type}")
        if page.title != truth.title:
            found.append(f"title {page.title!r}")
        if page.article is not None and page.article.published_date != truth.date:
            found.append(f"date {page.article.published_date} != {truth.date}")
        if truth.page_type == "static" and (page.article is None or page.article.published_date):
            found.append("a static page without a text, or dated")
        got = [(i.name, i.departments) for i in page.initiatives]
        if got != [(i.name, i.departments) for i in truth.initiatives]:
            found.append(f"initiatives {got}")
        if [t.title for t in page.teasers] != [t.title for t in truth.teasers]:
            found.append(f"teasers {[t.title for t in page.teasers]}")
        if found:
            problems.append(f"{path}: {'; '.join(found)}")
    assert not problems
    kinds = {west.site.truth(path).page_type for path in west.site.html_paths()}
    assert {"home", "article", "roundup", "programme", "static", "listing", "press_listing",
            "legacy_article"} <= kinds  # fmt: skip


def test_the_roundup_gives_initiatives_with_departments(west):
    west.register()
    page = parsed(west, ROUNDUP)
    assert page.page_type == "roundup"
    assert page.article.published_date.isoformat() == "2019-09-12"
    assert len(page.initiatives) == 9
    assert {code for item in page.initiatives for code in item.departments} == WEST_DEPARTMENTS
    assert page.initiatives[-1].name == "Marais Solidaires"
    assert page.initiatives[-1].departments == ["44", "85"]


def test_the_registered_profile_decides_the_old_pages(west):
    """The SPIP scheme is the West's profile's: unregistered, the replica's URL is taken for the
    union's site, whose legacy pages are ``.htm``, and the old page reads as an undated one."""
    unregistered = parsed(west, SPIP_PAGE)
    assert unregistered.page_type == "static"
    assert unregistered.article.published_date is None
    west.register()
    page = parsed(west, SPIP_PAGE)
    assert page.page_type == "legacy_article"
    assert page.article.published_date.isoformat() == "2012-05-14"
    assert page.title == "Les coopératives bretonnes à l'honneur au Salon de l'entreprise"


def test_two_replicas_on_loopback_are_two_sites(union, west):
    assert union.url != west.url and union.url.startswith("http://127.0.0.1:")
    parse_site(f"les-scop-idf={union.url}")
    parse_site(f"les-scop-ouest={west.url}")
    for server, name in ((union, "les-scop-idf"), (west, "les-scop-ouest")):
        profile = profile_for_url(server.url + "contact")
        assert (profile.name, profile.base_url) == (name, server.url)
    union_home, west_home = parsed(union, "/"), parsed(west, "/")
    assert union_home.title.startswith("Union régionale des Scop et Scic Île-de-France")
    assert west_home.title == LES_SCOP_OUEST.title
    # Each replica's news listing, under its own section path, holds its own articles.
    union_news = parsed(union, "/actualites")
    west_news = parsed(west, "/nos-actualites")
    assert union_news.page_type == west_news.page_type == "listing"
    assert [t.title for t in west_news.teasers] == [
        entry.title for entry in west.site.articles()[:10]]


def test_the_sister_scales_like_the_union():
    site = ReplicaSite.load(content_dir_for("les-scop-ouest"), scale=3)
    assert len(site.articles()) == 3 * 13
    assert len({entry.body for entry in site.articles()}) == 39
    volet = site.article("rentree-cooperative-neuf-initiatives-a-suivre-dans-l-ouest-volet-3")
    assert volet.files_dir == "/wp-content/uploads/2019/09/"  # the original's uploads
    assert site.flavour.news_path == "/nos-actualites" and site.news_pages() == 4
    slug = site.add_article("Nouvelle Scop à Saint-Malo", "2025-01-02", "Chapô.", hero="port.jpg")
    assert site.article(slug).files_dir == "/wp-content/uploads/2025/01/"
    # A site loaded beforehand is served as its own profile's, in its own chrome.
    assert site.profile == "les-scop-ouest"
    home = ReplicaApp(site, base_url="http://127.0.0.1:8000/").handle("/").body.decode()
    assert "Bienvenue sur le site de votre Union régionale" in home
    assert "Union Régionale" not in home


def test_an_unknown_replica_is_refused():
    with pytest.raises(ValueError, match="les-scop-idf, les-scop-ouest"):
        ReplicaServer(profile="les-cae")


def test_the_cli_serves_the_sister_site():
    process = subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "replica", "--profile", "les-scop-ouest",
         "--port", "0"], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        first = process.stdout.readline()
        assert first.startswith("Replica of les-scop-ouest.coop (wordpress markup) at ")
        url = first.split(" at ")[-1].strip()
        with urllib.request.urlopen(url + "robots.txt", timeout=10) as response:
            assert b"Sitemap: " + url.encode() + b"wp-sitemap.xml" in response.read()
    finally:
        process.terminate()
        process.wait(timeout=10)
    refused = subprocess.run([sys.executable, "-m", "scoparchive", "replica", "--profile",
                              "les-cae", "--port", "0"], capture_output=True, text=True,
                             timeout=60)  # fmt: skip
    assert refused.returncode != 0
    assert "pas de réplique pour le site « les-cae »" in refused.stderr
