"""The archive layer on real files: WARC validity (warcio's own checker and indexer), digests,
revisits, rotation, `.open` files, damage, the CDXJ index and the crawl log."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator

from scoparchive.archive import (
    IDENTICAL_PAYLOAD_PROFILE,
    SERVER_NOT_MODIFIED_PROFILE,
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    iter_records,
    read_crawl_log,
    read_index,
    salvage_open_file,
    update_index,
)
from scoparchive.archive.index import INDEX_FILE
from scoparchive.archive.naming import parse_name

SITE = "https://les-scop-idf.coop"
T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
WARCIO = Path(sys.executable).with_name("warcio")
PAGE = ("<html><head><meta charset='utf-8'></head><body><h1>Scop Île-de-France</h1>"
        + "<p>coopérative</p>" * 300 + "</body></html>").encode()
OTHER_PAGE = b"<html><body><h1>Actualites</h1>" + b"<p>autre</p>" * 300 + b"</body></html>"


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def exchange(path: str, *, at: int, status: int = 200, payload: bytes = b"",
             headers: list[tuple[str, str]] | None = None, **extra) -> dict:
    return {
        "url": SITE + path,
        "method": "GET",
        "request_headers": [("User-Agent", "scoparchive-test"), ("Accept-Encoding", "gzip, br")],
        "request_body": b"",
        "http_version": "HTTP/1.1",
        "status": status,
        "reason": "",
        "response_headers": headers or [],
        "payload": payload,
        "fetched_at": T0 + timedelta(seconds=at),
        "remote_ip": "127.0.0.1",
        **extra,
    }


def html_headers(encoding: str | None = None, etag: str = '"v1"') -> list[tuple[str, str]]:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("ETag", etag),
               ("Last-Modified", "Sun, 01 Nov 2026 10:00:00 GMT")]
    if encoding:
        headers.append(("Content-Encoding", encoding))
    return headers


def new_writer(directory: Path, run_id: str = "run1", **kwargs) -> ArchiveWriter:
    return ArchiveWriter(directory, run_id=run_id, software="scoparchive/test",
                         operator="archives@example.org", **kwargs)


GZ_PAGE = gzip.compress(PAGE, mtime=0)

# One run touching every case; max_file_size small enough to rotate a few times.
RUN1 = [
    # gzip as sent, with the chunked header Twisted has already undone
    exchange("/", at=0, payload=GZ_PAGE,
             headers=[*html_headers("gzip"), ("Transfer-Encoding", "chunked")]),
    # same bytes under another URL: identical-payload revisit
    exchange("/index.html", at=1, payload=GZ_PAGE,
             headers=[*html_headers("gzip"), ("Content-Length", str(len(GZ_PAGE)))]),
    exchange("/actualites", at=2, payload=OTHER_PAGE, headers=html_headers(etag='"a1"')),
    exchange("/deflated", at=3, payload=zlib.compress(b"deflated body " * 50),
             headers=[("Content-Type", "text/plain"), ("Content-Encoding", "deflate")]),
    exchange("/logo.png", at=4, payload=bytes(range(256)) * 40,
             headers=[("Content-Type", "image/png"), ("Content-Length", "999999")]),
    # two empty redirects: an empty payload is never turned into a revisit
    exchange("/old", at=5, status=301, headers=[("Location", SITE + "/")]),
    exchange("/older", at=6, status=301, headers=[("Location", SITE + "/")]),
    # the server confirms "/" unchanged
    exchange("/", at=7, status=304, headers=[("ETag", '"v1"'), ("Date", "Sun, 29 Nov 2026")],
             request_headers=[("If-None-Match", '"v1"')]),
]
RECORDS_PER_EXCHANGE = 2


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("archive")
    with new_writer(directory, max_file_size=3000) as writer:
        refs = [writer.write_exchange(**ex) for ex in RUN1]
    (directory / "refs.json").write_text(json.dumps([r.warc_file for r in refs]))
    return directory


def records_of(path: Path) -> list:
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        out = []
        for record in it:
            payload = record.raw_stream.read()
            out.append((it.get_record_offset(), record.rec_type, record.rec_headers, payload,
                        record.http_headers))
        return out


def all_records(directory: Path) -> list:
    return [r for path in ArchiveReader(directory).warc_files() for r in records_of(path)]


# -- files -------------------------------------------------------------------------------------


def test_files_are_named_finished_and_rotated(archive):
    files = ArchiveReader(archive).warc_files()
    assert len(files) >= 3, "max_file_size=3000 should rotate"
    assert not list(archive.glob("*.open"))
    names = [parse_name(f.name) for f in files]
    assert all(n and n.prefix == "scoparchive" and n.run_id == "run1" for n in names)
    assert names[0].stamp == "20261129120000"
    assert [n.serial for n in names] == list(range(len(files)))
    for path in files:
        records = records_of(path)
        assert records[0][1] == "warcinfo", f"{path.name} must open with warcinfo"
        assert [r[1] for r in records].count("warcinfo") == 1


def test_warcinfo_says_who_what_and_fidelity(archive):
    runs = ArchiveReader(archive).runs()
    assert [run.run_id for run in runs] == ["run1"]
    info = runs[0].info
    assert runs[0].software == "scoparchive/test"
    assert runs[0].operator == "archives@example.org"
    assert info["robots"] == "obey"
    assert info["format"] == "WARC File Format 1.1"
    assert "chunked" in info["scoparchive-fidelity"]
    assert runs[0].started_at.tzinfo is not None
    assert runs[0].files == ArchiveReader(archive).warc_files()


def test_warcio_check_passes_on_every_file(archive):
    for path in ArchiveReader(archive).warc_files():
        done = subprocess.run([str(WARCIO), "check", "-v", str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "digest pass" in done.stdout


def test_warcio_index_lists_every_record(archive):
    listed = []
    for path in ArchiveReader(archive).warc_files():
        done = subprocess.run([str(WARCIO), "index", "-f", "warc-type,warc-target-uri,offset",
                               str(path)], capture_output=True, text=True, check=True)
        listed += [json.loads(line) for line in done.stdout.splitlines()]
    files = len(ArchiveReader(archive).warc_files())
    assert len(listed) == files + RECORDS_PER_EXCHANGE * len(RUN1)
    assert sum(1 for r in listed if r["warc-type"] == "request") == len(RUN1)


# -- records -----------------------------------------------------------------------------------


def test_version_digests_and_pairing(archive):
    records = all_records(archive)
    by_id = {headers.get_header("WARC-Record-ID"): (kind, headers) for _, kind, headers, _, _
             in records}
    for _, kind, headers, payload, http in records:
        assert headers.protocol == "WARC/1.1"
        if kind == "response":
            assert headers.get_header("WARC-Payload-Digest") == sha1_b32(payload)
            block = http.to_ascii_bytes() + payload
            assert headers.get_header("WARC-Block-Digest") == sha1_b32(block)
            assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
        if kind == "request":
            concurrent = headers.get_header("WARC-Concurrent-To")
            assert by_id[concurrent][0] in ("response", "revisit")
            assert by_id[concurrent][1].get_header("WARC-Date") == headers.get_header("WARC-Date")
    sent = {ex["url"]: ex["payload"] for ex in RUN1 if ex["status"] != 304}
    stored = {h.get_header("WARC-Target-URI"): p for _, k, h, p, _ in records if k == "response"}
    for url, payload in stored.items():
        assert payload == sent[url], f"{url}: payload must be stored exactly as received"


def test_headers_that_no_longer_fit_are_renamed(archive):
    http = {h.get_header("WARC-Target-URI"): hh for _, k, h, _, hh in all_records(archive)
            if k == "response"}
    home = http[SITE + "/"]
    assert home.get_header("Transfer-Encoding") is None
    assert home.get_header("X-Crawler-Transfer-Encoding") == "chunked"
    assert home.get_header("Content-Encoding") == "gzip"
    logo = http[SITE + "/logo.png"]
    assert logo.get_header("Content-Length") is None
    assert logo.get_header("X-Crawler-Content-Length") == "999999"


def test_revisit_records(archive):
    revisits = {h.get_header("WARC-Target-URI"): (h, hh) for _, k, h, p, hh
                in all_records(archive) if k == "revisit"}
    assert set(revisits) == {SITE + "/index.html", SITE + "/"}
    dup, dup_http = revisits[SITE + "/index.html"]
    assert dup.get_header("WARC-Profile") == IDENTICAL_PAYLOAD_PROFILE
    assert dup.get_header("WARC-Payload-Digest") == sha1_b32(GZ_PAGE)
    assert dup.get_header("WARC-Refers-To-Target-URI") == SITE + "/"
    assert dup.get_header("WARC-Refers-To-Date") == "2026-11-29T12:00:00Z"
    assert dup_http.get_statuscode() == "200"
    assert dup_http.get_header("Content-Length") == str(len(GZ_PAGE))
    not_modified, nm_http = revisits[SITE + "/"]
    assert not_modified.get_header("WARC-Profile") == SERVER_NOT_MODIFIED_PROFILE
    assert not_modified.get_header("WARC-Refers-To-Target-URI") == SITE + "/"
    assert not_modified.get_header("WARC-Refers-To-Date") == "2026-11-29T12:00:00Z"
    assert not_modified.get_header("WARC-Refers-To") == dup.get_header("WARC-Refers-To")
    assert nm_http.get_statuscode() == "304"


def test_request_record_is_origin_form_with_host(archive):
    requests = [hh for _, k, h, _, hh in all_records(archive) if k == "request"]
    first = requests[0]
    assert first.protocol == "GET"
    assert first.statusline == "/ HTTP/1.1"
    assert first.get_header("Host") == "les-scop-idf.coop"
    assert first.get_header("User-Agent") == "scoparchive-test"


def test_naive_datetime_is_refused(tmp_path):
    with new_writer(tmp_path) as writer, pytest.raises(ValueError, match="aware"):
        writer.write_exchange(**{**exchange("/", at=0), "fetched_at": datetime(2026, 1, 1)})


# -- reader ------------------------------------------------------------------------------------


def test_reader_returns_decoded_bodies_in_capture_order(archive):
    captures = list(ArchiveReader(archive).captures())
    assert [c.url for c in captures] == [ex["url"] for ex in RUN1]
    assert [c.captured_at for c in captures] == sorted(c.captured_at for c in captures)
    assert all(c.captured_at.tzinfo == UTC for c in captures)
    by_url = {c.url: c for c in captures if not c.is_revisit}
    assert by_url[SITE + "/"].body == PAGE
    assert by_url[SITE + "/"].content_type == "text/html"
    assert by_url[SITE + "/"].charset == "utf-8"
    assert by_url[SITE + "/actualites"].body == OTHER_PAGE
    assert by_url[SITE + "/deflated"].body == b"deflated body " * 50
    assert by_url[SITE + "/logo.png"].body == bytes(range(256)) * 40
    assert by_url[SITE + "/old"].status == 301
    assert by_url[SITE + "/old"].headers.get("location") == SITE + "/"
    assert all(c.run_id == "run1" and c.decode_error is None for c in captures)


def test_revisits_are_resolved(archive):
    captures = list(ArchiveReader(archive).captures())
    original = captures[0]
    duplicate = captures[1]
    assert duplicate.is_revisit and duplicate.resolved
    assert duplicate.revisit_profile == IDENTICAL_PAYLOAD_PROFILE
    assert duplicate.refers_to_record_id == original.record_id
    assert duplicate.body == PAGE and duplicate.status == 200
    assert duplicate.payload_digest == original.payload_digest
    not_modified = captures[-1]
    assert not_modified.is_revisit and not_modified.resolved
    assert not_modified.revisit_profile == SERVER_NOT_MODIFIED_PROFILE
    assert not_modified.status == 200
    assert not_modified.body == PAGE
    assert not_modified.content_type == "text/html"
    # freshened with the 304's headers (RFC 9111), the rest kept from the stored response
    assert not_modified.headers.get("Date") == "Sun, 29 Nov 2026"
    assert not_modified.headers.get("Last-Modified") == "Sun, 01 Nov 2026 10:00:00 GMT"
    # Where the payload each stands for is, with or without bodies: the original's record.
    for reading in (captures, list(ArchiveReader(archive).captures(bodies=False))):
        where = (reading[0].warc_file, reading[0].offset)
        assert reading[0].payload_at == reading[1].payload_at == reading[-1].payload_at == where


def test_brotli_payloads_are_decoded(tmp_path):
    with new_writer(tmp_path) as writer:
        writer.write_exchange(**exchange("/br", at=0, payload=brotli.compress(OTHER_PAGE),
                                         headers=html_headers("br")))
    (capture,) = ArchiveReader(tmp_path).captures()
    assert capture.body == OTHER_PAGE and capture.decode_error is None
    # warcio 1.8 cannot decode br with Google's Brotli (webrecorder/warcio#73): its checker
    # passes once our adapter is registered.
    (path,) = ArchiveReader(tmp_path).warc_files()
    check = ("import sys; from scoparchive.archive.payload import install_warcio_brotli_compat; "
             "install_warcio_brotli_compat(); from warcio.cli import main; main(sys.argv[1:])")
    done = subprocess.run([sys.executable, "-c", check, "check", "-v", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_captures_without_bodies(archive):
    captures = list(ArchiveReader(archive).captures(bodies=False))
    assert len(captures) == len(RUN1)
    assert all(c.body is None for c in captures)
    assert captures[-1].status == 200 and captures[-1].resolved


def test_latest_by_url_for_conditional_requests(archive):
    latest = ArchiveReader(archive).latest_by_url()
    assert set(latest) == {ex["url"] for ex in RUN1}
    home = latest[SITE + "/"]
    assert home.is_revisit and home.headers.get("etag") == '"v1"'
    assert home.headers.get("Last-Modified") == "Sun, 01 Nov 2026 10:00:00 GMT"


def test_a_second_run_deduplicates_against_the_first(tmp_path):
    with new_writer(tmp_path, run_id="run1") as writer:
        first = writer.write_exchange(**exchange("/", at=0, payload=PAGE,
                                                 headers=html_headers()))
    digests, latest = ArchiveReader(tmp_path).recrawl_state()
    assert digests == ArchiveReader(tmp_path).known_digests() == {first.payload_digest: first}
    with new_writer(tmp_path, run_id="run2", known_digests=digests,
                    latest_by_url=latest) as writer:
        again = writer.write_exchange(**exchange("/", at=3600, payload=PAGE,
                                                 headers=html_headers()))
        confirmed = writer.write_exchange(**exchange("/", at=7200, status=304,
                                                     headers=[("ETag", '"v1"')]))
    assert again.record_type == "revisit" and again.payload_digest == first.payload_digest
    assert confirmed.record_type == "revisit"
    runs = ArchiveReader(tmp_path).runs()
    assert [r.run_id for r in runs] == ["run1", "run2"]
    captures = list(ArchiveReader(tmp_path).captures())
    assert [c.run_id for c in captures] == ["run1", "run2", "run2"]
    assert [c.body for c in captures] == [PAGE, PAGE, PAGE]
    assert captures[1].refers_to_record_id == first.record_id
    assert captures[2].refers_to_record_id == again.record_id


def test_unresolvable_304_is_reported_not_invented(tmp_path):
    with new_writer(tmp_path) as writer:
        writer.write_exchange(**exchange("/", at=0, status=304, headers=[("ETag", '"x"')]))
    (capture,) = ArchiveReader(tmp_path).captures()
    assert capture.is_revisit and not capture.resolved
    assert capture.status == 304 and capture.body is None


def test_read_capture_at_an_index_offset(archive):
    reader = ArchiveReader(archive)
    for capture in reader.captures():
        again = reader.read_capture(capture.warc_file.name, capture.offset)
        assert again.record_id == capture.record_id
        if not capture.is_revisit:
            assert again.body == capture.body


# -- .open files and damage ------------------------------------------------------------------


def killed_crawl(directory: Path, exchanges: int) -> Path:
    """A writer whose process died: records flushed, file never finished."""
    writer = new_writer(directory, run_id="killed", update_index_on_close=False)
    for i in range(exchanges):
        writer.write_exchange(**exchange(f"/page{i}", at=i, payload=f"page {i}".encode() * 50))
    (open_file,) = directory.glob("*.open")
    return open_file


def test_open_files_are_ignored_then_read_up_to_the_last_whole_record(tmp_path):
    with new_writer(tmp_path, run_id="done") as writer:
        writer.write_exchange(**exchange("/", at=0, payload=PAGE))
    open_file = killed_crawl(tmp_path, 3)
    size = open_file.stat().st_size
    with open_file.open("r+b") as fh:  # the kill hit in the middle of a record
        fh.truncate(size - 40)
    assert [c.url for c in ArchiveReader(tmp_path).captures()] == [SITE + "/"]
    tolerant = ArchiveReader(tmp_path, include_open=True)
    urls = [c.url for c in tolerant.captures()]
    assert urls[0] == SITE + "/" and urls[1:] == [SITE + "/page0", SITE + "/page1",
                                                  SITE + "/page2"]
    # the torn record was the last request; salvage keeps every whole record
    finished = salvage_open_file(open_file)
    assert finished is not None and finished.name.endswith(".warc.gz")
    subprocess.run([str(WARCIO), "check", str(finished)], check=True, capture_output=True)
    assert len(list(ArchiveReader(tmp_path).captures())) == 4


def test_open_file_cut_inside_a_gzip_trailer(tmp_path):
    open_file = killed_crawl(tmp_path, 2)
    with open_file.open("r+b") as fh:
        fh.truncate(open_file.stat().st_size - 3)  # only the gzip trailer of the last record
    records = list(iter_records(open_file))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request", "response"]


def test_damage_in_a_finished_file_names_file_and_offset(tmp_path):
    with new_writer(tmp_path) as writer:
        refs = [writer.write_exchange(**exchange(f"/p{i}", at=i, payload=b"x" * 500 + bytes([i])))
                for i in range(4)]
    (path,) = ArchiveReader(tmp_path).warc_files()
    data = bytearray(path.read_bytes())
    data[refs[2].offset + 12: refs[2].offset + 20] = b"\x00garbage"
    path.write_bytes(bytes(data))
    seen = []
    with pytest.raises(ArchiveError) as failure:
        seen.extend(c.url for c in ArchiveReader(tmp_path, strict=True).captures(bodies=False))
    assert failure.value.path == path
    assert failure.value.offset == refs[2].offset
    assert path.name in str(failure.value) and str(refs[2].offset) in str(failure.value)
    assert seen == [SITE + "/p0", SITE + "/p1"], "records before the damage are not lost"
    # Not strict (the build's default): the damaged record is skipped, the next ones read, and
    # one line says what was lost.
    reader = ArchiveReader(tmp_path)
    assert [c.url for c in reader.captures(bodies=False)] == [*seen, SITE + "/p3"]
    (line,) = reader.skipped.values()
    assert line.startswith(f"{path} at offset {refs[2].offset}: ")
    assert f"{refs[2].length:,} byte(s) skipped, reading went on after it; 3 capture(s) read" in line


def test_truncated_finished_file_is_an_error(tmp_path):
    with new_writer(tmp_path) as writer:
        writer.write_exchange(**exchange("/", at=0, payload=PAGE))
    (path,) = ArchiveReader(tmp_path).warc_files()
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 100)
    with pytest.raises(ArchiveError, match=path.name):
        list(ArchiveReader(tmp_path, strict=True).captures())
    reader = ArchiveReader(tmp_path)
    assert [capture.url for capture in reader.captures()] == [SITE + "/"]  # its request is cut
    assert reader.skipped[path].endswith("1 capture(s) before it kept, the rest of the file "
                                         "skipped")


def test_no_cut_and_no_flipped_byte_makes_reading_raise(tmp_path):
    """Wherever a file is cut or a bit flipped, the records before the damage are read (after
    a flipped bit, those after it too) and the damage is one line: never a traceback (warcio met a header cut before its URI with an
    AttributeError, in 2 % of the cut points of a real file)."""
    with new_writer(tmp_path / "whole") as writer:
        for i in range(6):
            writer.write_exchange(**exchange(f"/p{i}", at=i, payload=PAGE + bytes([i]) * 300))
    (whole,) = ArchiveReader(tmp_path / "whole").warc_files()
    data = whole.read_bytes()
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    target = damaged / whole.name
    cuts = [(len(data) * k) // 97 for k in range(1, 97)]
    flips = [(len(data) * k) // 61 for k in range(61)]
    for variant in [data[:cut] for cut in cuts] + [
            data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1:] for at in flips]:
        target.write_bytes(variant)
        reader = ArchiveReader(damaged, use_index=False)
        urls = [capture.url for capture in reader.captures()]
        if len(variant) < len(data):  # cut: the records before the cut
            assert urls == [SITE + f"/p{i}" for i in range(len(urls))]
        else:  # flipped: every record but the one that holds the byte
            assert len(urls) >= 5 and urls == sorted(urls), urls
        assert len(reader.skipped) <= 1
        assert all("\n" not in line for line in reader.skipped.values())


# -- index and crawl log -----------------------------------------------------------------------


def test_index_cdxj_is_sorted_and_points_at_each_capture(archive):
    index = archive / "index.cdxj"
    lines = index.read_text().splitlines()
    assert lines == sorted(lines)
    entries = list(read_index(index))
    assert len(entries) == len(RUN1), "one line per response and revisit"
    reader = ArchiveReader(archive)
    for key, timestamp, fields in entries:
        assert key.startswith("coop,les-scop-idf)/")
        assert len(timestamp) == 14
        assert {"url", "mime", "status", "digest", "length", "offset", "filename"} <= set(fields)
        path = archive / fields["filename"]
        raw = path.read_bytes()[int(fields["offset"]): int(fields["offset"]) + int(fields["length"])]
        (record,) = list(ArchiveIterator(io.BytesIO(raw)))
        assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]
        assert record.rec_type in ("response", "revisit")
        capture = reader.read_capture(fields["filename"], int(fields["offset"]))
        assert capture.url == fields["url"]
    mimes = {f["url"]: f["mime"] for _, _, f in entries if f["mime"] != "warc/revisit"}
    assert mimes[SITE + "/logo.png"] == "image/png"
    assert mimes[SITE + "/old"] == "unk"


def test_index_is_merged_with_later_runs_and_forgets_removed_files(tmp_path):
    with new_writer(tmp_path, run_id="a") as writer:
        writer.write_exchange(**exchange("/a", at=0, payload=b"a" * 100))
    with new_writer(tmp_path, run_id="b") as writer:
        writer.write_exchange(**exchange("/b", at=10, payload=b"b" * 100))
    urls = [f["url"] for _, _, f in read_index(tmp_path / "index.cdxj")]
    assert urls == [SITE + "/a", SITE + "/b"]
    first = ArchiveReader(tmp_path).warc_files()[0]
    shutil.move(first, tmp_path / "elsewhere.bak")
    update_index(tmp_path)
    assert [f["url"] for _, _, f in read_index(tmp_path / "index.cdxj")] == [SITE + "/b"]


def test_crawl_log_has_a_line_per_fetch(archive, tmp_path):
    entries = list(read_crawl_log(archive / "logs" / "crawl-run1.jsonl"))
    assert len(entries) == len(RUN1)
    first = entries[0]
    assert first["url"] == SITE + "/" and first["status"] == 200
    assert first["size"] == len(GZ_PAGE) and first["mime"] == "text/html"
    assert first["digest"] == sha1_b32(GZ_PAGE)
    reader = ArchiveReader(archive)
    for entry in entries:
        capture = reader.read_capture(entry["warc_file"], entry["warc_offset"])
        assert capture.url == entry["url"]
    assert entries[-1]["status"] == 304 and entries[-1]["record_type"] == "revisit"
    with new_writer(tmp_path) as writer:
        writer.log_failure(SITE + "/down", error="TimeoutError", referrer=SITE + "/",
                           duration_ms=1500.04)
    (failure,) = read_crawl_log(tmp_path / "logs" / "crawl-run1.jsonl")
    assert failure["status"] == -1 and failure["warc_file"] is None
    assert failure["duration_ms"] == 1500.0


# -- scale -------------------------------------------------------------------------------------


def test_a_few_thousand_records_read_in_a_second_or_two(tmp_path):
    pages = 1500  # 3000 records + revisits resolved by seeking
    with new_writer(tmp_path, max_file_size=2 * 2**20) as writer:
        for i in range(pages):
            body = PAGE if i % 5 == 0 else PAGE + str(i).encode()
            writer.write_exchange(**exchange(f"/p{i}", at=i, payload=gzip.compress(body, 1, mtime=0),
                                             headers=html_headers("gzip")))
    started = time.perf_counter()
    captures = list(ArchiveReader(tmp_path).captures())
    elapsed = time.perf_counter() - started
    assert len(captures) == pages
    assert sum(c.is_revisit for c in captures) == pages // 5 - 1
    assert all(c.body.startswith(b"<html>") for c in captures)
    assert elapsed < 4, f"reading {pages} captures took {elapsed:.1f}s"


# -- the capture index and files other tools wrote ---------------------------------------------


def test_a_second_reading_without_bodies_comes_from_the_capture_index(archive, tmp_path):
    directory = tmp_path / "archive"
    shutil.copytree(archive, directory)
    first = [c.ref() for c in ArchiveReader(directory).captures(bodies=False)]
    assert (directory / INDEX_FILE).is_file()
    # Garbage of the same size and time: only the index can still tell what the files hold.
    for path in ArchiveReader(directory).warc_files():
        stat = path.stat()
        path.write_bytes(b"\0" * stat.st_size)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert [c.ref() for c in ArchiveReader(directory).captures(bodies=False)] == first
    with pytest.raises(ArchiveError):
        list(ArchiveReader(directory, use_index=False, strict=True).captures(bodies=False))


def test_a_file_changed_since_it_was_indexed_is_read_again(tmp_path):
    with new_writer(tmp_path) as writer:
        for i in range(3):
            writer.write_exchange(**exchange(f"/p{i}", at=i, payload=b"x" * 500 + bytes([i])))
    assert len(list(ArchiveReader(tmp_path).captures(bodies=False))) == 3
    (path,) = ArchiveReader(tmp_path).warc_files()
    with path.open("ab") as fh:
        fh.write(b"trailing bytes")
    with pytest.raises(ArchiveError, match="trailing bytes"):  # read again, damage found
        list(ArchiveReader(tmp_path, strict=True).captures(bodies=False))


def test_each_file_another_tool_wrote_is_a_run_named_after_it(tmp_path):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    for name, page in (("site-2025.warc.gz", "/a"), ("site-2026-00001.warc.gz", "/b")):
        with (tmp_path / name).open("wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                SITE + page, "response", payload=io.BytesIO(b"<p>page</p>"),
                http_headers=http))
    runs = {capture.url: capture.run_id for capture in ArchiveReader(tmp_path).captures()}
    assert runs == {SITE + "/a": "site-2025", SITE + "/b": "site-2026"}


def test_the_capture_index_keeps_a_file_in_chunks(tmp_path, monkeypatch):
    from scoparchive.archive import index

    monkeypatch.setattr(index, "CHUNK", 2)
    with new_writer(tmp_path) as writer:
        for i in range(5):
            writer.write_exchange(**exchange(f"/p{i}", at=i, payload=b"x" * 300 + bytes([i])))
    first = [c.ref() for c in ArchiveReader(tmp_path).captures(bodies=False)]
    (path,) = ArchiveReader(tmp_path).warc_files()
    with sqlite3.connect(tmp_path / INDEX_FILE) as db:
        assert db.execute("select chunks from files where name = ?",
                          (path.name,)).fetchone() == (3,)
    assert [c.ref() for c in ArchiveReader(tmp_path).captures(bodies=False)] == first
