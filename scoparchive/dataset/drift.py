"""Alarms when extraction drifts: what a person rebuilding the archive every week must be told.

When the site is redesigned, the page objects may start typing articles as static pages or stop
finding dates, and the datasets go on being built, quietly poorer. Three alarms, computed from
the replayed history (no I/O):

- ``type_changed`` / ``fields_lost``: a page whose type changed between two consecutive versions
  (article → static), or whose type stayed but which lost a field expected for it (a date, a
  lead), and has not recovered since;
- ``listed_not_article``: a page that a news listing (or the home page) links to as a teaser,
  whose latest version is not typed as an article;
- ``type_share``: the share of a page type among the pages online at the end of the last two
  runs moved by more than a threshold.

Messages are in French first, for the archivists who read them, with English beside them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from scoparchive.dataset.history import History, PageState, RunStats, Standing, Version
from scoparchive.items import ARTICLE_TYPES
from scoparchive.profiles import profile_for_url
from scoparchive.urls import canonical_url

#: Kinds of alarm, in the order they are listed (the site-wide signal first).
KINDS = ("type_share", "type_changed", "fields_lost", "listed_not_article")

#: Page types whose teasers are news: their links should lead to articles. Press listings link
#: to other sites.
NEWS_LISTING_TYPES = ("listing", "home")


@dataclass(frozen=True)
class AlarmSettings:
    """The ``alarms:`` section of ``thresholds.yaml``."""

    #: A type's share of the pages may move by this much (absolute, 0.10 = 10 points) between
    #: the last two runs before it alarms.
    type_share_points: float = 0.10
    #: ... and only for a type counting at least this many pages in one of the two runs.
    type_share_min_pages: int = 5

    @classmethod
    def from_mapping(cls, raw: Mapping | None) -> AlarmSettings:
        """Settings from the YAML section (missing keys take their defaults); ValueError on an
        unknown key or a value out of range."""
        raw = dict(raw or {})
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ValueError(f"unknown alarm setting(s): {', '.join(map(str, unknown))} "
                             f"(known: {', '.join(sorted(known))})")
        settings = cls(**raw)
        points, pages = settings.type_share_points, settings.type_share_min_pages
        if isinstance(points, bool) or not isinstance(points, int | float) \
                or not 0 <= points <= 1:
            raise ValueError(f"alarms.type_share_points must be a number from 0 to 1, "
                             f"not {points!r}")
        if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
            raise ValueError(f"alarms.type_share_min_pages must be a whole number, not {pages!r}")
        return cls(float(points), pages)

    def to_dict(self) -> dict:
        return {"type_share_points": self.type_share_points,
                "type_share_min_pages": self.type_share_min_pages}


@dataclass(frozen=True)
class Alarm:
    """One alarm: its kind (see ``KINDS``), the page it is about (None for a site-wide alarm),
    a one-line message in French with English beside it, and JSON-ready details."""

    kind: str
    url: str | None
    message: str
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "url": self.url, "message": self.message,
                "details": dict(self.details)}

    def __str__(self) -> str:
        return f"{self.url} : {self.message}" if self.url else self.message


def find_alarms(history: History, settings: AlarmSettings | None = None) -> list[Alarm]:
    """Every alarm of the history, site-wide ones first, then by kind and URL."""
    settings = settings or AlarmSettings()
    alarms = [*type_share_alarms(history, settings), *drift_alarms(history),
              *listing_alarms(history)]
    return sorted(alarms, key=lambda alarm: (KINDS.index(alarm.kind), alarm.url or "",
                                             alarm.details.get("page_type", "")))


# --- 1. a page whose type changed or which lost fields -----------------------------------------

def drift_alarms(history: History) -> list[Alarm]:
    """At most one alarm per page online, when its latest version is still worse than the last
    good one.

    A drift is a change between two consecutive versions: of type (article → static), or, type
    unchanged, an expected field that the earlier version filled and the later one does not (a
    date lost). A later version undoes a drift when it is of the type of the version before the
    drift and fills every field that version filled; an undone drift (and every drift after it)
    no longer alarms. The alarm names the oldest drift still open, so that it compares the latest
    version with the last good one."""
    alarms = []
    for url in sorted(history.pages):
        state = history.pages[url]
        if state.removed_at is not None or len(state.versions) < 2:
            continue
        alarm = _page_drift(state)
        if alarm is not None:
            alarms.append(alarm)
    return alarms


def _page_drift(state: PageState) -> Alarm | None:
    open_drifts: list[tuple[Version, Version]] = []
    for before, after in zip(state.versions, state.versions[1:], strict=False):
        undone = next((number for number, (good, _) in enumerate(open_drifts)
                       if _at_least_as_good(after, good)), None)
        if undone is not None:
            del open_drifts[undone:]
        elif not _at_least_as_good(after, before):
            open_drifts.append((before, after))
    if not open_drifts:
        return None
    good, drifted = open_drifts[0]
    latest = state.latest
    type_good, type_now = good.page_type, latest.page_type
    if type_now != type_good:
        return _drift_alarm("type_changed", state.url, good, drifted, latest, [],
                            f"type changé : {type_good} → {type_now} (type changed)")
    lost = _missing(good, latest)
    return _drift_alarm("fields_lost", state.url, good, drifted, latest, lost,
                        f"champ(s) perdu(s) : {', '.join(lost)} (fields lost), page {type_now}")


def _at_least_as_good(version: Version, reference: Version) -> bool:
    """Same type as ``reference``, and every expected field it filled filled too."""
    return version.page_type == reference.page_type and not _missing(reference, version)


def _missing(before: Version, after: Version) -> list[str]:
    """The expected fields ``before`` filled that ``after`` does not, in the order of the type's
    expected fields (all of them when the types differ)."""
    filled_after = after.summary.filled if after.page_type == before.page_type else {}
    return [name for name, filled in before.summary.filled.items()
            if filled and not filled_after.get(name)]


def _drift_alarm(kind: str, url: str, good: Version, drifted: Version, latest: Version,
                 lost: list[str], what: str) -> Alarm:
    message = (f"{what}, entre la capture du {_when(good.captured_at)} ({good.run_id}) et "
               f"celle du {_when(drifted.captured_at)} ({drifted.run_id})")
    if latest is not drifted:
        message += f" ; toujours le cas le {_when(latest.captured_at)} (still so)"
    return Alarm(kind, url, message, {
        "type_before": good.page_type, "type_after": drifted.page_type,
        "type_now": latest.page_type, "fields_lost": list(lost),
        "captured_before": _iso(good.captured_at), "run_before": good.run_id,
        "captured_after": _iso(drifted.captured_at), "run_after": drifted.run_id,
        "captured_now": _iso(latest.captured_at), "run_now": latest.run_id,
    })


# --- 2. linked from a news listing but not an article ------------------------------------------

def listing_alarms(history: History) -> list[Alarm]:
    """A page online that a teaser of a news listing or of the home page links to (their latest
    versions, online), whose latest version is not typed as an article. One alarm per page,
    naming the first listing (by URL) that links to it."""
    linked_from: dict[str, str] = {}
    for url in sorted(history.pages):
        state = history.pages[url]
        if state.removed_at is not None or state.latest.page_type not in NEWS_LISTING_TYPES:
            continue
        for teaser_url in state.latest.summary.teaser_urls:
            target = _page_url(history, teaser_url)
            if target is not None and target != url:
                linked_from.setdefault(target, url)
    alarms = []
    for target in sorted(linked_from):
        state = history.pages[target]
        page_type = state.latest.page_type
        if state.removed_at is not None or page_type in ARTICLE_TYPES:
            continue
        listing = linked_from[target]
        alarms.append(Alarm("listed_not_article", target,
                            f"liée comme actualité par {listing} mais typée {page_type} "
                            "(linked from a news listing, not typed as an article)",
                            {"page_type": page_type, "listing": listing,
                             "captured": _iso(state.latest.captured_at),
                             "run": state.latest.run_id}))
    return alarms


def _page_url(history: History, url: str | None) -> str | None:
    """The archive's page for a teaser's link, or None when it is not a page of the archive."""
    if not url:
        return None
    if url in history.pages:
        return url
    canonical = canonical_url(url, profile_for_url(url))
    return canonical if canonical in history.pages else None


# --- 3. the share of a page type moved between the last two runs -------------------------------

def type_counts_by_run(history: History, last: int | None = None) -> dict[str, Counter]:
    """For every run that captured pages (the ``last`` ones only, if given), in run order: the
    pages online at its end, counted by the type of their version current then (pages the run
    did not capture count as they stood after the runs before it)."""
    runs = sorted(history.runs.values(), key=lambda run: (run.started_at, run.run_id))
    with_pages = [run.run_id for run in runs if run.pages_fetched]
    counted = set(with_pages if last is None else with_pages[len(with_pages) - last:])
    standings: dict[str, Standing] = {}
    counts: dict[str, Counter] = {}
    for run in runs:
        standings.update({url: standing for url, standing in run.after.items()
                          if standing is not None})
        if run.run_id not in counted:
            continue
        counts[run.run_id] = Counter(
            _version_at(history.pages[url], standing, run).page_type
            for url, standing in standings.items() if standing.online)
    return counts


def _version_at(state: PageState, standing: Standing, run: RunStats) -> Version:
    """The version of a page current at the end of ``run``, whose content is ``standing``'s."""
    until = [version for version in state.versions if version.captured_at <= run.finished_at]
    for version in reversed(until):
        if version.fingerprint == standing.fingerprint:
            return version
    return until[-1] if until else state.versions[0]


def type_share_alarms(history: History, settings: AlarmSettings) -> list[Alarm]:
    counts = type_counts_by_run(history, last=2)
    if len(counts) < 2:
        return []
    (run_a, before), (run_b, after) = list(counts.items())[-2:]
    total_a, total_b = sum(before.values()), sum(after.values())
    if not total_a or not total_b:
        return []
    alarms = []
    for page_type in sorted(set(before) | set(after)):
        share_a, share_b = before[page_type] / total_a, after[page_type] / total_b
        moved = round(share_b - share_a, 9)
        if abs(moved) <= settings.type_share_points:
            continue
        if max(before[page_type], after[page_type]) < settings.type_share_min_pages:
            continue
        sign = "+" if moved > 0 else "−"
        alarms.append(Alarm(
            "type_share", None,
            f"part des pages {page_type} : {_percent(share_a)} → {_percent(share_b)} "
            f"({sign}{abs(moved) * 100:.0f} points) entre les runs {run_a} et {run_b} "
            f"(share of {page_type} pages moved; {before[page_type]} → {after[page_type]} pages)",
            {"page_type": page_type, "run_before": run_a, "run_after": run_b,
             "share_before": round(share_a, 4), "share_after": round(share_b, 4),
             "pages_before": before[page_type], "pages_after": after[page_type],
             "total_before": total_a, "total_after": total_b,
             "threshold_points": settings.type_share_points,
             "min_pages": settings.type_share_min_pages},
        ))
    return alarms


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"  # French puts a space before the sign


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC" if moment.utcoffset() == timedelta(0)
                           else "%Y-%m-%d %H:%M %z")


def _iso(moment: datetime) -> str:
    return moment.isoformat()
