"""One canonical URL per page, and a scope no request leaves."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scoparchive.profiles import DEFAULT_PROFILE, PROFILES, profile_for_url
from scoparchive.urls import canonical_url, in_scope, is_internal

SITE = DEFAULT_PROFILE
REPLICA = DEFAULT_PROFILE.with_base_url("http://127.0.0.1:8000")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://les-scop-idf.coop/edito", "https://les-scop-idf.coop/edito"),
    ("https://www.les-scop-idf.coop/edito", "https://les-scop-idf.coop/edito"),
    ("https://WWW.Les-Scop-IDF.coop/edito", "https://les-scop-idf.coop/edito"),
    ("https://les-scop-idf.coop/edito#comments", "https://les-scop-idf.coop/edito"),
    ("https://les-scop-idf.coop:443/edito", "https://les-scop-idf.coop/edito"),
    ("https://les-scop-idf.coop", "https://les-scop-idf.coop/"),
    ("https://les-scop-idf.coop/edito?utm_source=nl&utm_medium=email",
     "https://les-scop-idf.coop/edito"),
    ("https://les-scop-idf.coop/edito?fbclid=abc&xtor=RSS", "https://les-scop-idf.coop/edito"),
    ("https://les-scop-idf.coop/actualites?page=2", "https://les-scop-idf.coop/actualites?page=2"),
    ("https://les-scop-idf.coop/actualites?page=2&utm_campaign=x",
     "https://les-scop-idf.coop/actualites?page=2"),
    ("https://www.les-scop.coop/", "https://www.les-scop.coop/"),  # another site keeps its www
    # A query is kept as the site writes it but for tracking parameters: SPIP's article URLs
    # have a key and no value.
    ("https://les-scop-idf.coop/spip.php?article12",
     "https://les-scop-idf.coop/spip.php?article12"),
    ("https://les-scop-idf.coop/spip.php?article12&UTM_Source=x&page",
     "https://les-scop-idf.coop/spip.php?article12&page"),
    ("https://les-scop-idf.coop/a?q=&&b=2", "https://les-scop-idf.coop/a?q=&b=2"),
    # IPv6 literals keep their brackets.
    ("http://[::1]/x", "http://[::1]/x"),
    ("http://[2001:DB8::1]:8080/x?y", "http://[2001:db8::1]:8080/x?y"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url, SITE) == expected


def test_relative_links_resolve_against_the_page():
    assert canonical_url("../qui-sommes-nous", SITE, base="https://www.les-scop-idf.coop/a/b") \
        == "https://les-scop-idf.coop/qui-sommes-nous"


@pytest.mark.parametrize("url", ["mailto:contact@scop.coop", "javascript:void(0)", "tel:+33170",
                                 "", "http://[::1", "ftp://les-scop-idf.coop/x"])
def test_what_is_not_a_web_page_has_no_canonical_url(url):
    assert canonical_url(url, SITE) is None


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://les-scop-idf.coop/edito", True),
    ("https://www.les-scop-idf.coop/edito", True),
    ("http://les-scop-idf.coop/edito", False),  # another scheme
    ("https://les-scop-idf.coop:8443/edito", False),  # another port
    ("https://les-scop-ouest.coop/edito", False),  # a sister site is another scope
    ("https://evil.example/les-scop-idf.coop/", False),
    ("https://les-scop-idf.coop.evil.example/", False),
])
def test_scope_of_the_real_site(url, allowed):
    assert in_scope(url, SITE) is allowed


def test_scope_of_a_replica_on_loopback():
    assert in_scope("http://127.0.0.1:8000/edito", REPLICA)
    assert in_scope("http://localhost:8000/edito", REPLICA)
    assert not in_scope("http://127.0.0.1:8001/edito", REPLICA)
    assert not in_scope("https://127.0.0.1:8000/edito", REPLICA)
    assert not in_scope("https://les-scop-idf.coop/edito", REPLICA)


def test_denied_paths_are_out_of_scope():
    from dataclasses import replace

    profile = replace(SITE, denied_paths=("/user/",))
    assert not in_scope("https://les-scop-idf.coop/user/login", profile)
    assert in_scope("https://les-scop-idf.coop/users-guide", profile)


def test_profiles_are_found_by_host():
    assert profile_for_url("https://www.les-scop-idf.coop/x") is SITE
    mirror = profile_for_url("http://127.0.0.1:8123/x")
    assert mirror.name == SITE.name and mirror.base_url == "http://127.0.0.1:8123/"
    assert is_internal("https://www.les-scop-idf.coop/x", SITE)
    assert not is_internal("https://www.les-scop.coop/x", SITE)


@given(st.text(max_size=200))
@example("0 ;")  # a space before a ';' once survived as a trailing space
@example("/a b/é?x=1 2#f")
@example("//[::1]/?a&utm_source=b")
def test_any_string_gives_a_url_or_none(text):
    result = canonical_url(text, SITE, base="https://les-scop-idf.coop/")
    assert result is None or result.startswith(("http://", "https://"))
    if result is not None:
        assert canonical_url(result, SITE) == result, "canonical URLs are fixed points"


def test_a_site_whose_own_urls_use_www_keeps_www():
    occitanie = PROFILES["scopoccitanie"]
    assert canonical_url("https://scopoccitanie.coop/a", occitanie) == \
        "https://www.scopoccitanie.coop/a"
    assert profile_for_url("https://scopoccitanie.coop/a") is occitanie


def test_sister_sites_have_profiles_of_their_own():
    assert profile_for_url("https://www.les-cae.coop/").header_lines == (
        "Bienvenue sur le site de votre Fédération",)
    assert not in_scope("https://les-scop-ouest.coop/x", SITE)


def _links_by_definition(resolver, anchors):
    """Resolver.links without its shortcut: ``link`` for each href, first text kept."""
    seen = {}
    for href, text in anchors:
        link = resolver.link(href, text)
        if link is None:
            continue
        if link.url not in seen:
            seen[link.url] = link
        elif text and not seen[link.url].text:
            seen[link.url].text = text
    return list(seen.values())


HREF_PARTS = ["/", "//", "/a", "/./b", "/../c", "#x", "?page=2", " ", "\t", "a", "https://",
              "http://les-scop-idf.coop", "https://ex.org", "mailto:x@y.fr", ".", "é", ":"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(HREF_PARTS), max_size=4).map("".join),
                          st.sampled_from(["", "Accueil", "x"])), max_size=12),
       st.sampled_from(["https://les-scop-idf.coop/a/b", "http://les-scop-idf.coop/",
                        "https://www.les-scop-idf.coop/x"]))  # fmt: skip
def test_links_shortcut_keeps_the_definition(anchors, page_url):
    from scoparchive.pages.urls import Resolver
    from scoparchive.profiles import DEFAULT_PROFILE

    expected = _links_by_definition(Resolver(page_url, None, DEFAULT_PROFILE), anchors)
    assert Resolver(page_url, None, DEFAULT_PROFILE).links(anchors) == expected
