"""Site profiles as data: profiles.yaml loads and is checked, and sites served elsewhere (a
mirror, a replica on a loopback port) are registered by netloc, in this process and its forks."""

from __future__ import annotations

import multiprocessing
import re
from pathlib import Path

import pytest

from scoparchive import profiles
from scoparchive.profiles import (
    DEFAULT_PROFILE,
    LES_CAE,
    LES_SCOP_IDF,
    LES_SCOP_OUEST,
    PROFILES,
    PROFILES_FILE,
    SCOP_OCCITANIE,
    ProfileError,
    clear_registered_sites,
    load_profiles,
    parse_site,
    profile_for_url,
    register_site,
    register_sites,
    registered_sites,
)


@pytest.fixture(autouse=True)
def no_registration():
    clear_registered_sites()
    yield
    clear_registered_sites()


# ---------------------------------------------------------------------- profiles.yaml


def test_the_shipped_file_is_the_profiles():
    loaded, default = load_profiles()
    assert loaded == PROFILES
    assert default == DEFAULT_PROFILE.name == "les-scop-idf"
    assert list(PROFILES) == ["les-scop-idf", "les-scop-ouest", "scopoccitanie", "les-cae"]
    # The names other modules import are the file's profiles.
    assert tuple(PROFILES.values()) == (LES_SCOP_IDF, LES_SCOP_OUEST, SCOP_OCCITANIE, LES_CAE)
    assert DEFAULT_PROFILE is LES_SCOP_IDF
    # Inside the package, so that the wheel ships it ("*.yaml" in pyproject's package-data).
    assert PROFILES_FILE.parent == Path(profiles.__file__).parent


def test_the_union_keeps_what_the_code_knew_of_it():
    assert LES_SCOP_IDF.base_url == "https://les-scop-idf.coop/"
    assert LES_SCOP_IDF.hosts == ("les-scop-idf.coop", "www.les-scop-idf.coop")
    assert LES_SCOP_IDF.canonical_host == "les-scop-idf.coop"
    assert LES_SCOP_IDF.header_lines == ("Bienvenue sur le site de votre Union Régionale",)
    assert LES_SCOP_IDF.teaser_headings == ("Les dernières actualités",)
    assert LES_SCOP_IDF.denied_paths == () and LES_SCOP_IDF.selectors == {}
    assert "utm_source" in LES_SCOP_IDF.tracking_params and "xtor" in LES_SCOP_IDF.tracking_params
    assert LES_SCOP_IDF.title.startswith("Union régionale des Scop et Scic Île-de-France")
    assert LES_SCOP_IDF.licence.startswith("Etalab Open Licence 2.0")
    assert {"75", "45", "974", "988"} <= set(LES_SCOP_IDF.departments)
    assert SCOP_OCCITANIE.canonical_host == "www.scopoccitanie.coop"


def test_each_profile_declares_its_variants():
    assert "Bienvenue sur le site de votre Union régionale" in LES_SCOP_OUEST.header_lines
    assert LES_CAE.header_lines == ("Bienvenue sur le site de votre Fédération",)
    assert LES_SCOP_OUEST.cms == "wordpress" and LES_SCOP_IDF.cms == "drupal"
    assert LES_SCOP_OUEST.sections == {"news": "/nos-actualites", "press": "/espace-presse"}
    assert set(LES_SCOP_OUEST.departments) == {"22", "29", "35", "56", "44", "49", "53", "72", "85"}
    assert LES_SCOP_OUEST.denied_paths == ("/wp-admin/", "/wp-login.php")


def test_legacy_url_schemes_are_the_profiles():
    assert LES_SCOP_IDF.is_legacy_path(
        "/actualite-presse/communiques-de-presse/20141126,bilan-emploi-scop-idf.htm")
    assert LES_SCOP_IDF.is_legacy_path("/union-regionale-scop/temoignages/la-fournee.htm")
    assert not LES_SCOP_IDF.is_legacy_path("/spip.php", "article42")
    assert LES_SCOP_OUEST.is_legacy_path("/spip.php", "article42")
    assert LES_SCOP_OUEST.is_legacy_path("/spip.php", "rubrique3")
    assert not LES_SCOP_OUEST.is_legacy_path("/spip.php", "page=contact")
    assert not LES_SCOP_OUEST.is_legacy_path("/nos-actualites", "page=1")


# A change to the shipped file (old → new, in the profile named), and what the one line says.
BROKEN = [
    pytest.param("    hosts: [les-scop-ouest.coop, www.les-scop-ouest.coop]",
                 "    hostz: [les-scop-ouest.coop, www.les-scop-ouest.coop]",
                 "profil « les-scop-ouest » : clé inconnue (unknown key) « hostz »", id="key"),
    pytest.param('departments: ["22", "29",', "departments: [22, 29,",
                 "profil « les-scop-ouest », clé « departments » : liste de textes", id="type"),
    pytest.param("      - Bienvenue sur le site de votre Fédération",
                 "      - {Bienvenue: Fédération}",
                 "profil « les-cae », clé « header_lines » : liste de textes", id="list-item"),
    pytest.param("    canonical_host: www.scopoccitanie.coop", "    canonical_host: scopoccitanie.coop",
                 "profil « scopoccitanie », clé « canonical_host »", id="canonical-host"),
    pytest.param(r"'^/spip\.php\?(?:article|rubrique|breve)\d+$'", r"'^/spip\.php\?(article'",
                 "profil « les-scop-ouest », clé « legacy_urls » : expression invalide",
                 id="regex"),
    pytest.param("    base_url: https://www.les-cae.coop/", "",
                 "profil « les-cae » : clé « base_url » manquante", id="missing"),
    pytest.param("defaults:\n  cms: drupal\n", "defaults:\n  cms: [drupal]\n",
                 "profiles.yaml, defaults, clé « cms » : texte attendu(e)", id="defaults"),
    pytest.param("default: les-scop-idf", "default: les-scop-nord",
                 "« default » ne nomme aucun profil", id="default"),
    pytest.param("  les-cae:\n", "  les-cae:\n   bad: [\n", "profiles.yaml ligne", id="yaml"),
]


@pytest.mark.parametrize(("old", "new", "message"), BROKEN)
def test_a_broken_file_gives_one_line_naming_the_profile_and_key(tmp_path, old, new, message):
    text = PROFILES_FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old  # the test changes the shipped file's own text
    broken = tmp_path / "profiles.yaml"
    broken.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(ProfileError) as raised:
        load_profiles(broken)
    line = str(raised.value)
    assert "\n" not in line
    assert message in line, line


# ---------------------------------------------------------------------- sites served elsewhere


def test_an_unknown_host_is_the_default_site_served_elsewhere():
    profile = profile_for_url("http://127.0.0.1:8123/a?page=1")
    assert profile.name == DEFAULT_PROFILE.name
    assert profile.base_url == "http://127.0.0.1:8123/"
    assert profile_for_url("https://www.les-cae.coop/x") is LES_CAE


def test_a_registered_netloc_gets_its_profile_port_included():
    moved = register_site("les-scop-ouest", "http://127.0.0.1:8123")
    assert moved.name == "les-scop-ouest" and moved.base_url == "http://127.0.0.1:8123/"
    assert moved.header_lines == LES_SCOP_OUEST.header_lines and moved.cms == "wordpress"
    assert profile_for_url("http://127.0.0.1:8123/spip.php?article42") is moved
    assert profile_for_url("http://localhost:8123/") is moved  # a loopback address, by name
    # Another port of the same host is another site.
    assert profile_for_url("http://127.0.0.1:8124/").name == DEFAULT_PROFILE.name
    # The profiles' own hosts are untouched.
    assert profile_for_url("https://les-scop-ouest.coop/") is LES_SCOP_OUEST
    assert profile_for_url("https://les-scop-idf.coop/") is LES_SCOP_IDF
    assert registered_sites() == {"http://127.0.0.1:8123/": "les-scop-ouest"}


def test_registration_is_idempotent_and_a_netloc_has_one_site():
    first = register_site("les-scop-ouest", "http://127.0.0.1:8123/")
    assert register_site("les-scop-ouest", "http://localhost:8123/") is first
    with pytest.raises(ValueError, match="les-scop-ouest") as raised:
        register_site("les-cae", "http://127.0.0.1:8123/")
    assert "\n" not in str(raised.value)
    assert registered_sites() == {"http://127.0.0.1:8123/": "les-scop-ouest"}
    clear_registered_sites()
    assert registered_sites() == {}
    assert profile_for_url("http://127.0.0.1:8123/").name == DEFAULT_PROFILE.name


def test_a_registered_netloc_comes_before_the_profiles_hosts():
    # A copy of the West's site kept on a host the union's profile claims (a mirror's mix-up,
    # or a test): the registration decides.
    register_site("les-scop-ouest", "https://les-scop-idf.coop/")
    assert profile_for_url("https://les-scop-idf.coop/x").name == "les-scop-ouest"
    assert profile_for_url("https://www.les-scop-idf.coop/x") is LES_SCOP_IDF


def test_a_site_registered_at_its_own_address_is_its_profile():
    assert register_site("les-cae", "https://www.les-cae.coop/") is LES_CAE


def test_registering_an_unknown_site_lists_the_known_ones():
    with pytest.raises(ValueError) as raised:
        register_site("les-scop-nord", "http://127.0.0.1:8123/")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("site inconnu « les-scop-nord »")
    assert all(name in message for name in PROFILES)
    with pytest.raises(ValueError, match="invalide"):
        register_site("les-cae", "ftp://127.0.0.1/")


def test_parse_site_takes_a_url_a_name_or_both():
    assert parse_site("https://www.les-scop-ouest.coop/") is LES_SCOP_OUEST
    assert parse_site("les-cae") is LES_CAE
    replica = parse_site("http://127.0.0.1:8125/")
    assert (replica.name, replica.base_url) == (DEFAULT_PROFILE.name, "http://127.0.0.1:8125/")
    assert registered_sites() == {}  # a bare URL registers nothing

    sister = parse_site(" les-scop-ouest=http://127.0.0.1:8126 ")
    assert (sister.name, sister.base_url) == ("les-scop-ouest", "http://127.0.0.1:8126/")
    assert registered_sites() == {"http://127.0.0.1:8126/": "les-scop-ouest"}
    assert profile_for_url("http://127.0.0.1:8126/nos-actualites").name == "les-scop-ouest"
    # An "=" in a URL's query is no NAME=URL.
    assert parse_site("http://127.0.0.1:8127/?a=b").name == DEFAULT_PROFILE.name

    for wrong in ("les-scop-nord", "les-scop-nord=http://127.0.0.1:8128/"):
        with pytest.raises(ValueError, match=re.escape("site inconnu « les-scop-nord »")):
            parse_site(wrong)


def _site_of(url: str) -> tuple[str, str]:
    profile = profile_for_url(url)
    return profile.name, profile.base_url


def test_forked_processes_inherit_the_registrations():
    register_site("les-scop-ouest", "http://127.0.0.1:8129/")
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_site_of, ("http://127.0.0.1:8129/x",)) == (
            "les-scop-ouest", "http://127.0.0.1:8129/")


def test_spawned_processes_get_them_from_their_initializer():
    register_site("les-scop-ouest", "http://127.0.0.1:8129/")
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:  # a fresh interpreter: the module's own state only
        assert pool.apply(_site_of, ("http://127.0.0.1:8129/x",))[0] == DEFAULT_PROFILE.name
    with spawn.Pool(1, initializer=register_sites, initargs=(registered_sites(),)) as pool:
        assert pool.apply(_site_of, ("http://127.0.0.1:8129/x",))[0] == "les-scop-ouest"
