"""One click to the archived page: every row that comes from a capture holds its archived_url,
and `scoparchive serve` replays it through pywb on its own port, offline, pywb-rewritten; in
Chromium, an article's row page links to it. Without pywb, serve still starts, and the links
answer a French 503 page."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest
from conftest import REPO, free_port, get_json, wait_for_http
from datasette.utils import tilde_encode

from scoparchive.publishing.replay import WAYBACK_FOLDER_VARIABLE, find_wayback

pytestmark = pytest.mark.slow

WAYBACK = find_wayback()
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_pywb = pytest.mark.skipif(
    WAYBACK is None and not os.environ.get("CI"),
    reason="pywb is not installed (`make pywb` installs it into .venv-pywb)")


def start_serving(built, log: Path, *options: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "scoparchive", "serve", "--out", str(built.out),
             "--archive", str(built.archive), "--port", str(port), *options],
            cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/-/versions.json")
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def fetch(url: str) -> tuple[int, str, str]:
    """Status, content type and text of ``url``, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return (response.status, response.headers["Content-Type"],
                    response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def replaying(built_replica, tmp_path_factory):
    """`scoparchive serve` over the shared build and its archive, pywb behind it: once."""
    if WAYBACK is None:
        raise RuntimeError(f"pywb is missing: `make test` installs it (${WAYBACK_FOLDER_VARIABLE})")
    log = tmp_path_factory.mktemp("replay") / "serve.log"
    process, url = start_serving(built_replica, log)
    try:
        yield url, log
    finally:
        stop(process)


def rows(base: str, built, table: str, **where: str) -> list[dict]:
    query = urllib.parse.urlencode({"_shape": "objects", "_size": "max", **where})
    return get_json(f"{base}/{built.database.stem}/{table}.json?{query}")["rows"]


def an_article(base: str, built) -> dict:
    """A roundup: an article with initiatives, whose title is in its page."""
    (article, *_) = rows(base, built, "articles", page_type="roundup")
    return article


def stamp(moment: str) -> str:
    return datetime.fromisoformat(moment).strftime("%Y%m%d%H%M%S")


@needs_pywb
def test_the_archived_url_of_an_article_opens_the_page_as_archived(replaying, built_replica):
    base, log = replaying
    article = an_article(base, built_replica)
    assert article["archived_url"] == f"/archive/{stamp(article['captured_at'])}/{article['url']}"
    status, content_type, page = fetch(base + article["archived_url"])
    assert status == 200 and content_type.startswith("text/html"), page[:500]
    assert article["title"] in html.unescape(page)
    # pywb's rewriting: its script, served under /archive/ too, and the page's links into the
    # archive at the capture's time, none to the live site.
    assert "/archive/_static/wombat.js" in page
    live = built_replica.replica.url.rstrip("/")
    links = re.findall(r'<a [^>]*href="([^"#]+)"', page)
    assert links and not [link for link in links if link.startswith(live)]
    assert any(link.startswith(f"/archive/{stamp(article['captured_at'])}/{live}")
               for link in links)
    assert fetch(base + "/archive/_static/wombat.js")[0] == 200
    assert "pages archivées rejouées par pywb" in log.read_text()


@needs_pywb
def test_every_version_and_initiative_links_its_own_capture(replaying, built_replica):
    base, _ = replaying
    article = an_article(base, built_replica)
    (page,) = rows(base, built_replica, "pages", url=article["url"])
    versions = rows(base, built_replica, "page_versions", url=article["url"])
    assert [version["archived_url"] for version in versions] == [
        f"/archive/{stamp(version['captured_at'])}/{article['url']}" for version in versions]
    assert page["archived_url"] == article["archived_url"] == versions[-1]["archived_url"]
    (article_version,) = rows(base, built_replica, "article_versions", url=article["url"])
    assert article_version["archived_url"] == article["archived_url"]
    initiatives = rows(base, built_replica, "initiatives", article_url=article["url"])
    assert initiatives and {row["archived_url"] for row in initiatives} \
        == {article["archived_url"]}
    assert article["url"].startswith(built_replica.replica.url)  # the live URL, kept


@needs_pywb
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                    reason="chromium is not installed")
def test_the_row_page_of_an_article_links_to_the_archived_page(replaying, built_replica,
                                                                 tmp_path):
    from test_browser import rendered_dom

    base, _ = replaying
    article = an_article(base, built_replica)
    row_page = f"{base}/{built_replica.database.stem}/articles/{tilde_encode(article['url'])}"
    dom = rendered_dom(row_page, tmp_path)
    (href,) = set(re.findall(r'<a href="(/archive/[^"]+)"', dom))
    assert html.unescape(href) == article["archived_url"]
    archived = rendered_dom(base + html.unescape(href), tmp_path)
    assert article["title"] in html.unescape(archived)
    assert "_WBWombatInit" in archived, "not replayed by pywb"
    assert "Page archivée, capture du " in archived  # pywb's banner, ours


def test_without_pywb_serve_starts_and_the_links_say_how_to_get_it(built_replica, tmp_path):
    log = tmp_path / "serve.log"
    process, base = start_serving(built_replica, log, "--wayback", str(tmp_path / "wayback"))
    try:
        (article, *_) = rows(base, built_replica, "articles")
        status, content_type, page = fetch(base + article["archived_url"])
    finally:
        stop(process)
    assert status == 503 and content_type.startswith("text/html")
    assert 'lang="fr"' in page and "Page archivée indisponible" in page
    assert "make pywb" in page
    (line,) = [line for line in log.read_text().splitlines() if "pywb" in line]
    assert "pages archivées non rejouées" in line and "make pywb" in line
