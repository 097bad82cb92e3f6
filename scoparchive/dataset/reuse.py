"""Rows a build keeps from the previous one: those of every page whose history did not change.

Most tables hold rows that each come from one page: its versions and its latest content (the
tables with a ``page_column`` in the schema). A page's rows depend on its history alone (the
captures that made its versions, and the parses they came from) and on the code. So each build
writes, beside its database, the key of each page's rows (``rows_key``) and what the organisation
finder read of the page (``PAGES_STATE``). The next build made by the same code starts from a
copy of those outputs (``writers.tables.BaseOutputs``) and writes again only the rows of the
pages whose key changed, and the tables built whole: pages (their times of capture move at every
crawl), organisations and mentions (the site's names are known only once every page is read),
departments and crawl runs. Its outputs are those of a whole build; a test compares them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from scoparchive.dataset.history import History, PageState
from scoparchive.dataset.organizations import PackedText
from scoparchive.schema import TABLES
from scoparchive.writers.tables import BaseOutputs

log = logging.getLogger(__name__)

#: In each build folder, beside the database: each page's rows key and the text the organisation
#: finder read of it. Not a ``.db``: Datasette serves the database only.
PAGES_STATE = "pages-state.sqlite"
#: Under this share of the previous build's pages kept, a build writes every table whole:
#: taking most rows out one page at a time costs more than writing them all.
MIN_KEPT_SHARE = 0.5
#: Rows written to the state per statement.
_BATCH = 500


def rows_key(state: PageState) -> str | None:
    """What a page's own rows are made of, digested: each version's capture and the parse it
    came from (the parse cache's key). None when a version's parse was not cached (a payload
    without a digest): the build cannot tell whether its rows changed, and writes them."""
    versions = []
    for version in state.versions:
        if version.source is None:
            return None
        versions.append([version.captured_at.isoformat(), version.run_id, version.http_status,
                         version.content_sha256, version.fingerprint, version.warc_record_id,
                         version.warc_file, version.warc_offset, *version.source])
    return hashlib.sha256(json.dumps([state.url, versions]).encode()).hexdigest()


class PreviousBuild:
    """The build a new one may start from: its folder, database and each page's rows key."""

    def __init__(self, folder: Path, database: Path, state: Path, keys: dict[str, str]):
        self.folder = folder
        self.database = database
        self.state = state
        self.keys = keys

    @classmethod
    def open(cls, build_folder: Path, database_name: str, code: str) -> PreviousBuild | None:
        """The build in ``build_folder`` if the same code made it and its outputs are all
        there; None otherwise (a new build then writes every table whole)."""
        database = build_folder / database_name
        state = build_folder / PAGES_STATE
        parquet = [build_folder / "parquet" / f"{table.name}.parquet" for table in TABLES]
        if not (database.is_file() and state.is_file() and all(map(Path.is_file, parquet))):
            return None
        try:
            with closing(_connect(state, read_only=True)) as db:
                made_by = db.execute("SELECT value FROM build WHERE name = 'code'").fetchone()
                if made_by is None or made_by[0] != code:
                    return None
                keys = dict(db.execute("SELECT url, rows_key FROM pages "
                                       "WHERE rows_key IS NOT NULL"))
        except sqlite3.Error as error:
            log.warning("%s: unreadable (%s); every table is written whole", state, error)
            return None
        return cls(build_folder, database, state, keys)


class PagesState:
    """The state a build writes of its pages (``PAGES_STATE``), and what it keeps of the
    previous build: ``kept``, the pages whose rows stay as they were."""

    def __init__(self, path: Path, code: str, history: History,
                 previous: PreviousBuild | None = None):
        self.keys = {url: rows_key(state) for url, state in history.pages.items()}
        self.kept: frozenset[str] = frozenset()
        self.base: BaseOutputs | None = None
        self._previous: sqlite3.Connection | None = None
        if previous is not None:
            kept = frozenset(url for url, key in self.keys.items()
                             if key is not None and previous.keys.get(url) == key)
            if kept and len(kept) >= MIN_KEPT_SHARE * len(previous.keys):
                self.kept = kept
                self.base = BaseOutputs(previous.database, previous.folder / "parquet",
                                        frozenset(previous.keys.keys() - kept))
                self._previous = _connect(previous.state, read_only=True)
        self._db = _connect(path)
        self._db.executescript("""
            CREATE TABLE build (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE pages (url TEXT PRIMARY KEY, rows_key TEXT, published TEXT,
                                texts BLOB, initiatives TEXT);
        """)
        self._db.execute("INSERT INTO build VALUES ('code', ?)", [code])
        self._batch: list[tuple] = []

    def previous_text(self, url: str) -> PackedText | None:
        """What the previous build's organisation finder read of a kept page (None: it has no
        article)."""
        assert self._previous is not None, "no page is kept without a previous build"
        row = self._previous.execute("SELECT published, texts, initiatives FROM pages "
                                     "WHERE url = ?", [url]).fetchone()
        if row is None or row[1] is None:
            return None
        return PackedText(*row)

    def packed_texts(self, urls: list[str]) -> dict[str, bytes]:
        """The texts of pages given to ``add`` (``PackedText.texts``), as the organisation
        finder asks for them again at its end."""
        self._flush()
        marks = ", ".join("?" * len(urls))
        return dict(self._db.execute(
            f"SELECT url, texts FROM pages WHERE url IN ({marks}) AND texts IS NOT NULL", urls))

    def add(self, url: str, text: PackedText | None) -> None:
        self._batch.append((url, self.keys.get(url), *(text or (None, None, None))))
        if len(self._batch) >= _BATCH:
            self._flush()

    def close(self) -> None:
        self._flush()
        self._db.commit()
        self._db.close()
        if self._previous is not None:
            self._previous.close()

    def _flush(self) -> None:
        if self._batch:
            self._db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)", self._batch)
            self._batch = []


def _connect(path: Path, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    db = sqlite3.connect(path)
    # Written once, in a build folder fsynced as a whole before it is swapped in.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    return db

