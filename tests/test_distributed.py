"""A distributed crawl on a real Redis (the tests' own, ``redis_url`` in conftest.py) and real
loopback sites: two replica sites (the union's and a sister union's), two `scoparchive crawl
--redis` workers, each into its own archive; the first killed with SIGKILL mid-crawl, with
requests in flight, then started again with ``--resume``.

Whatever the kill cost, the two archives together hold every page a crawl of one process finds,
none downloaded twice with status 200, and the commands exit as usual."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from conftest import REPO, run_cli
from warcio.archiveiterator import ArchiveIterator

from scoparchive.archive import ArchiveReader
from scoparchive.archive.naming import make_name, parse_name, worker_of, worker_prefix
from scoparchive.crawling.distributed import default_worker_id, shown_url
from scoparchive.replica import ReplicaServer
from scoparchive.schema import TABLES

#: Each answer of the replicas waits this long during the distributed crawl, so that the
#: workers always have requests in flight when one is killed.
ANSWER_DELAY = 0.2
#: Seconds without a heartbeat after which a worker is taken for dead (30 by default).
WORKER_TIMEOUT = "2"


@pytest.fixture(scope="module")
def sites():
    union = ReplicaServer(port=0).start()
    sister = ReplicaServer(port=0, profile="les-scop-ouest").start()
    yield union, sister
    union.stop()
    sister.stop()


def site_args(union: ReplicaServer, sister: ReplicaServer) -> list[str]:
    return ["--site-url", f"les-scop-idf={union.url}", "--site-url", f"les-scop-ouest={sister.url}"]


def start_worker(archive: Path, *args: str) -> subprocess.Popen:
    """`scoparchive crawl ARGS --archive ARCHIVE`, running."""
    return subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "crawl", "--archive", str(archive), *args,
         "-s", f"REDIS_WORKER_TIMEOUT={WORKER_TIMEOUT}", "-s", "RETRY_BACKOFF_BASE=0.05"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})


def captures_200(archive: Path) -> list[str]:
    return [capture.url for capture in ArchiveReader(archive).captures(bodies=False)
            if capture.status == 200]


def run_record(archive: Path) -> dict:
    (path,) = (archive / "runs").glob("*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def wait_until(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s in vain for {what}")
        time.sleep(0.02)


def crawl_log_lines(archive: Path) -> int:
    logs = list((archive / "logs").glob("*.jsonl")) if (archive / "logs").is_dir() else []
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in logs)


@dataclass
class DistributedRun:
    union: ReplicaServer
    sister: ReplicaServer
    #: The archive of the crawl of one process, and those of the two workers.
    single: Path
    first: Path
    second: Path
    #: The first worker's output when it was started again with --resume, the second's.
    resumed: subprocess.CompletedProcess
    other: subprocess.CompletedProcess
    killed_returncode: int
    #: Requests the first worker had in flight when it was killed.
    in_flight_at_kill: int


@pytest.fixture(scope="module")
def distributed_run(sites, redis_url, tmp_path_factory) -> DistributedRun:
    union, sister = sites
    base = tmp_path_factory.mktemp("distributed")
    single, first, second = base / "single", base / "first", base / "second"
    run_cli("crawl", *site_args(union, sister), "--archive", str(single))

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    faults = [server.add_fault("*", status=None, times=None, delay=ANSWER_DELAY)
              for server in (union, sister)]
    try:
        worker = start_worker(first, *site_args(union, sister), "--redis", redis_url,
                              "--worker-id", "first")
        other = start_worker(second, *site_args(union, sister), "--redis", redis_url)

        def in_flight() -> int:
            return sum(client.hlen(key) for key in client.scan_iter("scoparchive:*:inflight:first"))

        # Killed once it has archived some answers and has requests in flight.
        wait_until(lambda: crawl_log_lines(first) >= 10 and in_flight() > 0,
                   "the first worker to archive 10 answers")
        held = in_flight()
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert other.poll() is None, "the crawl ended before the first worker was killed"
        # The second worker sees it dead and queues its requests again, archived ones aside.
        wait_until(lambda: in_flight() == 0, "the second worker to take the killed one's "
                   "requests back", timeout=20)
        resumed = run_cli("crawl", "--archive", str(first), "--resume", "-s",
                          f"REDIS_WORKER_TIMEOUT={WORKER_TIMEOUT}", check=False, timeout=120)
        out, err = other.communicate(timeout=120)
        other_done = subprocess.CompletedProcess(other.args, other.returncode, out, err)
    finally:
        for server, fault in zip((union, sister), faults, strict=True):
            server.faults.remove(fault)
        client.close()
    return DistributedRun(union, sister, single, first, second, resumed, other_done,
                          worker.returncode, held)


@pytest.mark.slow
def test_a_worker_killed_then_resumed_loses_nothing_and_downloads_nothing_twice(
        distributed_run):
    run = distributed_run
    assert run.killed_returncode == -signal.SIGKILL
    assert run.in_flight_at_kill > 0
    assert run.resumed.returncode == 0, run.resumed.stderr
    assert run.other.returncode == 0, run.other.stderr
    assert "Traceback" not in run.resumed.stderr + run.other.stderr
    assert "first ne répond plus" in run.other.stderr, "the second worker saw nothing"

    single = set(captures_200(run.single))
    both = captures_200(run.first) + captures_200(run.second)
    assert single <= set(both), sorted(single - set(both))
    twice = [url for url, count in Counter(both).items() if count > 1]
    assert twice == [], twice
    # Both sites are in the union of the archives, from both workers' hands.
    for server in (run.union, run.sister):
        assert any(url.startswith(server.url) for url in captures_200(run.first))
        assert any(url.startswith(server.url) for url in captures_200(run.second))


@pytest.mark.slow
def test_both_workers_record_one_run_of_both_sites(distributed_run):
    run = distributed_run
    first, second = run_record(run.first), run_record(run.second)
    assert first["run_id"] == second["run_id"]
    assert (first["status"], second["status"]) == ("finished", "finished")
    assert first["resumed"] == 1
    sites = {"les-scop-idf": run.union.url, "les-scop-ouest": run.sister.url}
    assert first["sites"] == second["sites"] == sites
    assert first["worker"] == "first" and second["worker"] not in (None, "first")
    assert first["redis_url"] == second["redis_url"]
    for archive, record in ((run.first, first), (run.second, second)):
        files = ArchiveReader(archive).warc_files()
        assert files and all(f".{record['worker']}-" in path.name for path in files)
        with files[0].open("rb") as stream:
            info = next(iter(ArchiveIterator(stream))).content_stream().read().decode()
        assert (f"scoparchive-sites: les-scop-idf={run.union.url} "
                f"les-scop-ouest={run.sister.url}") in info
        assert f"scoparchive-worker: {record['worker']}" in info


@pytest.mark.slow
def test_the_build_over_both_workers_archives_holds_every_page_with_its_site(
        distributed_run, single_build, tmp_path):
    """The issue's end: ``build --archive A --archive B`` of the two workers' archives holds
    every page the build of the one-process crawl holds, each once, with its site."""
    run = distributed_run
    both = tmp_path / "both"
    built = run_cli("build", "--archive", str(run.first), "--archive", str(run.second),
                    "--out", str(both), check=False)
    assert built.returncode == 0, built.stderr
    expected_site = {run.union.url: "les-scop-idf", run.sister.url: "les-scop-ouest"}

    def site_of(url: str) -> str:
        return next(name for prefix, name in expected_site.items() if url.startswith(prefix))

    with sqlite3.connect(database_in(both)) as db, sqlite3.connect(single_build) as one:
        pages = dict(db.execute("SELECT url, site FROM pages"))
        assert set(pages) == {url for (url,) in one.execute("SELECT url FROM pages")}
        assert db.execute("SELECT count(*) FROM pages").fetchone()[0] == len(pages)
        assert {url: site_of(url) for url in pages} == pages
        assert set(pages.values()) == set(expected_site.values())
        assert (db.execute("SELECT count(*) FROM articles").fetchone()
                == one.execute("SELECT count(*) FROM articles").fetchone())
        for table in TABLES:
            # Reference data (departments) names the union covering each department, and
            # none for the departments no union of the network covers (schema.py says so).
            if table.name == "departments":
                continue
            missing = db.execute(
                f'SELECT count(*) FROM "{table.name}" WHERE site IS NULL').fetchone()[0]
            assert missing == 0, table.name
        # One run, though two workers wrote it.
        assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1


@pytest.mark.slow
def test_a_distributed_recrawl_stays_incremental_and_builds_the_same_pages(
        distributed_run, single_build, redis_url, tmp_path):
    """The next run, on the sites unchanged, by the first worker alone (a copy of its archive),
    before any other worker has joined to seed its own archive's validators: what the last run
    left in Redis is enough for every page the second worker archived to be asked
    conditionally, and its 304 is stored as a revisit whose payload lies in the second's
    archive. The build over both archives still gives every page its content."""
    run = distributed_run
    first = tmp_path / "first"
    shutil.copytree(run.first, first)
    again = run_cli("crawl", *site_args(run.union, run.sister), "--archive", str(first),
                    "--redis", redis_url, check=False)
    assert again.returncode == 0, again.stderr
    fetched_again = len(captures_200(first)) - len(captures_200(run.first))
    # As incremental as a recrawl by one process: robots.txt, the sitemaps and the answers
    # without validators come again, whichever archive holds them; no more.
    alone = tmp_path / "alone"
    shutil.copytree(run.single, alone)
    run_cli("crawl", *site_args(run.union, run.sister), "--archive", str(alone))
    fetched_again_alone = len(captures_200(alone)) - len(captures_200(run.single))
    assert 0 < fetched_again <= fetched_again_alone, (fetched_again, fetched_again_alone)

    out = tmp_path / "both"
    built = run_cli("build", "--archive", str(first), "--archive", str(run.second),
                    "--out", str(out), check=False)
    assert built.returncode == 0, built.stderr
    with sqlite3.connect(database_in(out)) as db, sqlite3.connect(single_build) as one:
        query = "SELECT url, title, body_text FROM articles ORDER BY url"
        assert db.execute(query).fetchall() == one.execute(query).fetchall()
        assert db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 2
        # Nothing changed on the site: one version of each page, however many captures.
        assert db.execute("SELECT max(version_count) FROM pages").fetchone()[0] == 1


@pytest.fixture(scope="module")
def single_build(distributed_run, tmp_path_factory) -> Path:
    """The database built from the one-process crawl, to compare the workers' builds with."""
    out = tmp_path_factory.mktemp("single") / "datasets"
    assert run_cli("build", "--archive", str(distributed_run.single), "--out", str(out),
                   check=False).returncode == 0
    return database_in(out)


def database_in(out: Path) -> Path:
    databases = sorted(out.glob("*.db"))
    assert len(databases) == 1, databases
    return databases[0]


@pytest.mark.slow
def test_the_next_crawl_of_the_same_sites_is_a_new_run(distributed_run, redis_url, tmp_path):
    """The run ended with the crawl: a worker started afterwards starts the next run instead
    of joining one that is over."""
    run = distributed_run
    before = len(run.union.request_log) + len(run.sister.request_log)
    late = run_cli("crawl", *site_args(run.union, run.sister), "--archive", str(tmp_path / "late"),
                   "--redis", redis_url, "--max-pages", "3")
    assert late.returncode == 0
    record = run_record(tmp_path / "late")
    assert record["run_id"] != run_record(run.first)["run_id"], "a new run"
    assert len(run.union.request_log) + len(run.sister.request_log) > before


@pytest.mark.slow
def test_the_delay_holds_per_host_for_the_crawl_as_a_whole(redis_url, tmp_path):
    """Two workers crawling one host: the host sees the delay between any two of its requests,
    not each worker's requests spaced on their own."""
    delay = 0.3
    with ReplicaServer(port=0) as server:
        workers = [start_worker(tmp_path / name, "--site-url", server.url, "--redis", redis_url,
                                "--delay", str(delay), "--max-pages", "6")
                   for name in ("a", "b")]
        for worker in workers:
            _, stderr = worker.communicate(timeout=120)
            assert worker.returncode == 0, stderr
        arrivals = [entry.time for entry in server.request_log]
    assert all(captures_200(tmp_path / name) for name in ("a", "b")), "one worker did all"
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert len(gaps) >= 8 and min(gaps) >= delay * 0.9, gaps


# --- names, without Redis ----------------------------------------------------------------------

def test_a_workers_files_are_named_after_it_and_read_back(tmp_path):
    from datetime import UTC, datetime

    name = make_name(worker_prefix("vm-3f2a9c01"), datetime(2026, 12, 6, tzinfo=UTC),
                     "20261206T080000000000Z", 3)
    assert name.filename.startswith("scoparchive.vm-3f2a9c01-20261206000000-")
    assert worker_of(parse_name(name.filename)) == "vm-3f2a9c01"
    assert worker_of(parse_name(make_name(worker_prefix(None), datetime.now(UTC), "r1",
                                          0).filename)) is None
    with pytest.raises(ValueError):
        worker_prefix("two words")


def test_the_default_worker_id_is_stable_per_archive_folder(tmp_path):
    first = default_worker_id(tmp_path / "a")
    assert first == default_worker_id(tmp_path / "a")
    assert first != default_worker_id(tmp_path / "b")


def test_the_redis_password_is_never_recorded():
    assert shown_url("redis://:s3cret@10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"
    assert shown_url("redis://user:s3cret@10.0.0.5/1") == "redis://user@10.0.0.5/1"
    assert shown_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
