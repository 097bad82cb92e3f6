"""Replay through pywb, on 127.0.0.1: our index.cdxj served as is, and pywb's own import."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scoparchive.archive import ArchiveReader, ArchiveWriter

# pywb pins old redis and werkzeug and replaces the brotli module that Scrapy needs, so it lives in
# a virtual environment of its own, which `make test` installs (.venv-pywb).
BIN = Path(os.environ.get("SCOPARCHIVE_PYWB_BIN",
                          Path(__file__).resolve().parent.parent / ".venv-pywb" / "bin"))
if not (BIN / "wayback").exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"pywb is missing from {BIN}: `make test` installs it")
    pytest.skip(f"pywb is not installed in {BIN} (`make test` installs it); replay not tested",
                allow_module_level=True)

pytestmark = pytest.mark.slow  # a real pywb per test

SITE = "https://les-scop-idf.coop"
PAGE = "<html><body><h1>Les Scop d'Île-de-France</h1>" + "<p>coopérative</p>" * 100
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, timeout: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture
def archive(tmp_path) -> Path:
    directory = tmp_path / "archive"
    payload = gzip.compress(PAGE.encode(), mtime=0)
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
    with ArchiveWriter(directory, run_id="replay", software="scoparchive/test",
                       operator="archives@example.org") as writer:
        for i, path in enumerate(["/", "/copy"]):  # the second is an identical-payload revisit
            writer.write_exchange(
                url=SITE + path, method="GET", request_headers=[], request_body=b"",
                http_version="HTTP/1.1", status=200, reason="OK", response_headers=headers,
                payload=payload, fetched_at=T0 + timedelta(seconds=i), remote_ip="127.0.0.1",
            )
    return directory


def serve(root: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "wayback"), "-p", str(port), "-b", "127.0.0.1", "-t", "2"],
        cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    return process, port


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def assert_replays(port: int, collection: str) -> None:
    for path in ("/", "/copy"):
        status, body = fetch(f"http://127.0.0.1:{port}/{collection}/20261129120000id_/{SITE}{path}")
        assert status == 200, body[:500]
        if body[:2] == b"\x1f\x8b":  # pywb may pass the stored Content-Encoding through
            body = gzip.decompress(body)
        assert PAGE.encode() in body


def test_pywb_replays_from_our_index(archive, tmp_path):
    root = tmp_path / "pywb"
    root.mkdir()
    (root / "config.yaml").write_text(
        "collections:\n"
        "  scop:\n"
        f"    index_paths: {archive / 'index.cdxj'}\n"
        f"    archive_paths: {archive}/\n"
    )
    process, port = serve(root)
    try:
        assert_replays(port, "scop")
    finally:
        stop(process)


def test_pywb_imports_and_replays_our_warcs(archive, tmp_path):
    root = tmp_path / "pywb"
    root.mkdir()
    manager = str(BIN / "wb-manager")
    subprocess.run([manager, "init", "scop"], cwd=root, check=True, capture_output=True)
    warcs = [str(p) for p in ArchiveReader(archive).warc_files()]
    subprocess.run([manager, "add", "scop", *warcs], cwd=root, check=True, capture_output=True)
    process, port = serve(root)
    try:
        assert_replays(port, "scop")
    finally:
        stop(process)


def test_pywb_replays_a_page_of_a_crawl_of_the_replica(tmp_path):
    from conftest import run_cli

    from scoparchive.replica import ReplicaServer

    archive = tmp_path / "archive"
    with ReplicaServer(port=0) as replica:
        run_cli("crawl", "--site-url", replica.url, "--archive", str(archive),
                "--max-pages", "10")
        home = replica.url
    root = tmp_path / "pywb"
    root.mkdir()
    (root / "config.yaml").write_text(
        "collections:\n"
        "  site:\n"
        f"    index_paths: {archive / 'index.cdxj'}\n"
        f"    archive_paths: {archive}/\n"
    )
    process, port = serve(root)
    try:
        status, body = fetch(f"http://127.0.0.1:{port}/site/2100id_/{home}")
    finally:
        stop(process)
    assert status == 200, body[:500]
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    assert "Bienvenue sur le site de votre Union Régionale".encode() in body
