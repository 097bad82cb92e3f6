"""Drift alarms: pages that changed type or lost fields, listed news that is not an article, page
types whose share moved, and how the build, quality.json, ``--strict`` and the CLI report them.

The rules are tested on histories replayed from ``ParsedPage`` records written here (captures
handed to the real ``History``, as an archive's replay hands them); the build on real crawls of
the replica over HTTP, before and after the site stops printing one article's date.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import run_cli

import scoparchive
from scoparchive import cli
from scoparchive.archive.model import Capture, Headers
from scoparchive.cli import main
from scoparchive.dataset.build import BuildError, build
from scoparchive.dataset.drift import (
    Alarm,
    AlarmSettings,
    drift_alarms,
    find_alarms,
    listing_alarms,
    type_counts_by_run,
    type_share_alarms,
)
from scoparchive.dataset.history import History, Parsed
from scoparchive.items import Article, ParsedPage, Teaser
from scoparchive.pipelines.completeness import Completeness, load_alarm_settings, load_thresholds
from scoparchive.replica import ReplicaServer
from scoparchive.replica.model import ReplicaSite

BASE = "http://127.0.0.1:8000/"
T1 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


# --- histories replayed from records -----------------------------------------------------------

class Replay:
    """Crawl runs made of records: each run captures some URLs, each answering a ``ParsedPage``
    (200, text/html) or a status (404, 301…). The captures go through the real ``History``."""

    def __init__(self):
        self.history = History(parse=self._parse)
        self._answers: dict[str, ParsedPage] = {}
        self.runs = 0

    def run(self, pages: dict[str, ParsedPage | int]) -> str:
        self.runs += 1
        run_id = f"run-{self.runs}"
        at = T1 + (self.runs - 1) * WEEK
        for number, (path, answer) in enumerate(pages.items()):
            url = BASE.rstrip("/") + path
            status = answer if isinstance(answer, int) else 200
            if not isinstance(answer, int):
                self._answers[url] = answer
            payload = json.dumps(answer.to_dict() if status == 200 else status).encode()
            self.history.add(Capture(
                url=url, run_id=run_id, captured_at=at + timedelta(seconds=number),
                status=status, headers=Headers([("Content-Type", "text/html")]),
                content_type="text/html", body=None,
                payload_digest="sha256:" + hashlib.sha256(payload).hexdigest(),
                record_id=f"<urn:uuid:{run_id}-{number}>", warc_file=Path(f"{run_id}.warc.gz"),
                offset=number, length=len(payload),
            ))
        return run_id

    def _parse(self, capture: Capture) -> Parsed:
        page = self._answers[capture.url]
        return Parsed.of(page, capture.payload_digest)


def url(path: str) -> str:
    return BASE.rstrip("/") + path


def article(path: str, *, dated: bool = True, lead: str | None = "Un chapô.",
            body: str = "Le texte de l'article.", page_type: str = "article") -> ParsedPage:
    title = f"Article {path}"
    return ParsedPage(url=url(path), page_type=page_type, title=title, article=Article(
        url=url(path), title=title, published_date=date(2024, 3, 1) if dated else None,
        published_date_raw="01 03 2024" if dated else None, lead=lead, body_text=body))


def static(path: str, title: str = "Qui sommes-nous ?") -> ParsedPage:
    return ParsedPage(url=url(path), page_type="static", title=title)


def listing(path: str, links: list[str], page_type: str = "listing") -> ParsedPage:
    return ParsedPage(url=url(path), page_type=page_type, title="Actualités", teasers=[
        Teaser(title=f"Teaser {link}", url=link if "://" in link else url(link))
        for link in links])


def kinds(alarms: list[Alarm]) -> list[tuple[str, str | None]]:
    return [(alarm.kind, alarm.url) for alarm in alarms]


# --- 1. type changed, fields lost --------------------------------------------------------------

def test_an_article_typed_static_alarms_with_both_captures():
    replay = Replay()
    replay.run({"/a": article("/a"), "/b": article("/b")})
    replay.run({"/a": static("/a", "Article /a"), "/b": article("/b")})
    (alarm,) = drift_alarms(replay.history)
    assert (alarm.kind, alarm.url) == ("type_changed", url("/a"))
    assert alarm.message.startswith("type changé : article → static (type changed)")
    assert "2026-01-05 09:00 UTC (run-1)" in alarm.message
    assert "2026-01-12 09:00 UTC (run-2)" in alarm.message
    assert alarm.details | {"captured_now": None} == {
        "type_before": "article", "type_after": "static", "type_now": "static",
        "fields_lost": [], "captured_before": "2026-01-05T09:00:00+00:00", "run_before": "run-1",
        "captured_after": "2026-01-12T09:00:00+00:00", "run_after": "run-2",
        "captured_now": None, "run_now": "run-2"}
    assert json.loads(json.dumps(alarm.to_dict())) == alarm.to_dict()


def test_a_lost_date_alarms_and_names_the_field():
    replay = Replay()
    replay.run({"/a": article("/a")})
    replay.run({"/a": article("/a", dated=False)})
    (alarm,) = drift_alarms(replay.history)
    assert alarm.kind == "fields_lost" and alarm.details["fields_lost"] == ["published_date"]
    assert "champ(s) perdu(s) : published_date (fields lost)" in alarm.message
    assert alarm.details["type_before"] == alarm.details["type_after"] == "article"


def test_a_drift_since_recovered_does_not_alarm():
    replay = Replay()
    replay.run({"/date": article("/date"), "/type": article("/type")})
    replay.run({"/date": article("/date", dated=False), "/type": static("/type")})
    replay.run({"/date": article("/date", body="Corrigé."), "/type": article("/type")})
    assert drift_alarms(replay.history) == []


def test_a_drift_still_there_after_later_edits_alarms_from_the_last_good_version():
    replay = Replay()
    replay.run({"/a": article("/a")})
    replay.run({"/a": article("/a", dated=False)})
    replay.run({"/a": article("/a", dated=False, lead=None)})  # worse still
    replay.run({"/a": article("/a", dated=False, lead="Un chapô revenu.")})  # lead back only
    (alarm,) = drift_alarms(replay.history)
    assert alarm.details["fields_lost"] == ["published_date"]
    assert (alarm.details["run_before"], alarm.details["run_after"], alarm.details["run_now"]) \
        == ("run-1", "run-2", "run-4")
    assert "(still so)" in alarm.message


def test_only_the_latest_change_of_an_oscillating_page_alarms():
    replay = Replay()
    replay.run({"/a": article("/a")})
    replay.run({"/a": static("/a")})
    replay.run({"/a": article("/a")})
    replay.run({"/a": static("/a")})
    (alarm,) = drift_alarms(replay.history)
    assert (alarm.details["run_before"], alarm.details["run_after"]) == ("run-3", "run-4")


def test_a_page_back_to_its_type_without_its_fields_alarms_as_fields_lost():
    replay = Replay()
    replay.run({"/a": article("/a")})
    replay.run({"/a": static("/a")})
    replay.run({"/a": article("/a", dated=False)})
    (alarm,) = drift_alarms(replay.history)
    assert alarm.kind == "fields_lost" and alarm.details["fields_lost"] == ["published_date"]
    assert alarm.details["type_after"] == "static"


def test_gaining_fields_edits_and_removed_pages_do_not_alarm():
    replay = Replay()
    replay.run({"/gains": article("/gains", lead=None), "/edited": article("/edited"),
                "/gone": article("/gone")})
    replay.run({"/gains": article("/gains"), "/edited": article("/edited", body="Réécrit."),
                "/gone": static("/gone")})
    replay.run({"/gone": 404})
    assert drift_alarms(replay.history) == []


# --- 2. linked from a news listing, not an article ---------------------------------------------

def test_a_static_page_linked_from_a_listing_alarms_once_naming_a_listing():
    replay = Replay()
    replay.run({
        "/actualites": listing("/actualites", ["/a", "/s", "/gone", "/not-archived"]),
        "/actualites?page=1": listing("/actualites?page=1", ["/s", "/r", "/t?utm_source=x"]),
        "/": listing("/", ["/h"], page_type="home"),
        "/on-parle-de-nous": listing("/on-parle-de-nous", ["/p"], page_type="press_listing"),
        "/a": article("/a"), "/s": static("/s"), "/gone": static("/gone"),
        "/r": article("/r", page_type="roundup"), "/h": static("/h"), "/p": static("/p"),
        "/t": static("/t"),
    })
    replay.run({"/gone": 410})
    alarms = listing_alarms(replay.history)
    assert kinds(alarms) == [("listed_not_article", url(path)) for path in ("/h", "/s", "/t")]
    home, linked, tracked = alarms
    assert home.details["listing"] == url("/") and home.details["page_type"] == "static"
    assert linked.details["listing"] == url("/actualites")
    assert linked.message.startswith(f"liée comme actualité par {url('/actualites')} mais typée "
                                     "static (linked from a news listing")
    assert tracked.details["listing"] == url("/actualites?page=1")


def test_only_the_latest_version_of_a_listing_counts():
    replay = Replay()
    replay.run({"/actualites": listing("/actualites", ["/s"]), "/s": static("/s")})
    replay.run({"/actualites": listing("/actualites", ["/a"]), "/a": article("/a")})
    assert listing_alarms(replay.history) == []


# --- 3. the share of a type moved ----------------------------------------------------------------

def site(articles: int, statics: int, *, undated: int = 0) -> dict[str, ParsedPage]:
    """``articles`` article pages, of which the last ``undated`` are now typed static."""
    pages = {f"/a{n}": article(f"/a{n}") if n < articles - undated else static(f"/a{n}")
             for n in range(articles)}
    return pages | {f"/s{n}": static(f"/s{n}") for n in range(statics)}


def test_a_type_share_moved_by_more_than_the_threshold_alarms():
    replay = Replay()
    replay.run(site(14, 6))
    # Only the pages that changed are captured: the others count as they stood.
    replay.run({path: page for path, page in site(14, 6, undated=3).items()
                if path in {"/a11", "/a12", "/a13"}})
    assert type_counts_by_run(replay.history) == {
        "run-1": {"article": 14, "static": 6}, "run-2": {"article": 11, "static": 9}}
    alarms = type_share_alarms(replay.history, AlarmSettings())
    assert kinds(alarms) == [("type_share", None), ("type_share", None)]
    by_type = {alarm.details["page_type"]: alarm for alarm in alarms}
    assert by_type["article"].message.startswith(
        "part des pages article : 70 % → 55 % (−15 points) entre les runs run-1 et run-2")
    assert by_type["static"].details | {"threshold_points": 0.1} == {
        "page_type": "static", "run_before": "run-1", "run_after": "run-2",
        "share_before": 0.3, "share_after": 0.45, "pages_before": 6, "pages_after": 9,
        "total_before": 20, "total_after": 20, "threshold_points": 0.1, "min_pages": 5}
    assert type_share_alarms(replay.history, AlarmSettings(type_share_points=0.2)) == []
    assert type_share_alarms(replay.history, AlarmSettings(type_share_min_pages=15)) == []


def test_a_small_move_a_tiny_archive_and_a_single_run_do_not_alarm():
    replay = Replay()
    replay.run(site(14, 6))
    assert type_share_alarms(replay.history, AlarmSettings()) == []  # one run
    replay.run({"/a13": static("/a13")})  # 70 % → 65 %
    assert type_share_alarms(replay.history, AlarmSettings()) == []
    tiny = Replay()
    tiny.run(site(3, 1))
    tiny.run({"/a2": static("/a2")})  # 75 % → 50 %, but 3 pages at most
    assert type_share_alarms(tiny.history, AlarmSettings()) == []
    assert [alarm.details["page_type"] for alarm in
            type_share_alarms(tiny.history, AlarmSettings(type_share_min_pages=3))] == ["article"]


def test_removed_pages_leave_the_shares_and_only_runs_with_pages_count():
    replay = Replay()
    replay.run(site(10, 10))
    replay.run({f"/s{n}": 404 for n in range(5)})
    replay.run({"/robots.txt": 404})  # captured no page
    assert type_counts_by_run(replay.history) == {
        "run-1": {"article": 10, "static": 10}, "run-2": {"article": 10, "static": 5}}
    assert type_counts_by_run(replay.history, last=1) == {"run-2": {"article": 10, "static": 5}}
    assert {alarm.details["page_type"]: alarm.details["run_after"]
            for alarm in type_share_alarms(replay.history, AlarmSettings())} \
        == {"article": "run-2", "static": "run-2"}


def test_alarms_are_listed_site_wide_first_then_by_kind_and_url():
    replay = Replay()
    replay.run({**site(14, 6), "/actualites": listing("/actualites", ["/a13", "/s0"])})
    replay.run({path: page for path, page in site(14, 6, undated=3).items()
                if path in {"/a11", "/a12", "/a13"}})
    assert kinds(find_alarms(replay.history)) == [
        ("type_share", None), ("type_share", None),
        ("type_changed", url("/a11")), ("type_changed", url("/a12")),
        ("type_changed", url("/a13")),
        ("listed_not_article", url("/a13")), ("listed_not_article", url("/s0"))]


# --- settings ------------------------------------------------------------------------------------

def test_the_alarm_settings_live_beside_the_thresholds(tmp_path):
    assert "alarms" not in load_thresholds()
    assert AlarmSettings.from_mapping(load_alarm_settings()) == AlarmSettings(0.10, 5)
    custom = tmp_path / "thresholds.yaml"
    custom.write_text("article: {title: 1.0}\n")  # a file of before the alarms
    assert load_thresholds(custom) == {"article": {"title": 1.0}}
    assert AlarmSettings.from_mapping(load_alarm_settings(custom)) == AlarmSettings()
    custom.write_text("article: {title: 1.0}\nalarms: {type_share_points: 0.25}\n")
    assert AlarmSettings.from_mapping(load_alarm_settings(custom)) == AlarmSettings(0.25, 5)
    for wrong in ({"type_share_point": 0.1}, {"type_share_points": 2},
                  {"type_share_min_pages": "five"}):
        with pytest.raises(ValueError):
            AlarmSettings.from_mapping(wrong)


def test_completeness_ignores_the_alarms_section():
    completeness = Completeness()
    completeness.add(article("/a", dated=False))
    raw = yaml.safe_load((Path(scoparchive.__file__).parent / "thresholds.yaml").read_text())
    assert "alarms" in raw
    assert completeness.failures(raw) == completeness.failures(load_thresholds()) \
        == ["article.published_date: 0% filled, under the threshold 100%"]
    assert "alarms" not in completeness.report(raw)["thresholds"]


def test_the_summary_lists_ten_alarms_then_how_many_more():
    alarms = [Alarm("type_changed", url(f"/a{n:02}"), "type changé : article → static "
                    "(type changed)") for n in range(13)]
    with cli.console.capture() as captured:
        cli._print_alarms(alarms)
    lines = captured.get().splitlines()
    assert "13 alarme(s) de dérive (drift alarms)" in lines[0]
    assert [line for line in lines if line.startswith("⚠ ")] == [
        f"⚠ {url(f'/a{n:02}')} : type changé : article → static (type changed)"
        for n in range(10)]
    assert "… et 3 de plus (and 3 more)" in lines


# --- the build, on real crawls of the replica ----------------------------------------------------

class UnprintedDate(date):
    """A date the replica's templates no longer print: neither the date line nor any machine
    readable form (the CMS template of one article dropped it), while the article keeps its
    place in the listings, which sort by the date."""

    def strftime(self, layout: str) -> str:
        return "" if layout == "%d %m %Y" else super().strftime(layout)

    def isoformat(self) -> str:
        return ""


def stop_printing_the_date(replica_site: ReplicaSite, slug: str) -> None:
    entry = replica_site.article(slug)
    with replica_site.lock:
        entry.date = UnprintedDate(entry.date.year, entry.date.month, entry.date.day)
        entry.modified = replica_site.clock()  # the sitemap's lastmod: the crawl fetches it again
        replica_site.revision += 1


@dataclass
class Recrawled:
    changed: Path  # crawled, then crawled again after one article lost its date line
    unchanged: Path  # crawled twice with nothing changed
    undated: str  # the URL of that article
    news: str  # the URL of the news listing

    def out(self, name: str) -> Path:
        return self.changed.parent.parent / "out" / name


@pytest.fixture(scope="module")
def recrawled(tmp_path_factory) -> Recrawled:
    base = tmp_path_factory.mktemp("drift")
    changed, unchanged = base / "changed" / "archive", base / "unchanged" / "archive"
    with ReplicaServer(port=0) as server:
        run_cli("crawl", "--site-url", server.url, "--archive", str(changed))
        shutil.copytree(changed, unchanged)
        run_cli("crawl", "--site-url", server.url, "--archive", str(unchanged))
        slug = server.site.articles()[5].slug
        stop_printing_the_date(server.site, slug)
        run_cli("crawl", "--site-url", server.url, "--archive", str(changed))
        return Recrawled(changed, unchanged, server.url + slug, server.url + "actualites")


def quality(out: Path) -> dict:
    return json.loads((out / "quality.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_an_archive_crawled_twice_unchanged_raises_no_alarm(recrawled):
    out = recrawled.out("unchanged")
    report = build(recrawled.unchanged, out, strict=True)
    assert len(report.run_ids) == 2 and report.alarms == []
    assert quality(out)["alarms"] == []
    assert quality(out)["alarm_settings"] == {"type_share_points": 0.1,
                                              "type_share_min_pages": 5}


@pytest.mark.slow
def test_an_article_that_lost_its_date_line_alarms_in_the_build(recrawled):
    out = recrawled.out("changed")
    report = build(recrawled.changed, out)
    assert len(report.run_ids) == 2
    assert kinds(report.alarms) == [("type_changed", recrawled.undated),
                                    ("listed_not_article", recrawled.undated)]
    changed, listed = report.alarms
    assert changed.details["type_before"] == "article"
    assert changed.details["type_after"] == "static"
    assert changed.details["run_before"] == report.run_ids[0]
    assert changed.details["run_after"] == report.run_ids[1]
    assert listed.details["listing"] == recrawled.news
    written = quality(out)
    assert written["alarms"] == [alarm.to_dict() for alarm in report.alarms]
    assert {"pages", "completeness", "thresholds", "failures"} <= set(written)


@pytest.mark.slow
def test_strict_fails_on_an_alarm_with_one_line(recrawled):
    out = recrawled.out("strict")
    with pytest.raises(BuildError) as failure:
        build(recrawled.changed, out, strict=True)
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("2 alarme(s) de dérive (drift alarms): ")
    assert f"{recrawled.undated} : type changé : article → static" in message
    assert not out.exists(), "a failed build must not write its outputs"

    result = CliRunner().invoke(main, ["build", "--archive", str(recrawled.changed),
                                       "--out", str(out), "--strict"])
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: 2 alarme(s) de dérive (drift alarms)")
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_the_build_summary_prints_the_alarms(recrawled):
    result = CliRunner().invoke(main, ["build", "--archive", str(recrawled.changed),
                                       "--out", str(recrawled.out("cli"))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("2 alarme(s) de dérive (drift alarms)" in line for line in lines)
    assert any(line.startswith(f"⚠ {recrawled.undated} : type changé : article → static "
                               "(type changed)") for line in lines)
    assert any(f"{recrawled.undated} : liée comme actualité" in line for line in lines)

    quiet = CliRunner().invoke(main, ["build", "--archive", str(recrawled.unchanged),
                                      "--out", str(recrawled.out("cli-quiet"))])
    assert quiet.exit_code == 0, quiet.output
    assert "aucune alarme de dérive (no drift alarm)" in quiet.output
