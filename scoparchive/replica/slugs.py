"""Article slugs as the site's CMS builds them (Drupal pathauto style).

Known from the published URLs: the title lowercased, accents stripped, apostrophes turned into
``-``, punctuation dropped, cut at about 100 characters on a word boundary.
"""

from __future__ import annotations

import re

from scoparchive.text.folding import fold_accents

MAX_SLUG_LENGTH = 100

#: What is left of a folded title between words: spaces, and letters outside a–z that have no
#: plain form (``ł``), which the CMS drops too.
_NON_WORD = re.compile(r"[^a-z0-9]+")


def slugify(title: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    """``"Mois de l'ESS 2024 : notre sélection"`` → ``"mois-de-l-ess-2024-notre-selection"``."""
    words = [word for word in _NON_WORD.split(fold_accents(title)) if word]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    # A single word longer than the limit is cut rather than lost.
    return slug or (words[0][:max_length] if words else "page")


def unique_slug(title: str, taken: set[str] | frozenset[str]) -> str:
    """The slug of ``title``, with pathauto's ``-0``, ``-1``... suffix when it is taken."""
    base = slugify(title)
    if base not in taken:
        return base
    counter = 0
    while f"{base}-{counter}" in taken:
        counter += 1
    return f"{base}-{counter}"
