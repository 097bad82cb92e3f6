"""The scaled replica (``ReplicaSite.load(scale=K)``, ``scoparchive replica --scale K``) and its
editions (``ReplicaSite.edit``): served on 127.0.0.1 and read back over HTTP."""

from __future__ import annotations

import hashlib
import http.client
import math
import os
import re
import subprocess
import sys
from datetime import timedelta
from urllib.parse import urlsplit

import lxml.etree
import lxml.html
import pytest

from scoparchive.pages import parse_page
from scoparchive.replica import (
    NEWS_PATH,
    PAGE_SIZE,
    PRESS_PATH,
    ReplicaApp,
    ReplicaServer,
    ReplicaSite,
)
from scoparchive.replica.scale import EDITION_TEXT, VOLET_SPACING_DAYS, volet_slug

ORIGINALS = 35  # articles in content/articles
BASE = "http://127.0.0.1:8000/"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class Client:
    """One keep-alive connection to the server, as a crawler holds it."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def fetch_all(server: ReplicaServer, paths: list[str]) -> dict[str, bytes]:
    client = Client(server.url)
    try:
        found = {}
        for path in paths:
            status, body = client.get(path)
            assert status == 200, path
            found[path] = body
        return found
    finally:
        client.close()


def sitemap_paths(body: bytes) -> list[str]:
    """The root-relative targets (path and query) of a sitemap's ``<loc>``s."""
    found = []
    for loc in lxml.etree.fromstring(body).iterfind("s:url/s:loc", SITEMAP_NS):
        parts = urlsplit(loc.text)
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def rendered(site: ReplicaSite, paths: list[str]) -> dict[str, bytes]:
    app = ReplicaApp(site, "drupal", BASE)
    return {path: app.handle(path).body for path in paths}


def page_text(body: bytes) -> str:
    return lxml.html.fromstring(body).text_content()


def prose(entry) -> list[str]:
    return [block.source for block in entry.blocks if block.kind == "p"]


@pytest.fixture(scope="module")
def scaled():
    """A replica four times the size, served on 127.0.0.1 for the whole module (read only)."""
    with ReplicaServer(port=0, scale=4) as server:
        yield server


# ---------------------------------------------------------------------- scale 1


def test_scale_one_is_the_replica_as_it_always_was():
    plain = ReplicaSite.load(clock=lambda: 1.7e9)
    one = ReplicaSite.load(clock=lambda: 1.7e9, scale=1)
    assert list(plain.entries) == list(one.entries)
    paths = [*plain.html_paths(), "/sitemap.xml"]
    assert rendered(plain, paths) == rendered(one, paths)
    assert all(entry.uploads_dir is None for entry in one.entries.values())


def test_a_scale_under_one_or_with_a_site_is_refused():
    with pytest.raises(ValueError):
        ReplicaSite.load(scale=0)
    with pytest.raises(ValueError):
        ReplicaServer(port=0, site=ReplicaSite.load(), scale=2)


# ---------------------------------------------------------------------- scale K, over HTTP


def test_the_scaled_site_serves_k_times_the_articles_at_distinct_urls(scaled):
    site = scaled.site
    articles = site.articles()
    assert len(articles) == 4 * ORIGINALS
    assert len({entry.path for entry in articles}) == len(articles)
    originals = ReplicaSite.load()
    for original in originals.articles():
        for volet in (2, 3, 4):
            copy = site.page("/" + volet_slug(original.title, volet))
            assert copy is not None and copy.title == f"{original.title} – volet {volet}"
            assert copy.date == original.date - timedelta(days=VOLET_SPACING_DAYS * (volet - 1))
            assert copy.kind == original.kind and copy.rubric == original.rubric
            # The same uploaded files: a copy adds no image URL to the site.
            assert copy.files_dir == original.files_dir
    assert scaled.app.asset_paths() == ReplicaApp(originals, "drupal", BASE).asset_paths()

    listed = sitemap_paths(fetch_all(scaled, ["/sitemap.xml"])["/sitemap.xml"])
    assert len(listed) == len(set(listed))
    assert {entry.path for entry in articles} <= set(listed)
    news_pages = math.ceil(4 * ORIGINALS / PAGE_SIZE)
    assert site.news_pages() == news_pages
    expected = len(site.entries) + news_pages + site.press_pages()
    assert len(listed) == expected
    pages = fetch_all(scaled, listed)
    assert len(set(pages.values())) == len(pages)  # every page its own bytes


def test_the_news_listing_is_paginated_over_every_article(scaled):
    site = scaled.site
    client = Client(scaled.url)
    try:
        seen: list[str] = []
        path: str | None = NEWS_PATH
        visited = 0
        while path:
            status, body = client.get(path)
            assert status == 200, path
            visited += 1
            document = lxml.html.fromstring(body)
            seen += [a.get("href") for a in document.cssselect(
                ".view-display-id-page_1 .views-row .views-field-title a")]
            following = document.cssselect(".pager__item--next a")
            path = following[0].get("href") if following else None
        assert visited == math.ceil(4 * ORIGINALS / PAGE_SIZE) == site.news_pages()
        assert seen == [entry.path for entry in site.articles()]
        assert client.get(f"{NEWS_PATH}?page={visited}")[0] == 404
        assert client.get(f"{PRESS_PATH}?page=1")[0] == 200  # the press listing is not scaled
    finally:
        client.close()


def test_no_two_articles_read_the_same(scaled):
    site = scaled.site
    articles = site.articles()
    assert len({entry.body for entry in articles}) == len(articles)
    assert len({entry.lead for entry in articles}) == len(articles)
    by_path = {entry.path: entry for entry in articles}
    for original in ReplicaSite.load().articles():
        volets = [by_path["/" + volet_slug(original.title, n)] for n in (2, 3, 4)]
        family = [original, *volets]
        # Headings, roundup items, programme and images stay; every prose paragraph differs.
        shapes = {tuple(block.kind for block in entry.blocks) for entry in family}
        assert len(shapes) == 1, original.path
        for position in range(len(prose(original))):
            texts = [prose(entry)[position] for entry in family]
            assert len(set(texts)) == len(texts), (original.path, position)

    # What the archive's build compares: the extracted content's fingerprint and text.
    pages = fetch_all(scaled, [entry.path for entry in articles])
    parsed = [parse_page(scaled.url.rstrip("/") + path, body, content_type="text/html")
              for path, body in pages.items()]
    assert {page.page_type for page in parsed} <= {"article", "roundup", "programme"}
    assert len({page.content_fingerprint() for page in parsed}) == len(parsed)
    bodies = [page.article.body_text for page in parsed]
    assert all(bodies) and len(set(bodies)) == len(bodies)


DIGEST_OF_SCALE_3 = f"""
import hashlib
from scoparchive.replica import ReplicaApp, ReplicaSite
site = ReplicaSite.load(scale=3, clock=lambda: 1.8e9)
app = ReplicaApp(site, "drupal", "{BASE}")
digest = hashlib.sha256()
for path in [*site.html_paths(), "/sitemap.xml"]:
    digest.update(path.encode() + b"\\0" + app.handle(path).body)
print(digest.hexdigest())
"""


def test_the_same_scale_gives_the_same_bytes_in_every_process():
    digests = set()
    for seed in ("1", "2"):  # another hash seed: no set or dict order may leak into the pages
        completed = subprocess.run([sys.executable, "-c", DIGEST_OF_SCALE_3], check=True,
                                   capture_output=True, text=True, timeout=120,
                                   env={**os.environ, "PYTHONHASHSEED": seed})
        digests.add(completed.stdout.strip())
    site = ReplicaSite.load(scale=3, clock=lambda: 1.8e9)
    paths = [*site.html_paths(), "/sitemap.xml"]
    here = hashlib.sha256()
    for path, body in rendered(site, paths).items():
        here.update(path.encode() + b"\0" + body)
    assert digests == {here.hexdigest()}


def test_a_bigger_scale_keeps_the_smaller_ones_articles():
    three, five = ReplicaSite.load(scale=3), ReplicaSite.load(scale=5)
    for entry in three.articles():
        other = five.page(entry.path)
        assert other is not None
        assert (other.title, other.date, other.lead, other.body) == (
            entry.title, entry.date, entry.lead, entry.body)


# ---------------------------------------------------------------------- editions


def test_an_edition_changes_exactly_the_pages_of_the_articles_it_names():
    with ReplicaServer(port=0, scale=3) as server:
        site = server.site
        paths = site.html_paths()
        assert len(site.articles()) == 3 * ORIGINALS
        before = fetch_all(server, paths)
        edited = site.edit(0.05, edition=1)
        assert len(edited) == round(0.05 * 3 * ORIGINALS) == 5
        after = fetch_all(server, paths)
        changed = {path for path in paths if before[path] != after[path]}
        assert changed == set(edited)
        text = EDITION_TEXT.format(edition=1)
        for path in edited:
            assert text in page_text(after[path]) and text not in page_text(before[path])
            assert prose(site.page(path))[-1] == text
        # The sitemap tells a crawler which ones changed.
        sitemap = fetch_all(server, ["/sitemap.xml"])["/sitemap.xml"]
        assert set(sitemap_paths(sitemap)) >= set(edited)


def test_editions_are_deterministic_and_each_picks_its_own_articles():
    one, again = ReplicaSite.load(scale=4), ReplicaSite.load(scale=4)
    first = one.edit(0.02, edition=1, at=1.8e9)
    assert first == again.edit(0.02, edition=1, at=1.8e9)
    assert len(first) == round(0.02 * 4 * ORIGINALS)
    paths = [*one.html_paths(), "/sitemap.xml"]
    assert rendered(one, paths) == rendered(again, paths)
    assert one.edit(0.02, edition=2) != first
    assert one.edit(0, edition=3) == []
    assert len(ReplicaSite.load().edit(0.001)) == 1  # a share over zero changes at least one
    assert len(ReplicaSite.load().edit(1.0)) == ORIGINALS
    with pytest.raises(ValueError):
        one.edit(1.5)


def test_an_article_edited_twice_keeps_both_updates():
    site = ReplicaSite.load(scale=4)
    first, second = site.edit(0.5, edition=1), site.edit(0.5, edition=2)
    both = set(first) & set(second)
    assert both
    for path in both:
        assert prose(site.page(path))[-2:] == [EDITION_TEXT.format(edition=n) for n in (1, 2)]
    for path in set(second) - set(first):
        assert prose(site.page(path))[-1] == EDITION_TEXT.format(edition=2)
        assert EDITION_TEXT.format(edition=1) not in site.page(path).body


# ---------------------------------------------------------------------- command line


def test_the_command_line_serves_a_scaled_edited_replica():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "replica", "--port", "0", "--scale", "2",
         "--edit-fraction", "0.1", "--editions", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        url = None
        lines = []
        for line in process.stdout:
            lines.append(line)
            found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
            if found:
                url = found[1]
            if "articles edited" in line:
                break
        assert url, lines
        assert re.search(r"^70 articles \(scale 2\), \d+ HTML pages; \d+ articles edited",
                         lines[-1]), lines
        expected = ReplicaSite.load(scale=2)
        editions = [set(expected.edit(0.1, edition=n)) for n in (1, 2)]
        edited = editions[0] | editions[1]
        assert f"; {len(edited)} articles edited" in lines[-1]
        client = Client(url)
        status, sitemap = client.get("/sitemap.xml")
        assert status == 200
        assert len(sitemap_paths(sitemap)) == len(expected.entries) + expected.news_pages() \
            + expected.press_pages()
        for edition, chosen in enumerate(editions, 1):
            text = EDITION_TEXT.format(edition=edition)
            for path in sorted(edited):
                status, body = client.get(path)
                assert status == 200 and (text in page_text(body)) == (path in chosen), path
        client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
