"""What a crawl run changed on the site, for the report of `scoparchive crawl`.

Judged by the build's own replay of the archive, and so kept out of ``scoparchive.crawling``,
which must not import the build: the command asks for it once the crawl is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scoparchive.archive import ArchiveReader
from scoparchive.dataset.cache import ParseCache
from scoparchive.dataset.replay import ArchivedPageParser, replay_history


@dataclass
class RunChanges:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0


def summarise_run(archive_dir: Path, run_id: str) -> RunChanges:
    """New, changed, unchanged and removed pages of a run, judged on the pages' extracted content
    exactly as the build judges them: the history is replayed from the archive, with the parses
    of earlier builds and crawls taken from the archive's cache."""
    reader = ArchiveReader(archive_dir)
    cache = ParseCache.for_archive(archive_dir)
    try:
        with ArchivedPageParser(reader, cache) as parser:
            history = replay_history(reader, parser=parser, with_skipped=True)
    finally:
        if cache is not None:
            cache.close()
    run = history.runs.get(run_id)
    if run is None:
        return RunChanges()
    return RunChanges(new=run.pages_new, changed=run.pages_changed,
                      unchanged=run.pages_unchanged, removed=run.pages_removed)
