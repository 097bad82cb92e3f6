"""Value types shared by the archive writer and reader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
SERVER_NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class ArchiveError(Exception):
    """A WARC file that cannot be read; names the file and the byte offset of the failure."""

    def __init__(self, path: Path | str, offset: int | None, message: str):
        self.path = Path(path)
        self.offset = offset
        where = f"{self.path}" if offset is None else f"{self.path} at offset {offset}"
        super().__init__(f"{where}: {message}")


class Headers(list[tuple[str, str]]):
    """HTTP headers in wire order, with case-insensitive lookups."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()):
        super().__init__((str(name), str(value)) for name, value in items)

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self:
            if key.lower() == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self if key.lower() == wanted]

    def __contains__(self, name: object) -> bool:
        if isinstance(name, str):
            return self.get(name) is not None
        return super().__contains__(name)


@dataclass(frozen=True)
class CaptureRef:
    """Where a capture lives in the archive: enough to cite it or to refer a revisit to it."""

    url: str
    captured_at: datetime
    record_id: str
    payload_digest: str | None
    warc_file: str
    offset: int
    length: int
    status: int
    mime: str = ""
    record_type: str = "response"

    @property
    def warc_date(self) -> str:
        return format_warc_date(self.captured_at)


@dataclass
class Capture:
    """A response or revisit record, with revisits resolved to the payload they stand for.

    `body` has Content-Encoding removed (None when bodies were not asked for, or when a revisit
    could not be resolved, in which case `resolved` is False and `status` is the revisit's own).
    """

    url: str
    run_id: str
    captured_at: datetime
    status: int
    headers: Headers
    content_type: str
    body: bytes | None
    payload_digest: str | None
    record_id: str
    warc_file: Path
    offset: int
    length: int
    is_revisit: bool = False
    revisit_profile: str | None = None
    refers_to_record_id: str | None = None
    resolved: bool = True
    decode_error: str | None = None
    #: Where the payload it stands for is: its own record, or for a revisit the record that
    #: holds it (file, offset); None when it is nowhere in the archive.
    payload_at: tuple[Path, int] | None = None

    @property
    def charset(self) -> str | None:
        return charset_of(self.headers.get("Content-Type"))

    def ref(self) -> CaptureRef:
        return CaptureRef(
            url=self.url,
            captured_at=self.captured_at,
            record_id=self.record_id,
            payload_digest=self.payload_digest,
            warc_file=self.warc_file.name,
            offset=self.offset,
            length=self.length,
            status=self.status,
            mime=self.content_type,
            record_type="revisit" if self.is_revisit else "response",
        )


@dataclass
class RunInfo:
    run_id: str
    started_at: datetime | None
    files: list[Path] = field(default_factory=list)
    software: str = ""
    operator: str = ""
    info: dict[str, str] = field(default_factory=dict)


#: The media types of a web page: what the crawl follows links in and the build parses.
HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_html(content_type: str | None) -> bool:
    """A page's Content-Type (parameters aside); none at all is taken for HTML, as browsers
    sniff it."""
    return not content_type or mime_of(content_type) in HTML_TYPES


def mime_of(content_type: str | None) -> str:
    """`text/html; charset=utf-8` -> `text/html` (lowercased; empty when absent)."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def charset_of(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'").lower()
    return None


def format_warc_date(moment: datetime) -> str:
    """WARC 1.1 date: UTC, ISO 8601, microseconds kept (1.1 allows sub-second precision)."""
    utc = ensure_utc(moment)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_warc_date(text: str) -> datetime:
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00")).astimezone(UTC)


def ensure_utc(moment: datetime) -> datetime:
    # A naive datetime is ambiguous (local time? UTC?); refusing it keeps capture dates honest.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {moment!r}")
    return moment.astimezone(UTC)
