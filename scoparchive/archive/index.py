"""The capture index: what each finished WARC file of an archive holds, but the payloads.

Reading every record of every file, decompressing each and parsing its headers, is most of what
a rebuild costs once the pages' parses are cached: the archive only grows, and its finished
files never change. So the first full reading of a finished file keeps its capture records'
WARC and HTTP headers (``RecordFacts``) here, and later readings without bodies take them from
here instead of the file.

An entry is keyed by the file's name, size and modification time, and by ``INDEX_FORMAT``: a
file that changed (salvaged, truncated, replaced) is read again, with the damage checks of
``iter_records``. The index lives in ``<archive>/.cache/`` beside the parse cache; it is derived
data (deleting it only makes the next reading slower), and one that cannot be opened, read or
written is done without, never failing a reading.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .reader import RecordFacts

log = logging.getLogger(__name__)

INDEX_FILE = ".cache/captures.sqlite"
#: The layout of an entry (``RecordFacts.to_entry``); entries of another layout are read again.
INDEX_FORMAT = 2
#: Captures per stored chunk: a file is read back a chunk at a time, never whole in memory.
CHUNK = 500


class CaptureIndex:
    """(run id, ``RecordFacts``) of the capture records of each indexed file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        try:
            if self._db.execute("pragma user_version").fetchone()[0] != INDEX_FORMAT:
                with self._db:  # another layout: read every file again
                    self._db.execute("drop table if exists files")
                    self._db.execute("drop table if exists chunks")
                    self._db.execute(f"pragma user_version = {INDEX_FORMAT}")
            with self._db:
                self._db.execute(
                    "create table if not exists files (name text primary key, size integer not "
                    "null, mtime_ns integer not null, format integer not null, chunks integer "
                    "not null)")
                self._db.execute(
                    "create table if not exists chunks (name text not null, number integer not "
                    "null, captures blob not null, primary key (name, number)) without rowid")
        except sqlite3.Error:
            self._db.close()
            raise

    @classmethod
    def for_archive(cls, archive_dir: Path) -> CaptureIndex | None:
        try:
            return cls(Path(archive_dir) / INDEX_FILE)
        except (OSError, sqlite3.Error) as error:
            log.info("reading the archive without its capture index: %s", error)
            return None

    def entries(self, warc: Path) -> Iterator[tuple[str, RecordFacts]] | None:
        """The file's captures as indexed, or None when the index does not hold this file as
        it is now."""
        if self._db is None:
            return None
        try:
            stat = warc.stat()
            row = self._db.execute(
                "select chunks from files where name = ? and size = ? and mtime_ns = ? "
                "and format = ?", (warc.name, stat.st_size, stat.st_mtime_ns, INDEX_FORMAT),
            ).fetchone()
        except (OSError, sqlite3.Error) as error:
            self._give_up(error)
            return None
        return None if row is None else self._read(warc, row[0])

    def _read(self, warc: Path, chunks: int) -> Iterator[tuple[str, RecordFacts]]:
        from .reader import RecordFacts

        for number in range(chunks):
            # A chunk that cannot be read now fails the reading: the captures before it were
            # handed on already, so reading the file again instead would repeat them.
            row = self._db.execute("select captures from chunks where name = ? and number = ?",
                                   (warc.name, number)).fetchone()
            for run_id, entry in json.loads(zlib.decompress(row[0])):
                yield run_id, RecordFacts.from_entry(warc, entry)

    def start(self, warc: Path) -> FileIndexing:
        """Indexes a file as it is read: ``add`` each capture, then ``finish`` once the whole
        file was read without error (until then, the file counts as not indexed)."""
        return FileIndexing(self, warc)

    def _store_chunk(self, warc: Path, number: int, captures: list) -> None:
        if self._db is None:
            return
        blob = zlib.compress(json.dumps(captures, ensure_ascii=False).encode(), 1)
        try:
            with self._db:
                if number == 0:
                    self._db.execute("delete from files where name = ?", (warc.name,))
                    self._db.execute("delete from chunks where name = ?", (warc.name,))
                self._db.execute("insert or replace into chunks values (?, ?, ?)",
                                 (warc.name, number, blob))
        except sqlite3.Error as error:
            self._give_up(error)

    def _store_file(self, warc: Path, chunks: int) -> None:
        if self._db is None:
            return
        try:
            stat = warc.stat()
            with self._db:
                self._db.execute("insert or replace into files values (?, ?, ?, ?, ?)",
                                 (warc.name, stat.st_size, stat.st_mtime_ns, INDEX_FORMAT,
                                  chunks))
        except (OSError, sqlite3.Error) as error:
            self._give_up(error)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _give_up(self, error: Exception) -> None:
        log.warning("capture index %s set aside for this reading: %s", self.path, error)
        self.close()


class FileIndexing:
    """The index of one file being read (``CaptureIndex.start``): its captures are stored a
    chunk at a time, and the file is marked indexed only by ``finish``."""

    def __init__(self, index: CaptureIndex, warc: Path):
        self.index, self.warc = index, warc
        self._chunk: list = []
        self._chunks = 0

    def add(self, run_id: str, record: RecordFacts) -> None:
        self._chunk.append([run_id, record.to_entry()])
        if len(self._chunk) >= CHUNK:
            self._flush()

    def finish(self) -> None:
        if self._chunk or not self._chunks:
            self._flush()
        self.index._store_file(self.warc, self._chunks)

    def _flush(self) -> None:
        self.index._store_chunk(self.warc, self._chunks, self._chunk)
        self._chunks += 1
        self._chunk = []
