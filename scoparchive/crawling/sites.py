"""The sites of one crawl: one or several profiles (``--site-url`` repeated, ``--all-sites``),
crawled by one spider whose scope is the union of theirs.

A site is told apart from the others by its scheme, host and port: two replicas on 127.0.0.1
are two sites (and two hosts for politeness, ``middlewares/host_concurrency.py``) when their
ports differ. Each site keeps its own profile: a link is made canonical, and a page parsed, with
the profile of the site serving it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from scoparchive.profiles import PROFILES, SiteProfile, parse_site
from scoparchive.urls import canonical_url, in_scope

_DEFAULT_PORTS = {"http": 80, "https": 443}


class SitesError(ValueError):
    """Sites that cannot be crawled together; the message is one line for a person."""


@dataclass(frozen=True)
class Sites:
    profiles: tuple[SiteProfile, ...]

    def __post_init__(self):
        if not self.profiles:
            raise SitesError("aucun site à collecter (no site to crawl)")
        names, origins = set(), set()
        for profile in self.profiles:
            if profile.name in names:
                raise SitesError(
                    f"deux sites du même profil « {profile.name} » : nommez-les, NOM=URL "
                    f"(two sites of the same profile {profile.name!r}: name them, NAME=URL)")
            names.add(profile.name)
            origin = _origin(profile.base_url)
            if origin in origins:
                raise SitesError(f"{profile.base_url} donné deux fois (given twice)")
            origins.add(origin)

    @classmethod
    def parse(cls, texts: Iterable[str]) -> Sites:
        """The sites as ``--site-url`` takes them: URL, profile NAME or NAME=URL
        (``profiles.parse_site``, which registers NAME=URL)."""
        try:
            return cls(tuple(parse_site(text) for text in texts))
        except SitesError:
            raise
        except ValueError as error:
            raise SitesError(str(error)) from error

    @classmethod
    def every_profile(cls) -> Sites:
        """``--all-sites``: every profile, at its own base URL."""
        return cls(tuple(PROFILES.values()))

    @classmethod
    def from_record(cls, sites: Mapping[str, str]) -> Sites:
        """The sites of a run record (``RunRecord.sites``, name → base URL)."""
        return cls.parse(f"{name}={url}" for name, url in sites.items())

    @property
    def first(self) -> SiteProfile:
        return self.profiles[0]

    def record(self) -> dict[str, str]:
        """Name → base URL, in the order given: the run record's ``sites``."""
        return {profile.name: profile.base_url for profile in self.profiles}

    def texts(self) -> list[str]:
        """``NAME=URL`` of each site: what the crawl's settings carry (``SITES``)."""
        return [f"{name}={url}" for name, url in self.record().items()]

    def warcinfo(self) -> str:
        """The ``scoparchive-sites`` field of every WARC's warcinfo: ``name=url name=url``."""
        return " ".join(self.texts())

    def crawl_id(self) -> str:
        """The same for the same sites, in whatever order they were given: the workers of a
        distributed crawl find each other by it."""
        return hashlib.sha1("\n".join(sorted(self.texts())).encode()).hexdigest()[:16]

    def site_of(self, url: str) -> SiteProfile | None:
        """The site serving ``url`` (scheme, host and port), whatever its path."""
        try:
            scheme, host, port = _origin(url)
        except ValueError:
            return None
        for profile in self.profiles:
            site_scheme, _, site_port = _origin(profile.base_url)
            if (scheme, port) == (site_scheme, site_port) and host in profile.hosts:
                return profile
        return None

    def in_scope(self, url: str) -> bool:
        """Whether the crawl may request ``url``: in the scope of one of its sites."""
        site = self.site_of(url)
        return site is not None and in_scope(url, site)

    def canonical(self, url: str, found_on: SiteProfile | None = None) -> str | None:
        """The canonical URL of a link, by the profile of the site it names (or, out of every
        site's scope, of the site it was found on)."""
        return canonical_url(url, self.site_of(url.strip()) or found_on or self.first)

    def describe(self) -> str:
        """The sites in one short line: the base URL of each."""
        return " ".join(profile.base_url for profile in self.profiles)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port
