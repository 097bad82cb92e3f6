"""Accent folding, the one place for it: ``Coopérative d’Activité`` → ``cooperative d activite``.

A folded text is lower case, without accents, ligatures spelt out (``œ`` → ``oe``), and every
character that is not a letter or a digit is a space. Each character is folded once per process
(``_FoldTable``) and a text is folded by ``str.translate`` in C: folding costs about as much as
copying the text, which matters because the build folds every article it reads.

``FoldedText`` is a folded text with one space between words, for matching names whole-word,
and the way back from a span of it to the span of the original text the match came from.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata

# Ligatures have no Unicode decomposition: NFKD alone would drop them.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss"})


def fold_char(char: str) -> str:
    """One character folded: lower case, no accent; anything but a letter or a digit becomes a
    space. A character may fold to none (a combining accent) or to several (``œ``, ``ﬁ``)."""
    decomposed = unicodedata.normalize("NFKD", char.translate(_LIGATURES))
    letters = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    folded = "".join(c if c.isalnum() else " " for c in letters)
    return " " if folded and folded.isspace() else folded  # "…" is one space, not three


class _FoldTable(dict):
    """The ``str.translate`` table of ``fold_char``, filled as characters are met."""

    def __missing__(self, ordinal: int) -> str:
        folded = self[ordinal] = fold_char(chr(ordinal))
        return folded


_FOLD = _FoldTable()
#: Characters known to fold to exactly one character: a text made of them alone folds in place.
_ONE_TO_ONE: set[str] = set()
_SPACE_RUN = re.compile(r" {2,}")


def fold_accents(text: str) -> str:
    """The folded text, as long as the original give or take ligatures and accents that were
    decomposed; spaces are not collapsed."""
    return text.translate(_FOLD)


class FoldedText:
    """A text folded (``fold_accents``) with its spaces collapsed to one, remembering where
    each folded character comes from: ``original_span`` maps a match back to the text."""

    __slots__ = ("_anchors", "_folded", "_text", "original")

    def __init__(self, original: str):
        self.original = original
        self._folded: str | None = None  # before spaces are collapsed
        self._text: str | None = None
        self._anchors: tuple[list[int], ...] | None = None

    @property
    def text(self) -> str:
        """The folded text, spaces collapsed (folded when first asked for)."""
        if self._text is None:
            self._folded = self.original.translate(_FOLD)
            self._text = _SPACE_RUN.sub(" ", self._folded)
            if len(self._text) == len(self.original) and _one_to_one(self.original):
                self._anchors = ([0], [0], [0], [0])  # every character folded in place
        return self._text

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that ``self.text[start:end]`` (not empty) folds."""
        return self._origin(start), self._origin(end - 1) + 1

    def _origin(self, position: int) -> int:
        if self._anchors is None:
            self._anchors = self._map()  # after self.text, which the span is in
        collapsed = _follow(self._anchors[0], self._anchors[1], position)
        return _follow(self._anchors[2], self._anchors[3], collapsed)

    def _map(self) -> tuple[list[int], ...]:
        """Two piecewise maps, each as anchors (from, to) after which both sides advance
        together: collapsed folded position → folded position (a run of spaces collapsed), and
        folded position → original position (a character folded to none or to several; each
        character of an expansion, ``œ`` → ``oe``, anchored to the one it comes from). Built
        only for a text where a match was found, from the few places where positions drift."""
        original = self.original
        runs = [run.span() for run in _SPACE_RUN.finditer(self._folded)]
        folded_to = [0, *(end for _, end in runs)]
        removed = itertools.accumulate(end - start - 1 for start, end in runs)
        collapsed_from = [0, *(end - gone for (_, end), gone in zip(runs, removed,
                                                                    strict=True))]
        folded_from, original_to = [0], [0]
        irregular = [char for char in set(original) if len(_FOLD[ord(char)]) != 1]
        if irregular:
            shift = 0
            pattern = re.compile("[" + "".join(map(re.escape, sorted(irregular))) + "]")
            for match in pattern.finditer(original):
                index = match.start()
                length = len(_FOLD[ord(original[index])])
                position = index + shift
                for offset in range(1, length):
                    folded_from.append(position + offset)
                    original_to.append(index)
                folded_from.append(position + length)
                original_to.append(index + 1)
                shift += length - 1
        return collapsed_from, folded_to, folded_from, original_to


def _follow(sources: list[int], targets: list[int], position: int) -> int:
    anchor = bisect.bisect_right(sources, position) - 1
    return targets[anchor] + position - sources[anchor]


def _one_to_one(text: str) -> bool:
    """Whether every character of ``text`` folds to exactly one character."""
    unknown = set(text) - _ONE_TO_ONE
    for char in unknown:
        if len(_FOLD[ord(char)]) != 1:
            return False
        _ONE_TO_ONE.add(char)
    return True
