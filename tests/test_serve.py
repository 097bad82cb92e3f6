"""`scoparchive serve`: a real Datasette on a loopback port, over a copy of the shared build. It
follows a new build without a restart, and bounds what one query may cost (time, size, memory),
refuses the SQL functions that have no business on a public server, and never shows where the
database lies."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, free_port, get_json, wait_for_http

from scoparchive.dataset.build import _swap_in  # the build's own swap of the `out` link
from scoparchive.publishing import plugin
from scoparchive.publishing.server import SETTINGS

#: What the server's peak resident memory must stay under, whatever the queries.
PEAK_MB = 400
TIME_LIMIT = SETTINGS["sql_time_limit_ms"] / 1000
SWITCHED = "nouvelle construction servie (now serving the new build): {}"


@dataclass
class Served:
    url: str
    process: subprocess.Popen
    out: Path  # the link, as build.py makes it
    builds: Path  # the folder of the build folders
    log: Path
    name: str  # Datasette's name of the database

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_serving(out: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "scoparchive", "serve", "--out", str(out), "--port", str(port)],
            cwd=REPO, stdout=log_file, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/-/versions.json")
    return process, url


@pytest.fixture(scope="module")
def served(built_replica, tmp_path_factory):
    """`scoparchive serve` over ``out``, a link to a copy of the shared build, laid out as
    build.py lays it out: the tests swap new builds in."""
    base = tmp_path_factory.mktemp("serve")
    builds = base / ".out.builds"
    first = builds / "first"
    shutil.copytree(built_replica.out.resolve(), first)
    out = base / "out"
    _swap_in(first, out)
    log = base / "serve.log"
    process, url = start_serving(out, log)
    try:
        yield Served(url, process, out, builds, log, built_replica.database.stem)
    finally:
        process.terminate()
        process.wait(timeout=30)


def request(url: str, timeout: float = 30) -> tuple[int, str, float]:
    """Status, body and seconds of a GET, whatever the status."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    return status, body.decode("utf-8", errors="replace"), time.monotonic() - started


def run_sql(served: Served, sql: str) -> tuple[int, dict, float]:
    """Status, JSON and seconds of an arbitrary query."""
    query = urllib.parse.urlencode({"sql": sql})
    status, body, seconds = request(f"{served.url}/{served.name}.json?{query}")
    return status, json.loads(body), seconds


def peak_mb(process: subprocess.Popen) -> float:
    """The peak resident memory of ``process`` so far (VmHWM), in MB."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)[1]) / 1024


def open_files_under(process: subprocess.Popen, folder: Path) -> list[str]:
    """The files under ``folder`` (or deleted from it) that ``process`` holds open."""
    held = []
    fd_dir = Path(f"/proc/{process.pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed meanwhile
        if target.startswith(str(folder.resolve())):
            held.append(target)
    return held


def wait_until(condition, timeout: float = 15, message: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message or "timed out"
        time.sleep(0.1)


def first_title(served: Served) -> str:
    status, data, _ = run_sql(served, "select title from articles order by url limit 1")
    assert status == 200, data
    return data["rows"][0][0]


def copy_build(served: Served, name: str, title: str) -> Path:
    """A new build folder: the served one with the first article's title and the site's title
    changed, its files written before the link points at it, as build.py does."""
    folder = served.builds / name
    shutil.copytree(served.out.resolve(), folder)
    database = folder / f"{served.name}.db"
    with sqlite3.connect(database) as db:
        db.execute("update articles set title = ? where url = (select min(url) from articles)",
                   (title,))
    db.close()
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    metadata["title"] = title
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


# --- serve follows the build -------------------------------------------------------------------

def test_a_new_build_is_served_without_a_restart(served):
    old_build = served.out.resolve()
    old_title = first_title(served)
    failures: list[str] = []
    answers: list[str] = []
    stop = threading.Event()

    def keep_asking():
        """Tables, facets, search and SQL without a pause, across the switch and the deletion
        of the old build."""
        name = served.name
        paths = [f"/{name}/articles.json?_shape=array&_size=max",
                 f"/{name}/initiatives.json?_facet=department",
                 f"/{name}/articles.json?_search=cooperative",
                 f"/{name}.json?" + urllib.parse.urlencode(
                     {"sql": "with recursive c(x) as (select 1 union all select x + 1 from c "
                             "where x < 200000) select count(*), (select title from articles "
                             "order by url limit 1) from c"}),
                 "/"]
        while not stop.is_set():
            for path in paths:
                status, body, _ = request(served.url + path)
                if status != 200:
                    failures.append(f"{status} {path}: {body[:300]}")
                elif "with+recursive" in path:
                    answers.append(json.loads(body)["rows"][0][1])

    workers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: old_title in answers, message=f"no answer before the switch: {failures}")
        new_build = copy_build(served, "second", "Titre de la nouvelle construction")
        _swap_in(new_build, served.out)
        wait_until(lambda: SWITCHED.format("second") in served.log_text(),
                   message="no line in the log says the new build is served")
        wait_until(lambda: first_title(served) == "Titre de la nouvelle construction",
                   message="the new build's data is not served")
        assert get_json(served.url + "/-/metadata.json")["title"] \
            == "Titre de la nouvelle construction"
        # The old pool's threads have ended and their connections to the old build are closed:
        # deleting it, as the next build would, frees its files.
        wait_until(lambda: not open_files_under(served.process, old_build),
                   message=f"the old build is still open: "
                           f"{open_files_under(served.process, old_build)}")
        shutil.rmtree(old_build)
        answered = len(answers)
        wait_until(lambda: len(answers) > answered + 3, message="no answer after the deletion")
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    assert not failures, failures[:5]
    assert set(answers) == {old_title, "Titre de la nouvelle construction"}, set(answers)
    assert first_title(served) == "Titre de la nouvelle construction"
    assert served.log_text().count(SWITCHED.format("second")) == 1
    status, _, _ = request(f"{served.url}/{served.name}/articles")
    assert status == 200


def test_an_unreadable_build_leaves_the_last_one_served(served):
    title = first_title(served)
    broken = served.builds / "broken"
    broken.mkdir()
    (broken / "metadata.json").write_text("{}", encoding="utf-8")  # and no database
    previous = served.out.resolve()
    _swap_in(broken, served.out)
    try:
        wait_until(lambda: "construction illisible" in served.log_text(),
                   message="no warning for a build without a database")
        assert first_title(served) == title
    finally:
        _swap_in(previous, served.out)


# --- what one query may cost -------------------------------------------------------------------

@pytest.mark.parametrize("sql", [
    "select randomblob(2000000000)",
    "select randomblob(100000000)",  # under SQLite's own limit (1e9), over ours
    "select length(zeroblob(2000000000))",
    "select hex(zeroblob(100000000))",
])
def test_huge_blobs_are_refused_at_once(served, sql):
    status, data, seconds = run_sql(served, sql)
    assert status == 400
    assert data["error"] == "string or blob too big"
    assert seconds < 1
    assert peak_mb(served.process) < PEAK_MB


@pytest.mark.parametrize("sql", [
    "select fts3_tokenizer('simple')",
    "select hex(fts3_tokenizer('evil', x'4141414141414141'))",
    "select load_extension('/tmp/nothing.so')",
])
def test_denied_functions_are_refused(served, sql):
    status, data, seconds = run_sql(served, sql)
    assert status == 400
    assert data["error"].startswith("not authorized to use function: ")
    assert seconds < 1


def test_a_runaway_query_is_interrupted_at_the_time_limit(served):
    status, data, seconds = run_sql(
        served, "with recursive c(x) as (select 1 union all select x + 1 from c) "
                "select count(*) from c")
    assert status == 400
    assert "SQL query took too long" in data["error"]
    assert TIME_LIMIT - 0.1 < seconds < TIME_LIMIT + 1.5


def test_a_result_too_large_for_memory_is_refused(served):
    # A thousand values of 10 MB, each made in a few milliseconds: 10 GB before the time limit.
    status, data, seconds = run_sql(
        served, "with recursive c(x) as (select 1 union all select x + 1 from c "
                "where x < 1000) select printf('%.*c', 10000000, 'x') from c")
    assert status == 400
    assert data["error"] == plugin.RESULT_TOO_LARGE
    assert "result too large" in data["error"] and "résultat trop volumineux" in data["error"]
    assert seconds < TIME_LIMIT
    assert peak_mb(served.process) < PEAK_MB


def test_sqlite_memory_is_bounded(served):
    # One row of ten values of 30 MB, each under the length limit: 300 MB in SQLite's heap.
    blobs = ", ".join(["zeroblob(30000000)"] * 10)
    status, data, seconds = request(f"{served.url}/{served.name}.json?"
                                    + urllib.parse.urlencode({"sql": f"select {blobs}"}))
    assert status == 400, data
    assert json.loads(data)["error"] == plugin.OUT_OF_MEMORY
    assert seconds < TIME_LIMIT
    assert peak_mb(served.process) < PEAK_MB
    # The HTML page says it too, and the server carries on.
    status, page, _ = request(f"{served.url}/{served.name}?"
                              + urllib.parse.urlencode({"sql": f"select {blobs}"}))
    assert status == 400 and "query refused" in page
    status, _, _ = request(f"{served.url}/{served.name}/articles.json")
    assert status == 200


def test_a_visitors_errors_are_answered_without_a_traceback(served):
    """Datasette's handler prints each error's traceback with every frame's locals, a thousand
    lines that hold the event loop; the errors it raises on purpose are answered without."""
    name = served.name
    for path in ["/nowhere", f"/{name}/nowhere.json", f"/{name}.json?sql=selec",
                 f"/{name}?sql=select+*+from+nowhere", f"/{name}/articles.json?_sort=rowid",
                 f"/{name}/articles?_sort=nowhere"]:
        status, body, seconds = request(served.url + path)
        assert 400 <= status < 600, f"{path}: {status} {body[:200]}"
        assert seconds < 1, f"{path}: {seconds:.1f} s"
    assert "Traceback" not in served.log_text()


# --- where the database lies -------------------------------------------------------------------

def test_no_answer_shows_where_the_database_lies(served, built_replica):
    name = served.name
    paths = ["/-/databases.json", "/.json", f"/{name}.json", f"/{name}/articles.json",
             "/-/metadata.json", "/-/plugins.json", "/-/versions.json", "/-/settings.json",
             "/-/threads.json", "/nowhere.json", f"/{name}/nowhere.json",
             f"/{name}.json?sql=select+*+from+nowhere", f"/{name}.json?sql=selec",
             f"/{name}.json?sql=select+*+from+sqlite_stmt",
             f"/{name}.json?sql=select+*+from+pragma_database_list()", "/", f"/{name}",
             f"/{name}/articles"]
    places = {str(served.out.parent), str(served.out.parent.resolve()),
              str(built_replica.out.parent), str(built_replica.out.parent.resolve()), ".builds"}
    for path in paths:
        _, body, _ = request(served.url + path)
        shown = [place for place in places if place in body]
        assert not shown, f"{path} shows {shown}"
    status, data, _ = run_sql(served, "select name, file from pragma_database_list()")
    assert status == 200 and data["rows"] == [["main", None]]
    (database,) = get_json(served.url + "/-/databases.json")
    assert Path(database["path"]).name == f"{name}.db"


# --- what researchers use still works ----------------------------------------------------------

def test_tables_facets_search_and_canned_queries_answer(served):
    name = served.name
    for path in ["/", f"/{name}", f"/{name}/articles", f"/{name}/initiatives?_facet=department",
                 f"/{name}/articles?_search=cooperative", "/-/search?q=cooperative",
                 f"/{name}/articles.csv?_stream=on", f"/{name}/pages.json?_size=max"]:
        status, body, _ = request(served.url + path)
        assert status == 200, f"{path}: {body[:500]}"
    found = get_json(f"{served.url}/{name}/articles.json?_shape=array&_search=cooperative")
    assert any("coopérative" in (row["body_text"] or "") for row in found)
    facets = get_json(f"{served.url}/{name}/initiatives.json?_facet=department")
    assert facets["facet_results"]["department"]["results"]

    page_url = get_json(f"{served.url}/{name}/pages.json?_shape=array&_size=1")[0]["url"]
    values = {"code": "75", "q": "cooperative", "start": "2000-01-01", "end": "2100-01-01",
              "url": page_url}
    queries = get_json(served.url + "/-/metadata.json")["databases"][name]["queries"]
    assert len(queries) >= 6
    for query_name, query in queries.items():
        parameters = {key: values.get(key, "x")
                      for key in re.findall(r"(?<!:):(\w+)", query["sql"])}
        status, body, _ = request(f"{served.url}/{name}/{query_name}.json?"
                                  + urllib.parse.urlencode(parameters))
        assert status == 200, f"{query_name}: {body[:500]}"
        assert json.loads(body)["ok"], query_name
    searched = get_json(f"{served.url}/{name}/search_everything.json?_shape=array&q=cooperative")
    assert searched


def test_ctrl_c_stops_it_cleanly(built_replica, tmp_path):
    process, url = start_serving(built_replica.out, tmp_path / "serve.log")
    links = Path(get_json(url + "/-/databases.json")[0]["path"]).parent
    assert links.is_dir()
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    log = (tmp_path / "serve.log").read_text()
    assert "Finished server process" in log and "Traceback" not in log
    assert not links.exists(), "the temporary links were left behind"


def test_serving_loads_neither_the_build_nor_the_crawl():
    """The server reads a build folder as files: the build's libraries (Arrow, pandas, the
    parsers) stay out of its memory."""
    code = ("import json, sys; import scoparchive.publishing.server, scoparchive.publishing.plugin; "
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                          text=True, timeout=120, check=True)
    loaded = json.loads(done.stdout)
    assert not [name for name in loaded if name.startswith(
        ("scoparchive.dataset", "scoparchive.crawling", "pyarrow", "pandas", "scrapy"))]
