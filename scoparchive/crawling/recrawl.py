"""What a new crawl knows from the archive: validators for conditional requests, the archived copy
of a page it need not fetch again, the pages it must check are still there, and the run to resume;
and the lock that keeps two crawls off one archive.

Loaded once when a crawl starts, from the archive alone.
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scoparchive.archive import ArchiveReader, Capture, CaptureRef, salvage_open_file
from scoparchive.archive.model import HTML_TYPES
from scoparchive.archive.naming import open_warcs

RUNS_DIR = "runs"
LOCK_NAME = ".crawl.lock"


class ArchiveLocked(Exception):
    """Another crawl holds the archive."""


@dataclass
class RunRecord:
    """`runs/<run_id>.json`: what a crawl run was asked to do, and how it ended."""

    run_id: str
    site_url: str
    started_at: str
    status: str = "running"  # running | finished | interrupted
    finished_at: str | None = None
    resumed: int = 0

    def save(self, archive_dir: Path) -> None:
        path = Path(archive_dir) / RUNS_DIR / f"{self.run_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def run_records(archive_dir: Path) -> list[RunRecord]:
    folder = Path(archive_dir) / RUNS_DIR
    if not folder.is_dir():
        return []
    return sorted((RunRecord.load(path) for path in folder.glob("*.json")),
                  key=lambda run: run.started_at)


def run_to_resume(archive_dir: Path) -> RunRecord | None:
    """The latest run, if it did not finish (killed, interrupted, crashed)."""
    runs = run_records(archive_dir)
    return runs[-1] if runs and runs[-1].status != "finished" else None


def salvage_killed_files(archive_dir: Path) -> list[Path]:
    """Finishes the `.open` WARC files a killed crawl left behind; only while holding the lock,
    so that no writer is still appending to them."""
    finished = []
    for path in open_warcs(Path(archive_dir)):
        result = salvage_open_file(path)
        if result is not None:
            finished.append(result)
    return finished


class ArchiveLock:
    """Keeps two crawls off the same archive (an advisory lock, released if the process dies)."""

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


class RecrawlState:
    def __init__(self, archive_dir: Path, resume_run_id: str | None = None):
        self.reader = ArchiveReader(archive_dir)
        self.known_digests, self.latest = self.reader.recrawl_state()
        self.resume_run_id = resume_run_id
        #: URLs the interrupted run already captured: not fetched again when it resumes.
        self.done_in_resumed_run: set[str] = set()
        if resume_run_id:
            self.done_in_resumed_run = {
                url for url, capture in self.latest.items()
                if capture.run_id == resume_run_id and capture.status < 500
            }

    def conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match and If-Modified-Since from the latest capture of a page that was there."""
        capture = self.latest.get(url)
        if capture is None or capture.status != 200:
            return {}
        headers = {}
        if etag := capture.headers.get("ETag"):
            headers["If-None-Match"] = etag
        if last_modified := capture.headers.get("Last-Modified"):
            headers["If-Modified-Since"] = last_modified
        return headers

    def unchanged_since(self, url: str, lastmod: str | None) -> bool:
        """Whether the sitemap's lastmod says the page has not changed since its latest capture.

        A lastmod is precise to the second (or to the day): the page may have changed up to one
        unit after it, so a capture made within that unit proves nothing.
        """
        capture = self.latest.get(url)
        if capture is None or capture.status != 200 or not lastmod:
            return False
        parsed = _parse_lastmod(lastmod)
        if parsed is None:
            return False
        changed_by, precision = parsed
        return changed_by + precision <= capture.captured_at

    def archived_copy(self, url: str) -> Capture | None:
        """The latest archived content of a page, body decoded, for discovering its links when
        the page itself is not fetched again."""
        capture = self.latest.get(url)
        if capture is None or capture.status != 200 or not capture.payload_digest:
            return None
        ref: CaptureRef | None = self.known_digests.get(capture.payload_digest)
        if ref is None:
            return None
        archived = self.reader.read_capture(ref.warc_file, ref.offset)
        return archived if archived.body is not None else None

    def page_urls(self) -> list[str]:
        """Every URL last seen as an HTML page: a recrawl checks each one is still there."""
        return sorted(
            url for url, capture in self.latest.items()
            if capture.status == 200 and capture.content_type in HTML_TYPES
        )


def _parse_lastmod(text: str) -> tuple[datetime, timedelta] | None:
    text = text.strip()
    try:
        if len(text) == 10:  # W3C date: YYYY-MM-DD
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day, timedelta(days=1)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    precision = timedelta(seconds=1) if moment.microsecond == 0 else timedelta(microseconds=1)
    return moment.astimezone(UTC), precision
