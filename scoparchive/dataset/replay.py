"""The archive replayed into the site's history: every capture in capture order, each payload
parsed once (``ArchivedPageParser``), parses shared through the archive's parse cache.

Parsing is the one step whose cost is per payload, so it is the one spread over processes: the
replay reads the captures ahead in windows, hands the payloads of each window that the cache
does not hold to a pool of processes (``jobs``), stores their parses in the cache, and only then
replays the window, in order, from the cache. A one-process replay takes exactly the same path
with the parse done in place, so the history is the same whatever ``jobs`` and whether the cache
was cold or warm.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from scoparchive import geo
from scoparchive.archive import ArchiveReader, Capture, read_crawl_log
from scoparchive.archive.crawllog import crawl_log_path
from scoparchive.archive.model import is_html
from scoparchive.archive.naming import LOG_DIR
from scoparchive.archive.reader import ArchiveSet, open_archives
from scoparchive.dataset.archives import merged_records
from scoparchive.dataset.cache import (
    CacheKey,
    ParseCache,
    ParseCaches,
    cache_key,
    decode_fragments,
    encode_fragments,
    encode_summary,
    payload_home,
)
from scoparchive.dataset.history import History, Parsed
from scoparchive.items import ParsedPage
from scoparchive.pages import parse_page
from scoparchive.profiles import profile_for_url, register_sites, registered_sites

#: Captures read ahead per window: enough to keep every process busy, few enough that the
#: window's captures (headers only) are a small, fixed amount of memory.
WINDOW = 256
#: Under this many payloads to parse, starting processes costs more than it saves.
MIN_POOL_TASKS = 24
#: The same for batches of other work (``ArchivedPageParser.map``) when no process runs yet.
MIN_POOL_BATCHES = 4


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def replay_history(reader: ArchiveReader,
                   on_capture: Callable[[int], None] | None = None, *,
                   parser: ArchivedPageParser | None = None,
                   with_skipped: bool = False) -> History:
    """The history of the site from every capture of the archive, in capture order; also what
    a crawl reports of its run.

    ``parser=ArchivedPageParser(reader, ParseCache.for_archive(archive_dir))`` reuses the parses
    of earlier builds. ``with_skipped`` counts the pages each run left unrequested (the skipped
    entries of its crawl log) as unchanged in that run, as the build does."""
    parser = parser or ArchivedPageParser(reader)
    history = History(parse=parser)
    directories = reader.directories
    history.run_records = merged_records(directories)
    run_id = None
    done: set[str] = set()
    # Bodies are read only for the captures the parser has to parse, not for every capture.
    for capture in parser.parsed_ahead(reader.captures(bodies=False)):
        if with_skipped and capture.run_id != run_id:
            _add_skipped(history, directories, run_id, done)
        run_id = capture.run_id
        history.add(capture)
        if on_capture:
            on_capture(history.captures)
    if with_skipped:
        _add_skipped(history, directories, run_id, done)
    return history


def _add_skipped(history: History, directories: tuple[Path, ...], run_id: str | None,
                 done: set[str]) -> None:
    """The pages a run left unrequested, and its requests that got no answer, from its crawl
    logs (one per archive its workers wrote), once its captures are replayed: once per run,
    though the captures of runs crawled at the same time into other archives interleave."""
    if run_id is None or run_id in done:
        return
    done.add(run_id)
    for archive_dir in directories:
        log = crawl_log_path(archive_dir / LOG_DIR, run_id)
        if not log.is_file():
            continue
        for entry in read_crawl_log(log):
            if entry.get("record_type") == "skipped":
                history.add_skipped(run_id, entry["url"])
            elif entry.get("error") and (entry.get("status") or 0) < 0:
                history.add_failure(run_id)


@dataclass(frozen=True)
class ParseTask:
    """One payload to parse, as a process of the pool receives it."""

    key: CacheKey
    url: str
    content_type: str | None
    captured: date
    warc_file: str  # the file holding the payload: its path
    offset: int
    #: The archive folder holding the payload, whose parse cache keeps the parse
    #: (``cache.payload_home``).
    home: str = ""


class ArchivedPageParser:
    """Parses captures read without their bodies: from the cache when it holds the payload's
    parse, else from the payload read back from the archive (a revisit's from the record
    holding it), in a pool of ``jobs`` processes when there are enough to parse.

    Without a cache (``ParseCache`` None: ``build --no-cache``, or an archive that cannot be
    written), parses go to a temporary cache that lives as long as the parser: every page then
    comes out of the same encoding, cache or not.
    """

    def __init__(self, reader: ArchiveReader | ArchiveSet,
                 cache: ParseCache | ParseCaches | None = None, *, jobs: int = 1):
        self.reader = reader
        self.jobs = max(1, jobs)
        self._scratch: tempfile.TemporaryDirectory | None = None
        if cache is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="scoparchive-parses-")
            cache = ParseCache(Path(self._scratch.name) / "parses.sqlite")
        self.cache = cache
        self.parsed = 0
        self.from_cache = 0
        #: Processes that parsed: 1 when every parse was done in this one.
        self.processes = 1
        self._pool = None
        #: Keys parsed ahead and not asked for yet: their first capture counts as parsed, any
        #: later one (a revisit of the same payload) as taken from the cache.
        self._fresh: set[CacheKey] = set()
        #: Keys handed to the pool and not stored yet.
        self._in_flight: set[CacheKey] = set()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
        if self._scratch is not None:
            self.cache.close()
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> ArchivedPageParser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def parsed_ahead(self, captures: Iterable[Capture]) -> Iterator[Capture]:
        """The captures, unchanged and in order, each window's payloads parsed into the cache
        before its captures are handed on. While the pool parses a window, this process
        replays the one before."""
        window: list[Capture] = []
        previous: tuple[list[Capture], _Flight] | None = None
        for capture in captures:
            window.append(capture)
            if len(window) >= WINDOW:
                flight = self._submit(window)
                if previous is not None:
                    yield from self._land(*previous)
                previous, window = (window, flight), []
        flight = self._submit(window)
        if previous is not None:
            yield from self._land(*previous)
        yield from self._land(window, flight)

    def __call__(self, capture: Capture) -> Parsed:
        key = cache_key(capture)
        parsed = self.cache.get(capture)
        if parsed is None:
            task = self._task(capture, key)
            if task is None:  # no payload anywhere: what the page objects make of nothing
                entry = parse_entry(_empty_task(capture, key), b"")
            else:
                entry = parse_task(task, self.reader)
            self._store(key, entry, payload_home(capture))
            self._fresh.discard(key)
            parsed = self.cache.get(capture)
        elif key in self._fresh:
            self._fresh.remove(key)
        else:
            self.from_cache += 1
        parsed.source = key
        task = self._task(capture, key) or _empty_task(capture, key)
        parsed.load_page = functools.partial(self._parse_again, task)
        if key is not None:
            parsed.load_fragments = functools.partial(self._load_fragments, key, task)
        return parsed

    def _parse_again(self, task: ParseTask) -> ParsedPage:
        """The page of a payload, parsed again from the archive: the cache keeps its rows and
        summary, not the page. A date written without its year is read from this capture's
        day, where the cached rows read it from the payload's first capture."""
        return _parse(task, self._body(task))

    def _load_fragments(self, key: CacheKey, task: ParseTask) -> dict:
        """The rows of a parse, from the cache; parsed again if the cache lost them (a write
        that failed during the build)."""
        try:
            return self.cache.load_fragments(key, Path(task.home))
        except KeyError:
            return decode_fragments(parse_entry(task, self._body(task))[3])

    def _body(self, task: ParseTask) -> bytes:
        return read_payload(task, self.reader)

    def map(self, function: Callable, tasks: Iterable) -> Iterator:
        """``function`` over ``tasks``, results in order: in the pool when this build has more
        than one process and enough tasks, else here. ``function`` is a module's own, that
        the processes import by name."""
        tasks = list(tasks)
        if self.jobs > 1 and (self._pool is not None or len(tasks) >= MIN_POOL_BATCHES):
            return self._ensure_pool().imap(function, tasks)
        return map(function, tasks)

    # --- parsing ahead ---------------------------------------------------------------------

    def _submit(self, window: list[Capture]) -> _Flight:
        """Starts parsing the window's payloads that the cache does not hold (in the pool, or
        here when they are landed)."""
        keys = list(map(cache_key, window))
        self.cache.read_ahead({key for key in keys if key is not None})
        tasks: dict[CacheKey, ParseTask] = {}
        for capture, key in zip(window, keys, strict=True):
            if not _may_be_parsed(capture):
                continue
            if key is None or key in tasks or key in self._in_flight or self.cache.has(
                    key, payload_home(capture)):
                continue
            task = self._task(capture, key)
            if task is not None:
                tasks[key] = task
        self._in_flight.update(tasks)
        if tasks and ((self.jobs > 1 and len(tasks) >= MIN_POOL_TASKS)
                      or self._pool is not None):
            entries = self._ensure_pool().imap(_parse_in_worker, tasks.values(), chunksize=4)
        else:
            entries = (parse_task(task, self.reader) for task in tasks.values())
        return _Flight(tasks, entries)

    def _land(self, window: list[Capture], flight: _Flight) -> Iterator[Capture]:
        """The window's parses stored in the cache, then its captures."""
        for (key, task), entry in zip(flight.tasks.items(), flight.entries, strict=True):
            self._store(key, entry, Path(task.home))
            self._in_flight.discard(key)
        yield from window

    def _store(self, key, entry: tuple[str, str, str, bytes], home: Path) -> None:
        self.parsed += 1
        self._fresh.add(key)
        self.cache.put_encoded(key, *entry, home=home)

    def _ensure_pool(self):
        if self._pool is None:
            geo.load_tables()  # once here, not once per process
            context = multiprocessing.get_context(
                "fork" if "fork" in multiprocessing.get_all_start_methods() else None)
            # The sites the build registered (``dataset.archives``) go along: a process that
            # is not forked would not inherit them.
            self._pool = context.Pool(self.jobs, initializer=_start_worker,
                                      initargs=([str(path) for path in self.reader.directories],
                                                self.reader.max_payload, registered_sites()))
            self.processes = self.jobs
        return self._pool

    def _task(self, capture: Capture, key) -> ParseTask | None:
        """Where to read the capture's payload (the reader found it: ``Capture.payload_at``);
        None when it is nowhere in the archive."""
        if capture.payload_at is None:
            return None
        warc_file, offset = capture.payload_at
        return ParseTask(key, capture.url, capture.headers.get("Content-Type"),
                         capture.captured_at.date(), str(warc_file), offset,
                         str(payload_home(capture)))


@dataclass
class _Flight:
    """The parses of one window, under way: the tasks, and their results in the same order."""

    tasks: dict[CacheKey, ParseTask]
    entries: Iterator[tuple[str, str, str, bytes]]


def _may_be_parsed(capture: Capture) -> bool:
    """What the history may ask the parser for: a 200 HTML capture, other than a revisit the
    server confirmed unchanged (parsed only if its page is unknown, which the fallback does)."""
    return (capture.status == 200 and is_html(capture.content_type)
            and "not-modified" not in (capture.revisit_profile or ""))


def _empty_task(capture: Capture, key) -> ParseTask:
    return ParseTask(key, capture.url, capture.headers.get("Content-Type"),
                     capture.captured_at.date(), "", 0, str(payload_home(capture)))


def parse_task(task: ParseTask, reader: ArchiveReader) -> tuple[str, str, str, bytes]:
    return parse_entry(task, read_payload(task, reader))


def read_payload(task: ParseTask, reader: ArchiveReader) -> bytes:
    """The payload a task parses, read back from the archive (none for an empty task)."""
    if not task.warc_file:
        return b""
    return reader.read_capture(task.warc_file, task.offset).body or b""


def parse_entry(task: ParseTask, body: bytes) -> tuple[str, str, str, bytes]:
    """(content fingerprint, payload sha256, summary, rows) of one payload, encoded as the
    parse cache stores them."""
    page = _parse(task, body)
    return (page.content_fingerprint(), hashlib.sha256(body).hexdigest(), encode_summary(page),
            encode_fragments(task.url, page))


def _parse(task: ParseTask, body: bytes) -> ParsedPage:
    # The capture's day dates a "le 4 avril" without a year: a payload is parsed once, at
    # its first capture, the day the page was first seen so.
    return parse_page(task.url, body, profile=profile_for_url(task.url),
                      content_type=task.content_type, captured=task.captured)


# --- in a process of the pool -----------------------------------------------------------------

_worker_reader: ArchiveReader | None = None


def _start_worker(archive_dirs: list[str], max_payload: int, sites: dict[str, str]) -> None:
    global _worker_reader
    # Ctrl-C reaches the whole process group: the build stops, and closes its pool itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if registered_sites() != sites:  # a process spawned, not forked
        register_sites(sites)
    _worker_reader = open_archives([Path(path) for path in archive_dirs],
                                   max_payload=max_payload)


def _parse_in_worker(task: ParseTask) -> tuple[str, str, str, bytes]:
    return parse_task(task, _worker_reader)
