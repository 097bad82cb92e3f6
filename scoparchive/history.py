"""The history of the site, replayed from its captures in order.

A page has a new version only when its own extracted content changes: every page carries the
latest-news teasers, so its bytes change whenever an article is published elsewhere. A page is
removed only when it answers 404 or 410, or redirects away; a server error or a timeout is never a
removal nor a change. Nothing is ever forgotten: a removed page keeps its state and its versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from scoparchive.archive import Capture
from scoparchive.items import ParsedPage
from scoparchive.profiles import profile_for_url
from scoparchive.urls import canonical_url

GONE_STATUSES = (404, 410)
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class Version:
    url: str
    captured_at: datetime
    run_id: str
    http_status: int
    content_sha256: str
    fingerprint: str
    page: ParsedPage
    warc_record_id: str
    warc_file: str
    warc_offset: int


@dataclass
class PageState:
    url: str
    first_seen: datetime
    last_seen: datetime
    fetched_at: datetime
    http_status: int
    content_type: str | None
    versions: list[Version] = field(default_factory=list)
    removed_at: datetime | None = None
    redirect_to: str | None = None
    warc_record_id: str | None = None
    warc_file: str | None = None

    @property
    def latest(self) -> Version:
        return self.versions[-1]


@dataclass
class RunStats:
    run_id: str
    started_at: datetime
    finished_at: datetime
    pages_new: int = 0
    pages_changed: int = 0
    pages_unchanged: int = 0
    pages_removed: int = 0
    errors: int = 0
    warc_files: list[str] = field(default_factory=list)
    captured_urls: set[str] = field(default_factory=set)

    def pages_fetched(self, pages: dict[str, PageState]) -> int:
        return sum(1 for url in self.captured_urls if url in pages)


class History:
    def __init__(self, parse: Callable[[Capture], ParsedPage]):
        self._parse = parse
        self.pages: dict[str, PageState] = {}
        self.runs: dict[str, RunStats] = {}
        self.captures = 0

    def add(self, capture: Capture) -> None:
        self.captures += 1
        run = self._run(capture)
        status = capture.status
        if status >= 500:
            run.errors += 1
            return
        run.captured_urls.add(capture.url)
        state = self.pages.get(capture.url)
        if status in GONE_STATUSES or 300 <= status < 400:
            self._gone_or_moved(capture, state, run)
        elif status == 200 and _is_html(capture.content_type):
            self._online(capture, state, run)

    def _run(self, capture: Capture) -> RunStats:
        run = self.runs.get(capture.run_id)
        if run is None:
            run = self.runs[capture.run_id] = RunStats(
                capture.run_id, capture.captured_at, capture.captured_at
            )
        run.started_at = min(run.started_at, capture.captured_at)
        run.finished_at = max(run.finished_at, capture.captured_at)
        if capture.warc_file.name not in run.warc_files:
            run.warc_files.append(capture.warc_file.name)
        return run

    def _gone_or_moved(self, capture: Capture, state: PageState | None, run: RunStats) -> None:
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
            run.pages_removed += 1
        state.redirect_to = target
        state.http_status = capture.status
        state.fetched_at = capture.captured_at
        state.warc_record_id, state.warc_file = capture.record_id, capture.warc_file.name

    def _online(self, capture: Capture, state: PageState | None, run: RunStats) -> None:
        if state is not None and capture.revisit_profile and "not-modified" in capture.revisit_profile:
            fingerprint = state.latest.fingerprint
            page = None
        else:
            page = self._parse(capture)
            fingerprint = page.content_fingerprint()
        if state is None:
            state = self.pages[capture.url] = PageState(
                url=capture.url, first_seen=capture.captured_at, last_seen=capture.captured_at,
                fetched_at=capture.captured_at, http_status=200,
                content_type=capture.content_type,
            )
            run.pages_new += 1
        elif fingerprint != state.latest.fingerprint or state.removed_at is not None:
            run.pages_changed += 1  # a page back online counts as changed
        else:
            run.pages_unchanged += 1
        if page is not None and (not state.versions or fingerprint != state.latest.fingerprint):
            state.versions.append(Version(
                url=capture.url, captured_at=capture.captured_at, run_id=capture.run_id,
                http_status=capture.status, content_sha256=hashlib.sha256(capture.body or b"").hexdigest(),
                fingerprint=fingerprint, page=page, warc_record_id=capture.record_id,
                warc_file=capture.warc_file.name, warc_offset=capture.offset,
            ))
        state.removed_at = None
        state.redirect_to = None
        state.last_seen = state.fetched_at = capture.captured_at
        state.http_status = 200
        state.content_type = capture.content_type
        state.warc_record_id, state.warc_file = capture.record_id, capture.warc_file.name


def _is_html(content_type: str | None) -> bool:
    return not content_type or content_type.split(";")[0].strip().lower() in HTML_TYPES
