"""``runs/<run_id>.json``, one per crawl run in the archive folder: what the run was asked to
do and how it ended, written by the crawl (``crawling.session``) and read by the build
(``crawl_runs``) and by ``--resume``."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

log = logging.getLogger(__name__)

RUNS_DIR = "runs"


@dataclass
class RunRecord:
    """`runs/<run_id>.json`: what a crawl run was asked to do, and how it ended."""

    run_id: str
    #: The first site's base URL (the only one of a record written before several sites).
    site_url: str
    started_at: str
    #: running, then how it ended (``crawling.outcome``): finished | partial | failed |
    #: interrupted. A record left "running" by a crawl that is no longer running was killed.
    status: str = "running"
    finished_at: str | None = None
    resumed: int = 0
    #: The line that says why, when it did not simply finish.
    message: str | None = None
    #: Scrapy's finish reason.
    finish_reason: str | None = None
    #: Counted as the crawl's report counts them: every answer archived (robots.txt, sitemaps,
    #: pages, files, errors), server errors and requests without an answer, pages left
    #: unrequested because they did not change, bytes received. Those of a resumed run add up.
    responses: int = 0
    errors: int = 0
    not_requested: int = 0
    bytes_received: int = 0
    #: Every site of the run, profile name → base URL, in the order given: which profile each
    #: base URL (a loopback port, a mirror) serves. Empty in a record older than several sites.
    sites: dict[str, str] = field(default_factory=dict)
    #: A distributed crawl (``--redis``): this archive's worker, and the Redis shared by the
    #: workers (its password left out), which ``--resume`` joins again.
    worker: str | None = None
    redis_url: str | None = None

    def save(self, archive_dir: Path) -> None:
        path = Path(archive_dir) / RUNS_DIR / f"{self.run_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)

    def count_again(self, log_entries: Iterable[dict]) -> None:
        """The counts, from the run's crawl log: for a run killed before it could write them
        (its record still says "running"), so that the run resuming it adds up to the whole.
        Each fetch is logged as its record is written; the bytes are those of the payloads."""
        self.responses = self.errors = self.not_requested = self.bytes_received = 0
        for entry in log_entries:
            kind = entry.get("record_type")
            if kind in ("response", "revisit"):
                self.responses += 1
                self.bytes_received += entry.get("size") or 0
                if (entry.get("status") or 0) >= 500:
                    self.errors += 1
            elif kind == "skipped":
                self.not_requested += 1
            elif kind is None and entry.get("error"):  # nothing came back
                self.errors += 1

    @classmethod
    def load(cls, path: Path) -> RunRecord:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {field.name for field in fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in known})


def run_records(archive_dir: Path) -> list[RunRecord]:
    folder = Path(archive_dir) / RUNS_DIR
    if not folder.is_dir():
        return []
    records = []
    for path in folder.glob("*.json"):
        try:
            records.append(RunRecord.load(path))
        except (OSError, ValueError, TypeError) as error:
            log.warning("%s: unreadable run record, left out (%s)", path, error)
    return sorted(records, key=lambda run: run.started_at)
