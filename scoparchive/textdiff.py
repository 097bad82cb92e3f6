"""Word diffs between two versions of a text: one function (``word_diff``) for what `scoparchive
changes` prints and for what the datasets keep of each new article version (``article_diff``,
the ``diff`` column of ``article_versions``), and the reader of that column (``read_diff``) with
which `scoparchive serve` shows it.

Not under ``scoparchive.text``: that package is the parser's (``dataset.cache.PARSER_SOURCES``),
and a change here must not invalidate every parse of every archive.

The stored diff is line-based, in the manner of `git diff --word-diff=porcelain`: a header
``@@ <field> @@`` opens each hunk, then one line per stretch of words, its first character
saying what it is: ``' '`` unchanged (context), ``'-'`` removed, ``'+'`` added. A stretch holds
no line break (texts are compared word by word), so the format needs no escaping; ``…`` on a
context line of its own stands for words left out.
"""

from __future__ import annotations

import difflib
import html
import sys
from collections.abc import Iterator
from dataclasses import dataclass

#: Unchanged words shown either side of a change.
CONTEXT_WORDS = 5
#: Changes (a stretch of words removed, added or replaced) shown per field; the others are
#: counted.
CHANGES_SHOWN = 5
#: Words shown of one removed or added stretch; a longer one loses its middle.
WORDS_SHOWN = 40
#: The same, in the datasets: every change is kept, and a stretch up to this many words whole
#: (the versions' whole texts are in ``article_versions`` anyway).
STORED_WORDS_SHOWN = 200
#: Above this many word pairs (words before × words after), difflib's junk heuristic is turned
#: on, so that a huge page cannot make the diff quadratic in time.
EXACT_DIFF_LIMIT = 25_000_000
#: The fields of an article compared, with their labels (French, English beside).
ARTICLE_FIELDS = (("title", "titre (title)"), ("lead", "chapô (lead)"),
                  ("body_text", "texte (text)"))

ELLIPSIS = "…"

#: One stretch of words: "=" unchanged (context), "-" removed, "+" added.
Segment = tuple[str, str]
#: A stretch's mark at the start of its line in a stored diff, and back.
_MARKS = {"=": " ", "-": "-", "+": "+"}
_KINDS = {mark: kind for kind, mark in _MARKS.items()}


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


def article_diff(before: dict, after: dict, *, context: int = CONTEXT_WORDS,
                 changes_shown: int = CHANGES_SHOWN,
                 words_shown: int = WORDS_SHOWN) -> list[FieldDiff]:
    """The fields (``ARTICLE_FIELDS``) whose words differ between two ``article_versions``
    rows (an empty dict: no article), each with its word diff."""
    diffs = []
    for name, label in ARTICLE_FIELDS:
        hunks, more, removed, added = word_diff(before.get(name) or "", after.get(name) or "",
                                                context=context, changes_shown=changes_shown,
                                                words_shown=words_shown)
        if hunks:
            diffs.append(FieldDiff(name, label, hunks, more, removed, added))
    return diffs


def stored_article_diff(before: dict, after: dict) -> list[FieldDiff]:
    """``article_diff`` as the datasets keep it: every change."""
    return article_diff(before, after, changes_shown=sys.maxsize,
                        words_shown=STORED_WORDS_SHOWN)


def write_diff(diffs: list[FieldDiff]) -> str | None:
    """The stored form of field diffs (see the module's docstring); None when nothing
    differs."""
    lines = []
    for diff in diffs:
        for hunk in diff.hunks:
            lines.append(f"@@ {diff.label} @@")
            if hunk.cut_before:
                lines.append(f" {ELLIPSIS}")
            lines.extend(_MARKS[kind] + text for kind, text in hunk.segments)
            if hunk.cut_after:
                lines.append(f" {ELLIPSIS}")
        if diff.more:
            lines.append(f"@@ {diff.label} @@")
            lines.append(f" {ELLIPSIS} et {diff.more} modification(s) de plus "
                         f"(and {diff.more} more)")
    return "\n".join(lines) if lines else None


def read_diff(text: str) -> Iterator[tuple[str, list[Segment]]]:
    """The hunks of a stored diff: (the field's label, its segments). Lines that are not of
    the format are read as unchanged text."""
    label, segments = None, []
    for line in text.split("\n"):
        if line.startswith("@@ ") and line.endswith(" @@"):
            if segments:
                yield label or "", segments
            label, segments = line[3:-3], []
        elif line:
            kind = _KINDS.get(line[0])
            segments.append((kind, line[1:]) if kind else ("=", line))
    if segments:
        yield label or "", segments


#: How removed and added words look in a page: struck out on red, underlined on green, as
#: readable without the colours.
DELETED_STYLE = "background: #ffe0e0; color: #8b0000; text-decoration: line-through"
INSERTED_STYLE = "background: #d8f5d8; color: #005a00; text-decoration: underline"


def diff_html(text: str) -> str:
    """A stored diff as HTML, text escaped: a paragraph per hunk, the field's label first,
    removed words in ``<del>``, added words in ``<ins>``."""
    paragraphs = []
    for label, segments in read_diff(text):
        parts = [f"<strong>{html.escape(label)}</strong> :"] if label else []
        for kind, words in segments:
            words = html.escape(words)
            parts.append(f'<del style="{DELETED_STYLE}">{words}</del>' if kind == "-" else
                         f'<ins style="{INSERTED_STYLE}">{words}</ins>' if kind == "+" else
                         words)
        paragraphs.append(f"<p>{' '.join(parts)}</p>")
    return f'<div class="scoparchive-diff">{"".join(paragraphs)}</div>'


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
