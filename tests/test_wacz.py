"""`scoparchive wacz`: the archive packed into one WACZ 1.1.1 file, checked with py-wacz's own
validator, on a copy of the session's crawl of the replica; and its refusals, one line each."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest
from conftest import run_cli

from scoparchive.archive import ArchiveReader, ArchiveWriter, iter_records
from scoparchive.archive.model import HTML_TYPES, mime_of
from scoparchive.archive.naming import OPEN_SUFFIX, parse_name

T0 = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
SITE = "https://les-scop-idf.coop"


def validate(wacz: Path) -> subprocess.CompletedProcess:
    """py-wacz's validator, its command line from this environment (`wacz validate -f`)."""
    return subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(wacz)],
                          capture_output=True, text=True, timeout=120)


def assert_valid(wacz: Path) -> None:
    checked = validate(wacz)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Validation succeeded, the passed WACZ is valid" in checked.stdout, checked.stdout


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def error_line(completed: subprocess.CompletedProcess) -> str:
    """The one line a refusal prints: exit status 1, nothing else on stderr."""
    assert completed.returncode == 1, completed.stdout + completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


# --- a copy of the session's crawl of the replica, packed once -------------------------------

@dataclass
class Packed:
    archive: Path
    wacz: Path
    completed: subprocess.CompletedProcess
    finished: list[Path]
    open_file: Path
    seconds: float


@pytest.fixture(scope="module")
def packed(built_replica, tmp_path_factory) -> Packed:
    base = tmp_path_factory.mktemp("wacz")
    archive = base / "archive"
    # A copy: the other tests keep the shared archive as the crawl left it.
    shutil.copytree(built_replica.archive, archive)
    finished = ArchiveReader(archive).warc_files()
    assert finished and (archive / ".cache").is_dir()
    # A crawl still writing: the first half of a file, under a later file's `.open` name.
    name = parse_name(finished[-1].name)
    open_name = name.filename.replace(f"-{name.serial:05d}.", f"-{name.serial + 1:05d}.")
    open_file = archive / (open_name + OPEN_SUFFIX)
    data = finished[-1].read_bytes()
    open_file.write_bytes(data[: len(data) // 2])
    started = datetime.now(UTC)
    completed = run_cli("wacz", "--archive", str(archive), check=False)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return Packed(archive, base / "archive.wacz", completed, finished, open_file, seconds)


@pytest.mark.slow
def test_the_wacz_is_written_beside_the_archive(packed):
    assert packed.completed.returncode == 0, packed.completed.stderr
    assert packed.wacz.is_file()
    assert "WACZ écrit (WACZ written)" in packed.completed.stderr
    assert str(packed.wacz) in packed.completed.stderr
    # Nothing half written is left beside it.
    assert sorted(path.name for path in packed.wacz.parent.iterdir()) == ["archive",
                                                                          "archive.wacz"]
    assert packed.seconds < 60


@pytest.mark.slow
def test_py_wacz_validates_it(packed):
    assert_valid(packed.wacz)
    with zipfile.ZipFile(packed.wacz) as wacz:
        package = json.loads(wacz.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1"
        names = set(wacz.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "indexes/index.cdx.gz",
                "indexes/index.idx", "pages/pages.jsonl"} <= names
        # Every file but the package's own is listed, with its size and hash.
        listed = {resource["path"]: resource for resource in package["resources"]}
        assert set(listed) == names - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = wacz.read(path)
            assert (resource["bytes"], resource["hash"]) == (len(data), sha256(data)), path
        digest = json.loads(wacz.read("datapackage-digest.json"))
        assert digest["hash"] == sha256(wacz.read("datapackage.json"))


@pytest.mark.slow
def test_the_warc_files_are_the_archives_byte_for_byte_and_the_open_file_stays_out(packed):
    with zipfile.ZipFile(packed.wacz) as wacz:
        warcs = {info.filename: info for info in wacz.infolist()
                 if info.filename.startswith("archive/")}
        assert sorted(warcs) == sorted(f"archive/{path.name}" for path in packed.finished)
        for path in packed.finished:
            info = warcs[f"archive/{path.name}"]
            # Stored, not compressed again: a replay tool reads a record by its byte range.
            assert info.compress_type == zipfile.ZIP_STORED
            assert wacz.read(info) == path.read_bytes()
        assert not [name for name in wacz.namelist()
                    if name.endswith(OPEN_SUFFIX) or ".cache" in name or packed.open_file.name
                    in name]


@pytest.mark.slow
def test_the_cdxj_covers_every_response_record(packed):
    with zipfile.ZipFile(packed.wacz) as wacz:
        lines = gzip.decompress(wacz.read("indexes/index.cdx.gz")).decode().splitlines()
    indexed = set()
    for line in lines:
        _key, _timestamp, fields = line.split(" ", 2)
        fields = json.loads(fields)
        indexed.add((fields["filename"], int(fields["offset"])))
    records = [(path.name, stored.offset, stored.rec_type) for path in packed.finished
               for stored in iter_records(path)]
    captures = [(name, offset) for name, offset, kind in records
                if kind in ("response", "revisit")]
    assert len(captures) > 50
    assert [capture for capture in captures if capture not in indexed] == []


@pytest.mark.slow
def test_the_pages_index_lists_the_html_pages_with_their_titles(packed):
    expected = {}  # URL -> (capture time, <title>) of its latest HTML 200 capture
    for capture in ArchiveReader(packed.archive).captures():
        if capture.status == 200 and mime_of(capture.content_type) in HTML_TYPES:
            title = lxml.html.document_fromstring(capture.body).findtext(".//title")
            expected[capture.url] = (capture.captured_at.replace(microsecond=0),
                                     " ".join(title.split()))
    assert len(expected) > 20
    with zipfile.ZipFile(packed.wacz) as wacz:
        header, *lines = wacz.read("pages/pages.jsonl").decode().splitlines()
    assert json.loads(header)["format"] == "json-pages-1.0"
    pages = {page["url"]: page for page in map(json.loads, lines)}
    assert len(pages) == len(lines)
    assert set(pages) == set(expected)
    for url, (captured_at, title) in expected.items():
        assert pages[url]["title"] == title, url
        assert pages[url]["title"] != url
        assert datetime.fromisoformat(pages[url]["ts"]) == captured_at, url
    home = next(url for url in pages if url.rstrip("/").count("/") == 2)
    assert pages[home]["title"].startswith("Union régionale des Scop et Scic Île-de-France")
    assert f"{len(pages)} pages" in packed.completed.stderr


# --- a small archive written here, and what is refused --------------------------------------

def write_archive(directory: Path) -> Path:
    page = "<html><head><title>Les Scop  d'Île-de-France</title></head><body><p>coopérative"
    with ArchiveWriter(directory, run_id="wacz", software="scoparchive/test",
                       operator="archives@example.org") as writer:
        for i, path in enumerate(["/", "/contact", "/logo.png"]):
            html = not path.endswith(".png")
            writer.write_exchange(
                url=SITE + path, method="GET", request_headers=[], request_body=b"",
                http_version="HTTP/1.1", status=200, reason="OK",
                response_headers=[("Content-Type",
                                   "text/html; charset=utf-8" if html else "image/png")],
                payload=(page + path).encode() if html else b"\x89PNG",
                fetched_at=T0.replace(second=i), remote_ip="127.0.0.1",
            )
    return directory


@pytest.mark.slow  # three runs of the command
def test_a_second_run_replaces_the_wacz_whole(tmp_path):
    archive = write_archive(tmp_path / "archive")
    out = tmp_path / "exports" / "scop.wacz"
    run_cli("wacz", "--archive", str(archive), "--out", str(out))
    assert "remplace" not in run_cli("wacz", "--archive", str(archive), "--out",
                                     str(tmp_path / "other.wacz")).stderr
    again = run_cli("wacz", "--archive", str(archive), "--out", str(out))
    assert "remplace le précédent" in again.stderr
    assert_valid(out)
    with zipfile.ZipFile(out) as wacz:
        _header, *lines = wacz.read("pages/pages.jsonl").decode().splitlines()
    titles = {page["url"]: page["title"] for page in map(json.loads, lines)}
    assert titles == {SITE + "/": "Les Scop d'Île-de-France", SITE + "/contact":
                      "Les Scop d'Île-de-France"}
    # The PNG is no page; nothing half written is left beside the WACZ.
    assert sorted(path.name for path in out.parent.iterdir()) == ["scop.wacz"]


def test_a_missing_archive_is_one_line(tmp_path):
    line = error_line(run_cli("wacz", "--archive", str(tmp_path / "nowhere"), check=False))
    assert "no archive folder" in line
    assert list(tmp_path.iterdir()) == []


def test_an_empty_archive_is_one_line(tmp_path):
    (tmp_path / "archive").mkdir()
    line = error_line(run_cli("wacz", "--archive", str(tmp_path / "archive"), check=False))
    assert "no WARC file" in line
    assert [path.name for path in tmp_path.iterdir()] == ["archive"]


def test_an_archive_with_only_an_open_file_points_to_resume(tmp_path):
    archive = write_archive(tmp_path / "archive")
    for path in ArchiveReader(archive).warc_files():
        path.rename(path.with_name(path.name + OPEN_SUFFIX))
    line = error_line(run_cli("wacz", "--archive", str(archive), check=False))
    assert "only .open" in line and "--resume" in line
    assert not (tmp_path / "archive.wacz").exists()


def test_an_out_file_not_named_wacz_is_refused(tmp_path):
    archive = write_archive(tmp_path / "archive")
    line = error_line(run_cli("wacz", "--archive", str(archive), "--out",
                              str(tmp_path / "archive.zip"), check=False))
    assert ".wacz" in line
    assert not (tmp_path / "archive.zip").exists()


def test_a_damaged_warc_file_leaves_the_older_wacz_whole(tmp_path):
    archive = write_archive(tmp_path / "archive")
    out = tmp_path / "archive.wacz"
    out.write_bytes(b"the WACZ of last week")
    stray = archive / "notes.warc.gz"
    stray.write_bytes(b"not a WARC record\n")
    completed = run_cli("wacz", "--archive", str(archive), check=False)
    assert completed.returncode == 1, completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and str(stray) in errors[0] and "no WACZ written" in errors[0]
    assert out.read_bytes() == b"the WACZ of last week"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive", "archive.wacz"]
