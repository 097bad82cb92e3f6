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

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scoparchive.archive import ArchiveReader
from scoparchive.dataset.history import History, PageState, Version
from scoparchive.dataset.run_summary import RunChanges, replayed_history, run_changes_of

#: Unchanged words shown either side of a change.
CONTEXT_WORDS = 5
#: Changes (a stretch of words removed, added or replaced) shown per field of an article; the
#: others are counted.
CHANGES_SHOWN = 5
#: Words shown of one removed or added stretch; a longer one loses its middle.
WORDS_SHOWN = 40
#: Above this many word pairs (words before × words after), difflib's junk heuristic is turned
#: on, so that a huge page cannot make the diff quadratic in time.
EXACT_DIFF_LIMIT = 25_000_000
#: Run ids named in the message for an unknown run.
RUNS_NAMED = 5
#: The fields of an article compared, with their labels (French, English beside).
ARTICLE_FIELDS = (("title", "titre (title)"), ("lead", "chapô (lead)"),
                  ("body_text", "texte (text)"))

ELLIPSIS = "…"

#: One stretch of words: "=" unchanged (context), "-" removed, "+" added.
Segment = tuple[str, str]


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
class Hunk:
    """One change with its context: segments in order, and whether words of the text were left
    out before and after it."""

    segments: list[Segment]
    cut_before: bool = False
    cut_after: bool = False

    def plain(self) -> str:
        """The hunk as `git diff --word-diff=plain` writes it: ``[-removed-]{+added+}``."""
        parts = [ELLIPSIS] if self.cut_before else []
        for kind, text in self.segments:
            parts.append(text if kind == "=" else f"[-{text}-]" if kind == "-" else f"{{+{text}+}}")
        if self.cut_after:
            parts.append(ELLIPSIS)
        return " ".join(parts)


@dataclass
class FieldDiff:
    name: str  # the column of ``article_versions``
    label: str
    hunks: list[Hunk]
    more: int = 0  # changes not shown
    words_removed: int = 0
    words_added: int = 0


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
    diff = ArticleDiff(state.url, new.get("title") or old.get("title"), before, after)
    for name, label in ARTICLE_FIELDS:
        hunks, more, removed, added = word_diff(old.get(name) or "", new.get(name) or "",
                                                context=context)
        if hunks:
            diff.fields.append(FieldDiff(name, label, hunks, more, removed, added))
    return diff


def _article_row(version: Version | None) -> dict | None:
    if version is None:
        return None
    rows = version.load_fragments()["article_versions"]
    return rows[0] if rows else None


def word_diff(before: str, after: str, *, context: int = CONTEXT_WORDS,
              changes_shown: int = CHANGES_SHOWN, words_shown: int = WORDS_SHOWN
              ) -> tuple[list[Hunk], int, int, int]:
    """The changes between two texts, compared word by word, in hunks with ``context`` words
    either side (changes closer than twice that share a hunk): (the hunks of the first
    ``changes_shown`` changes, how many more changes there are, words removed, words added).
    A removed or added stretch longer than ``words_shown`` words loses its middle."""
    old, new = before.split(), after.split()
    matcher = difflib.SequenceMatcher(None, old, new,
                                      autojunk=len(old) * len(new) > EXACT_DIFF_LIMIT)
    hunks: list[Hunk] = []
    shown = total = removed = added = 0
    for group in matcher.get_grouped_opcodes(context):
        if all(tag == "equal" for tag, *_ in group):
            continue  # two equal texts give one group of context
        first, last = group[0], group[-1]
        hunk = Hunk([], cut_before=first[1] > 0 or first[3] > 0,
                    cut_after=last[2] < len(old) or last[4] < len(new))
        # Once ``changes_shown`` changes are shown, the hunk ends with the context after the
        # last one (``closed``), and the changes after it are only counted.
        closed = shown >= changes_shown
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                if closed:
                    continue
                words = old[i1:i2]
                if shown >= changes_shown:  # the context after the last change shown
                    closed = True
                    if len(words) > context:
                        words, hunk.cut_after = words[:context], True
                hunk.segments.append(("=", " ".join(words)))
                continue
            total += 1
            removed += i2 - i1
            added += j2 - j1
            if shown >= changes_shown:
                closed = True
                hunk.cut_after = True
                continue
            if i2 > i1:
                hunk.segments.append(("-", _shortened(old[i1:i2], words_shown)))
            if j2 > j1:
                hunk.segments.append(("+", _shortened(new[j1:j2], words_shown)))
            shown += 1
        if any(kind != "=" for kind, _ in hunk.segments):
            hunks.append(hunk)
    return hunks, total - shown, removed, added


def _shortened(words: list[str], limit: int) -> str:
    if len(words) <= limit:
        return " ".join(words)
    half = max(1, limit // 2)
    return " ".join([*words[:half], f"{ELLIPSIS} ({len(words) - 2 * half} mots / words) "
                     f"{ELLIPSIS}", *words[-half:]])
