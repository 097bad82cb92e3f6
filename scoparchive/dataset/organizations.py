"""The cooperatives (and other organisations) that the site names, merged across pages. No I/O.

``find_organizations`` reads the latest ``ParsedPage`` of every page and returns one
``Organization`` per merge key and one ``Mention`` per (organisation, page). Names come from
three sources, strongest first:

``heading``
    Items of roundup pages (``Initiative.name``). A heading names several organisations
    (``Artefacts et CEFIM``) only when every part joined by `` et `` / ``, `` / `` & `` stands as
    a name elsewhere: as another item's heading, in a legal-form mention anywhere on the site, or
    alone (capitalised, outside the whole heading) in the item's description. Otherwise the
    heading is one name, lower-case words and all (``Gâtinais en transition``).
``legal_form``
    ``la Scop X``, ``la Scic X``, ``la CAE X``, ``l'association X``, ``la coopérative X`` (also
    after ``une``, ``cette``, ``(`` or ``:``), with X a capitalised name: capitalised words,
    joined by ``de``/``du``/``des``/``de la``, stopping at any other lower-case word, at
    punctuation and at the end of the line. A name already known from a heading that starts
    where X starts wins over that rule (``La Scic Dire le travail lance...``).
``name_match``
    Any known name (from the two sources above) found again in an article's title, lead or body:
    whole words, accents and case ignored, but written with a capital initial, and only names of
    at least ``MIN_MATCH_LENGTH`` letters, so that no common word is read as an organisation.

Merge key (``normalized_name``): lower case, accents and ligatures folded, every run of
punctuation (apostrophes of both kinds, hyphens) a single space, leading articles and legal-form
words dropped: ``La MedNum``, ``la Scic MedNum`` and ``MedNum`` are all ``mednum``. The ``id`` is
that key with hyphens for spaces, so two keys never share an id.

Legal form: ``Scop``, ``Scic``, ``CAE`` or ``association`` when the text says so, else ``other``.
Evidence is a legal-form mention naming the organisation, a heading starting with a legal-form
word (``Scic Habitat Partagé``), or, in the description of an item naming one organisation only,
the form word after a definite or demonstrative determiner with no name after it (``la Scop les
accueillera``, ``Cette Scop d'Ajaccio``, ``L'association continue``). The most specific evidence
wins: a stated form over ``coopérative``; CAE over Scop and Scic (a CAE is one of them); a
mention naming the organisation over an item's unnamed one; then the latest page, since
organisations change form (an association becomes a Scic). Indefinite ``une Scop`` and ``en Scic``
(``en vue d'une transformation en Scic``) are no evidence: they often name another
organisation, or a future.

Departments: the union of the codes of the items naming the organisation (the town's department
when the item gives a town). Every organisation of a joint heading gets all of its codes: for
``Artefacts et CEFIM (45 et 37)`` nothing on the page says which code is whose, and pairing them
by position would be a guess.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple, Protocol

import ahocorasick

from scoparchive.items import Initiative, ParsedPage, json_reader
from scoparchive.text.departments import item_departments
from scoparchive.text.folding import FoldedText, fold_accents
from scoparchive.text.normalise import collapse

LEGAL_FORMS = ("Scop", "Scic", "CAE", "association", "other")
#: Sources of a mention, strongest first: a page's mention keeps its strongest source.
SOURCES = ("heading", "legal_form", "name_match")
#: Known names shorter than this (letters and digits) are never looked for in running text.
MIN_MATCH_LENGTH = 4


@dataclass
class Organization:
    id: str
    name: str
    normalized_name: str
    legal_form: str
    legal_form_evidence: str | None
    legal_form_evidence_url: str | None
    departments: list[str]
    first_mentioned: date | None
    mention_count: int
    name_variants: list[str]


@dataclass
class Mention:
    organization_id: str
    page_url: str
    source: str
    context: str


def find_organizations(pages: Iterable[tuple[str, ParsedPage]]
                       ) -> tuple[list[Organization], list[Mention]]:
    """Organisations (sorted by id) and their mentions (sorted by organisation, then page) in
    ``(url, page)`` pairs: every page with an article record is read, dated by its
    publication date."""
    finder = OrganizationFinder()
    for url, page in pages:
        finder.add(url, page)
    return finder.finish()


class OrganizationFinder:
    """``find_organizations`` fed one page at a time, as the build reads them: it keeps of each
    page its date, its items and the key of its texts, not the page.

    The texts (compressed) are held here, or, with ``texts``, found again there at ``finish``
    for the pages the memo has nothing of: a build gives the finder its ``PagesState``, which
    stores every page's ``PackedText`` as the build writes it, so that the memory held does not
    grow with the texts of the site.

    With a ``memo`` (the build's ``ParseCache``), what one page gives in the site's context
    (its legal-form mentions for the names that headings give, its name matches for all the
    names known) is kept between builds: a rebuild reads again only the pages that changed,
    unless the names known on the site changed.

    ``mapper`` runs ``find_on_pages`` over tasks, in order (the build's pool of processes:
    ``ArchivedPageParser.map``); by default, here. Pages are read in batches of
    ``PAGES_PER_TASK``; the result is the same whatever runs them.
    """

    def __init__(self, memo=None, mapper: Callable = map, texts: TextStore | None = None
                 ) -> None:
        self._pages: list[_PageEntry] = []
        self._held: dict[str, bytes] | None = {} if texts is None else None
        self._store = texts
        self._memo = memo
        self._map = mapper

    def add(self, url: str, page: ParsedPage) -> None:
        if page.article is not None:
            article = page.article
            texts = [text for text in (article.title, article.lead, article.body_text) if text]
            self._add(url, article.published_date, _pack(texts), page.initiatives)

    def add_fragment(self, url: str, fragment: dict | None) -> PackedText | None:
        """A page as ``dataset.fragments`` gives it (``organizations``; None: no article).
        Returns it as ``add_packed`` takes it again (a later build keeps it so)."""
        if fragment is None:
            return None
        published = fragment["published"]
        packed = PackedText(published, _pack(fragment["texts"]),
                            json.dumps(fragment["initiatives"], ensure_ascii=False))
        self._add(url, date.fromisoformat(published) if published else None, packed.texts,
                  _INITIATIVES(fragment["initiatives"]))
        return packed

    def add_packed(self, url: str, packed: PackedText) -> None:
        """A page as ``add_fragment`` returned it."""
        initiatives = json.loads(packed.initiatives) if packed.initiatives != "[]" else []
        self._add(url, date.fromisoformat(packed.published) if packed.published else None,
                  packed.texts, _INITIATIVES(initiatives))

    def _add(self, url: str, published: date | None, packed: bytes,
             initiatives: list[Initiative]) -> None:
        self._pages.append(_PageEntry(url, published, _digest(url, str(published), packed),
                                      initiatives))
        if self._held is not None:
            self._held[url] = packed

    def finish(self) -> tuple[list[Organization], list[Mention]]:
        pages = sorted(self._pages, key=lambda page: page.url)
        items = [(page, item) for page in pages for item in page.initiatives]
        heading_keys = {normalized_name(name) for _, item in items
                        for name in (item.name, *_heading_parts(item.name))}
        named = self._on_pages("legal_form", pages, heading_keys)
        known = {mention.key for mention in named} | {normalized_name(item.name)
                                                       for _, item in items}
        sightings = list(named)
        for page, item in items:
            sightings.extend(_heading_sightings(page, item, known))
        matched_keys = {sighting.key for sighting in sightings
                        if _letters(sighting.key) >= MIN_MATCH_LENGTH}
        sightings.extend(self._on_pages("name_match", pages, matched_keys))
        return _organizations(sightings), _mentions(sightings)

    def _on_pages(self, kind: str, pages: list[_PageEntry], names: set[str]
                  ) -> list[_Sighting]:
        """What ``find_on_pages`` gives on every page, in page order: from the memo for the
        pages it holds, else found (by ``mapper``) and kept in the memo."""
        found: list[list[_Sighting] | None] = [None] * len(pages)
        context = ""
        if self._memo is not None:
            context = _digest(_code_version(), *sorted(names))
            for position, page in enumerate(pages):
                kept = self._memo.get_derived(f"organizations/{kind}", page.key, context)
                if kept is not None:
                    found[position] = [_Sighting.from_json(item)
                                       for item in json.loads(zlib.decompress(kept))]
        missing = [position for position, sightings in enumerate(found) if sightings is None]
        batches = [missing[start:start + PAGES_PER_TASK]
                   for start in range(0, len(missing), PAGES_PER_TASK)]
        names_sorted = tuple(sorted(names))
        tasks = ((kind, names_sorted, self._texts_of([pages[position] for position in batch]))
                 for batch in batches)
        for batch, results in zip(batches, self._map(find_on_pages, tasks), strict=True):
            for position, sightings in zip(batch, results, strict=True):
                found[position] = sightings
                if self._memo is not None:
                    self._memo.put_derived(
                        f"organizations/{kind}", pages[position].key, context, zlib.compress(
                            json.dumps([sighting.to_json() for sighting in sightings],
                                       ensure_ascii=False).encode()))
        return [sighting for sightings in found for sighting in sightings]

    def _texts_of(self, pages: list[_PageEntry]) -> list[_PageText]:
        """The pages as the text finders read them (without their items: lighter to send to
        another process)."""
        urls = [page.url for page in pages]
        packed = self._held if self._held is not None else self._store.packed_texts(urls)
        return [_PageText(page.url, page.published, packed[page.url]) for page in pages]


class TextStore(Protocol):
    def packed_texts(self, urls: list[str]) -> dict[str, bytes]:
        """The ``PackedText.texts`` of each page given to the finder."""


#: Pages per task of ``find_on_pages``: enough that sending the names known costs little.
PAGES_PER_TASK = 64


def find_on_pages(task: tuple[str, tuple[str, ...], list[_PageText]]) -> list[list[_Sighting]]:
    """``(kind, names, pages)`` → the sightings on each page: its legal-form mentions
    (``kind`` "legal_form", ``names``: those that headings give) or its matches of ``names``
    ("name_match"). Runs in the build's processes: everything it needs comes in the task."""
    kind, names, texts = task
    matcher = _matcher_of(names)
    find = _legal_form_mentions if kind == "legal_form" else _name_matches
    return [list(find(text, matcher)) for text in texts]


@functools.lru_cache(maxsize=2)
def _matcher_of(names: tuple[str, ...]) -> _Matcher:
    """One automaton per set of names, built in each process once (tasks of one kind share
    their names)."""
    return _Matcher(names)


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part if isinstance(part, bytes) else part.encode()) + b"\0")
    return digest.hexdigest()


@functools.cache
def _code_version() -> str:
    """A digest of the code that finds organisations on a page."""
    package = Path(__file__).resolve().parents[1]  # scoparchive/, not this wing
    return _digest(*(path.read_text("utf-8") for path in (
        package / "dataset" / "organizations.py", package / "text" / "folding.py",
        package / "text" / "normalise.py")))


def normalized_name(name: str) -> str:
    """The merge key: ``La Scic MedNum`` → ``mednum``; ``Mell’Pop`` → ``mell pop``."""
    words = fold_accents(name).split()
    while words and words[0] in _LEADING_WORDS:
        words.pop(0)
    return " ".join(words)


def organization_id(key: str) -> str:
    return key.replace(" ", "-")


# --- the pages --------------------------------------------------------------------------------

class PackedText(NamedTuple):
    """What the finder reads of one page, compact: its publication date (ISO), its texts
    (compressed) and its initiatives (JSON)."""

    published: str | None
    texts: bytes
    initiatives: str


@dataclass(slots=True)
class _PageEntry:
    """What the finder holds of a page until ``finish``."""

    url: str
    published: date | None
    key: str  # of the page's texts and date in the memo
    initiatives: list[Initiative]


@dataclass(slots=True)
class _PageText:
    url: str
    published: date | None
    packed: bytes  # title, lead and body, compressed: folded again at each reading

    @property
    def texts(self) -> list[FoldedText]:
        joined = zlib.decompress(self.packed).decode()
        return [FoldedText(text) for text in joined.split("\0")] if joined else []


def _pack(texts: list[str]) -> bytes:
    return zlib.compress("\0".join(texts).encode(), 1)


_INITIATIVES = json_reader(list[Initiative])


@dataclass(frozen=True, slots=True)
class _Sighting:
    """One piece of evidence that a page names an organisation."""

    key: str
    page_url: str
    published: date | None
    source: str
    context: str  # the heading, or the sentence of the mention
    display: str | None = None  # the name as written there
    departments: tuple[str, ...] = ()
    form: str | None = None  # legal form stated there
    form_named: bool = False  # the form's mention names the organisation
    evidence: str | None = None  # the text stating the form

    def to_json(self) -> list:
        return [self.key, self.page_url, self.published.isoformat() if self.published else None,
                self.source, self.context, self.display, list(self.departments), self.form,
                self.form_named, self.evidence]

    @classmethod
    def from_json(cls, value: list) -> _Sighting:
        (key, page_url, published, source, context, display, departments, form, form_named,
         evidence) = value
        # A build holds every sighting of the site at once, read back from the memo: the names,
        # pages and sources they share are held once (tens of thousands at 5,000 pages).
        return cls(sys.intern(key), sys.intern(page_url),
                   date.fromisoformat(published) if published else None, sys.intern(source),
                   context, display and sys.intern(display),
                   tuple(map(sys.intern, departments)), form and sys.intern(form), form_named,
                   evidence)


# --- folding and matching ---------------------------------------------------------------------

_LEADING_WORDS = frozenset({"le", "la", "les", "l", "scop", "scic", "cae", "association",
                            "cooperative"})
_FORM_WORDS = {"scop": "Scop", "scic": "Scic", "cae": "CAE", "association": "association",
               "cooperative": "other", "coopérative": "other"}


def _letters(key: str) -> int:
    return len(key.replace(" ", ""))


class _Matcher:
    """Finds known names in text: whole words, accents and case ignored, capitalised.

    One Aho–Corasick automaton holds every name, each between spaces, and runs over the text
    folded once (``FoldedText``): the time is linear in the text, whatever the number of names.
    Where several names start at one word, the longest wins; a match resumes after its end.
    """

    def __init__(self, keys: Iterable[str]):
        self._automaton = None
        keys = {key for key in keys if key}
        if keys:
            self._automaton = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
            for key in keys:
                self._automaton.add_word(f" {key} ")
            self._automaton.make_automaton()

    def find(self, text: str | FoldedText) -> list[tuple[str, int, int]]:
        """(key, start, end) of every known name written with a capital, spans in the text."""
        if self._automaton is None:
            return []
        folded = text if isinstance(text, FoldedText) else FoldedText(text)
        padded = f" {folded.text} "
        # (start, end) in folded.text of every occurrence, then leftmost-longest, no overlap.
        occurrences = sorted((end - length + 1, -(end - 1)) for end, length
                             in self._automaton.iter(padded))
        found = []
        resume = 0
        for start, negative_end in occurrences:
            end = -negative_end
            if start < resume:
                continue
            resume = end
            original_start, original_end = folded.original_span(start, end)
            if _is_capitalised(folded.original[original_start:original_end]):
                found.append((folded.text[start:end], original_start, original_end))
        return found


# --- legal-form mentions ----------------------------------------------------------------------

_DETERMINER = r"la\s+forme|le\s+statut(?:\s+de)?|la|cette|une"
_FORM_MENTION = re.compile(
    rf"(?:\b(?P<determiner>(?:{_DETERMINER})\s+|l['’]\s*)|\(\s*|^[ \t]*|:\s+)"
    r"(?P<form>scop|scic|cae|association|coopérative|cooperative)\b",
    re.IGNORECASE | re.MULTILINE,
)
#: The next word of a name, after spaces on the same line.
_NEXT_WORD = re.compile(r"[ \t\u00a0\u202f]+(?P<word>[^\s,;:.!?()\[\]{}«»\"“”…/|]+)")
_ELISION = re.compile(r"^[dlDL]['’]")
_ARTICLE_WORD = re.compile(r"(?:les?|la)\s+|l['’]", re.IGNORECASE)


def _legal_form_mentions(text: _PageText, heading_names: _Matcher) -> Iterable[_Sighting]:
    for folded in text.texts:
        body = folded.original
        known_ends = None  # where known names end, found once a mention needs them
        for match in _FORM_MENTION.finditer(body):
            if known_ends is None:
                known_ends = {start: end for _, start, end in heading_names.find(folded)}
            span = _name_after(body, match.end(), known_ends)
            if span is None:
                continue
            display = body[span[0]:span[1]]
            key = normalized_name(display)
            if not _is_name_key(key):
                continue
            sentence = _sentence(body, match.start(), span[1])
            yield _Sighting(key, text.url, text.published, "legal_form", sentence,
                            display=display, form=_FORM_WORDS[match["form"].lower()],
                            form_named=True, evidence=sentence)


def _name_after(text: str, position: int, known_ends: dict[int, int]) -> tuple[int, int] | None:
    """Span of the capitalised name starting after ``position``, if one does; extended to the
    end of a known name that starts where it starts (after an article)."""
    start = end = previous = None
    while match := _NEXT_WORD.match(text, position):
        word = match["word"]
        # Inside a name an elided article may precede a capital (Bâtisseurs d'Île-de-France);
        # a name never starts with one (Cette Scop d'Ajaccio).
        if _is_capitalised(word if start is None else _ELISION.sub("", word)):
            start = match.start("word") if start is None else start
            end = match.end("word")
        elif start is None or not _is_particle(word, previous):
            break
        previous, position = word, match.end()
    if start is None:
        return None
    article = _ARTICLE_WORD.match(text, start)
    name_start = article.end() if article else start
    return start, max(end, known_ends.get(name_start, end), known_ends.get(start, end))


def _is_capitalised(word: str) -> bool:
    """``MedNum``, ``3F``: an upper-case initial, or a digit in a word with letters."""
    if not word:
        return False
    return word[0].isupper() or (word[0].isdigit() and any(c.isalpha() for c in word))


def _is_particle(word: str, previous: str | None) -> bool:
    return word in ("de", "du", "des") or (word == "la" and previous == "de")


#: Keys that are never an organisation's name, whatever the capitals say.
_NOT_NAMES = frozenset({"union regionale", "entreprise", "region", "etat", "france", "paris",
                        "mouvement cooperatif"})


def _is_name_key(key: str) -> bool:
    return bool(key) and key not in _NOT_NAMES and any(c.isalpha() for c in key)


# --- roundup items ----------------------------------------------------------------------------

_JOINS = re.compile(r"\s*,\s*|\s+(?:et|&)\s+")


def _heading_parts(name: str) -> list[str]:
    parts = [part.strip() for part in _JOINS.split(name)]
    return parts if len(parts) > 1 and all(parts) else []


def _heading_names(item: Initiative, known: set[str]) -> list[str]:
    """The names an item's heading gives: its parts when every part stands as a name, else the
    heading whole."""
    parts = _heading_parts(item.name)
    if parts and all(_stands_as_name(part, item, known) for part in parts):
        return parts
    return [item.name]


def _stands_as_name(part: str, item: Initiative, known: set[str]) -> bool:
    key = normalized_name(part)
    if not _is_capitalised(part) or not _is_name_key(key):
        return False
    if key in known:
        return True
    whole = [(start, end) for _, start, end in _Matcher([normalized_name(item.name)])
             .find(item.description)]
    return any(not any(start >= w_start and end <= w_end for w_start, w_end in whole)
               for _, start, end in _Matcher([key]).find(item.description))


def _heading_sightings(page: _PageEntry, item: Initiative, known: set[str]
                       ) -> Iterable[_Sighting]:
    names = _heading_names(item, known)
    departments = tuple(item_departments(item.departments, item.place_department))
    for name in names:
        key = normalized_name(name)
        if not _is_name_key(key):
            continue
        form = _FORM_WORDS.get(fold_accents(name).split()[0])
        yield _Sighting(key, page.url, page.published, "heading", item.heading_raw,
                        display=_without_form_word(name), departments=departments,
                        form=form, form_named=form is not None,
                        evidence=item.heading_raw if form else None)
    if len(names) == 1:
        yield from _item_forms(page, item, normalized_name(names[0]), departments)


def _item_forms(page: _PageEntry, item: Initiative, key: str,
                departments: tuple[str, ...]) -> Iterable[_Sighting]:
    """``la Scop``, ``Cette Scop``, ``L'association`` with no name after them, in the
    description of an item naming one organisation: that organisation's form."""
    for match in _FORM_MENTION.finditer(item.description):
        determiner = (match["determiner"] or "").lower()
        if not determiner or determiner.startswith("une"):
            continue
        if _name_after(item.description, match.end(), {}) is not None:
            continue  # a named mention: another organisation, or this one by name
        yield _Sighting(key, page.url, page.published, "heading", item.heading_raw,
                        departments=departments, form=_FORM_WORDS[match["form"].lower()],
                        evidence=_sentence(item.description, match.start(), match.end()))


def _without_form_word(name: str) -> str:
    first, _, rest = name.partition(" ")
    return rest if rest and fold_accents(first).strip() in _FORM_WORDS else name


# --- running text -----------------------------------------------------------------------------

def _name_matches(text: _PageText, matcher: _Matcher) -> Iterable[_Sighting]:
    for folded in text.texts:
        body = folded.original
        for key, start, end in matcher.find(folded):
            yield _Sighting(key, text.url, text.published, "name_match",
                            _sentence(body, start, end), display=body[start:end])


#: Sentence and clause ends: a list of board members is one sentence of many clauses.
_CLAUSE_BREAK = re.compile(r"(?<=[.!?…;])\s+|\n")
#: Longer clauses are cut around the mention, on word boundaries.
MAX_CONTEXT = 240


def _sentence(text: str, start: int, end: int) -> str:
    """The clause (sentence, or line) holding ``text[start:end]``, cut to ``MAX_CONTEXT``."""
    margin = max(0, MAX_CONTEXT - (end - start)) // 2
    # A clause break further left than the margin is cut away anyway: look no further.
    window = max(0, start - margin - 2)
    left = max((match.end() for match in _CLAUSE_BREAK.finditer(text, window, start)),
               default=window)
    right_break = _CLAUSE_BREAK.search(text, end)
    right = right_break.start() if right_break else len(text)
    prefix = suffix = ""
    if start - left > margin:
        left, prefix = text.find(" ", start - margin, start) + 1 or start, "…"
    if right - end > margin:
        cut = text.rfind(" ", end, end + margin)
        right, suffix = (cut if cut > 0 else end), "…"
    return prefix + collapse(text[left:right]) + suffix


# --- merging ----------------------------------------------------------------------------------

#: CAE over Scop and Scic (a CAE is one or the other), any stated form over ``other``.
_FORM_SPECIFICITY = {"CAE": 2, "Scop": 1, "Scic": 1, "association": 1, "other": 0}


def _organizations(sightings: list[_Sighting]) -> list[Organization]:
    by_key: dict[str, list[_Sighting]] = defaultdict(list)
    for sighting in sorted(sightings, key=_sighting_order):
        by_key[sighting.key].append(sighting)
    organizations = []
    for key, found in by_key.items():
        form = max((sighting for sighting in found if sighting.form), key=_form_rank,
                   default=None)
        dates = [sighting.published for sighting in found if sighting.published]
        organizations.append(Organization(
            id=organization_id(key),
            name=_display_name(found),
            normalized_name=key,
            legal_form=form.form if form else "other",
            legal_form_evidence=form.evidence if form else None,
            legal_form_evidence_url=form.page_url if form else None,
            departments=sorted({code for sighting in found for code in sighting.departments}),
            first_mentioned=min(dates, default=None),
            mention_count=len({sighting.page_url for sighting in found}),
            name_variants=[name for name, _ in Counter(
                sighting.display for sighting in found if sighting.display).most_common()],
        ))
    return sorted(organizations, key=lambda organization: organization.id)


def _mentions(sightings: list[_Sighting]) -> list[Mention]:
    strongest: dict[tuple[str, str], _Sighting] = {}
    for sighting in sorted(sightings, key=_sighting_order):
        strongest.setdefault((sighting.key, sighting.page_url), sighting)
    return [Mention(organization_id(key), page_url, sighting.source, sighting.context)
            for (key, page_url), sighting in sorted(strongest.items())]


def _sighting_order(sighting: _Sighting) -> tuple:
    """Strongest source first, then oldest page: the order in which names are introduced."""
    return (SOURCES.index(sighting.source), sighting.published or date.max, sighting.page_url)


def _form_rank(sighting: _Sighting) -> tuple:
    return (_FORM_SPECIFICITY[sighting.form], sighting.form_named,
            sighting.published or date.min)


def _display_name(found: list[_Sighting]) -> str:
    """The most frequent name as introduced by headings and legal-form mentions; on a tie, the
    first introduced (headings first)."""
    introduced = [sighting.display for sighting in found
                  if sighting.display and sighting.source != "name_match"]
    counts = Counter(introduced)
    return max(introduced, key=lambda name: (counts[name], -introduced.index(name)))
