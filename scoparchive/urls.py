"""Canonical URLs and crawl scope, from a site profile."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from scoparchive.profiles import SiteProfile

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LEGACY_HTM = re.compile(r"\.htm$")


def canonical_url(url: str, profile: SiteProfile, base: str | None = None) -> str | None:
    """The one URL of a page: bare host, no fragment, no tracking parameter, no default port.
    The query is otherwise kept as the site writes it: SPIP's ``spip.php?article12`` names a
    page that ``?article12=`` may not.

    Returns None for URLs that are not web pages (mailto:, javascript:, malformed ones).
    """
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        port = parts.port
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        host = parts.hostname.lower()
        if host in profile.hosts:
            host = profile.canonical_host
        if ":" in host:  # an IPv6 literal keeps its brackets
            host = f"[{host}]"
        netloc = host if port in (None, _DEFAULT_PORTS[parts.scheme]) else f"{host}:{port}"
        query = "&".join(item for item in parts.query.split("&")
                         if item and _query_key(item) not in profile.tracking_params)
        # Percent-encoded as Scrapy encodes every request URL, so that the spider, the archive
        # and the datasets all name a page by the same string.
        return safe_url_string(urlunsplit((parts.scheme, netloc, parts.path or "/", query, "")))
    except ValueError:
        return None


def _query_key(item: str) -> str:
    return unquote_plus(item.partition("=")[0]).lower()


def in_scope(url: str, profile: SiteProfile) -> bool:
    """Whether the crawler may request ``url``: same scheme and port as the site, an allowed host,
    no denied path. Redirects are checked with the same rule, so no request ever leaves the site."""
    try:
        parts = urlsplit(url)
        site = urlsplit(profile.base_url)
        port, site_port = parts.port, site.port
    except ValueError:
        return False
    if parts.scheme != site.scheme or (parts.hostname or "").lower() not in profile.hosts:
        return False
    if (port or _DEFAULT_PORTS.get(parts.scheme)) != (site_port or _DEFAULT_PORTS[site.scheme]):
        return False
    path = parts.path or "/"
    return not any(path.startswith(denied) for denied in profile.denied_paths)


def is_internal(url: str, profile: SiteProfile) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in profile.hosts


def is_loopback(url: str) -> bool:
    """Whether the URL names this machine (127.0.0.0/8, ::1, localhost): the replica, never the
    union's site, so the crawl may skip its politeness delay there."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
