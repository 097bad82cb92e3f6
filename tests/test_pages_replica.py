"""Every page of the replica, in every markup, against the replica's own ground truth.

Rendered in-process through ``ReplicaApp`` (the server's request handler minus the socket).
"""

from __future__ import annotations

import pytest
from test_pages_fixtures import collapse, token_f1

replica = pytest.importorskip("scoparchive.replica.model")
from scoparchive.pages import extract  # noqa: E402
from scoparchive.profiles import DEFAULT_PROFILE  # noqa: E402
from scoparchive.replica.app import ReplicaApp  # noqa: E402
from scoparchive.replica.render import MARKUPS  # noqa: E402

BASE = "http://127.0.0.1:8000/"
PROFILE = DEFAULT_PROFILE.with_base_url(BASE)
ARTICLE_TYPES = ("article", "roundup", "programme", "static", "legacy_article")


@pytest.fixture(scope="module")
def site():
    return replica.ReplicaSite.load(clock=lambda: 1_700_000_000.0)


def _pages(site, markup):
    app = ReplicaApp(site, markup, BASE)
    for path in site.html_paths():
        reply = app.handle(path)
        page = extract(BASE.rstrip("/") + path, reply.body, profile=PROFILE,
                       content_type=reply.content_type)  # fmt: skip
        yield path, page, site.truth(path)


@pytest.mark.parametrize("markup", MARKUPS)
def test_replica_pages_match_truth(site, markup):
    problems, f1s = [], []
    for path, page, truth in _pages(site, markup):
        found = []
        if page.page_type != truth.page_type:
            found.append(f"type {page.page_type} != {truth.page_type}")
        if page.title != truth.title:
            found.append(f"title {page.title!r}")
        article = page.article
        if truth.page_type in ARTICLE_TYPES:
            if truth.date and article.published_date != truth.date:
                found.append(f"date {article.published_date}")
            if article.rubric != truth.rubric:
                found.append(f"rubric {article.rubric!r}")
            if collapse(article.lead) != collapse(truth.lead):
                found.append(f"lead {article.lead!r}")
            f1s.append(token_f1(article.body_text, truth.body_text))
            if f1s[-1] < 0.97:
                found.append(f"body F1 {f1s[-1]:.3f}")
        got = [(i.name, i.departments, i.place, i.place_department) for i in page.initiatives]
        expected = [(i.name, i.departments, i.place, i.place_department)
                    for i in truth.initiatives]  # fmt: skip
        if got != expected:
            found.append(f"initiatives {got}")
        if [t.title for t in page.teasers] != [t.title for t in truth.teasers]:
            found.append(f"teasers {[t.title for t in page.teasers]}")
        if found:
            problems.append(f"{path}: {'; '.join(found)}")
    assert not problems
    assert min(f1s) >= 0.97


def test_a_redesign_changes_no_page_content(site):
    """The same texts in every markup give the same content fingerprint, so that a site that
    changes its theme between two crawls makes no new version of any page (a date written
    ``04 04 2020`` or ``4 avril 2020`` is the same date)."""
    fingerprints: dict[str, dict[str, str]] = {}
    for markup in MARKUPS:
        for path, page, _ in _pages(site, markup):
            fingerprints.setdefault(path, {})[markup] = page.content_fingerprint()
    changed = {path: sorted(set(by_markup.values())) for path, by_markup in fingerprints.items()
               if len(set(by_markup.values())) > 1}  # fmt: skip
    assert not changed, sorted(changed)
