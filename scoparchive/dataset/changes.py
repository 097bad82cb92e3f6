"""What one crawl run changed, read from the archive alone: the pages new, changed and removed
in it, and for each changed article a word diff of its text between the version it had before
the run and the one the run captured (``scoparchive changes``).

No build is needed and nothing is fetched: the archive's history is replayed as the build
replays it (``run_summary.replayed_history``), and each version's text comes from the rows its
parse gave (``dataset.fragments``: the ``article_versions`` row holds title, lead and text),
kept in the archive's parse cache. The diff is on words (``difflib``), shown as stretches with
a few words of context either side, never the whole article.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scoparchive.archive import ArchiveReader
from scoparchive.dataset.history import History, PageState, Version
from scoparchive.dataset.run_summary import RunChanges, replayed_history, run_changes_of
from scoparchive.textdiff import CONTEXT_WORDS, FieldDiff, Hunk, word_diff
from scoparchive.textdiff import article_diff as field_diffs

#: The word diff is ``scoparchive.textdiff``'s, shared with the build's ``article_versions.diff``.
__all__ = ["ArticleDiff", "ChangesError", "FieldDiff", "Hunk", "RunReport", "UnknownRun",
           "article_diff", "run_report", "word_diff"]

#: Run ids named in the message for an unknown run.
RUNS_NAMED = 5


class ChangesError(Exception):
    """What `scoparchive changes` cannot show, in one line."""


class UnknownRun(ChangesError):
    def __init__(self, run_id: str, known: list[str]):
        self.run_id, self.known = run_id, known
        shown = ", ".join(known[-RUNS_NAMED:])
        which = f"les {RUNS_NAMED} dernières sur {len(known)} (the last {RUNS_NAMED} of " \
                f"{len(known)})" if len(known) > RUNS_NAMED else "toutes (all)"
        super().__init__(f"collecte inconnue (unknown crawl run) {run_id!r}; collectes de "
                         f"l'archive (runs of the archive), {which}, la plus récente en dernier "
                         f"(latest last): {shown}")


@dataclass
class ArticleDiff:
    """A changed article: its text before the run and in it, field by field (only the fields
    whose words changed; none when what changed is elsewhere, a date or an image)."""

    url: str
    title: str | None
    before: Version | None
    after: Version
    fields: list[FieldDiff] = field(default_factory=list)


@dataclass
class RunReport:
    run_id: str
    started_at: datetime
    finished_at: datetime
    previous_run_id: str | None
    changes: RunChanges
    articles: list[ArticleDiff]
    #: Changed pages whose text was not compared: not articles, or back online unchanged.
    not_compared: int = 0


def known_runs(history: History) -> list[str]:
    """The runs of the archive, earliest first."""
    return [run.run_id for run in sorted(history.runs.values(), key=lambda run: run.started_at)]


def run_report(archive_dir: Path, run_id: str | None = None, *,
               context: int = CONTEXT_WORDS) -> RunReport:
    """The pages new, changed and removed in ``run_id`` (default: the latest run of the
    archive), with a word diff of each changed article. ``UnknownRun`` for a run the archive
    does not hold."""
    no_run = ChangesError(f"{archive_dir}: l'archive ne contient aucune collecte "
                          "(the archive holds no crawl run)")
    if not ArchiveReader(Path(archive_dir)).warc_files():
        raise no_run  # before the replay, which would give the folder a parse cache
    with replayed_history(Path(archive_dir)) as history:
        runs = known_runs(history)
        if not runs:
            raise no_run
        run_id = runs[-1] if run_id is None else run_id
        if run_id not in history.runs:
            raise UnknownRun(run_id, runs)
        run = history.runs[run_id]
        changes = run_changes_of(history, run_id)
        changes.archive_dir = Path(archive_dir)
        articles, not_compared = [], 0
        for url in changes.changed_urls:
            diff = article_diff(history.pages[url], run_id, context=context)
            if diff is None:
                not_compared += 1
            else:
                articles.append(diff)
        position = runs.index(run_id)
        return RunReport(run_id, run.started_at, run.finished_at,
                         runs[position - 1] if position else None, changes, articles,
                         not_compared)


def versions_around(state: PageState, run_id: str) -> tuple[Version | None, Version | None]:
    """The page's version before the run, and the last one the run captured (None, None when
    the run made no version of it)."""
    inside = [index for index, version in enumerate(state.versions) if version.run_id == run_id]
    if not inside:
        return None, None
    first = inside[0]
    return (state.versions[first - 1] if first else None), state.versions[inside[-1]]


def article_diff(state: PageState, run_id: str, *,
                 context: int = CONTEXT_WORDS) -> ArticleDiff | None:
    """The word diff of an article the run changed; None for a page that is no article on
    either side, or that the run made no new version of (back online as it was)."""
    before, after = versions_around(state, run_id)
    if after is None:
        return None
    old, new = _article_row(before), _article_row(after)
    if old is None and new is None:
        return None
    old, new = old or {}, new or {}
    return ArticleDiff(state.url, new.get("title") or old.get("title"), before, after,
                       field_diffs(old, new, context=context))


def _article_row(version: Version | None) -> dict | None:
    if version is None:
        return None
    rows = version.load_fragments()["article_versions"]
    return rows[0] if rows else None
