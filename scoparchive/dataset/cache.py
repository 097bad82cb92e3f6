"""The parse cache: each archived payload is parsed once per parser version.

Parsing is most of a build's time, and a recrawl brings few new payloads (identical ones become
revisits of the same digest), so a rebuild after a small recrawl parses only what is new. An entry
is keyed by what the page objects read: the URL (it decides the page type and resolves links),
the payload digest, the Content-Type header (its charset decodes the bytes), the site profile
the URL is parsed with (one address may serve another site in another build: a loopback port
of the replica, ``profiles.register_site``), and the parser version. The parser version is a digest of the parser's own source and data files and of the
libraries it parses with, so any change to the parser invalidates the cache without anyone
remembering to bump a number.

The cache lives in the archive folder (``<archive>/.cache/``), not beside the datasets: it
describes the archive's payloads, so every build of that archive shares it, whatever its
``--out`` (the demo, a test, a release), and so can the crawl's run summary, which replays the
same history. It is derived data: deleting it only makes the next build slower. An archive folder
that cannot be written (a read-only copy) is built without a cache. A cache that cannot be read
or written never fails a build: the pages are parsed instead.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import logging
import sqlite3
import tempfile
import zlib
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from scoparchive.archive import Capture
from scoparchive.dataset.fragments import page_fragments, read_fragments
from scoparchive.dataset.history import Parsed
from scoparchive.items import ParsedPage
from scoparchive.pipelines.completeness import PageSummary, summarise
from scoparchive.profiles import profile_for_url

log = logging.getLogger(__name__)

CACHE_DIR = ".cache"
CACHE_FILE = "parsed-pages.sqlite"
#: The layout of the cache file; a file of another layout is emptied. Bump it too when the build
#: changes what it hands to the page objects (``replay.ArchivedPageParser``).
CACHE_FORMAT = 7
#: What a parse depends on, relative to the package: the page objects, the text helpers, the
#: records they fill, the site profiles and the reference data (department names, communes);
#: and what is cached with it: the page's rows (``dataset.fragments``, which read the schema)
#: and its summary (``pipelines.completeness``).
PARSER_SOURCES = ("pages", "text", "items.py", "profiles.py", "profiles.yaml", "geo.py", "data",
                  "dataset/fragments.py", "pipelines/completeness.py", "schema.py")
#: Third-party libraries whose upgrade may change what a page parses to.
PARSER_LIBRARIES = ("lxml", "cssselect", "phonenumbers", "extruct", "trafilatura", "htmldate")
#: Entries written per transaction: short transactions keep a concurrent reader or writer (the
#: crawl's run summary) waiting briefly at most.
FLUSH_EVERY = 500


@functools.cache
def parser_version() -> str:
    """A digest of the parser's sources, data and libraries, prefixed by
    ``scoparchive.pages.PARSER_VERSION`` when the page objects declare one (a label for people;
    the digest still changes with any edit, bumped or not)."""
    package = Path(__file__).resolve().parents[1]  # scoparchive/, not this wing
    digest = hashlib.sha256()
    for path in parser_files(package):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name in PARSER_LIBRARIES:
        digest.update(f"{name}=={_installed_version(name)}\0".encode())
    source_digest = digest.hexdigest()[:16]
    declared = getattr(importlib.import_module("scoparchive.pages"), "PARSER_VERSION", None)
    return f"{declared}+{source_digest}" if declared else source_digest


def parser_files(package: Path) -> Iterator[Path]:
    for name in PARSER_SOURCES:
        path = package / name
        if path.is_file():
            yield path
        else:
            yield from sorted(
                found for found in path.rglob("*")
                if found.is_file() and "__pycache__" not in found.parts
            )


def _installed_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def cache_path(archive_dir: Path) -> Path:
    return Path(archive_dir) / CACHE_DIR / CACHE_FILE


#: The key of an entry: payload digest, URL, Content-Type, site profile (``cache_key``).
CacheKey = tuple[str, str, str, str]
#: The key of an entry without a payload digest: kept for the capture that made it only.
_UNKEYED = ("", "", "", "")


class ParseCache:
    """Parsed pages by (parser version, payload digest, URL, Content-Type, site profile), in one
    SQLite file.

    An entry holds the page's content fingerprint, the payload's SHA-256, the page's summary
    (``PageSummary``) and its rows (``dataset.fragments``), compressed: what a build reads of a
    page. ``get`` reads all but the rows, which are read again each time they are asked for
    (``load_fragments``): a replay keeps summaries in memory, never the rows. The page itself is
    not kept: encoding it cost a build more than parsing it again the rare times it is asked
    for (``Parsed.load_page``, which the replay points at the archive).

    Entries are buffered and written in short transactions; ``close()`` writes the rest and drops
    the entries of other parser versions, which no build of this code can use.
    """

    def __init__(self, path: Path, *, version: str | None = None):
        self.path = Path(path)
        self.version = version or parser_version()
        #: Entries not yet written, readable at once (a revisit later in the same replay).
        self._pending: dict[CacheKey, tuple[str, str, str, bytes]] = {}
        #: (fingerprint, body sha256, summary) of the keys of the window being replayed
        #: (``read_ahead``): one query per window instead of two per capture.
        self._ahead: dict[CacheKey, tuple[str, str, str]] = {}
        self._ahead_before: dict[CacheKey, tuple[str, str, str]] = {}
        self._derived_pending: dict[tuple[str, str, str], bytes] = {}
        #: The context of each kind of derived result used by this build.
        self._contexts: dict[str, str] = {}
        self._db = self._open()

    @classmethod
    def for_archive(cls, archive_dir: Path) -> ParseCache | None:
        """The archive's cache, or None (with a warning) when it cannot be opened."""
        try:
            return cls(cache_path(archive_dir))
        except (OSError, sqlite3.Error) as error:
            log.warning("building without a parse cache: %s", error)
            return None

    def get(self, capture: Capture) -> Parsed | None:
        """The entry of the capture's payload, its rows not loaded yet. Its ``load_page``
        raises ``KeyError``: the cache keeps no pages (``ArchivedPageParser`` parses the payload
        again)."""
        key = cache_key(capture) or _UNKEYED
        pending = self._pending.get(key)
        if pending is not None:
            fingerprint, body_sha256, summary, fragments = pending
            if key == _UNKEYED:
                load_fragments = functools.partial(decode_fragments, fragments)
            else:
                load_fragments = functools.partial(self.load_fragments, key)
        else:
            row = self._ahead.get(key) or self._ahead_before.get(key) or self._select(
                "fingerprint, body_sha256, summary", key)
            if row is None:
                return None
            fingerprint, body_sha256, summary = row
            load_fragments = functools.partial(self.load_fragments, key)
        return Parsed(fingerprint, body_sha256, PageSummary.from_dict(json.loads(summary)),
                      functools.partial(_no_page, key), load_fragments)

    def has(self, key: CacheKey, home: Path | None = None) -> bool:
        """Whether the cache holds the entry of ``key`` (``home``: for ``ParseCaches``)."""
        return key in self._pending or key in self._ahead or self._select("1", key) is not None

    def read_ahead(self, keys: set[CacheKey]) -> None:
        """Reads the entries of ``keys`` (but their pages) in one query, for the ``get`` and
        ``has`` of the next window of captures; keeps the previous window's, still being
        replayed, and forgets the one before."""
        self._ahead_before, self._ahead = self._ahead, {}
        digests = sorted({key[0] for key in keys if key[0]})
        if self._db is None or not digests:
            return
        marks = ", ".join("?" for _ in digests)
        try:
            rows = self._db.execute(
                "select payload_digest, url, content_type, profile, fingerprint, body_sha256, "
                f"summary from parsed where parser_version = ? and payload_digest in ({marks})",
                (self.version, *digests)).fetchall()
        except sqlite3.Error as error:
            self._give_up(error)
            return
        for digest, url, content_type, profile, *entry in rows:
            if (digest, url, content_type, profile) in keys:
                self._ahead[(digest, url, content_type, profile)] = tuple(entry)

    def get_derived(self, kind: str, key: str, context: str) -> bytes | None:
        """A result derived from one entry's data (the organisations found on a page) in a
        ``context`` shared by the whole build (the names known on the site, the code's
        version): ``key`` and ``context`` are digests of every input. When the cache closes,
        the results of a kind used in another context than this build's are dropped."""
        self._contexts[kind] = context
        value = self._derived_pending.get((kind, key, context))
        if value is None and self._db is not None:
            try:
                row = self._db.execute(
                    "select value from derived where kind = ? and key = ? and context = ?",
                    (kind, key, context)).fetchone()
            except sqlite3.Error as error:
                self._give_up(error)
                return None
            value = row[0] if row else None
        return value

    def put_derived(self, kind: str, key: str, context: str, value: bytes) -> None:
        self._contexts[kind] = context
        self._derived_pending[(kind, key, context)] = value
        if len(self._derived_pending) >= FLUSH_EVERY:
            self._flush()

    def load_fragments(self, key: CacheKey, home: Path | None = None) -> dict:
        """The rows of an entry's page (``dataset.fragments``); ``KeyError`` if the cache no
        longer holds them (they were dropped after a write error). ``home``: for
        ``ParseCaches``."""
        pending = self._pending.get(key)
        row = (pending[3],) if pending is not None else self._select("fragments", key)
        if row is None:
            raise KeyError(key)
        return decode_fragments(row[0])

    def put_encoded(self, key: CacheKey | None, fingerprint: str, body_sha256: str,
                    summary: str, fragments: bytes, home: Path | None = None) -> None:
        """An entry encoded already (``encode_summary``, ``encode_fragments``), as a process of
        the build's pool sends it. Without a key (no payload digest) it is kept until the next
        entry without one only, and never written. ``home``: the archive folder holding the
        payload, for ``ParseCaches`` (one cache keeps every entry)."""
        self._pending[key or _UNKEYED] = (fingerprint, body_sha256, summary, fragments)
        if len(self._pending) >= FLUSH_EVERY:
            self._flush()

    def close(self) -> None:
        if self._db is None:
            return
        self._flush()
        if self._db is not None:
            try:
                with self._db:
                    self._db.execute("delete from parsed where parser_version != ?",
                                     (self.version,))
                    for kind, context in self._contexts.items():
                        self._db.execute("delete from derived where kind = ? and context != ?",
                                         (kind, context))
            except sqlite3.Error as error:
                log.warning("parse cache %s: old entries kept (%s)", self.path, error)
            self._db.close()
            self._db = None

    def __enter__(self) -> ParseCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _select(self, columns: str, key: CacheKey) -> tuple | None:
        if self._db is None or key == _UNKEYED:
            return None
        try:
            return self._db.execute(
                f"select {columns} from parsed where parser_version = ? and payload_digest = ? "
                "and url = ? and content_type = ? and profile = ?", (self.version, *key)
            ).fetchone()
        except sqlite3.Error as error:
            self._give_up(error)
            return None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            return _connect(self.path)
        except sqlite3.DatabaseError as error:
            # Not a database (a damaged file): the cache is derived data, start it again.
            log.warning("parse cache %s unreadable (%s); starting a new one", self.path, error)
            self.path.unlink()
            return _connect(self.path)

    def _flush(self) -> None:
        if self._derived_pending and self._db is not None:
            try:
                with self._db:
                    self._db.executemany("insert or replace into derived values (?, ?, ?, ?)",
                                         [(*key, value) for key, value
                                          in self._derived_pending.items()])
                self._derived_pending.clear()
            except sqlite3.Error as error:
                self._give_up(error)
        if not self._pending or self._db is None:
            return  # without a database, the entries stay in memory for this build
        unkeyed = self._pending.pop(_UNKEYED, None)
        try:
            with self._db:
                self._db.executemany(
                    "insert or replace into parsed (parser_version, payload_digest, url, "
                    "content_type, profile, fingerprint, body_sha256, summary, fragments) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(self.version, *key, *entry) for key, entry in self._pending.items()],
                )
        except sqlite3.Error as error:
            self._give_up(error)
            return
        self._pending.clear()
        if unkeyed is not None:
            self._pending[_UNKEYED] = unkeyed

    def _give_up(self, error: sqlite3.Error) -> None:
        log.warning("parse cache %s disabled for this build: %s", self.path, error)
        self._db.close()
        self._db = None


class ParseCaches:
    """The parse caches of several archives read as one (``archive.reader.ArchiveSet``), with
    the interface of one ``ParseCache``: each archive keeps its own, in its ``.cache/``. An
    entry lives in the cache of its payload's ``home``, the archive holding the payload (a
    revisit in one archive of a payload stored in another is the other's), so that a build of
    that archive alone finds it too. What a build derives from the whole site (the
    organisations, ``get_derived``) is kept in the first archive's cache.

    An archive whose cache cannot be opened (a read-only copy) has its entries in a cache of
    this build only, in a temporary folder."""

    def __init__(self, caches: dict[Path, ParseCache],
                 scratch: tempfile.TemporaryDirectory | None = None):
        self.caches = caches
        self.first = next(iter(caches.values()))
        self._scratch = scratch

    @classmethod
    def for_archives(cls, archive_dirs: list[Path]) -> ParseCaches:
        caches: dict[Path, ParseCache] = {}
        scratch = None
        for archive_dir in archive_dirs:
            cache = ParseCache.for_archive(archive_dir)
            if cache is None:
                scratch = scratch or tempfile.TemporaryDirectory(prefix="scoparchive-parses-")
                cache = ParseCache(Path(scratch.name) / f"{len(caches)}.sqlite")
            caches[Path(archive_dir)] = cache
        return cls(caches, scratch)

    def _of(self, home: Path | None) -> ParseCache:
        return self.caches.get(Path(home), self.first) if home is not None else self.first

    def get(self, capture: Capture) -> Parsed | None:
        return self._of(payload_home(capture)).get(capture)

    def has(self, key: CacheKey, home: Path | None = None) -> bool:
        return self._of(home).has(key)

    def read_ahead(self, keys: set[CacheKey]) -> None:
        for cache in self.caches.values():
            cache.read_ahead(keys)

    def load_fragments(self, key: CacheKey, home: Path | None = None) -> dict:
        return self._of(home).load_fragments(key)

    def put_encoded(self, key: CacheKey | None, fingerprint: str, body_sha256: str,
                    summary: str, fragments: bytes, home: Path | None = None) -> None:
        self._of(home).put_encoded(key, fingerprint, body_sha256, summary, fragments)

    def get_derived(self, kind: str, key: str, context: str) -> bytes | None:
        return self.first.get_derived(kind, key, context)

    def put_derived(self, kind: str, key: str, context: str, value: bytes) -> None:
        self.first.put_derived(kind, key, context, value)

    def close(self) -> None:
        for cache in self.caches.values():
            cache.close()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> ParseCaches:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def payload_home(capture: Capture) -> Path:
    """The archive folder holding a capture's payload (that of the record a revisit stands
    for), else the capture's own."""
    where = capture.payload_at[0] if capture.payload_at is not None else capture.warc_file
    return Path(where).parent


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30)
    try:
        if db.execute("pragma user_version").fetchone()[0] != CACHE_FORMAT:
            with db:
                db.execute("drop table if exists parsed")
                db.execute(f"pragma user_version = {CACHE_FORMAT}")
        with db:
            db.execute(
                "create table if not exists parsed (parser_version text not null, "
                "payload_digest text not null, url text not null, content_type text not null, "
                "profile text not null, "
                "fingerprint text not null, body_sha256 text not null, summary text not null, "
                "fragments blob not null, "
                "primary key (parser_version, payload_digest, url, content_type, profile)) "
                "without rowid"
            )
            db.execute(
                "create table if not exists derived (kind text not null, key text not null, "
                "context text not null, value blob not null, primary key (kind, key, context)) "
                "without rowid")
    except sqlite3.Error:
        db.close()
        raise
    return db


def encode_summary(page: ParsedPage) -> str:
    return json.dumps(summarise(page).to_dict(), ensure_ascii=False, sort_keys=True)


def encode_fragments(url: str, page: ParsedPage) -> bytes:
    return zlib.compress(json.dumps(page_fragments(url, page), ensure_ascii=False).encode())


def decode_fragments(blob: bytes) -> dict:
    return read_fragments(json.loads(zlib.decompress(blob)))


def _no_page(key: CacheKey) -> ParsedPage:
    raise KeyError(key)


def cache_key(capture: Capture) -> CacheKey | None:
    """Payload digest, URL, Content-Type and the name of the site profile the URL is parsed
    with (``profiles.profile_for_url``); None for a capture with no payload digest (a WARC
    from another tool may lack it), which is parsed every time."""
    if not capture.payload_digest:
        return None
    return (capture.payload_digest, capture.url, capture.headers.get("Content-Type") or "",
            profile_for_url(capture.url).name)
