"""Site profiles: what the code knows of one union's site, kept as data (``profiles.yaml``).

The sister unions of the network run the same CMS; a new site is a new entry of
``profiles.yaml``, not new code. The file is read and checked once, on import: a wrong key or
type stops the program with one line naming the profile and the key (``ProfileError``).

A profile's site may be served elsewhere: a mirror, the replica on a loopback port.
``register_site(name, base_url)`` declares it, and ``profile_for_url`` then gives that
profile, moved to that base URL, for every URL of its netloc (host and port). The
registrations are module state: a process forked after them (``multiprocessing``'s fork start
method, Linux's default before Python 3.14) inherits them; a process started with *spawn* or
*forkserver* imports this module afresh and must register them again, e.g. with
``Pool(initializer=register_sites, initargs=(registered_sites(),))``.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml

#: The package-data file of the profiles (shipped in the wheel: ``*.yaml`` in pyproject.toml).
PROFILES_FILE = Path(__file__).with_name("profiles.yaml")


@dataclass(frozen=True)
class SiteProfile:
    name: str
    base_url: str
    title: str
    #: Hosts that are one site: the bare and the www host of the domain.
    hosts: tuple[str, ...]
    #: Path prefixes never requested even where robots.txt would allow them.
    denied_paths: tuple[str, ...] = ()
    #: The first line of every page of the current CMS (its variants).
    header_lines: tuple[str, ...] = ("Bienvenue sur le site de votre Union Régionale",)
    #: The heading of the block of news teasers repeated at the bottom of pages.
    teaser_headings: tuple[str, ...] = ("Les dernières actualités",)
    #: Query parameters that carry no content and are dropped from URLs.
    tracking_params: tuple[str, ...] = (
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
        "fbclid", "gclid", "xtor", "mc_cid", "mc_eid",
    )
    #: Optional CSS selectors tried before the landmarks (never required).
    selectors: dict[str, str] = field(default_factory=dict)
    contact_url: str = "https://github.com/scoparchive/scoparchive"
    licence: str = "Etalab Open Licence 2.0 for the extracted data; page content © its authors"
    #: The flavour of the site's CMS, named as the replica's markup that stands for it.
    cms: str = "drupal"
    #: The department codes the union covers.
    departments: tuple[str, ...] = ()
    #: Paths of the site's sections: ``news``, ``press``...
    sections: dict[str, str] = field(default_factory=dict)
    #: Regular expressions on ``path`` or ``path?query`` of the older generation's URLs.
    legacy_urls: tuple[str, ...] = ()

    @property
    def canonical_host(self) -> str:
        """The host of the site's own URLs: every host of the site is rewritten to it."""
        return (urlsplit(self.base_url).hostname or "").lower()

    def with_base_url(self, base_url: str) -> SiteProfile:
        """The same site served elsewhere (a mirror, the local replica)."""
        base_url = base_url if base_url.endswith("/") else base_url + "/"
        parts = urlsplit(base_url)
        host = parts.hostname or ""
        hosts = {host}
        if not _is_ip_or_localhost(host):
            bare = host.removeprefix("www.")
            hosts |= {bare, "www." + bare}
        else:
            # A loopback replica answers by address and by name alike.
            hosts |= {"127.0.0.1", "localhost"}
        return replace(self, base_url=base_url, hosts=tuple(sorted(hosts)))

    def is_legacy_path(self, path: str, query: str = "") -> bool:
        """Whether ``path`` (with its ``query``) is a URL of the site's older generation, by
        the profile's ``legacy_urls``."""
        if not self.legacy_urls:
            return False
        target = f"{path}?{query}" if query else path
        return any(pattern.search(target) for pattern in _compiled(self.legacy_urls))


@functools.lru_cache(maxsize=32)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(pattern, re.I) for pattern in patterns)


def _is_ip_or_localhost(host: str) -> bool:
    return host == "localhost" or host.replace(".", "").isdigit() or ":" in host


# ---------------------------------------------------------------------- profiles.yaml


class ProfileError(ValueError):
    """A mistake in profiles.yaml; its message is one line, naming the profile and the key."""


#: The YAML keys of a profile and their kind: text, a list of texts, or a mapping of texts.
_TEXT, _LIST, _MAP = "texte", "liste de textes", "table de textes"
_KEYS = {
    "title": _TEXT, "base_url": _TEXT, "hosts": _LIST, "canonical_host": _TEXT, "cms": _TEXT,
    "departments": _LIST, "denied_paths": _LIST, "sections": _MAP, "header_lines": _LIST,
    "teaser_headings": _LIST, "legacy_urls": _LIST, "tracking_params": _LIST,
    "selectors": _MAP, "contact_url": _TEXT, "licence": _TEXT,
}  # fmt: skip
#: Keys each profile must give itself (no default makes sense for them).
_OWN_KEYS = ("title", "base_url", "hosts", "canonical_host")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CMS = re.compile(r"^[a-z][a-z0-9-]*$")
_DEPARTMENT = re.compile(r"^(?:2[AB]|97[1-8]|98[4-9]|0[1-9]|[1-8]\d|9[0-5])$")


def load_profiles(path: str | Path = PROFILES_FILE) -> tuple[dict[str, SiteProfile], str]:
    """The profiles of a profiles.yaml file, by name, and the name of the default one.
    Raises ``ProfileError`` (one line: the file, the profile, the key) on any mistake."""
    path = Path(path)
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" ligne {mark.line + 1}" if mark else ""
        raise ProfileError(f"{where}{line} : YAML illisible (unreadable YAML): "
                           f"{getattr(error, 'problem', None) or error}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{where} : une table est attendue (a mapping is expected)")
    unknown = set(data) - {"default", "defaults", "profiles"}
    if unknown:
        raise ProfileError(f"{where} : clé inconnue (unknown key) « {sorted(unknown)[0]} »")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ProfileError(f"{where}, defaults : une table est attendue (a mapping is expected)")
    for key, value in defaults.items():
        if key in _OWN_KEYS:
            raise ProfileError(f"{where}, defaults : « {key} » est propre à chaque profil "
                               f"(each profile gives its own {key})")
        _check_value(f"{where}, defaults", key, value)
    raw_profiles = data.get("profiles")
    if not isinstance(raw_profiles, dict) or not raw_profiles:
        raise ProfileError(f"{where} : « profiles » doit être une table non vide "
                           "(profiles must be a non-empty mapping)")
    profiles: dict[str, SiteProfile] = {}
    for name, raw in raw_profiles.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ProfileError(f"{where} : nom de profil invalide (invalid profile name) {name!r}")
        profiles[name] = _profile(f"{where}, profil « {name} »", name, {**defaults, **(raw or {})})
    default = data.get("default", next(iter(profiles)))
    if default not in profiles:
        raise ProfileError(f"{where} : « default » ne nomme aucun profil (names no profile): "
                           f"{default!r}")
    return profiles, default


def _profile(where: str, name: str, raw: dict) -> SiteProfile:
    for key, value in raw.items():
        _check_value(where, key, value)
    for key in _OWN_KEYS:
        if key not in raw:
            raise ProfileError(f"{where} : clé « {key} » manquante (missing key)")
    base_url = raw["base_url"]
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not base_url.endswith("/"):
        raise ProfileError(f"{where}, clé « base_url » : une URL http(s) finie par / est attendue "
                           f"(an http(s) URL ending in / is expected): {base_url!r}")
    hosts = tuple(host.lower() for host in raw["hosts"])
    if not hosts:
        raise ProfileError(f"{where}, clé « hosts » : au moins un hôte (at least one host)")
    canonical = raw["canonical_host"].lower()
    if canonical != parts.hostname.lower() or canonical not in hosts:
        raise ProfileError(f"{where}, clé « canonical_host » : {canonical!r} doit être l'hôte de "
                           "base_url et figurer dans hosts (must be base_url's host, in hosts)")
    if "cms" in raw and not _CMS.match(raw["cms"]):
        raise ProfileError(f"{where}, clé « cms » : un nom court est attendu (a short name): "
                           f"{raw['cms']!r}")
    for code in raw.get("departments", ()):
        if not _DEPARTMENT.match(code):
            raise ProfileError(f"{where}, clé « departments » : code de département invalide "
                               f"(invalid department code) {code!r}")
    for key in ("denied_paths",):
        for path in raw.get(key, ()):
            if not path.startswith("/"):
                raise ProfileError(f"{where}, clé « {key} » : un chemin commence par / "
                                   f"(a path starts with /): {path!r}")
    for section, path in (raw.get("sections") or {}).items():
        if not path.startswith("/"):
            raise ProfileError(f"{where}, clé « sections » : le chemin de « {section} » commence "
                               f"par / (a path starts with /): {path!r}")
    for pattern in raw.get("legacy_urls", ()):
        try:
            re.compile(pattern)
        except re.error as error:
            raise ProfileError(f"{where}, clé « legacy_urls » : expression invalide (invalid "
                               f"regular expression) {pattern!r}: {error}") from None
    values = {key: value for key, value in raw.items() if key != "canonical_host"}
    values = {key: tuple(value) if _KEYS[key] is _LIST else value for key, value in values.items()}
    values["hosts"] = hosts
    for key in ("sections", "selectors"):
        if key in values:
            values[key] = dict(values[key])
    return SiteProfile(name=name, **values)


def _check_value(where: str, key, value) -> None:
    kind = _KEYS.get(key)
    if kind is None:
        known = ", ".join(sorted(_KEYS))
        raise ProfileError(f"{where} : clé inconnue (unknown key) « {key} » ; clés possibles "
                           f"(known keys): {known}")
    if kind is _TEXT:
        ok = isinstance(value, str) and bool(value.strip())
    elif kind is _LIST:
        ok = isinstance(value, list) and all(isinstance(item, str) and item for item in value)
    else:
        ok = isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
        )
    if not ok:
        raise ProfileError(f"{where}, clé « {key} » : {kind} attendu(e) (expected "
                           f"{_ENGLISH[kind]}), trouvé (found) {value!r}")


_ENGLISH = {_TEXT: "a text", _LIST: "a list of texts", _MAP: "a mapping of texts"}


PROFILES: dict[str, SiteProfile]
PROFILES, _DEFAULT_NAME = load_profiles()
DEFAULT_PROFILE = PROFILES[_DEFAULT_NAME]

# The names other modules import.
LES_SCOP_IDF = PROFILES["les-scop-idf"]
LES_SCOP_OUEST = PROFILES["les-scop-ouest"]
SCOP_OCCITANIE = PROFILES["scopoccitanie"]
LES_CAE = PROFILES["les-cae"]


# ---------------------------------------------------------------------- sites served elsewhere

_DEFAULT_PORTS = {"http": 80, "https": 443}
#: netloc key → (profile name, base URL, the profile moved there); in registration order.
_REGISTERED: dict[str, tuple[str, str, SiteProfile]] = {}
_REGISTERING = threading.Lock()


def _unknown_site(name: str) -> ValueError:
    names = ", ".join(PROFILES)
    return ValueError(f"site inconnu « {name} » ; sites connus : {names} "
                      f"(unknown site {name!r}; known sites: {names})")


def _netloc_key(url: str) -> str | None:
    """``host:port`` of a URL, host lowered, default port made explicit, and ``localhost``
    taken for ``127.0.0.1`` (a loopback replica answers by address and by name alike)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in _DEFAULT_PORTS:
        return None
    if host == "localhost":
        host = "127.0.0.1"
    return f"{host}:{port or _DEFAULT_PORTS[parts.scheme]}"


def register_site(name: str, base_url: str) -> SiteProfile:
    """Declare that ``base_url`` serves the site of profile ``name`` (a mirror, the replica on a
    loopback port): from now on, in this process and those it forks, ``profile_for_url`` gives
    that profile, at that base URL, for any URL of its netloc (host and port). Idempotent;
    registering the netloc again for another name raises ValueError."""
    if name not in PROFILES:
        raise _unknown_site(name)
    base_url = base_url.strip()
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    key = _netloc_key(base_url)
    if key is None:
        raise ValueError(f"URL de site invalide (invalid site URL): {base_url!r}")
    with _REGISTERING:
        found = _REGISTERED.get(key)
        if found is not None:
            if found[0] != name:
                raise ValueError(f"{found[1]} sert déjà le site « {found[0]} », pas « {name} » "
                                 f"({found[1]} already serves {found[0]!r}, not {name!r})")
            return found[2]
        profile = PROFILES[name]
        if base_url != profile.base_url:
            profile = profile.with_base_url(base_url)
        _REGISTERED[key] = (name, base_url, profile)
        return profile


def register_sites(sites: Mapping[str, str]) -> None:
    """``register_site`` for every ``base_url → name`` of ``sites`` (what ``registered_sites``
    gives): the initializer of a pool of spawned processes."""
    for base_url, name in sites.items():
        register_site(name, base_url)


def registered_sites() -> dict[str, str]:
    """The sites registered in this process: base URL → profile name, in registration order."""
    with _REGISTERING:
        return {base_url: name for name, base_url, _ in _REGISTERED.values()}


def clear_registered_sites() -> None:
    """Forget every registration (for tests)."""
    with _REGISTERING:
        _REGISTERED.clear()


def parse_site(text: str) -> SiteProfile:
    """A site as ``--site-url`` takes it: ``URL`` (its profile by host, as ``profile_for_url``),
    ``NAME`` (that profile at its own base URL) or ``NAME=URL`` (that profile served at URL,
    which this registers)."""
    text = text.strip()
    name, equals, url = text.partition("=")
    if equals and not any(mark in name for mark in ":/?"):
        name = name.strip()
        if name not in PROFILES:
            raise _unknown_site(name)
        return register_site(name, url.strip())
    if "://" in text:
        if _netloc_key(text) is None:
            raise ValueError(f"URL de site invalide (invalid site URL): {text!r}")
        return profile_for_url(text)
    if text not in PROFILES:
        raise _unknown_site(text)
    return PROFILES[text]


def profile_for_url(url: str) -> SiteProfile:
    """The profile of the site serving ``url``: a site registered on its netloc
    (``register_site``), else the profile of its host; an unknown host is taken for a mirror of
    the default site (the local replica, a copy of the site elsewhere)."""
    if _REGISTERED:
        found = _REGISTERED.get(_netloc_key(url) or "")
        if found is not None:
            return found[2]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for profile in PROFILES.values():
        if host in profile.hosts:
            return profile
    return DEFAULT_PROFILE.with_base_url(f"{parts.scheme}://{parts.netloc}/")


__all__ = [
    "DEFAULT_PROFILE", "LES_CAE", "LES_SCOP_IDF", "LES_SCOP_OUEST", "PROFILES", "PROFILES_FILE",
    "SCOP_OCCITANIE", "ProfileError", "SiteProfile", "clear_registered_sites", "load_profiles",
    "parse_site", "profile_for_url", "register_site", "register_sites", "registered_sites",
]
