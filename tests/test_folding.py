"""Accent folding (``scoparchive.text.folding``): the folded text, and the way back from a span
of it to the original text, checked against a character-by-character reference."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from scoparchive.text.folding import FoldedText, fold_accents, fold_char

#: What French web text is made of, and what makes folding move positions: ligatures, an
#: accent written apart (combining), compatibility characters, runs of punctuation and spaces.
ALPHABET = [
    *"abcdefzABCZéèêàçÉÀôûüïÎ0129 ,.;:!?'’-–()«»\n\t",
    "œ", "Œ", "æ", "ß", "\u0301", "\u0327", "ﬁ", "½", "…", "\u00a0", "\u202f", "™", "İ", "ſ",
]


def reference(text: str) -> tuple[str, list[int]]:
    """The folded text with its spaces collapsed, and the original index of each character,
    built one character at a time."""
    chars: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for folded in fold_char(char):
            if folded == " " and chars and chars[-1] == " ":
                continue
            chars.append(folded)
            origins.append(index)
    return "".join(chars), origins


def word_spans(text: str) -> list[tuple[int, int]]:
    spans, position = [], 0
    for word in text.split(" "):
        if word:
            spans.append((position, position + len(word)))
        position += len(word) + 1
    return spans


def test_folding_examples():
    assert fold_accents("Coopérative d’Activité") == "cooperative d activite"
    assert fold_accents("Cœur de Scop") == "coeur de scop"
    assert fold_accents("cafe\u0301") == "cafe"  # an accent written apart
    assert FoldedText("La Scic  MedNum… (75)").text == "la scic mednum 75 "


@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=60))
@example("Mise en œuvre : la Scop Cœur-de-Ville… et l'Atelier")
@example("e\u0301te\u0301 ½ ﬁn")
def test_spans_map_back_like_the_reference(text):
    folded = FoldedText(text)
    expected, origins = reference(text)
    assert folded.text == expected
    words = word_spans(folded.text)
    # Every run of whole words (what a name match is) maps back to where it was written.
    for first in range(len(words)):
        for last in range(first, min(first + 3, len(words))):
            start, end = words[first][0], words[last][1]
            assert folded.original_span(start, end) == (origins[start], origins[end - 1] + 1)
