# The commands people use. `make` creates .venv itself where it is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install demo check test lint format crawl build serve replica replay pywb bench notebooks clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# pywb, which `scoparchive serve` starts to replay the archived pages (and the replay tests use),
# pins old redis and werkzeug and shadows the brotli module that Scrapy
# needs: it gets a virtual environment of its own.
PYWB := .venv-pywb/.installed
$(PYWB):
	test -x .venv-pywb/bin/python || $(PYTHON) -m venv .venv-pywb
	.venv-pywb/bin/python -m pip install --quiet --upgrade pip
	.venv-pywb/bin/python -m pip install --quiet 'pywb==2.10.*'
	touch $@

install: $(INSTALLED) ## Install scoparchive and its tools into .venv

pywb: $(PYWB) ## Install pywb into .venv-pywb: `serve` replays the archived pages with it

demo: $(INSTALLED) ## Serve the replica, crawl it, build the datasets, open Datasette
	$(BIN)/scoparchive demo

check: $(INSTALLED) ## The fast tier: ruff, then the tests not marked slow, on every core
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow" -n auto $(PYTEST_ARGS)

test: $(INSTALLED) $(PYWB) ## Run the test suite
	$(BIN)/python -m pytest -n auto --dist loadfile $(PYTEST_ARGS)

bench: $(INSTALLED) ## Run the benchmarks (extraction vs trafilatura, crawl vs recrawl vs bare Scrapy)
	$(BIN)/python benchmarks/run.py

lint: $(INSTALLED) ## Check the code with ruff
	$(BIN)/ruff check .

format: $(INSTALLED) ## Sort imports and fix what ruff can fix
	$(BIN)/ruff check --fix .

crawl: $(INSTALLED) ## Crawl the real site politely into archive/ (SITE_URL=... for another)
	$(BIN)/scoparchive crawl $(if $(SITE_URL),--site-url $(SITE_URL))

build: $(INSTALLED) ## Build datasets/build/ from archive/, with no network
	$(BIN)/scoparchive build

serve: $(INSTALLED) ## Serve datasets/build/ with Datasette, and archive/'s pages with pywb
	$(BIN)/scoparchive serve

replica: $(INSTALLED) ## Serve the replica of the site on http://127.0.0.1:8000/
	$(BIN)/scoparchive replica

# JupyterLab and what the notebooks import beyond the package: the `notebooks` extra.
NOTEBOOKS := $(VENV)/.notebooks
$(NOTEBOOKS): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test,notebooks]'
	touch $@

notebooks: $(NOTEBOOKS) ## Open notebooks/ in JupyterLab (SCOPARCHIVE_DATASETS=... for a build)
	$(BIN)/jupyter lab --ServerApp.root_dir=notebooks

# pywb reads the archive's own index.cdxj and its WARC files where they are, through a config
# written into .venv-pywb/ (git-ignored, pywb's own folder).
ARCHIVE ?= archive
REPLAY_PORT ?= 8080
REPLAY_CONFIG := .venv-pywb/replay.yaml

replay: $(PYWB) ## Replay archive/ with pywb on http://127.0.0.1:8080/archive/ (ARCHIVE=... for another)
	@test -f $(ARCHIVE)/index.cdxj || { echo "$(ARCHIVE)/index.cdxj: pas d'archive ici (no archive here); run a crawl first" >&2; exit 1; }
	@printf 'collections:\n  archive:\n    index_paths: %s\n    archive_paths: %s/\n' \
	  "$(abspath $(ARCHIVE))/index.cdxj" "$(abspath $(ARCHIVE))" > $(REPLAY_CONFIG)
	@echo "pywb: http://127.0.0.1:$(REPLAY_PORT)/archive/ (Ctrl-C to stop)"
	PYWB_CONFIG_FILE=$(REPLAY_CONFIG) .venv-pywb/bin/wayback -p $(REPLAY_PORT) -b 127.0.0.1

clean: ## Remove the demo's archive and datasets, and caches (never archive/)
	rm -rf demo .pytest_cache .ruff_cache .hypothesis
