"""Datasets from the archive alone: WARC captures → page objects → history → SQLite, Parquet,
datapackage.json and Datasette metadata. A build never opens a socket.

A build is atomic: it writes a new folder beside the previous ones and then swaps the ``out``
symbolic link to it in one rename, so a build that fails or is killed leaves the previous datasets
whole, and readers never see half a build.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scoparchive import __version__
from scoparchive.archive import ArchiveReader, Capture
from scoparchive.history import History
from scoparchive.items import ParsedPage
from scoparchive.pages import parse_page
from scoparchive.pipelines.completeness import Completeness, load_thresholds
from scoparchive.profiles import profile_for_url
from scoparchive.records import table_rows
from scoparchive.schema import TABLES, VIEWS
from scoparchive.writers.datapackage import write_datapackage
from scoparchive.writers.datasette import write_datasette_metadata
from scoparchive.writers.parquet import write_parquet
from scoparchive.writers.sqlite import write_database

REPO_METADATA_TEMPLATE = Path(__file__).resolve().parent.parent / "datasets" / "metadata.yaml"
BUILDS_KEPT = 2


class BuildError(Exception):
    """A build that cannot proceed; the message is one line meant for the person running it."""


@dataclass
class BuildReport:
    out_dir: Path
    database: Path
    row_counts: dict[str, int]
    run_ids: list[str]
    captures: int
    seconds: float
    completeness: dict[str, dict[str, float]] = field(default_factory=dict)
    completeness_failures: list[str] = field(default_factory=list)


def build(
    archive_dir: Path,
    out_dir: Path,
    *,
    strict: bool = False,
    thresholds_path: Path | None = None,
    metadata_template: Path | None = None,
    on_capture: Callable[[int], None] | None = None,
) -> BuildReport:
    started = time.monotonic()
    archive_dir, out_dir = Path(archive_dir), Path(out_dir)
    reader = _open_archive(archive_dir)
    history = replay_history(reader, on_capture)
    captures = history.captures
    if not history.pages:
        raise BuildError(f"{archive_dir}: the archive holds no HTML page with content")

    completeness = Completeness()
    for state in history.pages.values():
        completeness.add(state.latest.page)
    failures = completeness.failures(load_thresholds(thresholds_path))
    if strict and failures:
        raise BuildError("completeness under the thresholds: " + "; ".join(failures))

    rows = table_rows(history)
    any_url = next(iter(history.pages))
    profile = profile_for_url(any_url)
    run_ids = [row["id"] for row in rows["crawl_runs"]]
    with _build_lock(out_dir):
        build_dir = _new_build_dir(out_dir)
        try:
            database = _write_outputs(build_dir, profile, rows, run_ids, metadata_template)
        except BaseException:
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        _swap_in(build_dir, out_dir)
    return BuildReport(
        out_dir=out_dir,
        database=out_dir / database.name,
        row_counts={name: len(table_rows_) for name, table_rows_ in rows.items()},
        run_ids=run_ids,
        captures=captures,
        seconds=time.monotonic() - started,
        completeness=completeness.ratios(),
        completeness_failures=failures,
    )


def replay_history(reader: ArchiveReader,
                   on_capture: Callable[[int], None] | None = None) -> History:
    """The history of the site from every capture of the archive, in capture order; also what
    a crawl reports of its run."""
    history = History(parse=_parse_capture)
    for capture in reader.captures():
        history.add(capture)
        if on_capture:
            on_capture(history.captures)
    return history


def database_path(out_dir: Path) -> Path | None:
    """The database of the current build in ``out_dir``, if there is one."""
    out_dir = Path(out_dir)
    if not out_dir.exists():
        return None
    databases = sorted(out_dir.glob("*.db"))
    return databases[0] if databases else None


def _open_archive(archive_dir: Path) -> ArchiveReader:
    if not archive_dir.is_dir():
        raise BuildError(f"{archive_dir}: no such archive folder; run `scoparchive crawl` first")
    reader = ArchiveReader(archive_dir)
    if not reader.warc_files():
        raise BuildError(f"{archive_dir}: the archive holds no WARC file; run `scoparchive crawl`")
    return reader


def _parse_capture(capture: Capture) -> ParsedPage:
    return parse_page(
        capture.url,
        capture.body or b"",
        profile=profile_for_url(capture.url),
        content_type=capture.headers.get("Content-Type"),
    )


def _write_outputs(build_dir: Path, profile, rows: dict[str, list[dict]], run_ids: list[str],
                   metadata_template: Path | None) -> Path:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    provenance = {
        "source_site": profile.base_url,
        "crawl_runs": run_ids,
        "licence": profile.licence,
        "software": f"scoparchive {__version__}",
        "created": created,
    }
    parquet_dir = build_dir / "parquet"
    parquet_dir.mkdir()
    for table in TABLES:
        write_parquet(parquet_dir / f"{table.name}.parquet", table, rows.get(table.name, ()),
                      provenance)
    database = build_dir / f"{profile.name}.db"
    write_database(database, rows, TABLES, VIEWS)
    write_datapackage(
        build_dir / "datapackage.json",
        name=profile.name,
        title=profile.title,
        description=f"Pages, articles, initiatives and history of {profile.base_url}, "
        "rebuilt from its web archive by scoparchive.",
        site_url=profile.base_url,
        licence={"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence 2.0",
                 "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
        tables=TABLES,
        row_counts={name: len(table_rows_) for name, table_rows_ in rows.items()},
        created=created,
        run_ids=run_ids,
    )
    template = metadata_template or REPO_METADATA_TEMPLATE
    write_datasette_metadata(build_dir / "metadata.json", template, profile.name, TABLES, VIEWS)
    return database


# --- the atomic swap ---------------------------------------------------------------------------

def _builds_home(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.builds"


def _new_build_dir(out_dir: Path) -> Path:
    if out_dir.exists() and not out_dir.is_symlink():
        if any(out_dir.iterdir()):
            raise BuildError(
                f"{out_dir} is a folder that scoparchive did not make; choose another --out"
            )
        out_dir.rmdir()
    home = _builds_home(out_dir)
    try:
        home.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        build_dir = home / f"{stamp}-{os.getpid()}"
        build_dir.mkdir()
    except OSError as error:
        raise BuildError(f"cannot write into {out_dir.parent}: {error.strerror}") from error
    return build_dir


def _swap_in(build_dir: Path, out_dir: Path) -> None:
    link = out_dir.parent / f".{out_dir.name}.swap-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(build_dir, out_dir.parent), target_is_directory=True)
    os.replace(link, out_dir)
    _prune_builds(out_dir, keep=build_dir)


def _prune_builds(out_dir: Path, keep: Path) -> None:
    """Removes old builds and the leftovers of killed ones; the newest few stay for readers that
    still hold them open."""
    builds = sorted(p for p in _builds_home(out_dir).iterdir() if p.is_dir())
    for old in builds[:-BUILDS_KEPT]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


class _build_lock:
    """Keeps two builds off the same output."""

    def __init__(self, out_dir: Path):
        self.path = out_dir.parent / f".{out_dir.name}.lock"

    def __enter__(self):
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.handle = open(self.path, "w")
        except OSError as error:
            raise BuildError(f"cannot write into {self.path.parent}: {error.strerror}") from error
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            self.handle.close()
            raise BuildError(f"another build is writing {self.path.parent}") from error
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
