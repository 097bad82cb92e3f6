"""French stems for full-text search: the one code the build indexes with and the server searches
with, so that the forms of a word meet (``coopérative``, ``coopératives`` → ``cooper``).

Not under ``scoparchive.text``: that package is the parser's (``dataset.cache.PARSER_SOURCES``),
and a change here must not invalidate every parse of every archive.

Stems are Snowball's French ones (``snowballstemmer``). A word here is what SQLite's
``unicode61`` tokenizer takes for one: a run of letters and digits (``WORD``); apostrophes,
hyphens and every other sign separate words.

Each full-text index (``{table}_fts``, written by ``scoparchive.writers.sqlite``) holds, beside
the table's own columns, the column ``STEMS_COLUMN``: the stems of those columns' words. Its text,
as SQLite reads it, is the original text of those columns (the view ``{table}_fts_source``), and
``stem_text`` keeps every word in its place: the index finds ``coopératives`` by its stem, and
``snippet()`` marks the word as written.
"""

from __future__ import annotations

import functools
import re
import threading

import snowballstemmer

#: A word, as SQLite's unicode61 tokenizer sees one: letters and digits, no underscore.
WORD = re.compile(r"[^\W_]+")
#: Splits a text into what lies between words and the words, alternately.
_WORDS_APART = re.compile(f"({WORD.pattern})")
#: The column of every full-text index that holds the stems.
STEMS_COLUMN = "stemmed"
#: The view each full-text index reads its text from: ``{table}`` + this.
SOURCE_VIEW_SUFFIX = "_fts_source"

# A Snowball stemmer keeps the word it works on in itself: one per thread (Datasette runs SQL
# in several).
_stemmers = threading.local()


def _french_stemmer():
    stemmer = getattr(_stemmers, "french", None)
    if stemmer is None:
        stemmer = _stemmers.french = snowballstemmer.stemmer("french")
    return stemmer


# Bounded: the server stems what visitors type.
@functools.lru_cache(maxsize=2**17)
def stem_word(word: str) -> str:
    """The French stem of one word, lower case (accents stay: the index folds them)."""
    lowered = word.lower()
    return _french_stemmer().stemWord(lowered) or lowered


def stem_text(text: str | None) -> str | None:
    """``text`` with each word replaced by its stem, everything between words unchanged: as
    many words as the original, in the same order."""
    if text is None:
        return None
    parts = _WORDS_APART.split(text)
    parts[1::2] = map(stem_word, parts[1::2])  # a fifth faster than WORD.sub with a function
    return "".join(parts)


def full_text_source(table: str) -> str:
    """The name of the view the full-text index of ``table`` reads its text from."""
    return table + SOURCE_VIEW_SUFFIX
