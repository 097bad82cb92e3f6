"""Links and image addresses made absolute, and told internal or external by the profile's hosts."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit

from scoparchive.items import Contact, Link
from scoparchive.profiles import SiteProfile
from scoparchive.text.contacts import deobfuscate_email, normalise_phone

_UNSEEN = object()  # an href not met yet
_WEB_SCHEMES = ("http://", "https://")
_NOT_PAGES = ("javascript:", "mailto:", "tel:", "data:", "#", "about:", "callto:", "sms:")


class Resolver:
    """Absolute URLs against the page URL (or its ``<base href>``); a link is internal when it
    stays on the site: a host of the profile, or the page's own host."""

    def __init__(self, url: str, base_href: str | None, profile: SiteProfile) -> None:
        self.base = (_join(url, base_href) if base_href else url) or ""
        self.origin = _origin(self.base)
        hosts = profile.hosts
        own_host = _host(url)
        if own_host and own_host not in hosts:
            bare = own_host.removeprefix("www.")
            hosts = (*hosts, bare, "www." + bare)
        self.hosts, self._internal_prefixes = _host_tests(tuple(hosts))
        # A page repeats its menu and teaser links: each href is joined once.
        self._absolute: dict[str, str | None] = {}

    def absolute(self, href: str) -> str | None:
        url = self._absolute.get(href, _UNSEEN)
        if url is _UNSEEN:
            url = self._absolute[href] = self._join(href.strip())
        return url

    def _join(self, href: str) -> str | None:
        """urljoin, with the two common cases (absolute, root-relative) done directly."""
        if href.startswith(("https://", "http://")) and "/." not in href:
            return href
        if self.origin and href.startswith("/") and not href.startswith("//") and "/." not in href:
            return self.origin + href
        return _join(self.base, href)

    def is_internal(self, url: str) -> bool:
        if url.startswith(self._internal_prefixes):  # most links: no urlsplit needed
            return True
        host = _host_of(url)
        return host is not None and host in self.hosts

    def link(self, href: str, text: str) -> Link | None:
        """A link to a web page (no mailto:, no fragment-only anchors), fragment dropped."""
        if not href:
            return None
        # The pages of a site repeat their menus: an href that is absolute or root-relative
        # resolves the same on every page, once.
        if href.startswith(_WEB_SCHEMES):
            url = _page_url("", href)
        elif href[0] == "/" and href[1:2] != "/":
            url = _page_url(self.origin or self.base, href)
        else:
            url = _page_url(self.base, href)
        if url is None:
            return None
        return Link(url, text, url.startswith(self._internal_prefixes) or self.is_internal(url))

    def links(self, anchors: list[tuple[str, str]]) -> list[Link]:
        """Every page link once, in page order, with the first anchor text met."""
        seen: dict[str, Link] = {}
        urls: dict[str, str | None] = {}  # href → URL (None: not a page): menus repeat hrefs
        origin, internal_prefixes = self.origin, self._internal_prefixes
        for href, text in anchors:
            url = urls.get(href, _UNSEEN)  # one lookup for the usual case, an href met before
            if url is _UNSEEN:
                if (
                    origin
                    and href[:1] == "/"
                    and href[1:2] != "/"
                    and "/." not in href
                    and "#" not in href
                    and not href[-1].isspace()
                ):
                    # The usual href, root-relative: ``link`` without its calls.
                    url = origin + href
                    link = Link(url, text, url.startswith(internal_prefixes) or (
                        self.is_internal(url)))
                else:
                    link = self.link(href, text)
                if link is None:
                    urls[href] = None
                    continue
                url = urls[href] = link.url
                if url not in seen:
                    seen[url] = link
                    continue
            elif url is None:
                continue
            if text and not seen[url].text:
                seen[url].text = text
        return list(seen.values())


@lru_cache(maxsize=32)
def _host_tests(hosts: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """A profile's hosts, lowered, and the prefixes of URLs that have one as their whole netloc
    (worked out once per profile, not once per page)."""
    lowered = frozenset(host.lower() for host in hosts)
    prefixes = tuple(
        f"{scheme}://{host}/"
        for host in lowered
        if _is_plain_host(host)
        for scheme in ("https", "http")
    )
    return lowered, prefixes


@lru_cache(maxsize=16384)
def _host_of(url: str) -> str | None:
    """The URL's host, lowered. The pages of a site link to the same URLs again and again
    (menus, pagers): each is split once."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


@lru_cache(maxsize=16384)
def _page_url(base: str, href: str) -> str | None:
    """The address of a web page that ``href`` links to from ``base``, its fragment dropped;
    None for mailto:, javascript:, a fragment alone..."""
    # Most hrefs are root-relative or absolute: no lowered copy needed to know them pages.
    if href[0] != "/" and not href.startswith(_WEB_SCHEMES) and (
        href.lower().startswith(_NOT_PAGES)
    ):
        return None
    href = href.strip()
    if href.startswith(_WEB_SCHEMES) and "/." not in href:
        url = href
    elif base.count("/") == 2 and href[:1] == "/" and href[1:2] != "/" and "/." not in href:
        url = base + href  # base is an origin: https://host
    else:
        url = _join(base, href) if base else _join(href, "")
    if not url or not (url.startswith(_WEB_SCHEMES) or url.lower().startswith(_WEB_SCHEMES)):
        return None
    return url.split("#", 1)[0] if "#" in url else url


def contact_from_href(href: str, text: str) -> Contact | None:
    """``mailto:`` and ``tel:`` links as contacts."""
    lowered = href.lower()
    if lowered.startswith("mailto:"):
        address = deobfuscate_email(unquote(href[7:].split("?", 1)[0]))
        return Contact("email", address, href, text or None) if "@" in address else None
    if lowered.startswith(("tel:", "callto:")):
        raw = unquote(href.split(":", 1)[1])
        phone = normalise_phone(raw)
        return Contact("phone", phone, href, text or None) if phone else None
    return None


def _is_plain_host(host: str) -> bool:
    """A host name that is the whole netloc of ``http://host/`` (no port, no user, no path)."""
    try:
        return urlsplit(f"http://{host}/").hostname == host and "@" not in host and ":" not in host
    except ValueError:
        return False


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") else None


def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None
