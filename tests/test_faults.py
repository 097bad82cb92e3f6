"""Hostile or odd input met by an unattended crawl, on a real loopback site: nothing after the
odd part is lost, the URL requested is the one the site wrote, and for each the exit code, the
one line that tells it, a peak memory under 500 MB for the crawl and for the build, and every
good page in the build (issue 11's fault suite, with tests/test_cron.py)."""

from __future__ import annotations

import functools
import gzip
import re
import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli_measured

from scoparchive.archive import ArchiveReader, read_crawl_log
from scoparchive.archive.reader import iter_records

pytestmark = pytest.mark.slow

#: Memory a crawl or a build may take, whatever it meets (issue 11).
MAX_PEAK_MB = 500


def crawl(site_url: str, archive, *extra: str, exit_code: int = 0):
    """`scoparchive crawl` of the site into ``archive``, which must exit ``exit_code``, within
    MAX_PEAK_MB and without a traceback."""
    completed, peak = run_cli_measured("crawl", "--site-url", site_url, "--archive",
                                       str(archive), *extra)
    output = completed.stdout + completed.stderr
    assert completed.returncode == exit_code, output[-3000:]
    assert peak < MAX_PEAK_MB, f"the crawl peaked at {peak:.0f} MB"
    assert "Traceback" not in output, output[-3000:]
    return completed


def build(archive, out, *extra: str, exit_code: int = 0) -> set[str]:
    """`scoparchive build`, checked as ``crawl`` is: the URLs of the pages it holds."""
    completed, peak = run_cli_measured("build", "--archive", str(archive), "--out", str(out),
                                       *extra)
    output = completed.stdout + completed.stderr
    assert completed.returncode == exit_code, output[-3000:]
    assert peak < MAX_PEAK_MB, f"the build peaked at {peak:.0f} MB"
    assert "Traceback" not in output, output[-3000:]
    with sqlite3.connect(next(out.glob("*.db"))) as db:
        return {url for (url,) in db.execute("select url from pages")}


def warnings_in(completed) -> list[str]:
    return [line for line in completed.stderr.splitlines() if line.startswith("warning: ")]


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
        crawled = crawl(site_url, archive)
    # Links that are no URL of this site are out of its scope: told, not an error.
    assert any("http://[::1]/ailleurs" in line for line in warnings_in(crawled)), crawled.stderr
    requested = set(handler.requested)
    assert {"/apres", "/du-plan", "/du-plan-gz", "/spip.php?article12"} <= requested
    assert "/spip.php?article12=" not in requested
    archived = {capture.url.split("/", 3)[3] for capture in ArchiveReader(archive).captures(
        bodies=False)}
    assert {"apres", "du-plan", "spip.php?article12"} <= archived
    pages = build(archive, tmp_path / "out")
    assert {site_url + path for path in ("", "apres", "du-plan", "du-plan-gz",
                                         "spip.php?article12")} <= pages


# --- what one response may cost ---------------------------------------------------------------

@functools.cache
def gzip_bomb() -> bytes:
    """A gzip member under 1 MiB that inflates to 1 GiB of zeros. 8 MiB of zeros are deflated
    once and end on a full flush, byte-aligned and needing nothing before them: the same bytes
    128 times, then an empty final block, are the deflate stream of the whole (compressing the
    GiB itself takes 5 s)."""
    part = bytes(8 * 2**20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(part) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(128):
        crc = zlib.crc32(part, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, no time
    trailer = crc.to_bytes(4, "little") + (2**30 % 2**32).to_bytes(4, "little")
    return header + deflated * 128 + compressor.flush() + trailer


#: Tests cut downloads at this size (the default is 32 MiB); the page served is 3 MiB.
TEST_MAX_DOWNLOAD = 2**20


class _Hostile(_Site):
    """A home page linking to a gzip bomb, a page longer than the crawl keeps (with a link near
    its start and one past the cut), and an ordinary page."""

    def answer(self, path):
        if path == "/bombe":
            return 200, gzip_bomb(), {"Content-Encoding": "gzip"}
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
        # Partial: one download cut, one payload not read; everything else kept.
        crawled = crawl(site_url, archive, "-s", f"MAX_DOWNLOAD_SIZE={TEST_MAX_DOWNLOAD}",
                        exit_code=3)
    assert "1 download(s) cut at the download bound" in crawled.stderr
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
    assert records["bombe"].payload == gzip_bomb()  # archived as received
    assert records["apres"].header("WARC-Truncated") is None

    pages = build(archive, out)
    # Said once, where the payload is first read: the crawl's summary parses what it fetched.
    assert re.search(r"/bombe \(.*\.warc\.gz, offset \d+\): longer than 33,554,432 bytes once "
                     r"decoded: not read", crawled.stderr)
    assert {site_url + path for path in ("", "apres", "debut", "enorme")} <= pages

    # The build's own bound: at 1 MiB, the huge page (over a MiB as kept) is not read either,
    # and is still a page.
    bounded = tmp_path / "bounded"
    completed, _ = run_cli_measured("build", "--archive", str(archive), "--out", str(bounded),
                                    "--max-payload", "1", "--no-cache")
    assert completed.returncode == 0, completed.stderr
    (told,) = [line for line in completed.stderr.splitlines() if "/enorme (" in line]
    assert "longer than 1,048,576 bytes" in told and "not read" in told
    assert build(archive, bounded, "--max-payload", "1") == pages  # kept: same inputs


#: Deeper than libxml2's default limit (256), and an attribute over its 10 MB limit.
DEEP_NESTING = "<div>" * 2000
HUGE_ATTRIBUTE = '<img alt="inline" src="data:image/png;base64,' + "A" * (11 * 2**20) + '">'


_PARAGRAPH = ("<p>" + "La coopérative réunit ses salariés associés autour d'un projet commun. "
              * 4 + "</p>")


def _article(title: str, middle: str, after: str) -> bytes:
    """An article by the page's standard metadata, with ``middle`` inside its body, then
    paragraphs and a link."""
    return (f'<html><head><title>{title}</title><meta property="og:type" content="article">'
            '</head><body><article><h1>' + title + '</h1><time datetime="2024-03-12">12 mars '
            f"2024</time>{_PARAGRAPH * 3}{middle}{_PARAGRAPH}"
            f'<p>{after}</p><p><a href="/suite-{title}">la suite</a></p>'
            "</article></body></html>").encode()


class _Heavy(_Site):
    """Two articles with a part libxml2 would stop at, then text and a link; the pages they
    link to."""

    def answer(self, path):
        if path == "/":
            return 200, _page("/profond", "/image"), {}
        if path == "/profond":
            return 200, _article("profond", DEEP_NESTING, "Texte après l'imbrication."), {}
        if path == "/image":
            return 200, _article("image", HUGE_ATTRIBUTE, "Texte après l'image."), {}
        if path.startswith("/suite-"):
            return 200, _page("/"), {}
        return 404, b"", {}


def test_deep_nesting_and_a_huge_attribute_lose_nothing_after_them(tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    with serving(_Heavy) as (site_url, handler):
        crawl(site_url, archive)
    assert {"/suite-profond", "/suite-image"} <= set(handler.requested)
    pages = build(archive, out)
    assert {site_url + path for path in ("profond", "image", "suite-profond", "suite-image")
            } <= pages
    with sqlite3.connect(next(out.glob("*.db"))) as db:
        bodies = dict(db.execute("select url, body_text from articles"))
    assert "Texte après l'imbrication." in bodies[site_url + "profond"]
    assert "Texte après l'image." in bodies[site_url + "image"]


# --- robots.txt -----------------------------------------------------------------------------------

class _RobotsUnavailable(_Site):
    """robots.txt answers 503, every page 200."""

    def answer(self, path):
        if path == "/robots.txt":
            return 503, b"busy", {}
        return 200, b'<html><body><a href="/page">page</a></body></html>', {}


def test_a_robots_txt_answering_503_forbids_the_whole_site_and_fails_the_crawl(tmp_path):
    with serving(_RobotsUnavailable) as (site_url, handler):
        crawled = crawl(site_url, tmp_path / "archive", "-s", "RETRY_TIMES=1", exit_code=1)
    assert handler.requested == ["/robots.txt", "/robots.txt"]  # the request and its retry
    (message,) = [line for line in crawled.stderr.splitlines() if line.startswith("error:")]
    assert "robots.txt answered 503" in message and "RFC 9309" in message


# --- what is not requested, and the traps -------------------------------------------------------

def _stat(output: str, name: str) -> int:
    """A counter of the crawl's stats, from Scrapy's dump (``scoparchive crawl -v``); 0 if
    absent."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", output)
    return int(found.group(1)) if found else 0


def _dropped(archive) -> dict[str, str]:
    """URL → why it was not requested, from the crawl logs' "dropped" lines."""
    return {entry["url"]: entry["drop_reason"] for log in (archive / "logs").glob("*.jsonl")
            for entry in read_crawl_log(log) if entry.get("record_type") == "dropped"}


def _page(*links: str) -> bytes:
    return ("<html><body><h1>Page</h1>"
            + " ".join(f'<a href="{link}">lien</a>' for link in links)
            + "</body></html>").encode()


#: Over URLLENGTH_LIMIT (2,083 characters) once made absolute.
LONG_QUERY = "q=" + "x" * 2100


class _LongAndAway(_Site):
    """A home page linking to a URL too long, to other hosts, to a redirect out of the site and
    to an ordinary page; a sitemap naming another URL too long."""

    def answer(self, path):
        port = self.server.server_port
        if path == "/":
            return 200, _page(f"/long?{LONG_QUERY}", "http://ailleurs.example/page",
                              "https://www.facebook.com/ScopIDF", "/vers-ailleurs", "/ok"), {}
        if path == "/vers-ailleurs":
            return 302, b"", {"Location": "http://ailleurs.example/redirige"}
        if path == "/ok":
            return 200, _page("/"), {}
        if path == "/sitemap.xml":
            return 200, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                         f'sitemap/0.9"><url><loc>http://127.0.0.1:{port}/plan?{LONG_QUERY}'
                         "</loc></url></urlset>").encode(), {"Content-Type": "application/xml"}
        return 404, b"", {}


def test_urls_too_long_and_out_of_scope_are_told_in_stats_log_and_warnings(tmp_path):
    archive, out = tmp_path / "archive", tmp_path / "out"
    with serving(_LongAndAway) as (site_url, handler):
        crawled = crawl(site_url, archive, "-v")
    assert "/ok" in handler.requested
    assert not [path for path in handler.requested if path.startswith(("/long", "/plan"))]

    dropped = _dropped(archive)
    too_long = {url for url, reason in dropped.items() if reason == "url-too-long"}
    assert too_long == {f"{site_url}long?{LONG_QUERY}", f"{site_url}plan?{LONG_QUERY}"}
    away = {url for url, reason in dropped.items() if reason == "out-of-scope"}
    assert away == {"http://ailleurs.example/page", "https://www.facebook.com/ScopIDF",
                    "http://ailleurs.example/redirige"}
    assert _stat(crawled.stderr, "scoparchive/url_too_long") == 2
    assert _stat(crawled.stderr, "scoparchive/out_of_scope") == 3
    # One warning line per URL, naming it (a URL too long by its first 300 characters).
    warnings = [line for line in crawled.stderr.splitlines() if line.startswith("warning: ")]
    long_url = f"{site_url}long?{LONG_QUERY}"
    assert any(long_url[:300] in line and long_url not in line
               and f"{len(long_url):,} caractères" in line and "URLLENGTH_LIMIT" in line
               for line in warnings), warnings
    assert any("http://ailleurs.example/page" in line and f"linked from {site_url}" in line
               for line in warnings), warnings

    # The build reads the crawl log's skipped lines and leaves these alone.
    assert {site_url, f"{site_url}ok"} <= build(archive, out)


class _Traps(_Site):
    """No sitemap. Good pages beside three traps: an agenda whose every page links to the next
    one (``?page=N+1``) and to a week view of itself, a day page linking to the next day's
    (``/jour/N+1``), and a relative link that feeds on itself (``a/`` from ``/a/``)."""

    def answer(self, path):
        if path == "/":
            return 200, _page("/bon-1", "/agenda?page=1", "/jour/1", "/a/"), {}
        if path in ("/bon-1", "/bon-2"):
            return 200, _page("/bon-2", "/"), {}
        if path.startswith("/agenda?page="):
            number = int(path.split("=")[1].split("&")[0])
            return 200, _page(f"/agenda?page={number + 1}", f"{path}&vue=semaine"), {}
        if path.startswith("/jour/"):
            return 200, _page(f"/jour/{int(path.rsplit('/', 1)[1]) + 1}"), {}
        if path.startswith("/a/"):
            return 200, _page("a/", "/bon-2"), {}
        return 404, b"", {}


def test_calendar_traps_end_within_their_bounds_and_the_good_pages_are_archived(tmp_path):
    archive = tmp_path / "archive"
    with serving(_Traps) as (site_url, handler):
        # Traps are told, not losses: the crawl finished.
        crawled = crawl(site_url, archive, "-v", "-s", "MAX_QUERY_VARIANTS=40")
    requested = handler.requested
    # The agenda's 40 query variants (pages and week views), then no more.
    assert len([path for path in requested if path.startswith("/agenda?")]) == 40
    # Days up to DEPTH_LIMIT (100) links from the home page.
    days = [int(path.rsplit("/", 1)[1]) for path in requested if path.startswith("/jour/")]
    assert max(days) == 100 and len(days) == 100
    # /a/a/a/ is allowed, /a/a/a/a/ is a trap (MAX_REPEATED_SEGMENTS=3).
    assert [path for path in requested if path.startswith("/a/")] == ["/a/", "/a/a/", "/a/a/a/"]

    reasons = _dropped(archive)
    assert reasons[f"{site_url}jour/101"] == "too-deep"
    assert reasons[f"{site_url}a/a/a/a/"] == "repeated-segments"
    assert "query-variants" in reasons.values()
    assert _stat(crawled.stderr, "scoparchive/too_deep") == 1
    assert _stat(crawled.stderr, "scoparchive/repeated_segments") == 1
    assert _stat(crawled.stderr, "scoparchive/query_variants") >= 1
    for bound in ("DEPTH_LIMIT", "MAX_REPEATED_SEGMENTS", "MAX_QUERY_VARIANTS"):
        assert any(line.startswith("warning: ") and bound in line
                   for line in crawled.stderr.splitlines()), bound

    archived = {capture.url.removeprefix(site_url) for capture in ArchiveReader(archive).captures(
        bodies=False) if capture.status == 200}
    assert {"", "bon-1", "bon-2"} <= archived
    assert {site_url + path for path in ("", "bon-1", "bon-2")} <= build(archive,
                                                                         tmp_path / "out")


class _SitemapChain(_Site):
    """A sitemap index that always names a new one, and a sitemap of one page beside each: an
    endless chain. The home page links to two pages."""

    def answer(self, path):
        base = f"http://127.0.0.1:{self.server.server_port}"
        xml = {"Content-Type": "application/xml"}
        namespace = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        if path == "/robots.txt":
            return 200, f"Sitemap: {base}/index-0.xml\n".encode(), {"Content-Type": "text/plain"}
        if path.startswith("/index-"):
            number = int(path.removeprefix("/index-").removesuffix(".xml"))
            return 200, (f'<?xml version="1.0"?><sitemapindex {namespace}>'
                         f"<sitemap><loc>{base}/plan-{number}.xml</loc></sitemap>"
                         f"<sitemap><loc>{base}/index-{number + 1}.xml</loc></sitemap>"
                         "</sitemapindex>").encode(), xml
        if path.startswith("/plan-"):
            number = int(path.removeprefix("/plan-").removesuffix(".xml"))
            return 200, (f'<?xml version="1.0"?><urlset {namespace}><url>'
                         f"<loc>{base}/page-{number}</loc><lastmod>2024-01-01</lastmod>"
                         "</url></urlset>").encode(), xml
        if path in ("/", "/a", "/b") or path.startswith("/page-"):
            return 200, _page("/a", "/b"), {}
        return 404, b"", {}


def test_an_endless_sitemap_chain_stops_at_its_bound_and_pages_start_meanwhile(tmp_path):
    archive = tmp_path / "archive"
    with serving(_SitemapChain) as (site_url, handler):
        # Sitemaps left unread are a loss: partial.
        crawled = crawl(site_url, archive, "-v", "-s", "MAX_SITEMAPS=30", exit_code=3)
    requested = handler.requested
    sitemaps = [number for number, path in enumerate(requested) if path.endswith(".xml")]
    assert len(sitemaps) == 30
    pages = [number for number, path in enumerate(requested) if path.startswith("/page-")]
    assert len(pages) == 15  # one per sitemap of pages read
    assert {"/", "/a", "/b"} <= set(requested)
    # Pages did not wait for the last sitemap.
    assert requested.index("/") < sitemaps[-1] and pages[0] < sitemaps[-1]

    assert _stat(crawled.stderr, "scoparchive/sitemaps_over_limit") == 1
    (line,) = [line for line in crawled.stderr.splitlines() if "MAX_SITEMAPS" in line
               and line.startswith("warning: ")]
    assert "more than 30 sitemaps" in line
    assert set(_dropped(archive).values()) == {"sitemap-limit"}
    assert {site_url + path for path in ("", "a", "b", "page-0")} <= build(archive,
                                                                           tmp_path / "out")
