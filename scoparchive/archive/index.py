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
INDEX_FORMAT = 1


class CaptureIndex:
    """(run id, ``RecordFacts``) of the capture records of each indexed file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        try:
            with self._db:
                self._db.execute(
                    "create table if not exists files (name text primary key, size integer not "
                    "null, mtime_ns integer not null, format integer not null, captures blob "
                    "not null)")
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
        from .reader import RecordFacts

        if self._db is None:
            return None
        try:
            stat = warc.stat()
            row = self._db.execute(
                "select captures from files where name = ? and size = ? and mtime_ns = ? "
                "and format = ?", (warc.name, stat.st_size, stat.st_mtime_ns, INDEX_FORMAT),
            ).fetchone()
            if row is None:
                return None
            entries = json.loads(zlib.decompress(row[0]))
        except (OSError, sqlite3.Error, zlib.error, ValueError) as error:
            self._give_up(error)
            return None
        return ((run_id, RecordFacts.from_entry(warc, entry)) for run_id, entry in entries)

    def store(self, warc: Path, captures: list[tuple[str, RecordFacts]]) -> None:
        """The captures of a file just read whole, without error."""
        if self._db is None:
            return
        blob = zlib.compress(json.dumps(
            [[run_id, record.to_entry()] for run_id, record in captures],
            ensure_ascii=False).encode(), 1)
        try:
            stat = warc.stat()
            with self._db:
                self._db.execute("insert or replace into files values (?, ?, ?, ?, ?)",
                                 (warc.name, stat.st_size, stat.st_mtime_ns, INDEX_FORMAT, blob))
        except (OSError, sqlite3.Error) as error:
            self._give_up(error)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _give_up(self, error: Exception) -> None:
        log.warning("capture index %s set aside for this reading: %s", self.path, error)
        self.close()
