"""What a crawl run changed on the site, for the report of `scoparchive crawl` and for
`scoparchive changes`.

Judged by the build's own replay of the archive, and so kept out of ``scoparchive.crawling``,
which must not import the build: the command asks for it once the crawl is over.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scoparchive.archive import ArchiveReader
from scoparchive.dataset.archives import SiteConflict, archive_sites, merged_records
from scoparchive.dataset.cache import ParseCache
from scoparchive.dataset.history import History
from scoparchive.dataset.replay import ArchivedPageParser, replay_history

log = logging.getLogger(__name__)


@dataclass
class RunChanges:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    #: Pages captured in the run, each counted once (``crawl_runs.pages_fetched``).
    fetched: int = 0
    #: The URLs behind the counts, sorted (unchanged pages are only counted).
    new_urls: list[str] = field(default_factory=list)
    changed_urls: list[str] = field(default_factory=list)
    removed_urls: list[str] = field(default_factory=list)
    #: The run these are the changes of, and its archive (None: a run the archive does not
    #: hold).
    run_id: str | None = None
    archive_dir: Path | None = None


@contextlib.contextmanager
def replayed_history(archive_dir: Path) -> Iterator[History]:
    """The history of the archive, replayed exactly as the build replays it (pages left
    unrequested by a run count as unchanged in it), with the parses of earlier builds and crawls
    taken from the archive's cache. The cache stays open inside the ``with`` block, so that the
    versions' ``load_fragments`` and ``load_page`` work there, and only there."""
    reader = ArchiveReader(archive_dir)
    cache = ParseCache.for_archive(archive_dir)
    try:
        with _sites_of(archive_dir), ArchivedPageParser(reader, cache) as parser:
            yield replay_history(reader, parser=parser, with_skipped=True)
    finally:
        if cache is not None:
            cache.close()


@contextlib.contextmanager
def _sites_of(archive_dir: Path) -> Iterator[None]:
    """The sites of the archive's runs registered as the build registers them
    (``dataset.archives``), so that both parse each page with the same profile and share
    their parses; two sites at one address (which fails a build) are told, not fatal here."""
    sites = contextlib.ExitStack()
    try:
        sites.enter_context(archive_sites(merged_records([Path(archive_dir)]).values()))
    except SiteConflict as error:
        log.warning("%s", error)
    with sites:
        yield


def run_changes_of(history: History, run_id: str) -> RunChanges:
    """The pages new, changed, unchanged and removed in one run of a replayed history."""
    run = history.runs.get(run_id)
    if run is None:
        return RunChanges()
    urls: dict[str, list[str]] = {"new": [], "changed": [], "unchanged": [], "removed": []}
    for url in run.after:
        outcome = run.outcome(url)
        if outcome is not None:
            urls[outcome].append(url)
    return RunChanges(new=len(urls["new"]), changed=len(urls["changed"]),
                      unchanged=len(urls["unchanged"]), removed=len(urls["removed"]),
                      fetched=run.pages_fetched,
                      new_urls=sorted(urls["new"]), changed_urls=sorted(urls["changed"]),
                      removed_urls=sorted(urls["removed"]), run_id=run_id)


def summarise_run(archive_dir: Path, run_id: str) -> RunChanges:
    """New, changed, unchanged and removed pages of a run, and their URLs, judged on the pages'
    extracted content exactly as the build judges them: the history is replayed from the
    archive, with the parses of earlier builds and crawls taken from the archive's cache."""
    with replayed_history(archive_dir) as history:
        changes = run_changes_of(history, run_id)
    if changes.run_id is not None:
        changes.archive_dir = Path(archive_dir)
    return changes
