"""One build of several archives of several sites: the union's replica and a sister union's, each
crawled into its own archive on 127.0.0.1, built together into one database for the network
(``scoparchive build --archive A --archive B``), with the right site on every row; and each
archive built alone, as it always was."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import pytest
from conftest import REPO, free_port, get_json, run_cli, wait_for_http
from test_history import BASE, T1, T2, T3, SiteArchive

from scoparchive.archive import ArchiveWriter
from scoparchive.archive.reader import ArchiveSet
from scoparchive.archive.runs import RunRecord, run_records
from scoparchive.dataset.build import BuildError, build
from scoparchive.profiles import PROFILES, clear_registered_sites, registered_sites
from scoparchive.replica import ReplicaServer
from scoparchive.schema import TABLES
from scoparchive.writers.datasette import NETWORK_TITLE

UNION, SISTER = "les-scop-idf", "les-scop-ouest"
SITES = (UNION, SISTER)
#: The column naming the page each row comes from, in the tables whose rows come from pages.
PAGE_COLUMNS = {"pages": "url", "articles": "url", "initiatives": "article_url",
                "mentions": "page_url", "contacts": "page_url", "images": "page_url",
                "links": "page_url", "page_versions": "url", "article_versions": "url"}


@dataclass
class Network:
    servers: dict[str, ReplicaServer]
    archives: dict[str, Path]
    #: The build of both archives, and the build of each alone.
    out: Path
    alone: dict[str, Path]

    def site_of(self, url: str) -> str:
        """The site a URL is on, by the port its replica answers on."""
        netloc = urlsplit(url).netloc
        return next(name for name, server in self.servers.items()
                    if urlsplit(server.url).netloc == netloc)


def crawl(server: ReplicaServer, archive: Path) -> None:
    """``scoparchive crawl`` of one replica into its own archive, under its profile's name
    (``NAME=URL``): the run's record names the site (``RunRecord.sites``), all the build will
    know of it."""
    run_cli("crawl", "--site-url", f"{server.profile_name}={server.url}", "--archive",
            str(archive), "--delay", "0")
    assert [record.sites for record in run_records(archive)] \
        == [{server.profile_name: server.url}]


@pytest.fixture(scope="module")
def network(tmp_path_factory) -> Network:
    base = tmp_path_factory.mktemp("network")
    servers = {name: ReplicaServer(port=0, profile=name).start() for name in SITES}
    try:
        archives = {name: base / f"archive-{name}" for name in SITES}
        for name in SITES:
            crawl(servers[name], archives[name])
        run_cli("build", "--archive", str(archives[UNION]), "--archive", str(archives[SISTER]),
                "--out", str(base / "out"))
        alone = {}
        for name in SITES:
            alone[name] = base / f"out-{name}"
            run_cli("build", "--archive", str(archives[name]), "--out", str(alone[name]))
        yield Network(servers, archives, base / "out", alone)
    finally:
        for server in servers.values():
            server.stop()


def database(out: Path) -> Path:
    (found,) = out.glob("*.db")
    return found


def rows(out: Path, table: str) -> list[dict]:
    with sqlite3.connect(database(out)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute(f"select * from {table}")]


def query(out: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database(out)) as db:
        return db.execute(sql).fetchall()


@pytest.mark.slow
def test_every_row_of_every_table_has_its_site(network):
    for table, column in PAGE_COLUMNS.items():
        found = rows(network.out, table)
        assert found, table
        wrong = [(row[column], row["site"]) for row in found
                 if row["site"] != network.site_of(row[column])]
        assert not wrong, f"{table}: {wrong[:3]}"
    mentions = rows(network.out, "mentions")
    named_by: dict[str, Counter] = {}
    for mention in mentions:
        named_by.setdefault(mention["organization_id"], Counter())[mention["site"]] += 1
    for organization in rows(network.out, "organizations"):
        counts = named_by[organization["id"]]
        assert json.loads(organization["sites"]) == sorted(counts)
        most = max(counts.values())
        assert organization["site"] == min(site for site, n in counts.items() if n == most)
    runs = {row["id"]: row for row in rows(network.out, "crawl_runs")}
    for name, archive in network.archives.items():
        for record in run_records(archive):
            assert runs[record.run_id]["site"] == name
            assert json.loads(runs[record.run_id]["sites"]) == [name]
    # Reference data: the site of the union covering the department, where one does.
    departments = {row["code"]: row["site"] for row in rows(network.out, "departments")}
    assert departments["35"] == SISTER and departments["75"] == UNION
    assert departments["13"] is None
    assert {site for site in departments.values() if site} <= set(PROFILES)
    every_table = {table.name for table in TABLES}
    assert every_table == set(PAGE_COLUMNS) | {"organizations", "crawl_runs", "departments"}
    assert all("site" in table.column_names for table in TABLES)


@pytest.mark.slow
def test_every_output_has_the_site_column(network):
    """One schema for every output: the Parquet files, datapackage.json and Datasette's
    metadata say what the database says."""
    for table in ("pages", "initiatives", "crawl_runs"):
        parquet = pq.read_table(network.out / "parquet" / f"{table}.parquet").to_pylist()
        assert Counter(row["site"] for row in parquet) == Counter(
            row["site"] for row in rows(network.out, table)), table
    package = json.loads((network.out / "datapackage.json").read_text(encoding="utf-8"))
    for resource in package["resources"]:
        assert "site" in [field["name"] for field in resource["schema"]["fields"]]
    assert set(package["scoparchive:sites"]) == set(SITES)
    assert {source["title"] for source in package["sources"]} == set(SITES)


@pytest.mark.slow
def test_the_pages_of_both_sites_are_in(network):
    together = Counter(site for (site,) in query(network.out, "select site from pages"))
    assert set(together) == set(SITES)
    for name in SITES:
        alone = {url for (url,) in query(network.alone[name], "select url from pages")}
        assert alone
        assert {url for (url,) in query(
            network.out, f"select url from pages where site = '{name}'")} == alone
    initiatives = Counter(site for (site,) in query(network.out, "select site from initiatives"))
    assert set(initiatives) == set(SITES)


@pytest.mark.slow
def test_a_build_of_one_archive_is_as_it_was(network):
    """Alone, an archive gives its site's database under its site's name, every row of it
    the same as in the network's, but the whole-site tables (organisations merge names across
    the network)."""
    for name in SITES:
        alone = network.alone[name]
        assert database(alone).name == f"{name}.db"
        package = json.loads((alone / "datapackage.json").read_text(encoding="utf-8"))
        assert package["name"] == name
        assert len(package["sources"]) == 1
        for table in PAGE_COLUMNS:
            if table == "mentions":
                continue  # the organisations found depend on the names known on every site
            mine = sorted(map(_comparable, rows(alone, table)))
            theirs = sorted(_comparable(row) for row in rows(network.out, table)
                            if row["site"] == name)
            assert mine == theirs, table
        assert {row["site"] for row in rows(alone, "crawl_runs")} == {name}
    metadata = json.loads((network.alone[UNION] / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["title"].startswith("Archive du site de l'Union régionale")
    tables = metadata["databases"][UNION]["tables"]
    assert "site" in tables["pages"]["columns"]
    # A facet of one value says nothing: offered in the network's build only.
    assert "site" not in tables["pages"]["facets"] + tables["initiatives"]["facets"]


def _comparable(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=str)


@pytest.mark.slow
def test_a_second_build_of_the_same_archives_is_kept(network):
    """The inputs of a build cover every archive: the same archives give the same build, kept;
    one archive alone is another."""
    before = network.out.resolve()
    run_cli("build", "--archive", str(network.archives[UNION]), "--archive",
            str(network.archives[SISTER]), "--out", str(network.out))
    assert network.out.resolve() == before

    def inputs(out: Path) -> str:
        return json.loads((out / "build.json").read_text(encoding="utf-8"))["inputs"]

    assert len({inputs(network.out), *map(inputs, network.alone.values())}) == 3


@pytest.mark.slow
def test_the_network_view_counts_the_rows(network):
    region_of = {row["code"]: row["region_name"] for row in rows(network.out, "departments")}
    expected: Counter = Counter()
    for item in rows(network.out, "initiatives"):
        for region in {region_of.get(code) for code in json.loads(item["all_departments"] or "[]")
                       if code in region_of}:
            expected[(region, item["site"])] += 1
    view = {(region, site): count for region, site, count, _ in query(
        network.out, "select region, site, initiatives, pages from initiatives_by_region_and_site")}
    assert view == dict(expected)
    assert {site for _, site in view} == set(SITES)
    by_region = dict(query(network.out, "select region, initiatives from initiatives_by_region"))
    summed: Counter = Counter()
    for (region, _), count in view.items():
        summed[region] += count
    assert dict(summed) == by_region
    overview = {site: (pages, initiatives) for site, pages, initiatives in query(
        network.out, "select site, pages, initiatives from sites_overview")}
    for name in SITES:
        assert overview[name] == (
            query(network.out, f"select count(*) from pages where site = '{name}'")[0][0],
            query(network.out, f"select count(*) from initiatives where site = '{name}'")[0][0])


@pytest.mark.slow
def test_the_facet_by_site_agrees(network):
    """In a real Datasette (`scoparchive serve`): the default facets offer site, and their
    counts are the rows'."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "serve", "--out", str(network.out), "--port",
         str(port)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/-/versions.json")
        name = database(network.out).stem
        metadata = get_json(url + "/-/metadata.json")
        assert metadata["title"] == NETWORK_TITLE  # the network's, not the union's
        assert all(name in metadata["description_html"].split("</p>")[0] for name in SITES)
        for table in ("pages", "articles", "initiatives", "organizations", "crawl_runs",
                      "page_versions"):
            # No _facet: the default facets of the table, from metadata.json.
            answer = get_json(f"{url}/{name}/{table}.json?_size=0")
            facet = answer["facet_results"]["site"]["results"]
            counted = dict(query(network.out,
                                 f"select site, count(*) from {table} group by site"))
            assert {result["value"]: result["count"] for result in facet} == counted, table
        queries = metadata["databases"][name]["queries"]
        region = query(network.out, "select region from initiatives_by_region_and_site "
                                    f"where site = '{SISTER}' limit 1")[0][0]
        found = get_json(f"{url}/{name}/initiatives_of_a_region_by_site.json?_shape=array&"
                         f"region={region}&site={SISTER}")
        assert found and {row["site"] for row in found} == {SISTER}
        everywhere = get_json(f"{url}/{name}/initiatives_of_a_region_by_site.json?"
                              f"_shape=array&region={region}&site=")
        assert len(everywhere) >= len(found)
        assert "initiatives_by_region_and_site" in metadata["databases"][name]["tables"]
        assert queries["initiatives_of_a_region_by_site"]["title"]
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- the archives of the workers of one distributed run, read as one --------------------------

def write_worker(directory: Path, worker: str, run_id: str, at, turn: int,
                 archive: SiteArchive, known_from: list[Path]) -> None:
    """One worker's share of a run (the pages in turn: even ones ``turn`` 0, odd ones 1, each
    at the second the one process took it), written by the real ``ArchiveWriter`` into its own
    archive, payloads already in ``known_from`` (every worker's archive: what a distributed
    recrawl knows) written as revisits of them."""
    paths = archive.site.html_paths()[turn::2]
    known = ArchiveSet(known_from).recrawl_state() if known_from else ({}, {})
    with ArchiveWriter(directory, run_id=run_id, software="tests", operator="tests",
                       prefix=worker, known_digests=known[0], latest_by_url=known[1]) as writer:
        for number, path in enumerate(paths):
            reply = archive.app.handle(path)
            writer.write_exchange(
                url=archive.url(path), method="GET", request_headers=[], request_body=b"",
                http_version="HTTP/1.1", status=reply.status,
                reason=HTTPStatus(reply.status).phrase,
                response_headers=[("Content-Type", reply.content_type), *reply.headers.items()],
                payload=reply.body, fetched_at=at + timedelta(seconds=turn + 2 * number))


def record(directory: Path, run_id: str, at, status: str, responses: int, sites: dict) -> None:
    RunRecord(run_id=run_id, site_url=next(iter(sites.values())), started_at=at.isoformat(),
              status=status, finished_at=at.isoformat(), responses=responses,
              sites=sites).save(directory)


#: The columns that say where a capture lies: its file and offset, not what it holds.
WHERE = {"warc_file", "warc_offset", "warc_record_id", "warc_files"}


def contents(out: Path) -> dict[str, list[str]]:
    """Every row of every table, but where its captures lie, and how each run ended (the
    records of its workers say)."""
    found = {}
    for table in TABLES:
        left_out = WHERE | ({"status"} if table.name == "crawl_runs" else set())
        found[table.name] = sorted(_comparable({key: value for key, value in row.items()
                                                if key not in left_out})
                                   for row in rows(out, table.name))
    return found


@pytest.fixture(scope="module")
def workers(tmp_path_factory):
    """Two runs of the replica: one archive written by one process, and the same runs shared by
    two workers, each into its own archive, the second run's revisits pointing at payloads the
    other worker stored."""
    base = tmp_path_factory.mktemp("workers")
    archive = SiteArchive(base / "one")
    paths = archive.site.html_paths()
    sites = {UNION: BASE}
    one, first, second = base / "one", base / "worker-a", base / "worker-b"
    archive.run("run-1", T1)
    record(one, "run-1", T1, "finished", len(paths), sites)
    for directory, worker, turn in ((first, "worker-a", 0), (second, "worker-b", 1)):
        write_worker(directory, worker, "run-1", T1, turn, archive, [])
        record(directory, "run-1", T1, "finished", len(paths[turn::2]), sites)
    oldest = archive.site.articles()[-1].slug
    archive.site.update_article(oldest, lead="Un chapeau réécrit dix ans plus tard.")
    archive.run("run-2", T2)
    record(one, "run-2", T2, "finished", len(paths), sites)
    for directory, worker, turn, status in ((first, "worker-a", 1, "finished"),
                                            (second, "worker-b", 0, "interrupted")):
        write_worker(directory, worker, "run-2", T2, turn, archive, [first, second])
        record(directory, "run-2", T2, status, len(paths[turn::2]), sites)
    return one, first, second


def test_the_workers_archives_read_as_one_are_the_one_archive(workers, tmp_path):
    one, first, second = workers
    together = ArchiveSet([first, second])
    revisits = [capture for capture in together.captures(bodies=False)
                if capture.is_revisit and capture.payload_at is not None
                and capture.payload_at[0].parent != capture.warc_file.parent]
    assert revisits, "no revisit of a payload the other worker stored"
    assert all(capture.resolved for capture in together.captures(bodies=False))
    clear_registered_sites()
    build(one, tmp_path / "one")
    report = build([first, second], tmp_path / "workers", jobs=2)
    assert report.processes == 2  # the pool reads both archives
    assert registered_sites() == {}  # the build leaves its process as it found it
    assert contents(tmp_path / "workers") == contents(tmp_path / "one")
    assert report.run_ids == ["run-1", "run-2"]
    runs = {row["id"]: row for row in rows(tmp_path / "workers", "crawl_runs")}
    assert runs["run-1"]["status"] == "finished"
    assert runs["run-2"]["status"] == "interrupted"  # one worker did not finish: nor did the run
    assert sorted(json.loads(runs["run-2"]["warc_files"])) == sorted(
        path.name for path in [*first.glob("*-run-2-*"), *second.glob("*-run-2-*")])
    # Each archive keeps its own cache: its payloads' parses, and its capture index.
    for directory in (first, second):
        assert (directory / ".cache" / "parsed-pages.sqlite").is_file()
        assert (directory / ".cache" / "captures.sqlite").is_file()


def test_two_sites_at_one_address_are_refused(workers, tmp_path):
    _, first, second = workers
    third = tmp_path / "third"
    shutil.copytree(second, third)
    for path in (third / "runs").glob("*.json"):
        path.unlink()
    record(third, "run-3", T3, "finished", 1, {SISTER: BASE})
    with pytest.raises(BuildError, match="deux sites à la même adresse"):
        build([first, third], tmp_path / "out")


def test_a_payload_parsed_as_another_sites_is_parsed_again(workers, tmp_path):
    """The parse cache keys a parse by the site profile too: the same payloads, said by the run
    records to be another site's, are parsed again under its profile; said to be the first
    site's again, they all come from the cache."""
    archive = tmp_path / "archive"
    shutil.copytree(workers[0], archive)
    shutil.rmtree(archive / ".cache", ignore_errors=True)  # another test's builds filled it

    def name_the_site(site: str) -> None:
        for found in run_records(archive):
            found.sites = {site: BASE}
            found.save(archive)

    first = build(archive, tmp_path / "out")
    assert first.parsed > 0
    name_the_site(SISTER)
    second = build(archive, tmp_path / "out")
    assert second.parsed == first.parsed  # every payload again, none from the first parses
    assert {row["site"] for row in rows(tmp_path / "out", "pages")} == {SISTER}
    name_the_site(UNION)
    third = build(archive, tmp_path / "out")
    assert third.parsed == 0
    assert {row["site"] for row in rows(tmp_path / "out", "pages")} == {UNION}
    with sqlite3.connect(archive / ".cache" / "parsed-pages.sqlite") as cache:
        assert {profile for (profile,) in cache.execute("select distinct profile from parsed")} \
            == {UNION, SISTER}
