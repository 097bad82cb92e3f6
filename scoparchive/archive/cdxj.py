"""`index.cdxj` for a whole archive directory, pywb-compatible.

Lines come from cdxj-indexer (the Webrecorder indexer pywb's own tooling uses), so SURT keys,
timestamps, `mime` of revisits (`warc/revisit`) and offsets are what pywb expects. The index is
merged, not rebuilt: lines of files already indexed are kept and only new files are read, then
everything is sorted, so closing a writer costs the size of what it wrote.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

from .naming import INDEX_NAME, finished_warcs

log = logging.getLogger(__name__)


def update_index(directory: Path) -> Path:
    """Make `<directory>/index.cdxj` cover exactly the finished WARC files in `directory`."""
    directory = Path(directory)
    index_path = directory / INDEX_NAME
    with _locked(directory):
        warcs = {path.name: path for path in finished_warcs(directory) if path.is_file()}
        kept, indexed = _kept_lines(index_path, set(warcs))
        new_files = [path for name, path in warcs.items() if name not in indexed]
        lines = kept + index_lines(new_files)
        lines.sort()
        tmp = index_path.with_name(index_path.name + ".tmp")
        tmp.write_text("".join(lines), encoding="utf-8")
        os.replace(tmp, index_path)
    return index_path


def index_lines(paths: list[Path]) -> list[str]:
    """CDXJ lines (with trailing newline) for response and revisit records of `paths`. A file
    damaged from some record on is indexed up to it, and told in one line (the build and the
    crawl say what they could not read of it)."""
    lines = []
    for path in paths:
        out = io.StringIO()
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # warcio's own complaints
                CDXJIndexer(out, [str(path)], records="response,revisit").process_all()
        except Exception as error:  # whatever the damage, the other files count
            # Debug only: the reader tells the same damage, once, to whoever reads the archive.
            log.debug("%s: indexed up to its damage, not beyond (%s)", path,
                        " ".join(str(error).split())[:120] or type(error).__name__)
        lines.extend(_with_mime(line) for line in out.getvalue().splitlines(keepends=False)
                     if line.endswith("}"))
    return lines


def _with_mime(line: str) -> str:
    # cdxj-indexer leaves `mime` out when a response has no Content-Type (a redirect);
    # "unk" is the CDX convention for it, so every line carries the same fields.
    key, timestamp, fields = parse_line(line)
    if "mime" not in fields:
        fields = {"url": fields.pop("url", None), "mime": "unk", **fields}
    return f"{key} {timestamp} {json.dumps(fields)}\n"


def read_index(index_path: Path) -> Iterator[tuple[str, str, dict]]:
    """(surt key, timestamp, fields) for each line of a CDXJ file."""
    with Path(index_path).open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield parse_line(line)


def parse_line(line: str) -> tuple[str, str, dict]:
    key, timestamp, fields = line.rstrip("\n").split(" ", 2)
    return key, timestamp, json.loads(fields)


def _kept_lines(index_path: Path, finished: set[str]) -> tuple[list[str], set[str]]:
    # Lines of files that are gone (deleted, renamed) are dropped; a line that does not parse
    # means the index is damaged, so it is rebuilt from the files rather than trusted.
    kept: list[str] = []
    indexed: set[str] = set()
    if not index_path.exists():
        return kept, indexed
    try:
        with index_path.open(encoding="utf-8") as fh:
            for line in fh:
                filename = parse_line(line)[2].get("filename")
                if filename in finished:
                    kept.append(line if line.endswith("\n") else line + "\n")
                    indexed.add(filename)
    except (ValueError, KeyError, IndexError):
        return [], set()
    return kept, indexed


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two workers of one crawl may close at the same time; each must see the other's lines.
    with (directory / f".{INDEX_NAME}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
