"""What an unattended crawl and build tell cron, on real loopback sites and real damaged files:
the exit code (0 finished, 1 failed, 3 partial, 130 interrupted), one line that says why, a run
record (``runs/<id>.json``) and a ``crawl_runs`` row that say the same as the report, and every
good page kept whatever went wrong around it."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, free_port, measured_argv, peak_mb, run_cli, run_cli_measured
from test_faults import MAX_PEAK_MB, _Site, serving

from scoparchive.archive import read_crawl_log
from scoparchive.replica import ReplicaServer

pytestmark = pytest.mark.slow


def _run_record(archive: Path) -> dict:
    (path,) = (archive / "runs").glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _error_line(completed: subprocess.CompletedProcess) -> str:
    lines = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, completed.stderr
    return lines[0]


def _pages(out: Path) -> set[str]:
    (database,) = out.glob("*.db")
    with sqlite3.connect(database) as db:
        return {url for (url,) in db.execute("SELECT url FROM pages WHERE http_status = 200")}


def _crawl_runs(out: Path) -> list[dict]:
    (database,) = out.glob("*.db")
    with sqlite3.connect(database) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM crawl_runs ORDER BY started_at")]


def _report_value(report: str, label: str) -> str:
    """A row of the crawl report's table (``│ label │ value │``)."""
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) >= 3 and cells[1] == label:
            return cells[2]
    raise AssertionError(f"no {label!r} in the report:\n{report}")


@pytest.fixture(scope="module")
def slow_replica():
    """The replica, crawled with a delay so that a crawl can be stopped halfway."""
    server = ReplicaServer(port=0).start()
    yield server
    server.stop()


def _start_crawl(site_url: str, archive: Path, *extra: str,
                 peak_file: Path | None = None) -> subprocess.Popen:
    """`scoparchive crawl` started; with ``peak_file``, it writes its peak memory there when it
    exits (``peak_mb``)."""
    command = ["crawl", "--site-url", site_url, "--archive", str(archive), *extra]
    return subprocess.Popen(
        measured_argv(peak_file, *command) if peak_file else
        [sys.executable, "-m", "scoparchive", *command],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})


def _wait_for_captures(archive: Path, count: int, process: subprocess.Popen) -> None:
    """Until the crawl log holds ``count`` lines (each written as its record is)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the crawl ended before it could be stopped"
        logs = list((archive / "logs").glob("*.jsonl")) if (archive / "logs").is_dir() else []
        if logs and len(logs[0].read_text(encoding="utf-8").splitlines()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the crawl archived nothing in a minute")


# --- interrupted, killed ----------------------------------------------------------------------

def test_ctrl_c_exits_130_with_the_resume_hint_and_resume_finishes(slow_replica, tmp_path,
                                                                    built_replica):
    archive, out = tmp_path / "archive", tmp_path / "out"
    crawl = _start_crawl(slow_replica.url, archive, "--delay", "0.1",
                         peak_file=tmp_path / "peak")
    _wait_for_captures(archive, 10, crawl)
    crawl.send_signal(signal.SIGINT)
    _, stderr = crawl.communicate(timeout=60)
    assert crawl.returncode == 130, stderr
    assert peak_mb(tmp_path / "peak") < MAX_PEAK_MB
    (hint,) = [line for line in stderr.splitlines() if "--resume" in line]
    assert "interrupted" in hint and "Traceback" not in stderr
    assert _run_record(archive)["status"] == "interrupted"

    resumed = run_cli("crawl", "--archive", str(archive), "--resume")
    assert "finished" in resumed.stderr
    record = _run_record(archive)
    assert (record["status"], record["resumed"]) == ("finished", 1)
    run_cli("build", "--archive", str(archive), "--out", str(out))
    assert _pages(out) == {url.replace(built_replica.replica.url, slow_replica.url)
                           for url in _pages(built_replica.out)}


def test_kill_9_then_build_reads_what_the_killed_crawl_wrote(slow_replica, tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    crawl = _start_crawl(slow_replica.url, archive, "--delay", "0.1")
    _wait_for_captures(archive, 20, crawl)
    with open(f"/proc/{crawl.pid}/status") as status:  # the peak so far: no exit to tell it
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    assert peak / 1024 < MAX_PEAK_MB
    crawl.kill()
    crawl.communicate(timeout=30)
    (left_open,) = archive.glob("*.warc.gz.open")
    assert _run_record(archive)["status"] == "running"

    built, peak = run_cli_measured("build", "--archive", str(archive), "--out", str(out))
    assert built.returncode == 0, built.stderr
    assert peak < MAX_PEAK_MB
    told = [line for line in built.stderr.splitlines() if left_open.name in line]
    assert len(told) == 1 and "--resume" in told[0], built.stderr
    assert len(_pages(out)) >= 3  # the pages archived before the kill

    resumed = run_cli("crawl", "--archive", str(archive), "--resume")
    assert not list(archive.glob("*.open"))
    rebuilt = run_cli("build", "--archive", str(archive), "--out", str(out))
    assert left_open.name not in rebuilt.stderr
    record = _run_record(archive)
    assert record["status"] == "finished"
    # The killed part is counted too: its record never got its counts, its crawl log has them.
    (log,) = (archive / "logs").glob("*.jsonl")
    fetched = [entry for entry in read_crawl_log(log)
               if entry.get("record_type") in ("response", "revisit")]
    this_part = int(_report_value(resumed.stdout + resumed.stderr, "responses received"))
    assert record["responses"] == len(fetched) > this_part
    (run,) = _crawl_runs(out)
    assert run["responses"] == record["responses"]


# --- damaged archives -------------------------------------------------------------------------

def test_damaged_and_stray_files_cost_only_themselves(built_replica, tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    shutil.copytree(built_replica.archive, archive, ignore=shutil.ignore_patterns(".cache"))
    (warc,) = archive.glob("*.warc.gz")
    whole = _pages(built_replica.out)
    # A copy cut at two thirds (a disk that filled up, a transfer that stopped), a stray file
    # with a WARC name and a folder with one.
    cut = archive / warc.name.replace("-00000.", "-00001.")
    data = warc.read_bytes()
    cut.write_bytes(data[:len(data) * 2 // 3])
    # A copy with one byte flipped halfway (a bad sector, a bit rot).
    flipped = archive / warc.name.replace("-00000.", "-00002.")
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1:])
    (archive / "notes.warc.gz").write_text("pas une archive\n")
    (archive / "dossier.warc.gz").mkdir()

    built, peak = run_cli_measured("build", "--archive", str(archive), "--out", str(out))
    assert built.returncode == 3, built.stderr
    assert peak < MAX_PEAK_MB
    warnings = [line for line in built.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 4, built.stderr
    (cut_line,) = [line for line in warnings if cut.name in line]
    assert "at offset" in cut_line and "capture(s) before it kept" in cut_line
    (flipped_line,) = [line for line in warnings if flipped.name in line]
    assert "byte(s) skipped, reading went on after it" in flipped_line
    assert any("notes.warc.gz" in line and "nothing read" in line for line in warnings)
    assert any("dossier.warc.gz: not a file" in line for line in warnings)
    assert "partial:" in built.stderr and "Traceback" not in built.stderr
    assert _pages(out) == whole  # the whole file holds every page

    # Alone, the file with a flipped byte loses the page whose record holds it, at most.
    alone = tmp_path / "flipped-alone"
    alone.mkdir()
    shutil.copy(flipped, alone / warc.name)
    built, peak = run_cli_measured("build", "--archive", str(alone), "--out", str(out))
    assert built.returncode == 3 and peak < MAX_PEAK_MB, built.stderr
    assert len(whole - _pages(out)) <= 1 and _pages(out) <= whole

    strict = run_cli("build", "--archive", str(archive), "--out", str(tmp_path / "strict"),
                     "--strict", check=False)
    assert strict.returncode == 1
    assert "dossier.warc.gz" in _error_line(strict)

    # A crawl into that archive still works, and says what it could not read of it.
    with serving(_Pages) as (site_url, _):
        crawled = run_cli("crawl", "--site-url", site_url, "--archive", str(archive),
                          check=False)
    assert crawled.returncode == 3, crawled.stderr
    assert "could not be reached" not in crawled.stderr
    record = max((json.loads(path.read_text()) for path in (archive / "runs").glob("*.json")),
                 key=lambda run: run["started_at"])
    assert record["status"] == "partial"
    assert "damaged archive file(s)" in record["message"]


# --- what a crawl tells cron ------------------------------------------------------------------

class _Pages(_Site):
    """Three pages and a robots.txt that allows them."""

    def answer(self, path):
        if path == "/robots.txt":
            return 200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}
        if path in ("/", "/a", "/b"):
            return 200, (b'<html><body><h1>Page</h1><a href="/a">a</a> <a href="/b">b</a> '
                         b'<a href="/casse">casse</a></body></html>'), {}
        if path == "/casse":
            return self.broken()
        return 404, b"", {}

    def broken(self):
        return 200, b"<html><body><h1>Pas cass\xc3\xa9e</h1></body></html>", {}


class _OnePageBroken(_Pages):
    def broken(self):
        return 500, b"<html><body>Erreur interne</body></html>", {}


class _AllBroken(_Site):
    def answer(self, path):
        if path == "/robots.txt":
            return 404, b"", {"Content-Type": "text/plain"}
        return 500, b"<html><body>Erreur interne</body></html>", {}


class _AllForbidden(_Site):
    def answer(self, path):
        if path == "/robots.txt":
            return 200, b"User-agent: *\nDisallow: /\n", {"Content-Type": "text/plain"}
        return 200, b"<html><body>Interdit aux robots</body></html>", {}


NO_RETRY = ("-s", "RETRY_TIMES=0")


def test_a_finished_crawl_says_the_same_in_report_record_and_crawl_runs(tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    with serving(_Pages) as (site_url, _):
        first = run_cli("crawl", "--site-url", site_url, "--archive", str(archive))
    with serving(_OnePageBroken) as (site_url_2, _):
        # The same archive, another port: a run of another site, with one server error.
        second = run_cli("crawl", "--site-url", site_url_2, "--archive", str(archive),
                         *NO_RETRY, check=False)
    assert second.returncode == 3, second.stderr
    assert "partial:" in second.stderr and "1 request(s) given up" in second.stderr
    run_cli("build", "--archive", str(archive), "--out", str(out))
    records = sorted((json.loads(path.read_text()) for path in (archive / "runs").glob("*.json")),
                     key=lambda run: run["started_at"])
    rows = _crawl_runs(out)
    assert [row["id"] for row in rows] == [record["run_id"] for record in records]
    for report, record, row in zip((first, second), records, rows, strict=True):
        text = report.stdout + report.stderr
        assert int(_report_value(text, "responses received")) == record["responses"] \
            == row["responses"]
        assert int(_report_value(text, "errors (5xx or no answer)")) == record["errors"] \
            == row["errors"]
        assert int(_report_value(text, "pages fetched")) == row["pages_fetched"]
        assert _report_value(text, "status") == record["status"] == row["status"]
    assert [row["status"] for row in rows] == ["finished", "partial"]
    assert rows[1]["errors"] == 1


@pytest.mark.parametrize(("site", "expected"), [
    (None, "could not be reached"),
    (_AllBroken, "answered only server errors"),
    (_AllForbidden, "robots.txt interdit tout"),
])
def test_a_crawl_with_nothing_usable_fails_with_exit_1(site, expected, tmp_path):
    archive = tmp_path / "archive"
    if site is None:
        completed, peak = run_cli_measured(
            "crawl", "--site-url", f"http://127.0.0.1:{free_port()}/", "--archive",
            str(archive), *NO_RETRY)
    else:
        with serving(site) as (site_url, _):
            completed, peak = run_cli_measured("crawl", "--site-url", site_url, "--archive",
                                               str(archive), *NO_RETRY)
    assert completed.returncode == 1, completed.stderr
    assert expected in _error_line(completed)
    assert "Traceback" not in completed.stderr
    assert peak < MAX_PEAK_MB
    assert _run_record(archive)["status"] == "failed"


# --- a full disk ------------------------------------------------------------------------------

def _limited(*args: str, max_file_bytes: int) -> tuple[subprocess.CompletedProcess, float]:
    """`scoparchive ARGS` unable to grow any file past ``max_file_bytes``: writes past it fail
    as on a full disk (Python ignores SIGXFSZ: the write gets EFBIG). With its peak memory."""
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return run_cli_measured(*args, preexec_fn=limit)


def test_a_full_disk_stops_the_crawl_and_the_build_keeps_the_previous_one(slow_replica,
                                                                          tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    crawled, peak = _limited("crawl", "--site-url", slow_replica.url, "--archive",
                             str(archive), max_file_bytes=60_000)
    assert crawled.returncode == 1, crawled.stderr
    assert peak < MAX_PEAK_MB
    assert "cannot write the archive" in _error_line(crawled)
    assert "Traceback" not in crawled.stderr
    assert _run_record(archive)["status"] == "failed"
    # What was written before is read (up to the last whole record) and resumed.
    run_cli("build", "--archive", str(archive), "--out", str(out))
    kept = _pages(out)
    assert kept
    database = next(out.glob("*.db")).resolve()

    rebuilt, peak = _limited("build", "--archive", str(archive), "--out", str(out),
                             "--no-cache", max_file_bytes=20_000)
    assert rebuilt.returncode == 1, rebuilt.stderr
    assert peak < MAX_PEAK_MB
    assert "the previous build is kept" in _error_line(rebuilt)
    assert next(out.glob("*.db")).resolve() == database and _pages(out) == kept

    resumed = run_cli("crawl", "--archive", str(archive), "--resume")
    assert "Traceback" not in resumed.stderr
    assert _run_record(archive)["status"] == "finished"
