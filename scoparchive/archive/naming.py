"""WARC file names: `<prefix>-<YYYYmmddHHMMSS>-<run_id>-<serial:05d>.warc.gz`.

A file is written under its final name plus `.open` and renamed when complete, so a final name
always means a finished file. A worker of a distributed crawl writes under the prefix
`scoparchive.<worker>` (``worker_prefix``): the workers share the run id, and their files keep
distinct names when several archives are read as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .model import ensure_utc

WARC_SUFFIX = ".warc.gz"
OPEN_SUFFIX = ".open"
INDEX_NAME = "index.cdxj"
LOG_DIR = "logs"

_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]*(?:-[A-Za-z0-9_.]+)*$")
_NAME = re.compile(
    r"^(?P<prefix>.+)-(?P<stamp>\d{14})-(?P<run_id>.+)-(?P<serial>\d{5,})\.warc\.gz$"
)


@dataclass(frozen=True, order=True)
class WarcName:
    # Field order is the sort order: capture time first, so sorted names are in capture order.
    stamp: str
    run_id: str
    serial: int
    prefix: str

    @property
    def filename(self) -> str:
        return f"{self.prefix}-{self.stamp}-{self.run_id}-{self.serial:05d}{WARC_SUFFIX}"


#: The prefix of the files this project writes.
PREFIX = "scoparchive"
_WORKER_MARK = "."


def worker_prefix(worker: str | None) -> str:
    """The file name prefix of a worker's WARC files (``PREFIX`` without a worker)."""
    if not worker:
        return PREFIX
    return f"{PREFIX}{_WORKER_MARK}{check_name_part(worker, 'worker id')}"


def worker_of(name: WarcName) -> str | None:
    """The worker that wrote a file of ours, from its prefix; None for a crawl of one process."""
    head, mark, worker = name.prefix.partition(_WORKER_MARK)
    return worker if head == PREFIX and mark and worker else None


def check_name_part(value: str, what: str) -> str:
    if not _SAFE_PART.match(value):
        raise ValueError(f"{what} {value!r} must be letters, digits, '_', '.' or inner '-'")
    return value


def make_name(prefix: str, opened_at: datetime, run_id: str, serial: int) -> WarcName:
    stamp = ensure_utc(opened_at).strftime("%Y%m%d%H%M%S")
    return WarcName(stamp=stamp, run_id=run_id, serial=serial, prefix=prefix)


def parse_name(filename: str) -> WarcName | None:
    match = _NAME.match(filename)
    if not match:
        return None
    return WarcName(
        stamp=match["stamp"],
        run_id=match["run_id"],
        serial=int(match["serial"]),
        prefix=match["prefix"],
    )


def sort_key(path: Path) -> tuple:
    parsed = parse_name(path.name.removesuffix(OPEN_SUFFIX))
    # Foreign names (a WARC dropped in by hand) sort after ours, by name.
    return (0, parsed, path.name) if parsed else (1, None, path.name)


def finished_warcs(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{WARC_SUFFIX}"), key=sort_key)


def open_warcs(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{WARC_SUFFIX}{OPEN_SUFFIX}"), key=sort_key)
