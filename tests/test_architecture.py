"""How the package is laid out: the crawl and the datasets are wings of their own that do not
import each other, and the modules they replaced are gone."""

from __future__ import annotations

import configparser
import importlib.util
import json
import subprocess
import sys

import pytest
from conftest import REPO

#: What the crawl must never load: the archive is its only link to the datasets.
BUILD_MODULES = ("scoparchive.dataset",)

#: Every module of the crawl, and every component its settings name (Scrapy loads them by path),
#: imported in a fresh interpreter.
IMPORT_THE_CRAWL = """
import importlib, json, pkgutil, sys
from scrapy.utils.misc import load_object
import scoparchive.crawling as crawling

modules = sorted(info.name for info in pkgutil.walk_packages(crawling.__path__,
                                                              "scoparchive.crawling."))
for name in modules:
    importlib.import_module(name)
for name in crawling.__all__:
    getattr(crawling, name)
settings = importlib.import_module("scoparchive.crawling.settings")
components = []
for setting in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES"):
    for path, order in getattr(settings, setting, {}).items():
        if order is not None:
            load_object(path)
            components.append(path)
print(json.dumps({"modules": modules, "components": components, "loaded": sorted(sys.modules)}))
"""


def run_fresh(code: str) -> dict:
    """What ``code``, run in a fresh interpreter, prints as JSON."""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def crawl_imports() -> dict:
    return run_fresh(IMPORT_THE_CRAWL)


def test_the_crawl_does_not_import_the_build(crawl_imports):
    assert {"scoparchive.crawling.spider", "scoparchive.crawling.session",
            "scoparchive.crawling.settings"} <= set(crawl_imports["modules"])
    assert "scoparchive.crawling.session.CrawlSession" in crawl_imports["components"]
    imported_build = [name for name in crawl_imports["loaded"]
                      if any(name == module or name.startswith(f"{module}.")
                             for module in BUILD_MODULES)]
    assert imported_build == []


@pytest.mark.parametrize("module", [
    "scoparchive.crawl", "scoparchive.middlewares", "scoparchive.recrawl",
    "scoparchive.settings", "scoparchive.spiders",
])
def test_the_modules_the_crawl_replaced_are_gone(module):
    assert importlib.util.find_spec(module) is None, f"{module} still exists"


#: Every module of the dataset wing, imported in a fresh interpreter.
IMPORT_THE_DATASETS = """
import importlib, json, pkgutil, sys
import scoparchive.dataset as dataset

modules = sorted(info.name for info in pkgutil.walk_packages(dataset.__path__,
                                                              "scoparchive.dataset."))
for name in modules:
    importlib.import_module(name)
print(json.dumps({"modules": modules, "loaded": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def dataset_imports() -> dict:
    return run_fresh(IMPORT_THE_DATASETS)


def test_the_datasets_do_not_import_the_crawl(dataset_imports):
    assert {"scoparchive.dataset.replay", "scoparchive.dataset.history",
            "scoparchive.dataset.build"} <= set(dataset_imports["modules"])
    imported_crawl = [name for name in dataset_imports["loaded"]
                      if name == "scrapy" or name.startswith(("scrapy.", "scoparchive.crawling"))]
    assert imported_crawl == []


@pytest.mark.parametrize("module", [
    "scoparchive.build", "scoparchive.cache", "scoparchive.history", "scoparchive.records",
    "scoparchive.organizations", "scoparchive.pipelines.drift",
])
def test_the_modules_the_datasets_replaced_are_gone(module):
    assert importlib.util.find_spec(module) is None, f"{module} still exists"


def test_scrapy_cfg_names_the_crawl_settings():
    config = configparser.ConfigParser()
    config.read(REPO / "scrapy.cfg")
    assert config["settings"]["default"] == "scoparchive.crawling.settings"
