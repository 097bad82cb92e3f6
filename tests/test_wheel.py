"""`pip install .` gives a working tool: the wheel, installed into a fresh virtual environment,
runs replica → crawl → build → serve from an empty folder, with nothing read from the checkout.

No network: the wheel is built with this environment's setuptools, and the new environment sees
this one's dependencies through a .pth file, but scoparchive itself only from the wheel.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import REPO, free_port, get_json, wait_for_http

from scoparchive.publishing.look import french_number

pytestmark = pytest.mark.slow

#: What `pip install .` reads of the checkout; everything else stays behind.
SOURCES = ("pyproject.toml", "README.md", "scoparchive")
TEMPLATE_TITLE = "Archive du site de l'Union régionale des Scop et Scic"


def run(*command, cwd: Path, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (f"{' '.join(map(str, command))} exited {done.returncode}\n"
                                  f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the project's wheel installed; returns its bin/."""
    setuptools = version("setuptools")
    assert int(setuptools.split(".")[0]) >= 77, (
        f"setuptools {setuptools} cannot build this project offline: `make install` brings the "
        "test extra's setuptools>=77")
    base = tmp_path_factory.mktemp("wheel")
    # A copy, so that the build's build/ and egg-info folders land outside the checkout.
    source = base / "source"
    source.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(path, source / name)
    env = _clean_env()
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", base / "dist", source, cwd=base, env=env)
    wheel = next((base / "dist").glob("scoparchive-*.whl"))

    venv = base / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base, env=env)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        wheel, cwd=base, env=env)
    # The dependencies, from this environment; appended to sys.path after the venv's own
    # site-packages, and without processing this environment's .pth files (so not the editable
    # install's finder, which would serve the checkout).
    site_packages = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                           "['purelib'])", cwd=base, env=env).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "_scoparchive_test_dependencies.pth").write_text(
        "".join(f"{path}\n" for path in sorted(ours)))
    return venv / "bin"


def _page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return html.unescape(response.read().decode("utf-8"))


def _clean_env() -> dict:
    env = {name: value for name, value in os.environ.items()
           if name not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    return {**env, "PYTHONUNBUFFERED": "1", "COLUMNS": "200", "PYTHONNOUSERSITE": "1"}


def test_the_installed_wheel_crawls_builds_and_serves_from_an_empty_folder(installed, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    env = {**_clean_env(), "PATH": f"{installed}{os.pathsep}{os.environ.get('PATH', '')}"}
    scoparchive = installed / "scoparchive"

    # scoparchive comes from the wheel in the new environment, never from the checkout.
    where = run(installed / "python", "-c",
                "import scoparchive, scoparchive.dataset.build as b; "
                "print(scoparchive.__file__); print(b.REPO_METADATA_TEMPLATE)",
                cwd=work, env=env).stdout.split()
    venv = installed.parent.resolve()
    for path in where:
        assert Path(path).resolve().is_relative_to(venv), where
        assert not Path(path).resolve().is_relative_to(REPO.resolve()), where
    assert Path(where[1]).is_file(), "the Datasette metadata template is not in the wheel"
    # The console script runs the new environment's interpreter.
    assert str(installed / "python") in "".join(scoparchive.read_text().splitlines()[:2])

    replica = subprocess.Popen([scoparchive, "replica", "--port", "0"], cwd=work, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # "Replica of les-scop-idf.coop (drupal markup) at http://127.0.0.1:PORT/"
        site_url = replica.stdout.readline().split(" at ")[-1].strip()
        assert site_url.startswith("http://127.0.0.1:"), site_url
        crawled = run(scoparchive, "crawl", "--site-url", site_url, cwd=work, env=env)
    finally:
        replica.terminate()
        replica.wait(timeout=10)
    assert "finished" in crawled.stderr, crawled.stderr
    assert list((work / "archive").glob("*.warc.gz")), "no WARC file in ./archive"

    run(scoparchive, "build", cwd=work, env=env)
    out = work / "datasets" / "build"
    database = next(out.glob("*.db"))
    with sqlite3.connect(database) as db:
        pages, = db.execute("select count(*) from pages").fetchone()
        articles, = db.execute("select count(*) from articles").fetchone()
        initiatives, = db.execute("select count(*) from initiatives").fetchone()
    assert pages >= 30 and articles >= 20 and initiatives >= 1, (pages, articles, initiatives)
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["title"].startswith(TEMPLATE_TITLE)  # the template shipped in the wheel

    port = free_port()
    serve = subprocess.Popen([scoparchive, "serve", "--port", str(port)], cwd=work, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/-/versions.json", timeout=60)
        served = get_json(f"{base}/{database.stem}/articles.json?_shape=array&_size=max")
        home, table = (_page(base + path) for path in ("/", f"/{database.stem}/articles"))
    finally:
        serve.terminate()
        _, serve_stderr = serve.communicate(timeout=15)
    assert len(served) == articles and all(row["url"].startswith(site_url) for row in served)
    assert TEMPLATE_TITLE in home, home[:500]
    # In French: the templates of the look shipped in the wheel.
    assert f"{french_number(articles)} lignes" in table and served[0]["title"] in table, \
        table[:2000]
    assert "Traceback" not in serve_stderr, serve_stderr
