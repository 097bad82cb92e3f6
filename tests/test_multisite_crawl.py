"""Several sites in one crawl, on real loopback replicas: the union's site and a sister union's
(its own texts, another CMS flavour), crawled by one `scoparchive crawl --site-url A --site-url
B` run: every page of both archived, the run record and every WARC's warcinfo naming both
sites (so that the archive alone tells which port served which profile), politeness per host,
and --resume and recrawls as for one site."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
from conftest import run_cli
from warcio.archiveiterator import ArchiveIterator

from scoparchive.archive import ArchiveReader
from scoparchive.crawling.sites import Sites, SitesError
from scoparchive.profiles import clear_registered_sites, register_sites, registered_sites
from scoparchive.replica import ReplicaServer


@pytest.fixture
def sites():
    union = ReplicaServer(port=0).start()
    sister = ReplicaServer(port=0, profile="les-scop-ouest").start()
    yield union, sister
    union.stop()
    sister.stop()


def site_args(union: ReplicaServer, sister: ReplicaServer) -> list[str]:
    # The union's replica by its URL alone (an unknown host is the union's site served
    # elsewhere), the sister's by NAME=URL.
    return ["--site-url", union.url, "--site-url", f"les-scop-ouest={sister.url}"]


def run_records(archive: Path) -> list[dict]:
    return sorted((json.loads(path.read_text(encoding="utf-8"))
                   for path in (archive / "runs").glob("*.json")),
                  key=lambda record: record["started_at"])


def captured_paths(archive: Path, server: ReplicaServer) -> dict[str, int]:
    """Path → status of every capture of ``server``'s URLs."""
    prefix = server.url.rstrip("/")
    return {capture.url.removeprefix(prefix): capture.status
            for capture in ArchiveReader(archive).captures(bodies=False)
            if capture.url.startswith(server.url)}


@pytest.mark.slow
def test_two_sites_in_one_crawl_archive_every_page_of_both(sites, tmp_path):
    union, sister = sites
    archive = tmp_path / "archive"
    crawled = run_cli("crawl", *site_args(union, sister), "--archive", str(archive))
    assert crawled.returncode == 0

    for server in (union, sister):
        captured = captured_paths(archive, server)
        served = {entry.path: entry.status for entry in server.request_log}
        assert captured == served
        assert set(server.site.html_paths()) <= set(captured), "a page was not crawled"
    urls = [capture.url for capture in ArchiveReader(archive).captures(bodies=False)]
    assert len(urls) == len(set(urls)), "a URL fetched twice"

    (record,) = run_records(archive)
    sites_recorded = {"les-scop-idf": union.url, "les-scop-ouest": sister.url}
    assert record["sites"] == sites_recorded
    assert record["site_url"] == union.url and record["status"] == "finished"
    for path in ArchiveReader(archive).warc_files():
        with path.open("rb") as stream:
            info = next(iter(ArchiveIterator(stream))).content_stream().read().decode()
        assert (f"scoparchive-sites: les-scop-idf={union.url} les-scop-ouest={sister.url}"
                in info)
    assert f"les-scop-ouest={sister.url}" in crawled.stderr, "the report names both sites"


@pytest.mark.slow
def test_politeness_is_per_host_each_site_its_own_delay(sites, tmp_path):
    """Two replicas on 127.0.0.1 are two hosts (their ports differ): each keeps the delay
    between its own requests, and neither waits for the other's."""
    union, sister = sites
    delay = 0.25
    run_cli("crawl", *site_args(union, sister), "--archive", str(tmp_path / "archive"),
            "--delay", str(delay), "--max-pages", "16")
    times = {server.url: [entry.time for entry in server.request_log]
             for server in (union, sister)}
    for url, arrivals in times.items():
        assert len(arrivals) >= 4, url
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        assert min(gaps) >= delay * 0.9, (url, gaps)
    closest = min(abs(a - b) for a in times[union.url] for b in times[sister.url])
    assert closest < delay * 0.5, "the two sites shared one delay, as one host"


@pytest.mark.slow
def test_resume_and_recrawl_of_several_sites(sites, tmp_path):
    union, sister = sites
    archive = tmp_path / "archive"
    run_cli("crawl", *site_args(union, sister), "--archive", str(archive), "--max-pages", "10")
    assert run_records(archive)[0]["status"] == "interrupted"

    # The sites come back from the run record.
    run_cli("crawl", "--archive", str(archive), "--resume")
    (record,) = run_records(archive)
    assert (record["status"], record["resumed"]) == ("finished", 1)
    assert set(record["sites"]) == {"les-scop-idf", "les-scop-ouest"}
    for server in (union, sister):
        assert set(server.site.html_paths()) <= set(captured_paths(archive, server))

    started = time.time()
    run_cli("crawl", *site_args(union, sister), "--archive", str(archive))
    assert [record["status"] for record in run_records(archive)] == ["finished", "finished"]
    for server in (union, sister):
        articles = {f"/{entry.slug}" for entry in server.site.articles()}
        bodies = [entry.path for entry in server.request_log
                  if entry.time >= started and entry.path in articles and entry.status == 200]
        assert bodies == [], f"{server.url}: a recrawl downloaded unchanged articles"


@pytest.mark.slow
@pytest.mark.parametrize(("arguments", "said"), [
    (["--site-url", "les-scop-nowhere"], "les-scop-idf"),
    (["--site-url", "http://127.0.0.1:9/", "--site-url", "http://127.0.0.1:10/"],
     "NAME=URL"),
    (["--all-sites", "--site-url", "les-scop-idf"], "--all-sites"),
])
def test_sites_that_cannot_be_crawled_together_are_told_in_one_line(arguments, said, tmp_path):
    done = run_cli("crawl", *arguments, "--archive", str(tmp_path / "archive"), check=False)
    assert done.returncode == 1
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and said in lines[0], done.stderr
    assert "Traceback" not in done.stderr


# --- the sites of a crawl, without crawling -----------------------------------------------------

@pytest.fixture
def registrations():
    """``Sites.parse`` registers NAME=URL in this process: put back what was there."""
    before = registered_sites()
    yield
    clear_registered_sites()
    register_sites(before)


def test_two_replicas_on_one_host_are_two_sites_told_apart_by_port(registrations):
    sites = Sites.parse(["les-scop-idf=http://127.0.0.1:5901/",
                         "les-scop-ouest=http://127.0.0.1:5902"])
    assert sites.record() == {"les-scop-idf": "http://127.0.0.1:5901/",
                              "les-scop-ouest": "http://127.0.0.1:5902/"}
    assert sites.site_of("http://localhost:5902/contact").name == "les-scop-ouest"
    assert sites.site_of("http://127.0.0.1:5901/").name == "les-scop-idf"
    assert sites.site_of("http://127.0.0.1:5903/") is None
    assert sites.site_of("https://127.0.0.1:5901/") is None
    assert sites.in_scope("http://127.0.0.1:5902/actualites")
    assert not sites.in_scope("http://127.0.0.1:5903/actualites")
    assert (sites.canonical("http://LOCALHOST:5902/a?utm_source=x#top")
            == "http://127.0.0.1:5902/a")
    assert sites.warcinfo() == ("les-scop-idf=http://127.0.0.1:5901/ "
                                "les-scop-ouest=http://127.0.0.1:5902/")


def test_the_crawl_id_is_the_same_whatever_the_order_or_the_spelling(registrations):
    one = Sites.parse(["les-scop-idf=http://127.0.0.1:5901/", "les-scop-ouest"])
    other = Sites.parse(["https://les-scop-ouest.coop/", "les-scop-idf=http://127.0.0.1:5901"])
    assert one.crawl_id() == other.crawl_id()
    assert one.crawl_id() != Sites.parse(["les-scop-ouest"]).crawl_id()
    assert Sites.every_profile().record().keys() >= {"les-scop-idf", "les-scop-ouest"}


def test_sites_that_cannot_go_together_are_refused(registrations):
    with pytest.raises(SitesError, match="NAME=URL"):
        Sites.parse(["http://127.0.0.1:5901/", "http://127.0.0.1:5902/"])
    with pytest.raises(SitesError, match="already serves"):
        Sites.parse(["les-scop-idf=http://127.0.0.1:5901/",
                     "les-scop-ouest=http://127.0.0.1:5901/"])
    with pytest.raises(SitesError):
        Sites.parse(["les-scop-nowhere"])
