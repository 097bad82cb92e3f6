"""Pack an archive folder into one portable WACZ 1.1.1 file, for ReplayWeb.page or pywb.

py-wacz (the ``wacz`` package, Webrecorder's own) writes the file: the finished WARC files
copied as they are (stored, not compressed again: a replay tool reads them by byte range), the
CDXJ index of their records (``indexes/index.cdx.gz`` and ``index.idx``), ``datapackage.json``
with the size and SHA-256 of every file, and ``datapackage-digest.json``.

The pages index (``pages/pages.jsonl``) is made here and handed to py-wacz: every URL whose
archive holds an HTML 200 capture, at its latest one, titled with its ``<title>``. py-wacz's
own ``--detect-pages`` keeps only the pages that another request named as its referrer, and
titles them with their URL.

``.open`` files (a crawl still writing, or killed) and the ``.cache/`` folder stay out. The WACZ
is written under a temporary name beside ``out`` and renamed when complete, so a failure or a
crash leaves no half file, and an older WACZ at ``out`` stays whole until it is replaced.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import zipfile
from argparse import Namespace
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from .model import HTML_TYPES, ArchiveError, Headers, mime_of
from .naming import open_warcs
from .payload import PayloadDecodeError, decode_payload
from .reader import ArchiveReader, read_record_at
from .writer import fsync_path

log = logging.getLogger(__name__)

WACZ_SUFFIX = ".wacz"
PAGES_ENTRY = "pages/pages.jsonl"
#: The end of the ``<title>`` element: the page is parsed up to it, not whole.
_TITLE_END = re.compile(r"</title\s*>", re.IGNORECASE)
#: How much of a page is parsed when its ``<title>`` does not close.
_HEAD_CHARS = 256 * 1024


class WaczError(Exception):
    """Why no WACZ was written: one line, for the person who asked for it."""


@dataclass(frozen=True)
class Page:
    """An entry of the pages index: the URL, when it was captured, its title."""

    url: str
    captured_at: datetime
    title: str

    def to_json(self) -> str:
        return json.dumps({"url": self.url, "ts": self.captured_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "title": self.title}, ensure_ascii=False)


@dataclass(frozen=True)
class WaczReport:
    path: Path
    warc_files: list[Path]
    pages: int
    bytes: int
    replaced: bool


def default_wacz_path(archive_dir: Path) -> Path:
    """``<archive>.wacz`` beside the archive folder: ``archive/`` gives ``archive.wacz``."""
    folder = Path(os.path.abspath(archive_dir))
    return folder.with_name(folder.name + WACZ_SUFFIX)


def write_wacz(archive_dir: Path, out: Path | None = None) -> WaczReport:
    """Write the WACZ of ``archive_dir`` at ``out`` (default ``default_wacz_path``), replacing
    an older one in one rename. Raises WaczError, and leaves nothing behind, when it cannot."""
    archive_dir = Path(archive_dir)
    out = Path(out) if out is not None else default_wacz_path(archive_dir)
    if not archive_dir.is_dir():
        raise WaczError(f"{archive_dir}: pas de dossier d'archive ici (no archive folder here)")
    if out.suffix.lower() != WACZ_SUFFIX:
        raise WaczError(f"{out}: le nom doit finir par .wacz (the file name must end in .wacz)")
    if out.is_dir():
        raise WaczError(f"{out} est un dossier (is a folder): give a file name ending in .wacz")
    reader = ArchiveReader(archive_dir)
    warcs = [path for path in reader.warc_files() if path.is_file()]
    if not warcs:
        raise WaczError(_no_warc_message(archive_dir))
    try:
        pages = archive_pages(reader)
    except (ArchiveError, OSError) as error:
        raise WaczError(_damaged_message(str(error), 1)) from error
    # A reader that skips damage lists what it skipped (and told it): a damaged file is not
    # packed, nor left out silently. A folder under a WARC name holds nothing to pack.
    damaged = [line for path, line in getattr(reader, "skipped", {}).items() if path.is_file()]
    if damaged:
        raise WaczError(_damaged_message(damaged[0], len(damaged)))
    out.parent.mkdir(parents=True, exist_ok=True)
    replaced = out.exists()
    partial = out.with_name(f".{out.name}.{os.getpid()}.part")
    try:
        _create(warcs, pages, partial, _description(archive_dir, warcs, pages))
        packed = _count_pages(partial)
        fsync_path(partial)
        os.replace(partial, out)
        fsync_path(out.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if packed < len(pages):
        log.warning("%d page(s) sur %d absentes de l'index du WACZ (pages missing from the "
                    "WACZ's pages index)", len(pages) - packed, len(pages))
    return WaczReport(out, warcs, packed, out.stat().st_size, replaced)


def archive_pages(reader: ArchiveReader) -> list[Page]:
    """The archive's HTML pages: each URL with an HTML 200 capture, at its latest one (a
    revisit counts, resolved to the payload it stands for), with the ``<title>`` of that
    payload (the URL when it has none). In the order of the URLs' first capture."""
    latest = {}
    for capture in reader.captures(bodies=False):
        if (capture.status == 200 and mime_of(capture.content_type) in HTML_TYPES
                and capture.payload_at is not None):
            latest[capture.url] = capture
    titles: dict[tuple[Path, int], str | None] = {}
    # Each payload read once, file after file, offset after offset, one handle open at a time.
    locations = sorted({capture.payload_at for capture in latest.values()},
                       key=lambda where: (str(where[0]), where[1]))
    handle = None
    try:
        for path, offset in locations:
            if handle is None or handle.name != str(path):
                if handle is not None:
                    handle.close()
                handle = path.open("rb")
            stored = read_record_at(handle, path, offset, payload=True,
                                    max_payload=reader.max_payload)
            headers = Headers(stored.record.http_headers.headers
                              if stored.record.http_headers else [])
            titles[(path, offset)] = _title_of(stored.payload or b"", headers, reader.max_payload)
    finally:
        if handle is not None:
            handle.close()
    return [Page(url, capture.captured_at, titles[capture.payload_at] or url)
            for url, capture in latest.items()]


def _title_of(payload: bytes, headers: Headers, max_size: int) -> str | None:
    from scoparchive.pages.document import decode_as_utf8, parse_html
    from scoparchive.text.normalise import clean_line

    if len(payload) > max_size:
        return None
    try:
        body = decode_payload(payload, headers, max_size)
    except PayloadDecodeError:
        return None
    text, _ = decode_as_utf8(body, headers.get("Content-Type"))
    end = _TITLE_END.search(text)
    root = parse_html(text[:end.end()] if end else text[:_HEAD_CHARS])
    head = root.find("head") if root is not None else None
    title = head.find("title") if head is not None else None
    if title is None:
        return None
    return clean_line("".join(title.itertext())) or None


def _create(warcs: list[Path], pages: list[Page], output: Path, description: dict) -> None:
    """py-wacz's ``wacz create`` with the pages given, into ``output``; its progress lines
    (print) go to the debug log."""
    try:
        from wacz.main import create_wacz
    except ImportError as error:
        raise WaczError(f"py-wacz n'est pas installé (is not installed): pip install wacz "
                        f"({error})") from error
    with tempfile.TemporaryDirectory(prefix="scoparchive-wacz-") as folder:
        pages_file = Path(folder) / "pages.jsonl"
        with pages_file.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps({"format": "json-pages-1.0", "id": "pages",
                                 "title": "Pages"}) + "\n")
            for page in pages:
                fh.write(page.to_json() + "\n")
        arguments = Namespace(
            inputs=[str(path) for path in warcs], output=str(output), pages=str(pages_file),
            detect_pages=False, copy_pages=False, extra_pages=None, text=False,
            hash_type="sha256", log_directory=None, split_seeds=False, url=None, ts=None,
            date=None, signing_url=None, signing_token=None, **description,
        )
        said = io.StringIO()
        try:
            with contextlib.redirect_stdout(said):
                status = create_wacz(arguments)
        except Exception as error:
            raise WaczError(f"py-wacz n'a pas pu écrire le WACZ (could not write the WACZ): "
                            f"{type(error).__name__}: {error}") from error
        finally:
            for line in said.getvalue().splitlines():
                log.debug("py-wacz: %s", line)
        if status:
            raise WaczError(f"py-wacz n'a pas pu écrire le WACZ (could not write the WACZ): "
                            f"{said.getvalue().strip().splitlines()[-1:]}")


def _description(archive_dir: Path, warcs: list[Path], pages: list[Page]) -> dict:
    """``datapackage.json``'s title and description."""
    hosts = Counter(urlsplit(page.url).netloc for page in pages)
    site = hosts.most_common(1)[0][0] if hosts else Path(os.path.abspath(archive_dir)).name
    dates = sorted(page.captured_at for page in pages)
    span = f", du {dates[0]:%Y-%m-%d} au {dates[-1]:%Y-%m-%d}" if dates else ""
    from scoparchive import __version__

    return {
        "title": f"{site}: archive web (web archive)",
        "desc": f"{len(pages)} pages HTML, {len(warcs)} fichier(s) WARC{span}; "
                f"fait par scoparchive {__version__} (made by scoparchive {__version__})",
    }


def _count_pages(wacz_path: Path) -> int:
    with zipfile.ZipFile(wacz_path) as wacz:
        if PAGES_ENTRY not in wacz.namelist():
            return 0
        with wacz.open(PAGES_ENTRY) as fh:
            return max(sum(1 for line in fh if line.strip()) - 1, 0)  # less the header line


def _damaged_message(first: str, count: int) -> str:
    more = f" (et {count - 1} autre(s), and {count - 1} more)" if count > 1 else ""
    return (f"{first}{more}; aucun WACZ écrit : sortez le fichier endommagé du dossier "
            "d'archive, ou réparez-le, puis relancez (no WACZ written: move the damaged file "
            "out of the archive folder, or repair it, then run again)")


def _no_warc_message(archive_dir: Path) -> str:
    if open_warcs(archive_dir):
        return (f"{archive_dir}: aucun fichier WARC terminé, seulement des fichiers .open : un "
                "crawl écrit encore, ou a été interrompu, `scoparchive crawl --resume` le finit "
                "(no finished WARC file, only .open ones: a crawl is still writing, or was "
                "interrupted; `scoparchive crawl --resume` finishes it)")
    return (f"{archive_dir}: aucun fichier WARC dans l'archive (the archive holds no WARC file); "
            "run `scoparchive crawl` first")
