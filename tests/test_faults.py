"""Hostile or odd input met by an unattended crawl, on a real loopback site: nothing after the
odd part is lost, and the URL requested is the one the site wrote."""

from __future__ import annotations

import gzip
import re
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli, run_cli_measured

from scoparchive.archive import ArchiveReader
from scoparchive.archive.reader import iter_records

pytestmark = pytest.mark.slow


class _Site(BaseHTTPRequestHandler):
    """A loopback site: ``answer(path)`` gives the status, body and headers of each path; the
    paths asked for are kept, in order, in ``requested``."""

    requested: list[str]

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError

    def do_GET(self):
        self.requested.append(self.path)
        status, body, headers = self.answer(self.path)
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def serving(site_class: type[_Site]) -> Iterator[tuple[str, type[_Site]]]:
    """The site on a free port: its URL, and its handler class (``requested``)."""
    handler = type("Handler", (site_class,), {"requested": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/", handler
    finally:
        server.shutdown()


class _OddLinks(_Site):
    """A home page whose first links are an IPv6 literal and a SPIP article (a query key with
    no value), then an ordinary page; a sitemap that starts with an IPv6 literal too, and a
    gzipped one (``plan.xml.gz``) naming a page linked from nowhere else."""

    def answer(self, path):
        port = self.server.server_port
        pages = {
            "/": '<html><body><a href="http://[::1]/ailleurs">v6</a> '
                 '<a href="http://[2001:db8::1]:8080/x?y">v6 port</a> '
                 '<a href="/spip.php?article12">SPIP</a> <a href="/apres">after</a></body></html>',
            "/spip.php?article12": "<html><body><h1>Article 12</h1></body></html>",
            "/apres": "<html><body><h1>After the odd links</h1></body></html>",
            "/du-plan": "<html><body><h1>From the sitemap</h1></body></html>",
            "/du-plan-gz": "<html><body><h1>From the gzipped sitemap</h1></body></html>",
            "/sitemap.xml": '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                            'sitemap/0.9"><url><loc>http://[::1]/plan</loc></url><url><loc>'
                            f"http://127.0.0.1:{port}/du-plan</loc></url></urlset>",
            "/robots.txt": "".join(f"Sitemap: http://127.0.0.1:{port}/{name}\n"
                                   for name in ("sitemap.xml", "plan.xml.gz")),
        }
        if path == "/plan.xml.gz":
            sitemap = pages["/sitemap.xml"].replace("/du-plan<", "/du-plan-gz<")
            return 200, gzip.compress(sitemap.encode()), {"Content-Type": "application/gzip"}
        body = pages.get(path, "").encode()
        kind = ("application/xml" if path.endswith(".xml") else "text/plain"
                if path.endswith(".txt") else "text/html; charset=utf-8")
        return 200 if body else 404, body, {"Content-Type": kind}


def test_odd_links_lose_nothing_after_them_and_are_requested_as_written(tmp_path):
    archive = tmp_path / "archive"
    with serving(_OddLinks) as (site_url, handler):
        run_cli("crawl", "--site-url", site_url, "--archive", str(archive))
    requested = set(handler.requested)
    assert {"/apres", "/du-plan", "/du-plan-gz", "/spip.php?article12"} <= requested
    assert "/spip.php?article12=" not in requested
    archived = {capture.url.split("/", 3)[3] for capture in ArchiveReader(archive).captures(
        bodies=False)}
    assert {"apres", "du-plan", "spip.php?article12"} <= archived


# --- what one response may cost ---------------------------------------------------------------

#: A 1 MiB gzip member that inflates to 1 GiB of zeros.
GZIP_BOMB = (lambda c: b"".join(c.compress(bytes(2**20)) for _ in range(1024)) + c.flush())(
    zlib.compressobj(9, zlib.DEFLATED, 31))
#: Tests cut downloads at this size (the default is 32 MiB); the page served is 3 MiB.
TEST_MAX_DOWNLOAD = 2**20


class _Hostile(_Site):
    """A home page linking to a gzip bomb, a page longer than the crawl keeps (with a link near
    its start and one past the cut), and an ordinary page."""

    def answer(self, path):
        if path == "/bombe":
            return 200, GZIP_BOMB, {"Content-Encoding": "gzip"}
        if path == "/enorme":
            filler = "<p>" + "Une très longue page. " * 40 + "</p>\n"
            return 200, ('<html><body><h1>Énorme</h1><a href="/debut">début</a>'
                         + filler * (3 * 2**20 // len(filler))
                         + '<a href="/fin">fin</a></body></html>').encode(), {}
        if path in ("/", "/apres", "/debut", "/fin"):
            return 200, ('<html><body><h1>Page</h1><a href="/bombe">bombe</a> '
                         '<a href="/enorme">énorme</a> <a href="/apres">après</a></body></html>'
                         ).encode(), {}
        return 404, b"", {}


def test_a_gzip_bomb_and_a_huge_page_cost_bounded_memory_and_lose_nothing_else(tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    with serving(_Hostile) as (site_url, handler):
        crawled, crawl_peak = run_cli_measured(
            "crawl", "--site-url", site_url, "--archive", str(archive),
            "-s", f"MAX_DOWNLOAD_SIZE={TEST_MAX_DOWNLOAD}")
    assert crawled.returncode == 0, crawled.stdout + crawled.stderr
    assert crawl_peak < 500, f"crawl peaked at {crawl_peak:.0f} MB"
    assert handler.requested.count("/robots.txt") == 1
    assert "/debut" in handler.requested  # read from the part of the huge page kept
    assert "/fin" not in handler.requested  # past the cut
    report = crawled.stdout + crawled.stderr
    assert re.search(r"truncated at the download bound\W+1\b", report)
    assert re.search(r"too large once decompressed[^│]*│\W*1\b", report)

    records = {stored.header("WARC-Target-URI").rsplit("/", 1)[1]: stored
               for stored in iter_records(next(archive.glob("*.warc.gz")), payloads=True)
               if stored.rec_type in ("response", "revisit")}
    assert {"", "apres", "debut", "bombe", "enorme"} <= set(records)
    huge = records["enorme"]
    assert huge.header("WARC-Truncated") == "length"
    assert TEST_MAX_DOWNLOAD < len(huge.payload) < 3 * 2**20
    assert records["bombe"].payload == GZIP_BOMB  # archived as received
    assert records["apres"].header("WARC-Truncated") is None

    built, build_peak = run_cli_measured("build", "--archive", str(archive), "--out", str(out))
    assert built.returncode == 0, built.stdout + built.stderr
    assert build_peak < 500, f"build peaked at {build_peak:.0f} MB"
    # Said once, where the payload is first read: the crawl's summary parses what it fetched.
    assert re.search(r"/bombe \(.*\.warc\.gz, offset \d+\): longer than 33,554,432 bytes once "
                     r"decoded: not read", crawled.stderr)
    with sqlite3.connect(next(out.glob("*.db"))) as db:
        pages = {url.rsplit("/", 1)[1] for (url,) in db.execute("select url from pages")}
    assert {"", "apres", "debut", "enorme"} <= pages


# --- robots.txt -----------------------------------------------------------------------------------

class _RobotsUnavailable(_Site):
    """robots.txt answers 503, every page 200."""

    def answer(self, path):
        if path == "/robots.txt":
            return 503, b"busy", {}
        return 200, b'<html><body><a href="/page">page</a></body></html>', {}


def test_a_robots_txt_answering_503_forbids_the_whole_site_and_fails_the_crawl(tmp_path):
    with serving(_RobotsUnavailable) as (site_url, handler):
        crawled = run_cli("crawl", "--site-url", site_url, "--archive", str(tmp_path / "archive"),
                          "-s", "RETRY_TIMES=1", check=False)
    assert handler.requested == ["/robots.txt", "/robots.txt"]  # the request and its retry
    assert crawled.returncode == 1
    message = crawled.stderr.strip().splitlines()[-1]
    assert "robots.txt answered 503" in message and "RFC 9309" in message
