"""Rebuild the HTTP request/response header blocks stored in WARC records.

Scrapy hands us parsed headers and a payload that Twisted has already de-chunked, so the
header block is rebuilt, and headers that would no longer describe the stored payload are
renamed (not dropped) the way wget and Heritrix do, so a WARC reader parses the record right
and the original value is still on record.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders

RENAMED_PREFIX = "X-Crawler-"


def response_block(
    http_version: str, status: int, reason: str, headers: list[tuple[str, str]], payload_len: int
) -> StatusAndHeaders:
    protocol = normalise_http_version(http_version)
    statusline = f"{status} {reason or default_reason(status)}".rstrip()
    return StatusAndHeaders(statusline, stored_response_headers(headers, payload_len), protocol)


def request_block(
    method: str, url: str, http_version: str, headers: list[tuple[str, str]]
) -> StatusAndHeaders:
    target = origin_form(url)
    stored = [(str(name), str(value)) for name, value in headers]
    if not any(name.lower() == "host" for name, _ in stored):
        # Twisted adds Host itself, after Scrapy; the request did carry it on the wire.
        stored.insert(0, ("Host", urlsplit(url).netloc))
    protocol = normalise_http_version(http_version)
    request_line = f"{method.upper()} {target} {protocol}"
    return StatusAndHeaders(request_line, stored, is_http_request=True)


def stored_response_headers(
    headers: list[tuple[str, str]], payload_len: int
) -> list[tuple[str, str]]:
    stored = []
    for name, value in headers:
        name, value = str(name), str(value)
        lower = name.lower()
        if lower == "transfer-encoding":
            # The payload was de-chunked by Twisted; a reader would try to de-chunk it again.
            name = RENAMED_PREFIX + name
        elif lower == "content-length" and not _length_matches(value, payload_len):
            # e.g. a HEAD answer, or a payload cut by a size limit: the header would lie.
            name = RENAMED_PREFIX + name
        stored.append((name, value))
    return stored


def origin_form(url: str) -> str:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target


def normalise_http_version(version: str | bytes | None) -> str:
    if isinstance(version, bytes):
        version = version.decode("ascii", "replace")
    version = (version or "HTTP/1.1").strip()
    return version if version.upper().startswith("HTTP/") else f"HTTP/{version}"


def default_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _length_matches(value: str, payload_len: int) -> bool:
    try:
        return int(value.strip()) == payload_len
    except ValueError:
        return False
