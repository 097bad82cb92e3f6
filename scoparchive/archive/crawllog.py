"""Per-run crawl log, `logs/crawl-<run_id>.jsonl`: one JSON object per fetch, like Heritrix's
crawl.log (time, status, size, url, referrer, mime, digest, duration) plus where the capture
went in the archive, so a log line leads straight to its WARC record.

Besides fetches (``record_type`` "response" or "revisit", or no record at all for a failure),
two kinds of lines tell what was not fetched, each with a ``record_type`` of its own that a
reader selects by name (and ignores when it does not know it): "skipped", a page not requested
again whose archived copy stands for it; "dropped", a URL never requested (out of scope, too
long, a trap, past a bound), with a negative status like Heritrix's and a ``drop_reason``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from .model import CaptureRef, ensure_utc, format_warc_date

log = logging.getLogger(__name__)


def crawl_log_path(log_dir: Path, run_id: str) -> Path:
    return Path(log_dir) / f"crawl-{run_id}.jsonl"


class CrawlLog:
    """Append-only; a resumed run with the same run id appends to the same file."""

    def __init__(self, log_dir: Path, run_id: str):
        self.path = crawl_log_path(log_dir, run_id)
        self.run_id = run_id
        self._fh: TextIO | None = None

    def log_capture(
        self,
        ref: CaptureRef,
        *,
        size: int,
        referrer: str | None = None,
        duration_ms: float | None = None,
        revisit_profile: str | None = None,
        refers_to: CaptureRef | None = None,
    ) -> None:
        entry = {
            "time": _now(),
            "fetched_at": format_warc_date(ref.captured_at),
            "status": ref.status,
            "size": size,
            "url": ref.url,
            "referrer": referrer,
            "mime": ref.mime,
            "digest": ref.payload_digest,
            "duration_ms": _round(duration_ms),
            "record_type": ref.record_type,
            "revisit_profile": revisit_profile,
            "refers_to": refers_to.record_id if refers_to else None,
            "warc_file": ref.warc_file,
            "warc_offset": ref.offset,
            "warc_length": ref.length,
            "record_id": ref.record_id,
            "run_id": self.run_id,
        }
        self._write(entry)

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
        # Negative status like Heritrix: nothing came back, so nothing is in the archive.
        entry = {
            "time": _now(),
            "fetched_at": format_warc_date(ensure_utc(fetched_at)) if fetched_at else None,
            "status": status,
            "size": 0,
            "url": url,
            "referrer": referrer,
            "mime": None,
            "digest": None,
            "duration_ms": _round(duration_ms),
            "error": error,
            "warc_file": None,
            "warc_offset": None,
            "run_id": self.run_id,
        }
        self._write(entry)

    def log_skip(self, url: str, *, reason: str, archived: CaptureRef) -> None:
        """A page not fetched again, known unchanged (sitemap lastmod) or already captured by
        the run being resumed; ``archived`` is the capture that still stands for it."""
        entry = {
            "time": _now(),
            "fetched_at": None,
            "status": 0,
            "size": 0,
            "url": url,
            "referrer": None,
            "mime": archived.mime,
            "digest": archived.payload_digest,
            "duration_ms": None,
            "record_type": "skipped",
            "skip_reason": reason,
            "refers_to": archived.record_id,
            "warc_file": archived.warc_file,
            "warc_offset": archived.offset,
            "run_id": self.run_id,
        }
        self._write(entry)

    def log_dropped(self, url: str, *, reason: str, status: int,
                    referrer: str | None = None) -> None:
        """A URL the crawl chose not to request, for ``reason``; nothing is in the archive."""
        entry = {
            "time": _now(),
            "fetched_at": None,
            "status": status,
            "size": 0,
            "url": url,
            "referrer": referrer,
            "mime": None,
            "digest": None,
            "duration_ms": None,
            "record_type": "dropped",
            "drop_reason": reason,
            "warc_file": None,
            "warc_offset": None,
            "run_id": self.run_id,
        }
        self._write(entry)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def _write(self, entry: dict[str, Any]) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = self.path.open("a", encoding="utf-8")
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        # Line-buffered in effect: the log of a killed crawl is complete up to the kill.
        self._fh.flush()


def read_crawl_log(path: Path) -> Iterator[dict[str, Any]]:
    """Entries of a crawl log. A torn last line (a killed crawl) is skipped quietly; a bad line
    elsewhere is skipped and told, in one line naming it."""
    with Path(path).open(encoding="utf-8", errors="replace") as fh:
        lines = fh.read().splitlines()
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            if number != len(lines):
                log.warning("%s:%d: not a JSON line, skipped (%s)", path, number, exc)
            continue
        if isinstance(entry, dict):
            yield entry
        else:
            log.warning("%s:%d: not a crawl log entry, skipped", path, number)


def _now() -> str:
    return format_warc_date(datetime.now(UTC))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
