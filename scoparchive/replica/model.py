"""The replica's content model: articles, static pages, press items and legacy URLs.

Loaded from ``content/`` (Markdown with a YAML front matter, see ``text.py`` for the body
language) and mutable while a server runs, so that recrawl tests can publish, edit and delete.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from .flavour import DRUPAL, Flavour
from .scale import edited_body, edition_choice, scaled_articles
from .slugs import unique_slug
from .text import Block, parse_blocks

CONTENT_DIR = Path(__file__).parent / "content"

ARTICLE_KINDS = ("article", "roundup", "programme")
LATEST_COUNT = 5
PAGE_SIZE = 10
NEWS_PATH = "/actualites"
PRESS_PATH = "/on-parle-de-nous"

#: Paths the union's site serves itself; an article may not take them as its slug (another
#: flavour's: ``Flavour.paths``).
RESERVED_PATHS = DRUPAL.paths

_FRONT_MATTER = re.compile(r"\A---\s*\n(?P<meta>.*?)\n---\s*\n(?P<body>.*)\Z", re.DOTALL)


@dataclass
class Entry:
    """An article (``kind`` article, roundup or programme) or a static page (``static``/``home``)."""

    path: str
    title: str
    kind: str
    lead: str | None
    body: str
    date: date | None = None
    rubric: str | None = None
    modified: float = 0.0  # epoch seconds of the last change of the page's own content
    sequence: int = 0  # publication order, to break ties between articles of one day
    hero: str | None = None  # file name of the image shown on teasers and the home page
    #: Upload folder of the page's files when not its publication month's (a scaled copy
    #: reuses the original's files, see ``scale.py``).
    uploads_dir: str | None = None
    #: The upload folder of a month (``strftime``), as the site's CMS names it.
    files_pattern: str = "/sites/default/files/%Y-%m/"

    @property
    def slug(self) -> str:
        return self.path.lstrip("/")

    @property
    def blocks(self) -> tuple[Block, ...]:
        return _parsed(self.body)

    @property
    def date_raw(self) -> str | None:
        """The date line as printed on the page: day, month, year, numeric, spaces."""
        return self.date.strftime("%d %m %Y") if self.date else None

    @property
    def files_dir(self) -> str:
        """Drupal stores uploads by month of upload: ``/sites/default/files/2020-04/``
        (WordPress: ``/wp-content/uploads/2020/04/``)."""
        if self.uploads_dir:
            return self.uploads_dir
        when = self.date or datetime.fromtimestamp(self.modified, UTC).date()
        return when.strftime(self.files_pattern)

    @property
    def is_article(self) -> bool:
        return self.kind in ARTICLE_KINDS


@dataclass
class PressItem:
    """One entry of "On parle de nous": a press article about the network, on a media's site."""

    date: date
    headline: str
    summary: str
    media: str
    url: str
    logo: str | None = None

    @property
    def date_raw(self) -> str:
        return self.date.strftime("%d %m %Y")


@dataclass
class LegacyPage:
    """A URL of the older generation of the site (``.htm``, ``spip.php?article12``): still
    served, redirected, or gone. ``path`` holds the query when the old CMS named pages by it."""

    path: str
    status: int  # 200, 301, 404 or 410
    title: str = ""
    body: str = ""
    redirect_to: str | None = None
    #: The publication date, when the URL does not hold it (``date:`` in the front matter).
    published: date | None = None

    @property
    def blocks(self) -> tuple[Block, ...]:
        return _parsed(self.body)

    @property
    def date(self) -> date | None:
        if self.published:
            return self.published
        match = re.search(r"/(\d{8}),", self.path)
        return datetime.strptime(match[1], "%Y%m%d").date() if match else None


@functools.lru_cache(maxsize=512)
def _parsed(body: str) -> tuple[Block, ...]:
    return parse_blocks(body)


@dataclass
class ReplicaSite:
    """The whole site's content. Thread-safe: the server reads it while tests change it."""

    entries: dict[str, Entry] = field(default_factory=dict)  # by path
    press: list[PressItem] = field(default_factory=list)
    legacy: dict[str, LegacyPage] = field(default_factory=dict)
    gone: dict[str, int] = field(default_factory=dict)  # removed path → 404 or 410
    clock: Callable[[], float] = time.time
    #: When the set of articles last changed by a removal (additions show in their own time).
    structure_changed: float = 0.0
    revision: int = 0
    #: What the site's CMS decides of its URLs (``site.yaml``'s ``flavour``; the union's Drupal).
    flavour: Flavour = DRUPAL
    #: The content folder it was loaded from, when not the union's ``content/``.
    content_dir: str | None = None

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._memos: dict[str, tuple[tuple, object]] = {}
        self._sequence = itertools.count(len(self.entries))

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(
        cls,
        content_dir: str | Path | None = None,
        clock: Callable[[], float] = time.time,
        *,
        scale: int = 1,
    ) -> ReplicaSite:
        """The site of ``content_dir`` (``content/`` by default). ``scale=K`` serves K times the
        articles: each with K - 1 "volets" of distinct slugs, dates and texts (``scale.py``)."""
        if scale < 1:
            raise ValueError("scale must be 1 or more")
        root = Path(content_dir) if content_dir else CONTENT_DIR
        flavour = site_flavour(root)
        files_pattern = flavour.files_prefix + flavour.files_month
        entries: dict[str, Entry] = {}
        for file in sorted((root / "pages").glob("*.md")):
            entry = _entry_from_file(file, default_kind="static", files_pattern=files_pattern)
            entries[entry.path] = entry
        # Articles take the slug of their title, as the CMS gave it at publication.
        taken = {path.lstrip("/") for path in [*entries, *flavour.paths]}
        for number, file in enumerate(sorted((root / "articles").glob("*.md"))):
            entry = _entry_from_file(file, default_kind="article", files_pattern=files_pattern)
            if not entry.path:
                entry.path = "/" + unique_slug(entry.title, taken)
            taken.add(entry.slug)
            entry.sequence = number
            entries[entry.path] = entry
        if scale > 1:
            originals = [entry for entry in entries.values() if entry.is_article]
            for number, entry in enumerate(scaled_articles(originals, scale, taken)):
                entry.sequence = len(originals) + number
                entries[entry.path] = entry
        press = [_press_item(raw) for raw in _yaml_list(root / "press.yaml")]
        legacy = {}
        for file in sorted((root / "legacy").glob("*.md")):
            page = _legacy_from_file(file)
            legacy[page.path] = page
        return cls(entries=entries, press=press, legacy=legacy, clock=clock, flavour=flavour,
                   content_dir=str(root) if content_dir else None)  # fmt: skip

    @property
    def profile(self) -> str:
        """The name of the profile of the site: a sister site's folder of ``content/`` is
        named after it; any other content is the union's site."""
        folder = Path(self.content_dir) if self.content_dir else CONTENT_DIR
        if folder.parent == CONTENT_DIR and (folder / "site.yaml").exists():
            return folder.name
        return default_profile_name()

    # ------------------------------------------------------------------ reading

    def articles(self) -> list[Entry]:
        """Published articles, newest first."""
        with self.lock:
            return list(self._memo("articles", self._sorted_articles))

    def _sorted_articles(self) -> list[Entry]:
        found = [entry for entry in self.entries.values() if entry.is_article]
        return sorted(found, key=lambda e: (e.date, e.sequence), reverse=True)

    def _memo(self, name: str, compute: Callable[[], object]):
        """What ``compute`` gave at this revision: every page of a scaled site asks for the
        sorted articles, and sorting thousands per request would dominate the server's time.
        Valid while changes go through the methods below (or bump ``revision``, as they do)."""
        key = (self.revision, len(self.entries), self.structure_changed)
        found = self._memos.get(name)
        if found is None or found[0] != key:
            found = self._memos[name] = (key, compute())
        return found[1]

    def article(self, slug: str) -> Entry:
        entry = self.entries.get("/" + slug.lstrip("/"))
        if entry is None or not entry.is_article:
            raise KeyError(slug)
        return entry

    def page(self, path: str) -> Entry | None:
        return self.entries.get(path)

    def static_pages(self) -> list[Entry]:
        return [entry for entry in self.entries.values() if not entry.is_article]

    def latest(self, count: int = LATEST_COUNT) -> list[Entry]:
        return self.articles()[:count]

    def news_pages(self) -> int:
        """How many pages the news listing has (at least one, even when empty)."""
        return max(1, -(-len(self.articles()) // PAGE_SIZE))

    def press_items(self) -> list[PressItem]:
        return sorted(self.press, key=lambda item: item.date, reverse=True)

    def press_pages(self) -> int:
        return max(1, -(-len(self.press) // PAGE_SIZE))

    def news_changed(self) -> float:
        """The last time any article appeared, changed or disappeared."""
        with self.lock:
            return self._memo("news_changed", self._news_changed)

    def _news_changed(self) -> float:
        times = [e.modified for e in self.entries.values() if e.is_article]
        return max([*times, self.structure_changed])

    def html_paths(self) -> list[str]:
        """Every HTML page answering 200: entries, listing pages, surviving legacy pages."""
        with self.lock:
            paths = list(self.entries)
            listings = ((self.flavour.news_path, self.news_pages()),
                        (self.flavour.press_path, self.press_pages()))
            for base, count in listings:
                paths += [base] + [f"{base}?page={n}" for n in range(1, count)]
            paths += [p.path for p in self.legacy.values() if p.status == 200]
        return paths

    def truth(self, target: str):
        """Ground truth of one page (``truth.PageTruth``), for extraction tests."""
        from .truth import page_truth

        return page_truth(self, target)

    # ------------------------------------------------------------------ changing

    def add_article(
        self,
        title: str,
        date: date | str,
        lead: str,
        body: str | Sequence[str] = "",
        *,
        rubric: str | None = None,
        kind: str = "article",
        slug: str | None = None,
        hero: str | None = None,
    ) -> str:
        """Publish an article; returns its slug (the title's, ``-0`` suffixed if taken)."""
        if kind not in ARTICLE_KINDS:
            raise ValueError(f"kind must be one of {ARTICLE_KINDS}")
        with self.lock:
            taken = {path.lstrip("/")
                     for path in [*self.entries, *self.legacy, *self.flavour.paths]}
            slug = slug or unique_slug(title, taken)
            path = "/" + slug
            if path in self.entries:
                raise ValueError(f"slug already used: {slug}")
            self.entries[path] = Entry(
                path=path,
                title=title,
                kind=kind,
                lead=lead,
                body=_body_source(body),
                date=_as_date(date),
                rubric=rubric,
                modified=self.clock(),
                sequence=next(self._sequence),
                hero=hero,
                files_pattern=self.flavour.files_prefix + self.flavour.files_month,
            )
            self.gone.pop(path, None)
            self.revision += 1
            return slug

    def update_article(self, slug: str, **changes) -> bool:
        """Change fields (title, date, lead, body, rubric, kind, hero); the slug stays.

        Returns whether anything changed; only a real change moves the modification time.
        """
        with self.lock:
            return self._update(self.article(slug), changes)

    def update_page(self, path: str, **changes) -> bool:
        """Like ``update_article``, for any page by path: ``update_page("/contact", lead=...)``."""
        with self.lock:
            entry = self.entries.get(path)
            if entry is None:
                raise KeyError(path)
            return self._update(entry, changes)

    def _update(self, entry: Entry, changes: dict) -> bool:
        allowed = {"title", "date", "lead", "body", "rubric", "kind", "hero"}
        unknown = set(changes) - allowed
        if unknown:
            raise TypeError(f"unknown fields: {sorted(unknown)}")
        with self.lock:
            if "date" in changes:
                changes["date"] = _as_date(changes["date"])
            if "body" in changes:
                changes["body"] = _body_source(changes["body"])
            changed = {k: v for k, v in changes.items() if getattr(entry, k) != v}
            for name, value in changed.items():
                setattr(entry, name, value)
            if changed:
                entry.modified = max(self.clock(), entry.modified)
                self.revision += 1
            return bool(changed)

    def edit(self, fraction: float, *, edition: int = 1, at: float | None = None) -> list[str]:
        """An edition, as between two crawls: the body of ``round(fraction × articles)`` articles
        (at least one if ``fraction`` > 0) gets an update paragraph. The articles are picked by a
        digest of ``edition`` and their paths (``scale.edition_choice``), so the same edition of
        the same site changes the same pages; no other page changes (teasers show no body).
        ``at`` is their new modification time (the clock's by default). Returns their paths."""
        with self.lock:
            chosen = edition_choice(self.articles(), fraction, edition)
            when = self.clock() if at is None else at
            for entry in chosen:
                entry.body = edited_body(entry.body, edition)
                entry.modified = max(when, entry.modified)
            if chosen:
                self.revision += 1
            return [entry.path for entry in chosen]

    def remove_article(self, slug: str, *, gone: bool = False) -> None:
        """Unpublish: the URL then answers 404, or 410 with ``gone=True``."""
        with self.lock:
            entry = self.article(slug)
            del self.entries[entry.path]
            self.gone[entry.path] = 410 if gone else 404
            self.structure_changed = self.clock()
            self.revision += 1

    def add_press_item(
        self, headline: str, summary: str, media: str, url: str, date: date | str
    ) -> None:
        with self.lock:
            self.press.append(PressItem(_as_date(date), headline, summary, media, url))
            self.structure_changed = self.clock()
            self.revision += 1


# ---------------------------------------------------------------------- file parsing


def default_profile_name() -> str:
    from scoparchive.profiles import DEFAULT_PROFILE

    return DEFAULT_PROFILE.name


def replica_profiles() -> list[str]:
    """The profiles the replica can serve: the union's, and each folder of ``content/`` with a
    ``site.yaml`` (named after its profile)."""
    sisters = sorted(path.parent.name for path in CONTENT_DIR.glob("*/site.yaml"))
    return [default_profile_name(), *sisters]


def content_dir_for(profile: str) -> Path:
    """The content folder of the replica of a profile's site."""
    if profile == default_profile_name():
        return CONTENT_DIR
    if profile not in replica_profiles():
        names = ", ".join(replica_profiles())
        raise ValueError(f"pas de réplique pour le site « {profile} » ; répliques : {names} "
                         f"(no replica of {profile!r}; replicas: {names})")
    return CONTENT_DIR / profile


def site_flavour(root: Path) -> Flavour:
    """The ``flavour`` of a content folder's ``site.yaml`` (the union's Drupal without one)."""
    file = root / "site.yaml"
    if not file.exists():
        return DRUPAL
    return Flavour.from_yaml((yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("flavour"))


def _entry_from_file(file: Path, default_kind: str, files_pattern: str) -> Entry:
    meta, body = _split_front_matter(file.read_text(encoding="utf-8"))
    published = _as_date(meta["date"]) if meta.get("date") else None
    # Static pages are named by their file; articles get their slug from the loader.
    path = meta.get("path") or ("/" + file.stem if default_kind == "static" else "")
    return Entry(
        path=path,
        title=str(meta["title"]),
        kind=meta.get("kind", default_kind),
        lead=_clean(meta.get("lead")),
        body=body,
        date=published,
        rubric=meta.get("rubric"),
        modified=_modified(meta, published),
        hero=meta.get("hero"),
        files_pattern=files_pattern,
    )


def _legacy_from_file(file: Path) -> LegacyPage:
    meta, body = _split_front_matter(file.read_text(encoding="utf-8"))
    return LegacyPage(
        path=meta["path"],
        status=int(meta["status"]),
        title=meta.get("title", ""),
        body=body,
        redirect_to=meta.get("redirect_to"),
        published=_as_date(meta["date"]) if meta.get("date") else None,
    )


def _split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise ValueError("content file without a front matter")
    return yaml.safe_load(match["meta"]) or {}, match["body"]


def _yaml_list(file: Path) -> list[dict]:
    if not file.exists():
        return []
    return yaml.safe_load(file.read_text(encoding="utf-8")) or []


def _press_item(raw: dict) -> PressItem:
    return PressItem(
        date=_as_date(raw["date"]),
        headline=raw["headline"],
        summary=_clean(raw["summary"]) or "",
        media=raw["media"],
        url=raw["url"],
        logo=raw.get("logo"),
    )


def _modified(meta: dict, published: date | None) -> float:
    """A page's content last changed when stated (``updated``), else on its publication day."""
    updated = meta.get("updated")
    if isinstance(updated, datetime):
        return updated.replace(tzinfo=updated.tzinfo or UTC).timestamp()
    day = _as_date(updated) if updated else published or date(2014, 1, 6)
    return datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC).timestamp()


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for layout in ("%Y-%m-%d", "%d %m %Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}")


def _body_source(body: str | Iterable[str]) -> str:
    if isinstance(body, str):
        return body
    return "\n\n".join(paragraph.strip() for paragraph in body)


def _clean(text: str | None) -> str | None:
    """Collapse layout blanks (YAML folding), keeping no-break and thin spaces."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip(" ") if text else text
