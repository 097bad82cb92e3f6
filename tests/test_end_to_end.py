"""The whole pipeline on the replica: crawl → WARC → records → Parquet + SQLite → Datasette."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.parse

import pyarrow.parquet as pq
import pytest
from conftest import REPO, free_port, get_json, run_cli, wait_for_http

from scoparchive.archive import ArchiveReader
from scoparchive.schema import TABLES

SEED_INITIATIVES = [
    ("Artefacts et CEFIM", ["45", "37"]),
    ("La cachette de Paris", ["75"]),
    ("Les Maçons parisiens", ["91"]),
    ("Dire le travail", ["75"]),
    ("France Barter", ["75"]),
    ("Groupe Up", ["92"]),
    ("EBS Le Relais Val de Seine", ["78"]),
    ("CEFIM", ["37"]),
    ("La MedNum", ["93"]),
    ("Freebulle", ["37"]),
    ("Mell'Pop", ["45"]),
    ("Plateau urbain", ["75"]),
    ("Ô ptit vrac", ["37"]),
    ("Gâtinais en transition", ["45"]),
    ("NAHé Cosmétiques", ["91"]),
]

pytestmark = pytest.mark.slow


def query(built, sql, *params):
    with sqlite3.connect(built.database) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(sql, params)]


def test_roundup_yields_its_15_initiatives_in_order_with_exact_codes(built_replica):
    url = built_replica.replica.url + "scopetscicsolidaires"
    rows = query(built_replica, "select position, name, departments from initiatives "
                 "where article_url = ? order by position", url)
    assert [(row["name"], json.loads(row["departments"])) for row in rows] == SEED_INITIATIVES
    assert [row["position"] for row in rows] == list(range(1, 16))


def test_every_article_has_a_title_and_a_date(built_replica):
    truth = {built_replica.replica.url + entry.slug: entry
             for entry in built_replica.replica.site.articles()}
    rows = query(built_replica, "select url, title, published_date, published_date_raw "
                 "from articles where page_type != 'legacy_article'")
    by_url = {row["url"]: row for row in rows}
    assert set(truth) <= set(by_url), f"articles missing: {set(truth) - set(by_url)}"
    for url, entry in truth.items():
        row = by_url[url]
        assert row["title"] == entry.title, url
        assert row["published_date"] == entry.date.isoformat(), url
        assert row["published_date_raw"] == entry.date.strftime("%d %m %Y"), url


def test_every_page_of_the_replica_is_a_pages_row(built_replica):
    pages = {row["url"]: row for row in query(built_replica, "select * from pages")}
    base = built_replica.replica.url
    assert base in pages and pages[base]["page_type"] == "home"
    for entry in built_replica.replica.site.articles():
        assert pages[base + entry.slug]["http_status"] == 200
        assert pages[base + entry.slug]["first_seen"] is not None
        assert pages[base + entry.slug]["removed_at"] is None
    assert all(url.startswith(base) for url in pages), "a page outside the site was kept"


def test_the_crawl_stays_in_scope_and_obeys_robots(built_replica):
    requested = [entry.path for entry in built_replica.replica.request_log]
    assert "/robots.txt" in requested
    from scoparchive.replica import DISALLOWED_PATHS

    for disallowed in DISALLOWED_PATHS:
        assert not any(path.startswith(disallowed) for path in requested), disallowed
    user_agents = {entry.headers.get("User-Agent") for entry in built_replica.replica.request_log}
    assert len(user_agents) == 1 and user_agents.pop().startswith("scoparchive/")


def test_the_archive_holds_every_response(built_replica):
    reader = ArchiveReader(built_replica.archive)
    captured = {capture.url for capture in reader.captures(bodies=False)}
    served = {built_replica.replica.url.rstrip("/") + entry.path
              for entry in built_replica.replica.request_log if entry.method == "GET"}
    assert served <= captured
    assert len(reader.runs()) == 1


def test_parquet_files_have_the_schema_types(built_replica):
    for table in TABLES:
        parquet = pq.read_table(built_replica.out / "parquet" / f"{table.name}.parquet")
        assert parquet.schema.remove_metadata().equals(table.arrow_schema().remove_metadata()), \
            table.name
        assert parquet.num_rows == query(built_replica, f"select count(*) as n from {table.name}")[
            0]["n"], table.name
    initiatives = pq.read_table(built_replica.out / "parquet" / "initiatives.parquet")
    assert {"45", "37"} <= {code for codes in initiatives.column("departments").to_pylist()
                            for code in codes}


def test_datapackage_lists_every_table(built_replica):
    package = json.loads((built_replica.out / "datapackage.json").read_text())
    assert [resource["name"] for resource in package["resources"]] == [t.name for t in TABLES]
    for resource in package["resources"]:
        assert (built_replica.out / resource["path"]).is_file()


def test_crawl_runs_counts_the_first_run(built_replica):
    (run,) = query(built_replica, "select * from crawl_runs")
    pages = query(built_replica, "select count(*) as n from pages")[0]["n"]
    assert run["pages_new"] == pages
    assert run["pages_changed"] == run["pages_removed"] == 0
    assert run["pages_fetched"] >= pages


def test_datasette_serves_articles_and_initiatives(built_replica, datasette_server):
    name = built_replica.database.stem
    articles = get_json(f"{datasette_server}/{name}/articles.json?_shape=array&_size=max")
    assert len(articles) >= 30
    initiatives = get_json(f"{datasette_server}/{name}/initiatives.json?_shape=array&_size=max")
    assert {row["name"] for row in initiatives} >= {name for name, _ in SEED_INITIATIVES}
    # French full-text search, accents folded: "cooperative" finds "coopérative".
    search = get_json(f"{datasette_server}/{name}/articles.json?_shape=array&_search="
                      + urllib.parse.quote("cooperative"))
    assert search and any("coopérative" in (row["body_text"] or "") for row in search)
    metadata = get_json(f"{datasette_server}/-/metadata.json")
    described = metadata["databases"][name]["tables"]["articles"]["columns"]
    assert described["published_date"].startswith("Date de publication")


def test_demo_runs_replica_crawl_build_and_serve(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "demo", "--port", str(port), "--replica-port", "0"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/-/versions.json", timeout=240)
        databases = get_json(f"http://127.0.0.1:{port}/-/databases.json")
        name = databases[0]["name"]
        rows = get_json(f"http://127.0.0.1:{port}/{name}/initiatives.json?_shape=array")
        assert rows
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "1/4" in output and "4/4" in output, output
    assert (tmp_path / "demo" / "archive").is_dir()


class TestClearErrors:
    def test_unreachable_site(self, tmp_path):
        port = free_port()  # nothing listens there
        # Retried as usual, without the waits between retries a real site gets.
        done = run_cli("crawl", "--site-url", f"http://127.0.0.1:{port}/", "--archive",
                       str(tmp_path / "a"), "-s", "RETRY_BACKOFF_BASE=0.05", check=False,
                       timeout=120)
        assert done.returncode == 1
        assert "could not be reached" in done.stderr
        assert "Traceback" not in done.stderr + done.stdout

    def test_unwritable_archive_folder(self, tmp_path, replica):
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        done = run_cli("crawl", "--site-url", replica.url, "--archive", str(blocker / "a"),
                       check=False)
        assert done.returncode == 1
        assert "archive folder" in done.stderr and "Traceback" not in done.stderr

    def test_empty_archive(self, tmp_path):
        (tmp_path / "archive").mkdir()
        done = run_cli("build", "--archive", str(tmp_path / "archive"), "--out",
                       str(tmp_path / "out"), check=False)
        assert done.returncode == 1
        assert "no WARC file" in done.stderr and "Traceback" not in done.stderr
        assert not (tmp_path / "out").exists()

    def test_serve_without_a_build(self, tmp_path):
        done = run_cli("serve", "--out", str(tmp_path / "nothing"), check=False)
        assert done.returncode == 1 and "no database" in done.stderr


def test_scrapy_list_and_scrapy_crawl_work_as_in_any_scrapy_project(tmp_path, replica):
    scrapy = [sys.executable, "-m", "scrapy"]
    listed = subprocess.run([*scrapy, "list"], cwd=REPO, capture_output=True, text=True)
    assert listed.stdout.split() == ["site"], listed.stderr
    crawled = subprocess.run(
        [*scrapy, "crawl", "site", "-a", f"site_url={replica.url}", "-s",
         f"ARCHIVE_DIR={tmp_path / 'archive'}", "-s", "CLOSESPIDER_PAGECOUNT=5", "-s",
         "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )
    assert crawled.returncode == 0, crawled.stderr
    assert ArchiveReader(tmp_path / "archive").warc_files()


def test_build_reports_completeness_and_strict_fails_under_thresholds(built_replica, tmp_path):
    quality = json.loads((built_replica.out / "quality.json").read_text())
    assert quality["completeness"]["roundup"]["initiatives"] == 1.0
    assert quality["pages"]["article"] >= 30 and quality["failures"] == []

    thresholds = tmp_path / "thresholds.yaml"
    thresholds.write_text("static: {title: 1.0}\narticle: {lead: 1.0, body_text: 1.0}\n"
                          "home: {teasers: 1.0}\n")
    out = tmp_path / "out"
    run_cli("build", "--archive", str(built_replica.archive), "--out", str(out), "--strict",
            "--thresholds", str(thresholds))
    impossible = tmp_path / "impossible.yaml"
    impossible.write_text("roundup: {initiatives: 1.0}\nstatic: {title: 1.5}\n")
    done = run_cli("build", "--archive", str(built_replica.archive), "--out", str(out),
                   "--strict", "--thresholds", str(impossible), check=False)
    assert done.returncode == 1
    assert "static.title" in done.stderr and "Traceback" not in done.stderr
    assert next(out.glob("*.db")).stat().st_size > 0, "the previous build must stay"
