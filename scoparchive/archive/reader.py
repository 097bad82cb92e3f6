"""Read an archive directory back: captures in capture order, revisits resolved, no network.

Each WARC file is read once, sequentially; the payload a revisit stands for is read by seeking
in a second handle kept open for the whole pass (never a file re-opened per record).
``ArchiveSet`` reads several archive directories as one (the workers' archives of a distributed
crawl): one ``ArchiveReader`` each, their captures merged in capture order.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import logging
import os
import re
import sys
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

from .index import CaptureIndex
from .model import (
    ArchiveError,
    Capture,
    CaptureRef,
    Headers,
    RunInfo,
    mime_of,
    parse_warc_date,
)
from .naming import OPEN_SUFFIX, finished_warcs, open_warcs, parse_name, sort_key
from .payload import (
    MAX_DECODED_PAYLOAD,
    PayloadDecodeError,
    PayloadTooLarge,
    decode_payload,
    payload_digest,
)

log = logging.getLogger(__name__)

#: The damage already told by this process (``ArchiveReader._skip``).
_TOLD: set[str] = set()

EMPTY_PAYLOAD_DIGEST = payload_digest(b"")
_CAPTURE_TYPES = ("response", "revisit")
# Headers a 304 must not change in the stored response (RFC 9111 4.3.4 freshening), plus ours.
_NOT_FRESHENED = {"content-length", "content-encoding", "transfer-encoding", "content-range"}
# warcio meets a record cut inside its headers with an AttributeError or a TypeError (a missing
# WARC-Target-URI), and a damaged status line with its parser's own exception.
_READ_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, EOFError,
                ValueError, OSError, AttributeError, TypeError, IndexError)
_WARC_SUFFIX = re.compile(r"\.w?arc(?:\.gz)?$", re.IGNORECASE)
_FOREIGN_PART = re.compile(r"-\d{5}$")


@dataclass(frozen=True)
class RecordFacts:
    """What a capture is made of, read from a response or revisit record (``of``) or from the
    capture index, where it is kept as ``to_entry`` gives it: the payload is read from the
    file only."""

    path: Path
    offset: int
    length: int
    rec_type: str
    url: str
    date: str
    payload_digest: str | None
    record_id: str
    profile: str | None
    refers_to: str | None
    status: int
    http_headers: list[tuple[str, str]]
    payload: bytes | None = None

    @classmethod
    def of(cls, stored: StoredRecord) -> RecordFacts:
        record = stored.record
        return cls(
            path=stored.path, offset=stored.offset, length=stored.length,
            rec_type=stored.rec_type, url=stored.header("WARC-Target-URI") or "",
            date=stored.header("WARC-Date") or "",
            payload_digest=stored.header("WARC-Payload-Digest"),
            record_id=stored.header("WARC-Record-ID") or "",
            profile=stored.header("WARC-Profile"), refers_to=stored.header("WARC-Refers-To"),
            status=_status_of(record),
            http_headers=list(record.http_headers.headers) if record.http_headers else [],
            payload=stored.payload,
        )

    def to_entry(self) -> list:
        return [self.offset, self.length, self.rec_type, self.url, self.date,
                self.payload_digest, self.record_id, self.profile, self.refers_to, self.status,
                self.http_headers]

    @classmethod
    def from_entry(cls, path: Path, entry: list) -> RecordFacts:
        (offset, length, rec_type, url, date, digest, record_id, profile, refers_to, status,
         http_headers) = entry
        # Header names repeat in every record: one string each (a build keeps the latest
        # headers of every URL, for the server-not-modified revisits to come).
        return cls(path, offset, length, rec_type, url, date, digest, record_id, profile,
                   refers_to, status, [(sys.intern(name), value) for name, value in http_headers])


@dataclass
class StoredRecord:
    """One WARC record, read to its end; `payload` is the raw HTTP payload when asked for."""

    path: Path
    offset: int
    length: int
    record: ArcWarcRecord
    payload: bytes | None

    @property
    def rec_type(self) -> str:
        return self.record.rec_type

    def header(self, name: str) -> str | None:
        return self.record.rec_headers.get_header(name)


class _Damage:
    """The damaged stretches met in one file (``iter_records``'s ``on_damage``)."""

    def __init__(self, path: Path):
        self.path = path
        self.stretches: list[tuple[int, str, int | None]] = []

    def __call__(self, offset: int, reason: str, resumed: int | None) -> None:
        self.stretches.append((offset, reason, resumed))

    def told(self, read: int) -> tuple[ArchiveError, int, str | None]:
        """The first stretch as an error, the captures read, and what reading past the
        stretches kept (None when the first one ended the file), for ``_skip``."""
        offset, reason, resumed = self.stretches[0]
        error = ArchiveError(self.path, offset, reason)
        if resumed is None:
            return error, read, None
        skipped = sum(resumed - start for start, _, resumed in self.stretches
                      if resumed is not None)
        more = len(self.stretches) - 1
        kept = f"{skipped:,} byte(s) skipped, reading went on after {'them' if more else 'it'}"
        if more:
            kept += f" ({more} more damaged stretch(es)"
            kept += ", the last one to the end of the file)" if self.stretches[-1][2] is None \
                else ")"
        return error, read, f"{kept}; {read} capture(s) read"


class ArchiveReader:
    """The archive in `directory`. `.open` files (a crawl still running, or killed) are ignored
    unless `include_open`, in which case they are read up to their last complete record.
    A payload longer than `max_payload` bytes, as stored or once decoded, is not read: its
    capture comes with an empty body and a `decode_error` saying so.

    Damage costs only what it touches: a damaged record is skipped, and reading goes on at the
    next record that reads whole (a file cut short gives every record before the cut); a file
    that cannot be read at all (a folder, a file without permission, another format under a
    WARC name) is left out. Each is
    logged once, in one line naming the file, the offset and what was kept, and listed in
    ``skipped``. With ``strict``, the first damage raises ``ArchiveError`` instead."""

    def __init__(self, directory: Path, *, include_open: bool = False, use_index: bool = True,
                 max_payload: int = MAX_DECODED_PAYLOAD, strict: bool = False):
        self.directory = Path(directory)
        self.include_open = include_open
        self.use_index = use_index
        self.max_payload = max_payload
        self.strict = strict
        #: File → the line that told what was skipped of it.
        self.skipped: dict[Path, str] = {}
        self._capture_index: CaptureIndex | bool | None = False  # False: not opened yet

    def warc_files(self) -> list[Path]:
        """The files to read, in capture order: those that cannot be opened are left out (and
        told, see the class)."""
        files = finished_warcs(self.directory)
        if self.include_open:
            files = sorted(files + open_warcs(self.directory), key=sort_key)
        readable = []
        for path in files:
            if not path.is_file():
                self._skip(ArchiveError(path, None, "not a file"), read=None)
            elif not os.access(path, os.R_OK):
                self._skip(ArchiveError(path, None, "cannot be read (permission denied)"),
                           read=None)
            else:
                readable.append(path)
        return readable

    def _damage_of(self, path: Path) -> _Damage | None:
        """Where reading ``path`` meets damage, to read on past it; None when strict (the
        first damage raises)."""
        return None if self.strict else _Damage(path)

    def _skip(self, error: ArchiveError, read: int | None, kept: str | None = None) -> None:
        """Tells once what damage cost (``read``: the captures read before it; None: the file
        was not opened; ``kept``: what was read, when reading went on past it), or raises it
        when strict."""
        if self.strict:
            raise error
        if error.path in self.skipped:
            return
        if kept is None and read is None:
            kept = "file left out"
        elif kept is None and read == 0:
            kept = "nothing read from it"
        elif kept is None:
            kept = f"{read} capture(s) before it kept, the rest of the file skipped"
        line = f"{error}; {kept}"
        self.skipped[error.path] = line
        if line not in _TOLD:  # a command reads the archive more than once: told once
            _TOLD.add(line)
            log.warning("%s", line)

    def _tolerant(self, path: Path, items: Iterable, count, damage: _Damage | None = None
                  ) -> Iterator:
        """``items`` read from ``path``, stopping at a file that cannot be read, reading on
        past damage inside it (``damage``), and telling either once (``_skip``). ``count``
        says which items are captures, for the line."""
        read = 0
        try:
            for item in items:
                read += count(item)
                yield item
        except ArchiveError as error:
            if error.path != path:
                raise
            self._skip(error, read)
            return
        if damage is not None and damage.stretches:
            self._skip(*damage.told(read))

    def runs(self) -> list[RunInfo]:
        runs: dict[str, RunInfo] = {}
        for path in self.warc_files():
            try:
                info, date = _warcinfo_of(path)
            except ArchiveError as error:
                self._skip(error, read=0)
                continue
            run_id = info.get("scoparchive-run-id") or _run_id_from_name(path)
            started_at = parse_warc_date(date) if date else None
            run = runs.get(run_id)
            if run is None:
                run = runs[run_id] = RunInfo(
                    run_id=run_id,
                    started_at=started_at,
                    software=info.get("software", ""),
                    operator=info.get("operator", ""),
                    info=info,
                )
            elif started_at and (run.started_at is None or started_at < run.started_at):
                run.started_at = started_at
            run.files.append(path)
        return sorted(runs.values(), key=lambda run: (run.started_at is None, run.started_at))

    def records(self, *, payloads: bool = False) -> Iterator[StoredRecord]:
        """Every record of every file, in capture order (low level: no revisit resolution)."""
        for path in self.warc_files():
            damage = self._damage_of(path)
            yield from self._tolerant(path, iter_records(path, payloads=payloads,
                                                         on_damage=damage),
                                      lambda stored: stored.rec_type in _CAPTURE_TYPES, damage)

    def captures(self, *, bodies: bool = True) -> Iterator[Capture]:
        """Response and revisit records in capture order, revisits resolved (see Capture).

        Without bodies, a finished file read once is read again from the archive's capture
        index (``CaptureIndex``): its records' headers, without decompressing the file."""
        with _Resolver(self, bodies) as resolver:
            yield from _resolved(self.capture_facts(bodies), resolver, self.strict)

    def capture_facts(self, bodies: bool) -> Iterator[tuple[str, RecordFacts]]:
        """(run id, ``RecordFacts``) of every capture record, in capture order, revisits not
        resolved (``captures`` resolves them)."""
        index = self._index() if not bodies else None
        for path in self.warc_files():
            facts = index.entries(path) if index is not None else None
            if facts is None:
                damage = self._damage_of(path)
                facts = self._tolerant(path, self._read_facts(path, bodies, index, damage),
                                       lambda fact: 1, damage)
            yield from facts

    def _read_facts(self, path: Path, bodies: bool, index: CaptureIndex | None,
                    damage: _Damage | None) -> Iterator[tuple[str, RecordFacts]]:
        """The capture records of one file, read from it; indexed as they come, the file
        marked indexed once it was read whole without damage (a finished file only: a
        damaged one is read, and told, every time)."""
        run_id = _run_id_from_name(path)
        indexing = index.start(path) if index is not None and not path.name.endswith(
            OPEN_SUFFIX) else None
        for stored in iter_records(path, payloads=bodies, max_payload=self.max_payload,
                                   on_damage=damage):
            if stored.rec_type == "warcinfo":
                run_id = _warcinfo_fields(stored.record).get("scoparchive-run-id", run_id)
            elif stored.rec_type in _CAPTURE_TYPES:
                record = RecordFacts.of(stored)
                if indexing is not None:
                    indexing.add(run_id, record)
                yield run_id, record
        if indexing is not None and not (damage and damage.stretches):
            indexing.finish()

    def _index(self) -> CaptureIndex | None:
        if self._capture_index is False:
            self._capture_index = CaptureIndex.for_archive(self.directory) if self.use_index \
                else None
        return self._capture_index

    def latest_by_url(self) -> dict[str, Capture]:
        """Latest capture of each URL (bodies not loaded), for conditional recrawl requests:
        `capture.headers.get("ETag")`, `capture.headers.get("Last-Modified")`."""
        return self.recrawl_state()[1]

    def known_digests(self) -> dict[str, CaptureRef]:
        """Payload digest -> the first response record holding that payload (empty ones left
        out), for the writer's identical-payload revisits."""
        return self.recrawl_state()[0]

    def recrawl_state(self) -> tuple[dict[str, CaptureRef], dict[str, Capture]]:
        """`known_digests()` and `latest_by_url()` in one pass over the archive, for a writer
        starting a new run: `ArchiveWriter(..., known_digests=d, latest_by_url=l)`."""
        digests: dict[str, CaptureRef] = {}
        latest: dict[str, Capture] = {}
        for capture in self.captures(bodies=False):
            latest[capture.url] = capture
            digest = capture.payload_digest
            if not capture.is_revisit and digest and digest != EMPTY_PAYLOAD_DIGEST:
                digests.setdefault(digest, capture.ref())
        return digests, latest

    @property
    def directories(self) -> tuple[Path, ...]:
        """The archive folders read (``ArchiveSet`` reads several)."""
        return (self.directory,)

    def read_capture(self, warc_file: str | Path, offset: int) -> Capture:
        """The capture at a known place (a CDXJ line, a crawl log line): a file of the
        archive by its name, or by its path. A revisit read this way is not resolved
        (`resolved=False`): resolution needs the earlier captures."""
        path = self.directory / warc_file if Path(warc_file).parent == Path(".") \
            else Path(warc_file)
        with path.open("rb") as fh:
            stored = read_record_at(fh, path, offset, payload=True, max_payload=self.max_payload)
        run_id = _run_id_from_name(path)
        return _Resolver(self, bodies=True).capture(RecordFacts.of(stored), run_id,
                                                     resolve=False)


class ArchiveSet:
    """Several archive folders read as one (the archives of the workers of a distributed
    crawl, or of several sites): the captures of all of them in capture order (each archive's
    own order kept, the archives merged by the time of their captures), revisits resolved
    across archives (a payload stored in one, revisited in another), each archive read by its
    own ``ArchiveReader`` with its own capture index (``<archive>/.cache/``). ``include_open``:
    the folders whose ``.open`` files are read (those of no crawl still running)."""

    def __init__(self, directories: Iterable[Path], *, include_open: Iterable[Path] = (),
                 use_index: bool = True, max_payload: int = MAX_DECODED_PAYLOAD,
                 strict: bool = False):
        opened = {Path(directory) for directory in include_open}
        self.readers = [ArchiveReader(Path(directory), include_open=Path(directory) in opened,
                                      use_index=use_index, max_payload=max_payload,
                                      strict=strict)
                        for directory in directories]
        if not self.readers:
            raise ValueError("no archive folder to read")
        self.max_payload = max_payload
        self.strict = strict

    @property
    def directory(self) -> Path:
        """The first archive folder."""
        return self.readers[0].directory

    @property
    def directories(self) -> tuple[Path, ...]:
        return tuple(reader.directory for reader in self.readers)

    @property
    def skipped(self) -> dict[Path, str]:
        return {path: line for reader in self.readers for path, line in reader.skipped.items()}

    def warc_files(self) -> list[Path]:
        """Every archive's files, in capture order (by their names, as in one archive)."""
        return sorted((path for reader in self.readers for path in reader.warc_files()),
                      key=sort_key)

    def runs(self) -> list[RunInfo]:
        runs: dict[str, RunInfo] = {}
        for reader in self.readers:
            for run in reader.runs():
                known = runs.get(run.run_id)
                if known is None:
                    runs[run.run_id] = run
                    continue
                known.files.extend(run.files)
                if run.started_at and (known.started_at is None
                                       or run.started_at < known.started_at):
                    known.started_at = run.started_at
        return sorted(runs.values(), key=lambda run: (run.started_at is None, run.started_at))

    def records(self, *, payloads: bool = False) -> Iterator[StoredRecord]:
        for reader in self.readers:
            yield from reader.records(payloads=payloads)

    def captures(self, *, bodies: bool = True) -> Iterator[Capture]:
        with _Resolver(self, bodies) as resolver:
            merged = heapq.merge(*(reader.capture_facts(bodies) for reader in self.readers),
                                 key=_capture_time)
            yield from _resolved(merged, resolver, self.strict)

    # What a recrawl needs of the archives, as of one archive: read from ``captures``.
    recrawl_state = ArchiveReader.recrawl_state
    latest_by_url = ArchiveReader.latest_by_url
    known_digests = ArchiveReader.known_digests

    def read_capture(self, warc_file: str | Path, offset: int) -> Capture:
        """The capture at a known place: a file by its path, or by its name in the first
        archive that holds one so named."""
        path = Path(warc_file)
        if path.parent == Path("."):
            path = next((reader.directory / path for reader in self.readers
                         if (reader.directory / path).exists()), self.directory / path)
        return self.readers[0].read_capture(path, offset)


def open_archives(directories: Path | Iterable[Path], **options) -> ArchiveReader | ArchiveSet:
    """An ``ArchiveReader`` of one folder, an ``ArchiveSet`` of several. ``include_open``:
    a flag for one folder, the folders whose ``.open`` files are read for several."""
    if isinstance(directories, str | os.PathLike):
        directories = [directories]
    directories = [Path(directory) for directory in directories]
    if len(directories) == 1:
        include_open = options.pop("include_open", False)
        if not isinstance(include_open, bool):
            include_open = directories[0] in {Path(path) for path in include_open}
        return ArchiveReader(directories[0], include_open=include_open, **options)
    return ArchiveSet(directories, **options)


def _capture_time(item: tuple[str, RecordFacts]) -> datetime:
    """When a capture was made, to merge archives in capture order; a date that cannot be
    read sorts first (its capture is skipped, and told, by ``_resolved``)."""
    try:
        return parse_warc_date(item[1].date)
    except ValueError:
        return _EARLIEST


_EARLIEST = datetime.min.replace(tzinfo=UTC)


def _resolved(facts: Iterable[tuple[str, RecordFacts]], resolver: _Resolver,
              strict: bool) -> Iterator[Capture]:
    """The captures of capture records, in their order, revisits resolved; a record whose date
    cannot be read is skipped (strict: raises)."""
    for run_id, record in facts:
        try:
            capture = resolver.capture(record, run_id)
        except ValueError as error:  # a damaged date, in a record read whole
            log.warning("%s at offset %d: capture skipped (%s)", record.path, record.offset,
                        error)
            if strict:
                raise ArchiveError(record.path, record.offset, str(error)) from error
            continue
        yield capture


#: Called with the offset where damage starts, what it is, and the offset where reading goes
#: on (None: nothing readable after it).
OnDamage = Callable[[int, str, int | None], None]


def iter_records(path: Path, *, payloads: bool = False, max_payload: int = MAX_DECODED_PAYLOAD,
                 on_damage: OnDamage | None = None) -> Iterator[StoredRecord]:
    """Records of one WARC file, each read to its end before it is yielded; a payload is read
    up to one byte past ``max_payload`` (``_decoded`` tells it was longer).

    A damaged finished file raises ArchiveError naming the file and the offset where the
    damage starts, after every record before it was yielded; with ``on_damage``, that is
    called instead, and reading goes on at the next record that reads whole (in a gzipped
    file each record is a gzip member of its own: one bad byte costs the record that holds
    it). A `.open` file (writer still running or killed) ends quietly at its last complete
    record.
    """
    tolerant = path.name.endswith(OPEN_SUFFIX)
    try:
        size = path.stat().st_size
        fh = path.open("rb")
    except OSError as exc:
        raise ArchiveError(path, None, f"cannot be read ({exc.strerror})") from exc
    end = 0
    with fh:
        records = ArchiveIterator(fh)
        while True:
            try:
                stored = _next_record(records, path, fh, payloads, end, size, max_payload)
            except (*_READ_ERRORS, _Damaged) as exc:
                if tolerant:
                    log.warning("%s: stopping at offset %d (%s)", path, end, exc)
                    return
                reason = _one_line(str(exc)) or type(exc).__name__
                if on_damage is None:
                    raise ArchiveError(path, end, reason) from exc
                resumed = _next_whole_record(fh, path, end + 1, size)
                on_damage(end, reason, resumed)
                if resumed is None:
                    return
                fh.seek(resumed)
                records, end = ArchiveIterator(fh), resumed
                continue
            if stored is None:
                break
            end = stored.offset + stored.length
            yield stored
    if end != size and not tolerant:
        reason = f"{size - end} bytes after the last complete record"
        if on_damage is None:
            raise ArchiveError(path, end, reason)
        on_damage(end, reason, None)


#: Where a record may start: a gzip member (RFC 1952, deflate), or an uncompressed record.
_RECORD_STARTS = (b"\x1f\x8b\x08", b"WARC/1.")
_SCAN_BLOCK = 2**20


def _next_whole_record(fh: BinaryIO, path: Path, start: int, size: int) -> int | None:
    """The offset, from ``start`` on, of the first record that reads whole, or None."""
    position = start
    while position < size:
        fh.seek(position)
        block = fh.read(_SCAN_BLOCK + 8)
        candidates = sorted(found for marker in _RECORD_STARTS
                            for found in _find_all(block[:_SCAN_BLOCK + len(marker) - 1],
                                                   marker))
        for found in candidates:
            offset = position + found
            fh.seek(offset)
            try:
                if _next_record(ArchiveIterator(fh), path, fh, False, offset, size, 0):
                    return offset
            except (*_READ_ERRORS, _Damaged):
                continue
        position += _SCAN_BLOCK
    return None


def _find_all(data: bytes, marker: bytes) -> Iterator[int]:
    found = data.find(marker)
    while found != -1:
        yield found
        found = data.find(marker, found + 1)


#: Characters of a reader's error kept in the line that tells it (warcio quotes binary lines).
_REASON_LENGTH = 120


def _one_line(text: str) -> str:
    invalid, _, first_line = text.partition(", first line:")
    readable = sum(c.isascii() and c.isprintable() for c in first_line)
    if invalid == "Invalid WARC record" and readable < 0.9 * len(first_line):
        return "no WARC record header here (damaged bytes)"  # its first line means nothing
    text = " ".join("".join(c if c.isascii() and c.isprintable() else " " for c in text).split())
    return text if len(text) <= _REASON_LENGTH else text[:_REASON_LENGTH - 1] + "…"


def read_record_at(fh: BinaryIO, path: Path, offset: int, *, payload: bool,
                   max_payload: int = MAX_DECODED_PAYLOAD) -> StoredRecord:
    fh.seek(offset)
    records = ArchiveIterator(fh)
    try:
        record = next(records)
        raw = record.raw_stream.read(max_payload + 1) if payload else None
        records.read_to_end()
    except (*_READ_ERRORS, StopIteration) as exc:
        raise ArchiveError(path, offset, f"no readable record here ({exc})") from exc
    return StoredRecord(path, offset, records.get_record_length(), record, raw)


def salvage_open_file(path: Path) -> Path | None:
    """Finish the `.open` file a killed crawl left: cut it after its last complete record and
    give it its final name. Returns the finished path, or None if it held nothing (removed).
    Only for files no writer is still appending to."""
    path = Path(path)
    if not path.name.endswith(OPEN_SUFFIX):
        raise ValueError(f"{path} is not a .open file")
    end = 0
    for stored in iter_records(path):
        end = stored.offset + stored.length
    if end == 0:
        path.unlink()
        return None
    final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
    if final.exists():
        raise FileExistsError(final)
    os.truncate(path, end)
    os.replace(path, final)
    return final


class _Damaged(Exception):
    pass


def _next_record(
    records: ArchiveIterator, path: Path, fh: BinaryIO, payloads: bool, end: int, size: int,
    max_payload: int,
) -> StoredRecord | None:
    # warcio writes what it meets in a damaged file to stderr itself: it is kept for the one
    # line that tells the damage instead.
    told = io.StringIO()
    with contextlib.redirect_stderr(told):
        record = next(records, None)
        if record is None:
            return None
        if record.rec_type is None:
            raise _Damaged("not a WARC record (truncated or corrupt)")
        raw = (record.raw_stream.read(max_payload + 1)
               if payloads and record.rec_type in _CAPTURE_TYPES else None)
        records.read_to_end()
    offset, length = records.get_record_offset(), records.get_record_length()
    if offset != end:
        raise _Damaged(f"unreadable bytes before the record at offset {offset}")
    if getattr(record.raw_stream, "limit", 0) > 0:
        said = " ".join(told.getvalue().split())
        raise _Damaged("record shorter than its Content-Length (truncated"
                       + (f": {said}" if said else "") + ")")
    if offset + length >= size and not _gzip_member_complete(fh, offset, length):
        # warcio accepts a last gzip member whose trailer is cut off; a killed write looks so.
        raise _Damaged("last gzip member is incomplete (truncated)")
    return StoredRecord(path, offset, length, record, raw)


def _gzip_member_complete(fh: BinaryIO, offset: int, length: int) -> bool:
    data = os.pread(fh.fileno(), length, offset)
    if data[:2] != b"\x1f\x8b":
        return True  # an uncompressed WARC: nothing to check at this level
    decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        decompressor.decompress(data)
    except zlib.error:
        return False
    return decompressor.eof


@dataclass(slots=True)
class _Resolved:
    """What a later server-not-modified revisit of the same URL inherits."""

    status: int
    headers: Headers
    location: tuple[Path, int] | None
    digest: str | None


class _Resolver:
    """Turns stored records into Captures, remembering enough to resolve later revisits."""

    BODY_CACHE_SIZE = 32

    def __init__(self, reader: ArchiveReader, bodies: bool):
        self.reader = reader
        self.bodies = bodies
        self.payload_at: dict[str, tuple[Path, int]] = {}
        self.latest: dict[str, _Resolved] = {}
        self._handles: dict[Path, BinaryIO] = {}
        self._bodies: OrderedDict[tuple[Path, int], tuple[bytes, str | None]] = OrderedDict()
        self._scanned_all = False

    def __enter__(self) -> _Resolver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for fh in self._handles.values():
            fh.close()
        self._handles.clear()

    def capture(self, record: RecordFacts, run_id: str, *, resolve: bool = True) -> Capture:
        headers = Headers(record.http_headers)
        capture = Capture(
            url=record.url,
            run_id=run_id,
            captured_at=parse_warc_date(record.date),
            status=record.status,
            headers=headers,
            content_type=mime_of(headers.get("Content-Type")),
            body=None,
            payload_digest=record.payload_digest,
            record_id=record.record_id,
            warc_file=record.path,
            offset=record.offset,
            length=record.length,
            is_revisit=record.rec_type == "revisit",
            revisit_profile=record.profile,
            refers_to_record_id=record.refers_to,
        )
        if not capture.is_revisit:
            self._take_response(capture, record)
        elif not resolve:
            capture.resolved = False
        elif _is_not_modified(capture):
            self._resolve_not_modified(capture)
        else:
            self._resolve_identical_payload(capture)
        if capture.decode_error:
            log.warning("%s (%s, offset %d): %s", capture.url, record.path.name, record.offset,
                        capture.decode_error)
        return capture

    def _take_response(self, capture: Capture, record: RecordFacts) -> None:
        if record.payload is not None:
            if not capture.payload_digest and len(record.payload) <= self.reader.max_payload:
                capture.payload_digest = payload_digest(record.payload)
            capture.body, capture.decode_error = _decoded(record.payload, capture.headers,
                                                          self.reader.max_payload)
        location = (record.path, record.offset)
        digest = capture.payload_digest
        if digest and digest != EMPTY_PAYLOAD_DIGEST:
            self.payload_at.setdefault(digest, location)
        self._remember(capture, location)

    def _resolve_identical_payload(self, capture: Capture) -> None:
        digest = capture.payload_digest
        location = self._find_payload(digest) if digest else None
        capture.resolved = location is not None
        if location and self.bodies:
            capture.body, capture.decode_error = self._body_at(location)
        self._remember(capture, location)

    def _resolve_not_modified(self, capture: Capture) -> None:
        earlier = self.latest.get(capture.url)
        if earlier is None or earlier.location is None:
            capture.resolved = False
            self.latest[capture.url] = _Resolved(capture.status, capture.headers, None, None)
            return
        capture.status = earlier.status
        capture.headers = _freshened(earlier.headers, capture.headers)
        capture.content_type = mime_of(capture.headers.get("Content-Type"))
        capture.payload_digest = earlier.digest or capture.payload_digest
        if self.bodies:
            capture.body, capture.decode_error = self._body_at(earlier.location)
        self._remember(capture, earlier.location)

    def _remember(self, capture: Capture, location: tuple[Path, int] | None) -> None:
        capture.payload_at = location
        self.latest[capture.url] = _Resolved(
            capture.status, capture.headers, location, capture.payload_digest
        )

    def _find_payload(self, digest: str) -> tuple[Path, int] | None:
        if digest not in self.payload_at and not self._scanned_all:
            # The original is not earlier in capture order (files out of order, or written by
            # a concurrent worker): index every response's digest once, then look again.
            self._scanned_all = True
            for stored in self.reader.records():
                found = stored.header("WARC-Payload-Digest")
                if stored.rec_type == "response" and found and found != EMPTY_PAYLOAD_DIGEST:
                    self.payload_at.setdefault(found, (stored.path, stored.offset))
        return self.payload_at.get(digest)

    def _body_at(self, location: tuple[Path, int]) -> tuple[bytes, str | None]:
        if location in self._bodies:
            self._bodies.move_to_end(location)
            return self._bodies[location]
        path, offset = location
        fh = self._handles.get(path)
        if fh is None:
            fh = self._handles[path] = path.open("rb")
        try:
            stored = read_record_at(fh, path, offset, payload=True,
                                    max_payload=self.reader.max_payload)
        except ArchiveError as error:  # the payload of this capture only is lost
            return b"", str(error)
        headers = Headers(stored.record.http_headers.headers if stored.record.http_headers else [])
        result = _decoded(stored.payload or b"", headers, self.reader.max_payload)
        self._bodies[location] = result
        if len(self._bodies) > self.BODY_CACHE_SIZE:
            self._bodies.popitem(last=False)
        return result


def _decoded(payload: bytes, headers: Headers, max_size: int) -> tuple[bytes, str | None]:
    if len(payload) > max_size:
        return b"", f"payload longer than {max_size:,} bytes: not read"
    try:
        return decode_payload(payload, headers, max_size), None
    except PayloadTooLarge as exc:
        return b"", str(exc)
    except PayloadDecodeError as exc:
        # Keep the bytes rather than lose the capture; the caller sees why they are raw.
        return payload, str(exc)


def _freshened(stored: Headers, fresh: Headers) -> Headers:
    updated = {name.lower() for name, _ in fresh if name.lower() not in _NOT_FRESHENED} - {""}
    kept = [(name, value) for name, value in stored if name.lower() not in updated]
    added = [(name, value) for name, value in fresh if name.lower() in updated]
    return Headers(kept + added)


def _is_not_modified(capture: Capture) -> bool:
    profile = capture.revisit_profile or ""
    if profile.endswith("/server-not-modified"):
        return True
    # A revisit without a known profile: a 304 can only mean "not modified".
    return not profile.endswith("/identical-payload-digest") and capture.status == 304


def _status_of(record: ArcWarcRecord) -> int:
    try:
        return int(record.http_headers.get_statuscode())
    except (AttributeError, TypeError, ValueError):
        return 0


def _warcinfo_fields(record: ArcWarcRecord) -> dict[str, str]:
    text = record.content_stream().read().decode("utf-8", "replace")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip(), value.strip())
    return fields


def _warcinfo_of(path: Path) -> tuple[dict[str, str], str | None]:
    """Fields and WARC-Date of the file's opening warcinfo record (empty if it has none)."""
    with path.open("rb") as fh:
        try:
            record = next(ArchiveIterator(fh), None)
        except _READ_ERRORS as exc:
            raise ArchiveError(path, 0, f"unreadable first record ({exc})") from exc
        if record is None or record.rec_type != "warcinfo":
            return {}, None
        return _warcinfo_fields(record), record.rec_headers.get_header("WARC-Date")


def _run_id_from_name(path: Path) -> str:
    """Our files name their run; a file another tool wrote (``wget --warc-file=NAME``) is a run
    of its own, named after it: ``NAME``, also for the ``NAME-00001`` parts that
    ``--warc-max-size`` cuts."""
    name = path.name.removesuffix(OPEN_SUFFIX)
    parsed = parse_name(name)
    if parsed:
        return parsed.run_id
    return _FOREIGN_PART.sub("", _WARC_SUFFIX.sub("", name))
