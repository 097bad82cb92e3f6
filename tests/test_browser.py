"""What researchers see, in a real headless Chromium: the map of initiatives and the search
across tables, both drawn by JavaScript in the page."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.parse

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: .ci/run installs it")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow


def rendered_dom(url: str, tmp_path) -> str:
    """The DOM once the page's scripts have run (five seconds of virtual time)."""
    profile = tmp_path / f"chromium-{abs(hash(url))}"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, text=True, timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_initiatives_table_shows_them_on_a_map(built_replica, datasette_server, tmp_path):
    name = built_replica.database.stem
    dom = rendered_dom(f"{datasette_server}/{name}/initiatives", tmp_path)
    assert "leaflet-container" in dom, "the map was not drawn"
    assert dom.count("leaflet-marker-icon") >= 2, "no initiative was placed on the map"


def test_search_across_tables_finds_accented_words_without_accents(datasette_server, tmp_path):
    query = urllib.parse.quote("cooperative")
    dom = rendered_dom(f"{datasette_server}/-/search?q={query}", tmp_path)
    assert "articles" in dom and "initiatives" in dom
    assert dom.count("<tr") >= 3, "the search across tables found nothing"
