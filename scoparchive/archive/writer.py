"""Write HTTP exchanges to WARC 1.1 files (gzip per record), with dedup, rotation and an index.

Used by a downloader middleware that sees responses as received on the wire (before
HttpCompressionMiddleware decompresses them). Not thread-safe: Scrapy calls it from the reactor
thread only.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

import warcio
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.warcwriter import WARCWriter

from .cdxj import update_index
from .crawllog import CrawlLog
from .httpblocks import request_block, response_block
from .model import (
    IDENTICAL_PAYLOAD_PROFILE,
    SERVER_NOT_MODIFIED_PROFILE,
    CaptureRef,
    Headers,
    ensure_utc,
    format_warc_date,
    mime_of,
)
from .naming import LOG_DIR, OPEN_SUFFIX, WarcName, check_name_part, make_name, worker_prefix
from .payload import payload_digest

WARC_VERSION = "1.1"
WARC_FORMAT = "WARC File Format 1.1"
WARC_CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

FIDELITY_NOTE = (
    "Payloads are stored byte for byte as received, still content-encoded (gzip, deflate, br "
    "kept as sent). Not byte-exact: Twisted removes chunked transfer-encoding before Scrapy sees "
    "the body, so chunk framing is lost and Transfer-Encoding is stored renamed "
    "X-Crawler-Transfer-Encoding (likewise X-Crawler-Content-Length for a Content-Length that "
    "does not match the stored payload); status lines and header blocks are rebuilt from "
    "Scrapy's parsed headers: header-name case (Scrapy title-cases names), the grouping of "
    "repeated headers and line folding may differ from the wire, the reason phrase is the "
    "standard one when the server's is not known, non-ASCII header values are percent-encoded; "
    "the request block is the headers Scrapy handed to Twisted plus Host (Twisted's own "
    "Connection: close is not recorded); WARC-Date is when the response was received."
)


class ArchiveWriter:
    """Append fetches to `<directory>/<prefix>-<YYYYmmddHHMMSS>-<run_id>-<serial>.warc.gz`.

    `known_digests` (payload digest -> capture holding that payload) turns a payload already
    archived into an identical-payload revisit; `latest_by_url` (url -> latest capture) gives a
    304 answer the capture it refers to. Both come from `ArchiveReader` and are extended as this
    writer goes.

    `sites` (profile name → base URL) go into every file's warcinfo as ``scoparchive-sites:
    name=url name=url``, so that the archive alone tells which profile each base URL (a loopback
    port) serves; `worker`, the worker of a distributed crawl, names the files
    (``naming.worker_prefix``) and goes into the warcinfo as ``scoparchive-worker``.
    """

    def __init__(
        self,
        directory: Path,
        *,
        run_id: str,
        software: str,
        operator: str,
        robots_policy: str = "obey",
        max_file_size: int = 100 * 2**20,
        prefix: str = "scoparchive",
        extra_info: dict[str, str] | None = None,
        known_digests: Mapping[str, CaptureRef] | None = None,
        latest_by_url: Mapping[str, Any] | None = None,
        crawl_log: bool = True,
        update_index_on_close: bool = True,
        sites: Mapping[str, str] | None = None,
        worker: str | None = None,
    ):
        self.directory = Path(directory)
        self.run_id = check_name_part(run_id, "run_id")
        self.worker = worker
        self.prefix = check_name_part(worker_prefix(worker) if worker else prefix, "prefix")
        self.sites = dict(sites or {})
        self.software = software
        self.operator = operator
        self.robots_policy = robots_policy
        self.max_file_size = max_file_size
        self.extra_info = dict(extra_info or {})
        self._digests: dict[str, CaptureRef] = dict(known_digests or {})
        self._latest: dict[str, CaptureRef] = {
            url: _as_ref(capture) for url, capture in (latest_by_url or {}).items()
        }
        self._update_index_on_close = update_index_on_close
        self._next_serial = 0
        self._current: _OpenWarc | None = None
        self.finished_files: list[Path] = []
        self.directory.mkdir(parents=True, exist_ok=True)
        self.crawl_log = CrawlLog(self.directory / LOG_DIR, run_id) if crawl_log else None
        self._closed = False

    # -- public API -------------------------------------------------------------------------

    def write_exchange(
        self,
        *,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes,
        http_version: str,
        status: int,
        reason: str,
        response_headers: list[tuple[str, str]],
        payload: bytes,
        fetched_at: datetime,
        remote_ip: str | None = None,
        referrer: str | None = None,
        duration_ms: float | None = None,
        truncated: str | None = None,
    ) -> CaptureRef:
        """Archive one fetch as response (or revisit) + request records; return where it went.
        ``truncated``: why the payload is cut short (WARC-Truncated: ``length``, ``time``…);
        such a payload is never taken for another's, nor another for it."""
        if self._closed:
            raise RuntimeError("ArchiveWriter is closed")
        captured_at = ensure_utc(fetched_at)
        warc = self._warc_for(captured_at)
        common = {
            "WARC-Date": format_warc_date(captured_at),
            "WARC-Warcinfo-ID": warc.warcinfo_id,
        }
        if remote_ip:
            common["WARC-IP-Address"] = remote_ip

        http_block = response_block(http_version, status, reason, response_headers, len(payload))
        digest = payload_digest(payload)
        if truncated:
            record, refers_to = self._response(warc.writer, url, http_block, payload, digest,
                                               {**common, "WARC-Truncated": truncated}), None
        else:
            record, refers_to = self._response_or_revisit(
                warc.writer, url, status, http_block, payload, digest, common
            )
        offset, length = warc.write(record)

        request = warc.writer.create_warc_record(
            url,
            "request",
            payload=BytesIO(request_body),
            length=len(request_body),
            http_headers=request_block(method, url, http_version, request_headers),
            warc_headers_dict={
                **_new_id("request", url),
                **common,
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        warc.write(request)
        # One flush per fetch: a killed crawl leaves whole records in the .open file.
        warc.flush()

        ref = CaptureRef(
            url=url,
            captured_at=captured_at,
            record_id=record.rec_headers.get_header("WARC-Record-ID"),
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
            warc_file=warc.name.filename,
            offset=offset,
            length=length,
            status=status,
            mime=mime_of(Headers(response_headers).get("Content-Type")),
            record_type=record.rec_type,
        )
        self._remember(ref, payload, whole=not truncated)
        if self.crawl_log:
            self.crawl_log.log_capture(
                ref,
                size=len(payload),
                referrer=referrer,
                duration_ms=duration_ms,
                revisit_profile=record.rec_headers.get_header("WARC-Profile"),
                refers_to=refers_to,
            )
        if warc.size() >= self.max_file_size:
            self._finish_current()
        return ref

    def log_failure(
        self,
        url: str,
        *,
        error: str,
        status: int = -1,
        fetched_at: datetime | None = None,
        referrer: str | None = None,
        duration_ms: float | None = None,
    ) -> None:
        """Record a fetch that produced no response (DNS, connection, timeout) in the crawl log."""
        if self.crawl_log:
            self.crawl_log.log_failure(
                url,
                error=error,
                status=status,
                fetched_at=fetched_at,
                referrer=referrer,
                duration_ms=duration_ms,
            )

    def close(self) -> None:
        """Finish the open file, close the crawl log and bring index.cdxj up to date."""
        if self._closed:
            return
        self._closed = True
        self._finish_current()
        if self.crawl_log:
            self.crawl_log.close()
        if self._update_index_on_close:
            update_index(self.directory)

    def abandon(self) -> None:
        """Stops writing after a write failed (a full disk): the file being written keeps its
        ``.open`` name, whatever the failed write left at its end, for the next crawl to cut
        after its last complete record (``salvage_open_file``) and finish; a build reads it up
        to that record meanwhile."""
        if self._closed:
            return
        self._closed = True
        if self._current is not None:
            with contextlib.suppress(OSError):
                self._current.fh.close()
            self._current = None
        if self.crawl_log:
            with contextlib.suppress(OSError):
                self.crawl_log.close()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Records already written are whole (one flush per fetch), so finish the file even on
        # error: keeping what was fetched beats leaving it in a .open file.
        self.close()

    @property
    def known_digests(self) -> dict[str, CaptureRef]:
        return dict(self._digests)

    # -- records ----------------------------------------------------------------------------

    def _response_or_revisit(
        self,
        builder: WARCWriter,
        url: str,
        status: int,
        http_block: Any,
        payload: bytes,
        digest: str,
        common: dict[str, str],
    ) -> tuple[ArcWarcRecord, CaptureRef | None]:
        if status == 304:
            earlier = self._latest.get(url)
            extra = {"WARC-Profile": SERVER_NOT_MODIFIED_PROFILE, **_refers_to(earlier)}
            if earlier and earlier.payload_digest:
                # The digest of the payload the 304 confirms, so replay tools can find it.
                extra["WARC-Payload-Digest"] = earlier.payload_digest
            return _revisit(builder, url, http_block, {**common, **extra}), earlier

        original = self._digests.get(digest) if payload else None
        if original:
            extra = {
                "WARC-Profile": IDENTICAL_PAYLOAD_PROFILE,
                "WARC-Payload-Digest": digest,
                **_refers_to(original),
            }
            return _revisit(builder, url, http_block, {**common, **extra}), original

        return self._response(builder, url, http_block, payload, digest, common), None

    @staticmethod
    def _response(builder: WARCWriter, url: str, http_block: Any, payload: bytes, digest: str,
                  headers: dict[str, str]) -> ArcWarcRecord:
        return builder.create_warc_record(
            url,
            "response",
            payload=BytesIO(payload),
            length=len(payload),
            http_headers=http_block,
            warc_headers_dict={**_new_id("response", url), **headers,
                               "WARC-Payload-Digest": digest},
        )

    def _remember(self, ref: CaptureRef, payload: bytes, *, whole: bool = True) -> None:
        # Empty payloads (redirects, 204s) are not deduplicated: a revisit would save nothing.
        if whole and ref.record_type == "response" and payload and ref.payload_digest:
            self._digests.setdefault(ref.payload_digest, ref)
        self._latest[ref.url] = ref

    # -- files ------------------------------------------------------------------------------

    def _warc_for(self, captured_at: datetime) -> _OpenWarc:
        if self._current is None:
            self._current = self._open_new(captured_at)
        return self._current

    def _open_new(self, opened_at: datetime) -> _OpenWarc:
        while True:
            name = make_name(self.prefix, opened_at, self.run_id, self._next_serial)
            self._next_serial += 1
            final = self.directory / name.filename
            try:
                # Exclusive create reserves the name against a concurrent writer of this run.
                fh = open(final.with_name(final.name + OPEN_SUFFIX), "xb")  # noqa: SIM115
            except FileExistsError:
                continue
            if final.exists():
                fh.close()
                os.unlink(fh.name)
                continue
            warc = _OpenWarc(name, final, fh)
            warc.write_warcinfo(self._warcinfo_fields())
            return warc

    def _finish_current(self) -> None:
        if self._current is not None:
            self.finished_files.append(self._current.finish())
            self._current = None

    def _warcinfo_fields(self) -> dict[str, str]:
        fields = {
            "software": self.software,
            "format": WARC_FORMAT,
            "conformsTo": WARC_CONFORMS_TO,
            "operator": self.operator,
            "robots": self.robots_policy,
            "hostname": socket.gethostname(),
            "scoparchive-run-id": self.run_id,
            "scoparchive-fidelity": FIDELITY_NOTE,
            "scoparchive-warc-library": f"warcio/{_warcio_version()}",
            "scoparchive-opened-at": format_warc_date(datetime.now(UTC)),
        }
        if self.sites:
            fields["scoparchive-sites"] = " ".join(f"{name}={url}"
                                                   for name, url in self.sites.items())
        if self.worker:
            fields["scoparchive-worker"] = self.worker
        fields.update(self.extra_info)
        return fields


class _OpenWarc:
    """One WARC being written under `<name>.open`, renamed to its final name by `finish`."""

    def __init__(self, name: WarcName, final: Path, fh: BinaryIO):
        self.name = name
        self.final = final
        self.fh = fh
        self.writer = WARCWriter(fh, gzip=True, warc_version=WARC_VERSION)
        self.warcinfo_id = ""

    def write_warcinfo(self, fields: dict[str, str]) -> None:
        record = self.writer.create_warcinfo_record(self.final.name, fields)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self.write(record)
        self.flush()

    def write(self, record: ArcWarcRecord) -> tuple[int, int]:
        offset = self.fh.tell()
        self.writer.write_record(record)
        return offset, self.fh.tell() - offset

    def flush(self) -> None:
        self.fh.flush()

    def size(self) -> int:
        return self.fh.tell()

    def finish(self) -> Path:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.fh.name, self.final)
        return self.final


def _revisit(
    builder: WARCWriter, url: str, http_block: Any, headers: dict[str, str]
) -> ArcWarcRecord:
    # A revisit keeps the full HTTP header block and no payload.
    return builder.create_warc_record(
        url,
        "revisit",
        http_headers=http_block,
        warc_headers_dict={**_new_id("revisit", url), **headers},
    )


def _refers_to(earlier: CaptureRef | None) -> dict[str, str]:
    if earlier is None:
        return {}
    return {
        "WARC-Refers-To": earlier.record_id,
        "WARC-Refers-To-Target-URI": earlier.url,
        "WARC-Refers-To-Date": earlier.warc_date,
    }


def _new_id(record_type: str, url: str) -> dict[str, str]:
    # Listed first so the record header reads in the usual order (type, id, target, date...).
    return {
        "WARC-Type": record_type,
        "WARC-Record-ID": StatusAndHeadersParser.make_warc_id(),
        "WARC-Target-URI": url,
    }


def _as_ref(capture: Any) -> CaptureRef:
    return capture if isinstance(capture, CaptureRef) else capture.ref()


def _warcio_version() -> str:
    try:
        from importlib.metadata import version

        return version("warcio")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        return getattr(warcio, "__version__", "unknown")


def fsync_path(path: Path) -> None:
    """Flush ``path`` to the disk: a file's content, or a folder's entries (a file created,
    renamed or removed in it)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
