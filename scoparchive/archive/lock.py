"""The lock that keeps two crawls off one archive, and lets a build tell whether a crawl is
writing it: an advisory ``flock`` on ``<archive>/.crawl.lock``, released if the process dies."""

from __future__ import annotations

import fcntl
from pathlib import Path

LOCK_NAME = ".crawl.lock"


class ArchiveLocked(Exception):
    """Another crawl holds the archive."""


class ArchiveLock:
    """Held by a crawl from start to end."""

    def __init__(self, archive_dir: Path):
        self.path = Path(archive_dir) / LOCK_NAME
        self.handle = None

    def acquire(self) -> ArchiveLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held for the whole crawl
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.close()
            raise ArchiveLocked(f"another crawl is writing {self.path.parent}") from error
        self.handle = handle
        return self

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def crawl_running(archive_dir: Path) -> bool:
    """Whether a crawl holds the archive now. Only asks: the lock is taken and given back at
    once, so that a crawl starting a moment later is not refused."""
    path = Path(archive_dir) / LOCK_NAME
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
    except OSError:
        return False  # an unreadable lock file locks nothing
    return False
