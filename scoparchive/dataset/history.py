"""The history of the site, replayed from its captures in order.

A page has a new version only when its own extracted content changes: every page carries the
latest-news teasers, so its bytes change whenever an article is published elsewhere. A page is
removed only when it answers 404 or 410, or redirects away; a server error or a timeout is never a
removal nor a change. Nothing is ever forgotten: a removed page keeps its state and its versions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from scoparchive.archive import Capture
from scoparchive.archive.model import is_html
from scoparchive.archive.runs import RunRecord
from scoparchive.items import ParsedPage
from scoparchive.pipelines.completeness import PageSummary, summarise
from scoparchive.profiles import profile_for_url
from scoparchive.urls import canonical_url

GONE_STATUSES = (404, 410)


@dataclass
class Parsed:
    """What the history needs of one capture's payload: its content fingerprint and its summary
    (``PageSummary``: type, title, which fields are filled). The page itself is loaded only when
    asked for, and not kept: the history of a large archive holds summaries, not pages."""

    fingerprint: str  # ParsedPage.content_fingerprint()
    body_sha256: str  # of the payload, content-encoding removed
    summary: PageSummary
    load_page: Callable[[], ParsedPage]
    #: The page's rows (``dataset.fragments.page_fragments``), loaded when asked for.
    load_fragments: Callable[[], dict]
    #: Where the rows come from: the parse cache's key of the payload (``cache.cache_key``);
    #: None when they were not cached, and a build cannot tell whether they changed.
    source: tuple[str, ...] | None = None

    @classmethod
    def of(cls, page: ParsedPage, body_sha256: str) -> Parsed:
        from scoparchive.dataset.fragments import page_fragments, read_fragments

        def fragments() -> dict:
            return read_fragments(json.loads(json.dumps(page_fragments(page.url, page))))

        return cls(page.content_fingerprint(), body_sha256, summarise(page), lambda: page,
                   fragments)

    @property
    def page(self) -> ParsedPage:
        return self.load_page()


@dataclass(slots=True)
class Version:
    url: str
    captured_at: datetime
    run_id: str
    http_status: int
    content_sha256: str
    fingerprint: str
    summary: PageSummary
    load_page: Callable[[], ParsedPage]
    load_fragments: Callable[[], dict]
    warc_record_id: str
    warc_file: str
    warc_offset: int
    source: tuple[str, ...] | None = None  # Parsed.source

    @property
    def page(self) -> ParsedPage:
        """The parsed page, parsed again from the archive at each call (the parse cache keeps
        the rows, not the page): keep it no longer than needed."""
        return self.load_page()

    @property
    def page_type(self) -> str:
        return self.summary.page_type


@dataclass(slots=True)
class PageState:
    url: str
    first_seen: datetime
    last_seen: datetime
    fetched_at: datetime
    http_status: int
    content_type: str | None
    content_sha256: str
    versions: list[Version] = field(default_factory=list)
    removed_at: datetime | None = None
    redirect_to: str | None = None
    warc_record_id: str | None = None
    warc_file: str | None = None

    @property
    def latest(self) -> Version:
        return self.versions[-1]


class Standing(NamedTuple):
    """A page's standing at one moment: whether it is online, and its content then."""

    online: bool
    fingerprint: str


@dataclass
class RunStats:
    """What one crawl run saw. Each page counts once per run, judged on its standing before the
    run's first capture of it and after the run's last one (a page fetched twice in a run, or
    retried after a 503, is still one page)."""

    run_id: str
    started_at: datetime
    finished_at: datetime
    #: The URL of its first capture: the site of a run without a record and without pages.
    first_url: str = ""
    #: Answers archived (response and revisit records), server errors included.
    responses: int = 0
    #: Server errors, and requests that got no answer (the crawl log's failures).
    errors: int = 0
    warc_files: list[str] = field(default_factory=list)
    #: URLs the run captured with an answer that was not a server error.
    captured_urls: set[str] = field(default_factory=set)
    before: dict[str, Standing | None] = field(default_factory=dict)
    after: dict[str, Standing | None] = field(default_factory=dict)

    def outcome(self, url: str) -> str | None:
        """new, changed, unchanged or removed; None for a URL that is not a page, or a page
        that was already gone and still is."""
        before, after = self.before.get(url), self.after.get(url)
        if after is None:
            return None
        if before is None:
            return "new"
        if not after.online:
            return "removed" if before.online else None
        if not before.online or before.fingerprint != after.fingerprint:
            return "changed"  # a page back online counts as changed
        return "unchanged"

    def _count(self, outcome: str) -> int:
        return sum(1 for url in self.after if self.outcome(url) == outcome)

    @property
    def pages_fetched(self) -> int:
        return sum(1 for url in self.captured_urls if self.after.get(url) is not None)

    @property
    def pages_new(self) -> int:
        return self._count("new")

    @property
    def pages_changed(self) -> int:
        return self._count("changed")

    @property
    def pages_unchanged(self) -> int:
        return self._count("unchanged")

    @property
    def pages_removed(self) -> int:
        return self._count("removed")


class History:
    """Replays captures in capture order. ``parse`` turns a capture into its ``Parsed``
    payload; it is only called for a 200 HTML capture whose content is not known to be unchanged
    (a server-not-modified revisit of a known page is not parsed again)."""

    def __init__(self, parse: Callable[[Capture], Parsed]):
        self._parse = parse
        self.pages: dict[str, PageState] = {}
        self.runs: dict[str, RunStats] = {}
        #: What each crawl run's record (``runs/<id>.json``) says of it, when the archive has
        #: one (a WARC another tool wrote has none).
        self.run_records: dict[str, RunRecord] = {}
        self.captures = 0

    def add(self, capture: Capture) -> None:
        self.captures += 1
        run = self._run(capture)
        run.responses += 1
        status = capture.status
        if status >= 500:
            run.errors += 1
            return
        run.captured_urls.add(capture.url)
        run.before.setdefault(capture.url, self._standing(capture.url))
        state = self.pages.get(capture.url)
        if status in GONE_STATUSES or 300 <= status < 400:
            self._gone_or_moved(capture, state)
        elif status == 200 and is_html(capture.content_type):
            self._online(capture, state)
        run.after[capture.url] = self._standing(capture.url)

    def add_failure(self, run_id: str) -> None:
        """A request of the run that got no answer (the crawl log's failures): an error of
        the run, though nothing of it is in the archive."""
        run = self.runs.get(run_id)
        if run is not None:
            run.errors += 1

    def add_skipped(self, run_id: str, url: str) -> None:
        """A page the run did not request because the site dated it before our copy (the crawl
        log's skipped entries): unchanged in that run, though not captured, so neither seen
        (``last_seen``) nor fetched."""
        run = self.runs.get(run_id)
        standing = self._standing(url)
        if run is None or url in run.captured_urls or standing is None or not standing.online:
            return
        run.before.setdefault(url, standing)
        run.after[url] = standing

    def _standing(self, url: str) -> Standing | None:
        state = self.pages.get(url)
        if state is None:
            return None
        return Standing(state.removed_at is None, state.latest.fingerprint)

    def _run(self, capture: Capture) -> RunStats:
        run = self.runs.get(capture.run_id)
        if run is None:
            run = self.runs[capture.run_id] = RunStats(
                capture.run_id, capture.captured_at, capture.captured_at, capture.url
            )
        run.started_at = min(run.started_at, capture.captured_at)
        run.finished_at = max(run.finished_at, capture.captured_at)
        if capture.warc_file.name not in run.warc_files:
            run.warc_files.append(capture.warc_file.name)
        return run

    def _gone_or_moved(self, capture: Capture, state: PageState | None) -> None:
        if state is None:
            return  # never seen online: a broken link or a legacy URL, not a page of ours
        target = None
        if capture.status not in GONE_STATUSES:
            location = capture.headers.get("Location")
            target = canonical_url(location, profile_for_url(capture.url), base=capture.url) \
                if location else None
            if target in (None, capture.url):
                return  # a redirect to itself moves nothing
        if state.removed_at is None:
            state.removed_at = capture.captured_at
        state.redirect_to = target
        state.http_status = capture.status
        state.fetched_at = capture.captured_at
        state.warc_record_id, state.warc_file = capture.record_id, capture.warc_file.name

    def _online(self, capture: Capture, state: PageState | None) -> None:
        if state is not None and "not-modified" in (capture.revisit_profile or ""):
            # The server confirmed the payload we hold: same content, same digest.
            parsed, fingerprint, body_sha256 = None, state.latest.fingerprint, state.content_sha256
        else:
            parsed = self._parse(capture)
            fingerprint, body_sha256 = parsed.fingerprint, parsed.body_sha256
        if state is None:
            state = self.pages[capture.url] = PageState(
                url=capture.url, first_seen=capture.captured_at, last_seen=capture.captured_at,
                fetched_at=capture.captured_at, http_status=200,
                content_type=capture.content_type, content_sha256=body_sha256,
            )
        if parsed is not None and (not state.versions or fingerprint != state.latest.fingerprint):
            if state.versions and state.latest.captured_at == capture.captured_at:
                # Two captures of the page in one second (WARC dates may hold seconds only, as
                # wget writes them): the later one is the page as it stood at that time.
                state.versions.pop()
            if not state.versions or fingerprint != state.latest.fingerprint:
                state.versions.append(Version(
                    url=capture.url, captured_at=capture.captured_at, run_id=capture.run_id,
                    http_status=capture.status, content_sha256=body_sha256,
                    fingerprint=fingerprint, summary=parsed.summary,
                    load_page=parsed.load_page, load_fragments=parsed.load_fragments,
                    warc_record_id=capture.record_id, warc_file=capture.warc_file.name,
                    warc_offset=capture.offset, source=parsed.source,
                ))
        state.removed_at = None
        state.redirect_to = None
        state.last_seen = state.fetched_at = capture.captured_at
        state.http_status = 200
        state.content_type = capture.content_type
        state.content_sha256 = body_sha256
        state.warc_record_id, state.warc_file = capture.record_id, capture.warc_file.name
