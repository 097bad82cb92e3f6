"""Site profiles: what the code knows of one union's site, kept as data.

The sister unions of the network run the same CMS; a new site is a new profile, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit


@dataclass(frozen=True)
class SiteProfile:
    name: str
    base_url: str
    title: str
    #: Hosts that are one site: the bare and the www host of the domain.
    hosts: tuple[str, ...]
    #: Path prefixes never requested even where robots.txt would allow them.
    denied_paths: tuple[str, ...] = ()
    #: The first line of every page of the current CMS.
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


def _is_ip_or_localhost(host: str) -> bool:
    return host == "localhost" or host.replace(".", "").isdigit() or ":" in host


LES_SCOP_IDF = SiteProfile(
    name="les-scop-idf",
    base_url="https://les-scop-idf.coop/",
    title="Union régionale des Scop et Scic Île-de-France, Centre-Val de Loire, DOM-TOM",
    hosts=("les-scop-idf.coop", "www.les-scop-idf.coop"),
)

# The sister sites of the network run the same CMS. Their profiles are the starting point of a
# crawl of them; their pages have not been checked against the page objects yet.
LES_SCOP_OUEST = SiteProfile(
    name="les-scop-ouest",
    base_url="https://les-scop-ouest.coop/",
    title="Union régionale des Scop et Scic de l'Ouest",
    hosts=("les-scop-ouest.coop", "www.les-scop-ouest.coop"),
)
SCOP_OCCITANIE = SiteProfile(
    name="scopoccitanie",
    base_url="https://www.scopoccitanie.coop/",
    title="Union régionale des Scop et Scic d'Occitanie",
    hosts=("scopoccitanie.coop", "www.scopoccitanie.coop"),
)
LES_CAE = SiteProfile(
    name="les-cae",
    base_url="https://www.les-cae.coop/",
    title="Fédération des Coopératives d'Activité et d'Emploi",
    hosts=("les-cae.coop", "www.les-cae.coop"),
    header_lines=("Bienvenue sur le site de votre Fédération",),
)

PROFILES: dict[str, SiteProfile] = {
    profile.name: profile for profile in (LES_SCOP_IDF, LES_SCOP_OUEST, SCOP_OCCITANIE, LES_CAE)
}
DEFAULT_PROFILE = LES_SCOP_IDF


def profile_for_url(url: str) -> SiteProfile:
    """The profile of the site serving ``url``; an unknown host is taken for a mirror of the
    default site (the local replica, a copy of the site elsewhere)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for profile in PROFILES.values():
        if host in profile.hosts:
            return profile
    return DEFAULT_PROFILE.with_base_url(f"{parts.scheme}://{parts.netloc}/")
