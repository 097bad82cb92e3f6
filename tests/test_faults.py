"""Hostile or odd input met by an unattended crawl, on a real loopback site: nothing after the
odd part is lost, and the URL requested is the one the site wrote."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import run_cli

from scoparchive.archive import ArchiveReader

pytestmark = pytest.mark.slow


class _OddLinks(BaseHTTPRequestHandler):
    """A home page whose first links are an IPv6 literal and a SPIP article (a query key with
    no value), then an ordinary page; a sitemap that starts with an IPv6 literal too."""

    requested: list[str]

    def do_GET(self):
        self.requested.append(self.path)
        port = self.server.server_port
        pages = {
            "/": '<html><body><a href="http://[::1]/ailleurs">v6</a> '
                 '<a href="http://[2001:db8::1]:8080/x?y">v6 port</a> '
                 '<a href="/spip.php?article12">SPIP</a> <a href="/apres">after</a></body></html>',
            "/spip.php?article12": "<html><body><h1>Article 12</h1></body></html>",
            "/apres": "<html><body><h1>After the odd links</h1></body></html>",
            "/du-plan": "<html><body><h1>From the sitemap</h1></body></html>",
            "/sitemap.xml": '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                            'sitemap/0.9"><url><loc>http://[::1]/plan</loc></url><url><loc>'
                            f"http://127.0.0.1:{port}/du-plan</loc></url></urlset>",
        }
        body = pages.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/xml" if self.path.endswith(".xml")
                         else "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_odd_links_lose_nothing_after_them_and_are_requested_as_written(tmp_path):
    handler = type("Handler", (_OddLinks,), {"requested": []})
    site = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    archive = tmp_path / "archive"
    try:
        run_cli("crawl", "--site-url", f"http://127.0.0.1:{site.server_port}/",
                "--archive", str(archive))
    finally:
        site.shutdown()
    requested = set(handler.requested)
    assert {"/apres", "/du-plan", "/spip.php?article12"} <= requested
    assert "/spip.php?article12=" not in requested
    archived = {capture.url.split("/", 3)[3] for capture in ArchiveReader(archive).captures(
        bodies=False)}
    assert {"apres", "du-plan", "spip.php?article12"} <= archived
