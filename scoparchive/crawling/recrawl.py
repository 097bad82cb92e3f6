"""What a new crawl knows from the archive: validators for conditional requests, the archived copy
of a page it need not fetch again, when each page was last captured, the pages it must check are
still there, and the run to resume; and the lock that keeps two crawls off one archive.

Loaded once when a crawl starts, from the archive alone. ``RecrawlRules`` are what the settings
say of fetching a known page again (``--full``, ``--revalidate-after``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scoparchive.archive import (
    ArchiveError,
    ArchiveReader,
    Capture,
    CaptureRef,
    salvage_open_file,
)
from scoparchive.archive.model import HTML_TYPES
from scoparchive.archive.naming import open_warcs
from scoparchive.archive.runs import RunRecord, run_records


def run_to_resume(archive_dir: Path) -> RunRecord | None:
    """The latest run, if it did not go through (killed, interrupted, failed): a run that
    finished, with losses or not, is not resumed."""
    runs = run_records(archive_dir)
    return runs[-1] if runs and runs[-1].status not in ("finished", "partial") else None


def salvage_killed_files(archive_dir: Path) -> list[Path]:
    """Finishes the `.open` WARC files a killed crawl left behind; only while holding the lock,
    so that no writer is still appending to them."""
    finished = []
    for path in open_warcs(Path(archive_dir)):
        result = salvage_open_file(path)
        if result is not None:
            finished.append(result)
    return finished


@dataclass(frozen=True)
class RecrawlRules:
    """How a crawl treats the pages the archive holds, from its settings.

    - RECRAWL_FULL (``--full``): every page is fetched, unconditionally (no If-None-Match, no
      If-Modified-Since), whatever its sitemap lastmod; the pages the run being resumed already
      captured are still not fetched again.
    - REVALIDATE_AFTER_DAYS (``--revalidate-after``, 30): a page the sitemap says unchanged is
      still asked with a conditional GET when its latest capture (a response or a revisit) is
      older than that, so that the archive shows it is still there; negative: never.
    """

    full: bool = False
    #: Captures made before this moment are revalidated; None: never.
    revalidate_before: datetime | None = None

    @classmethod
    def from_settings(cls, settings, now: datetime | None = None) -> RecrawlRules:
        days = settings.getfloat("REVALIDATE_AFTER_DAYS", 30.0)
        now = now or datetime.now(UTC)
        return cls(full=settings.getbool("RECRAWL_FULL"),
                   revalidate_before=now - timedelta(days=days) if days >= 0 else None)


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

    def latest_capture_at(self, url: str) -> datetime | None:
        """When the page was last captured: its latest response or revisit record (a 304 is
        one), whichever run wrote it; None for a page the archive does not hold."""
        capture = self.latest.get(url)
        return capture.captured_at if capture is not None else None

    def revalidation_due(self, url: str, rules: RecrawlRules) -> bool:
        """Whether the latest capture of the page is older than ``rules`` let a lastmod stand
        for it."""
        captured_at = self.latest_capture_at(url)
        return (rules.revalidate_before is not None and captured_at is not None
                and captured_at < rules.revalidate_before)

    def awaits_lastmod(self, url: str, rules: RecrawlRules) -> bool:
        """Whether a sitemap lastmod not read yet could spare the request of this page: the
        archive holds a capture of it that a lastmod may prove current, and nothing else has
        decided already (``--full``, a revalidation due, the resumed run's own capture)."""
        if rules.full or url in self.done_in_resumed_run:
            return False
        capture = self.latest.get(url)
        if capture is None or capture.status != 200 or not capture.payload_digest:
            return False
        return not self.revalidation_due(url, rules)

    def archived_copy(self, url: str) -> Capture | None:
        """The latest archived content of a page, body decoded, for discovering its links when
        the page itself is not fetched again."""
        capture = self.latest.get(url)
        if capture is None or capture.status != 200 or not capture.payload_digest:
            return None
        ref: CaptureRef | None = self.known_digests.get(capture.payload_digest)
        if ref is None:
            return None
        try:
            archived = self.reader.read_capture(ref.warc_file, ref.offset)
        except ArchiveError:  # damaged since: the page is fetched instead
            return None
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
