"""A bigger replica: K times the articles, and editions that change a share of them.

``ReplicaSite.load(scale=K)`` keeps the 35 articles of ``content/`` and adds K - 1 "volets"
(parts) of each: ``<title> – volet N`` at ``/<slug>-volet-N``, published ``7 × (N - 1)`` days
before the original, with the original's rubric, kind, headings, programme and images (the same
uploaded files: a copy reuses the original's upload folder). Its texts are the original's,
recombined so that no two articles of the site read the same:

- in every plain paragraph (and the lead), the sentences turn by ``N - 1`` places;
- every paragraph and the lead get one sentence borrowed from the other articles (two or more
  past the size of that pool), chosen by N: two volets of one article never borrow the same.

Everything is derived from the content files and K alone: the same K gives the same pages, byte
for byte. ``ReplicaSite.edit(fraction, edition=E)`` changes the body of a share of the articles
(an update paragraph appended), chosen by a digest of E and their paths: the same E picks the
same articles, and no other page changes (teasers show titles and leads, never bodies).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from .slugs import MAX_SLUG_LENGTH, slugify
from .text import parse_blocks

if TYPE_CHECKING:
    from .model import Entry

#: Days between two volets of an article (volet N is published 7 × (N - 1) days earlier).
VOLET_SPACING_DAYS = 7

_CHUNKS = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…»])\s+(?=[«\"A-ZÀ-ÖØ-Þ0-9])")
#: Sentences worth borrowing: plain prose, no inline markup, contact or department code.
_UNBORROWABLE = re.compile(r"[\[\]*@()\n]|https?:|\[at\]|\d{2} \d{2} \d{2}")
_MIN_BORROWED, _MAX_BORROWED = 40, 320

#: What an edition appends to the body of the articles it changes.
EDITION_TEXT = (
    "Mise à jour (édition {edition}) : l'Union régionale a complété cet article à la demande "
    "de la coopérative, qui souhaitait préciser ses projets pour les mois à venir."
)


def volet_title(title: str, volet: int) -> str:
    return f"{title} – volet {volet}"


def volet_slug(title: str, volet: int) -> str:
    """``<slug of the original's title>-volet-N``, the title's slug cut so that the suffix
    always fits in the CMS's 100 characters."""
    suffix = f"-volet-{volet}"
    return slugify(title, MAX_SLUG_LENGTH - len(suffix)) + suffix


def scaled_articles(originals: list[Entry], scale: int, taken: set[str]) -> list[Entry]:
    """The K - 1 volets of every original article, in a fixed order (volet, then original);
    ``taken`` (slugs in use) is extended with theirs."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    pool = _sentence_pool(originals)
    own = [set(_sentences_of(entry)) for entry in originals]
    borrowable = [[s for s in pool if s not in mine] for mine in own]
    copies: list[Entry] = []
    for volet in range(2, scale + 1):
        for number, original in enumerate(originals):
            slug = volet_slug(original.title, volet)
            while slug in taken:  # a title whose own slug ends in "-volet-N": never in content/
                slug += "-0"
            taken.add(slug)
            shift = timedelta(days=VOLET_SPACING_DAYS * (volet - 1))
            sentences = borrowable[number]
            copies.append(
                replace(
                    original,
                    path="/" + slug,
                    title=volet_title(original.title, volet),
                    lead=_recombined(original.lead, volet, sentences, number, -1)
                    if original.lead
                    else original.lead,
                    body=_recombined_body(original.body, volet, sentences, number),
                    date=original.date - shift if original.date else None,
                    modified=original.modified - shift.total_seconds(),
                    uploads_dir=original.files_dir,
                )
            )
    return copies


def edition_choice(articles: Iterable[Entry], fraction: float, edition: int) -> list[Entry]:
    """The articles an edition changes: ``round(fraction × count)`` of them (at least one when
    ``fraction`` > 0), the first by SHA-256 of ``"edition-E:<path>"``, i.e. spread at random over
    the site, but always the same for the same articles and edition."""
    if not 0 <= fraction <= 1:
        raise ValueError("fraction must be between 0 and 1")
    found = list(articles)
    count = round(fraction * len(found))
    if fraction > 0:
        count = max(1, count)
    ranked = sorted(found, key=lambda entry: _digest(f"edition-{edition}:{entry.path}"))
    return ranked[:count]


def edited_body(body: str, edition: int) -> str:
    return body.rstrip("\n ") + "\n\n" + EDITION_TEXT.format(edition=edition) + "\n"


# ---------------------------------------------------------------------- recombination


def _recombined_body(body: str, volet: int, pool: list[str], article: int) -> str:
    chunks = [chunk.strip("\n") for chunk in _CHUNKS.split(body.strip("\n ")) if chunk.strip()]
    out = []
    for position, chunk in enumerate(chunks):
        out.append(_recombined(chunk, volet, pool, article, position) if _is_prose(chunk)
                   else chunk)
    return "\n\n".join(out) + "\n"


def _recombined(text: str, volet: int, pool: list[str], article: int, position: int) -> str:
    sentences = _split(text) if _rotatable(text) else [text]
    turn = (volet - 1) % len(sentences)
    sentences = sentences[turn:] + sentences[:turn]
    # Volet N borrows the base-P digits of N - 2, each from its own offset: injective in N.
    offset = _offset(article, position)
    rank = volet - 2
    borrowed = [pool[(offset + rank) % len(pool)]]
    rank //= len(pool)
    while rank:
        borrowed.append(pool[(offset * 7 + rank) % len(pool)])
        rank //= len(pool)
    return " ".join([*sentences, *borrowed])


def _is_prose(chunk: str) -> bool:
    blocks = parse_blocks(chunk)
    return len(blocks) == 1 and blocks[0].kind == "p"


def _rotatable(text: str) -> bool:
    return not any(mark in text for mark in ("[", "**", "\n"))


def _split(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]


def _sentences_of(entry: Entry) -> list[str]:
    texts = [entry.lead or ""]
    texts += [chunk for chunk in _CHUNKS.split(entry.body) if _is_prose(chunk.strip("\n"))]
    found = []
    for text in texts:
        found += _split(" ".join(text.split())) if text else []
    return found


def _sentence_pool(originals: list[Entry]) -> list[str]:
    """Every borrowable sentence of the originals, once, in content order."""
    pool: dict[str, None] = {}
    for entry in originals:
        for sentence in _sentences_of(entry):
            if _MIN_BORROWED <= len(sentence) <= _MAX_BORROWED and not _UNBORROWABLE.search(
                sentence
            ):
                pool.setdefault(sentence)
    if not pool:
        raise ValueError("no sentence to recombine the articles with")
    return list(pool)


def _offset(article: int, position: int) -> int:
    return int(_digest(f"{article}:{position}")[:8], 16)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
