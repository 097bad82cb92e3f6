"""Datasets from the archive alone: WARC captures → page objects → history → SQLite, Parquet,
datapackage.json and Datasette metadata. A build never opens a socket.

A build is atomic: it writes a new folder beside the previous ones and then swaps the ``out``
symbolic link to it in one rename, so a build that fails or is killed leaves the previous datasets
whole, and readers never see half a build.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from scoparchive import __version__
from scoparchive.archive import ArchiveReader
from scoparchive.archive.lock import crawl_running
from scoparchive.archive.naming import LOG_DIR, open_warcs
from scoparchive.archive.payload import MAX_DECODED_PAYLOAD
from scoparchive.archive.reader import ArchiveSet, open_archives
from scoparchive.archive.runs import RUNS_DIR
from scoparchive.archive.writer import fsync_path
from scoparchive.dataset.archives import SiteConflict, archive_sites, merged_records
from scoparchive.dataset.cache import ParseCache, ParseCaches, parser_version
from scoparchive.dataset.drift import Alarm, AlarmSettings, find_alarms
from scoparchive.dataset.history import History
from scoparchive.dataset.records import crawl_run_rows, iter_rows
from scoparchive.dataset.replay import ArchivedPageParser, default_jobs, replay_history
from scoparchive.dataset.reuse import PAGES_STATE, PagesState, PreviousBuild
from scoparchive.pipelines.completeness import (
    Completeness,
    load_alarm_settings,
    load_thresholds,
)
from scoparchive.profiles import profile_for_url
from scoparchive.schema import TABLES, VIEWS
from scoparchive.writers.datapackage import write_datapackage
from scoparchive.writers.datasette import write_datasette_metadata
from scoparchive.writers.tables import TablesWriter

#: The Datasette metadata template (titles, licence, canned queries), shipped in the package.
REPO_METADATA_TEMPLATE = Path(str(resources.files("scoparchive").joinpath("metadata.yaml")))

log = logging.getLogger(__name__)


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
    #: Captures parsed by this build, and captures whose parse came from the cache.
    parsed: int = 0
    from_cache: int = 0
    #: Pages whose rows were kept from the previous build (``dataset.reuse``), not written again.
    kept_pages: int = 0
    #: Processes that parsed (1: all in the build's own).
    processes: int = 1
    completeness: dict[str, dict[str, float]] = field(default_factory=dict)
    completeness_failures: list[str] = field(default_factory=list)
    page_counts: dict[str, int] = field(default_factory=dict)
    #: Drift alarms (``scoparchive.dataset.drift``): pages that changed type or lost fields,
    #: listed news that is not typed as an article, page types whose share moved.
    alarms: list[Alarm] = field(default_factory=list)
    #: Nothing the datasets depend on changed since the build in ``out_dir``: it was kept.
    up_to_date: bool = False
    #: What damage in the archive cost, one line per file (``ArchiveReader.skipped``): the
    #: build holds everything else.
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """What a later build needs to report this one when it keeps it (``build.json``)."""
        return {"database": self.database.name, "row_counts": self.row_counts,
                "run_ids": self.run_ids, "captures": self.captures,
                "completeness": self.completeness,
                "completeness_failures": self.completeness_failures,
                "page_counts": self.page_counts,
                "alarms": [alarm.to_dict() for alarm in self.alarms],
                "skipped": self.skipped}

    @classmethod
    def kept(cls, out_dir: Path, data: dict, seconds: float) -> BuildReport:
        return cls(out_dir=out_dir, database=out_dir / data["database"],
                   row_counts=data["row_counts"], run_ids=data["run_ids"],
                   captures=data["captures"], seconds=seconds,
                   completeness=data["completeness"],
                   completeness_failures=data["completeness_failures"],
                   page_counts=data["page_counts"],
                   alarms=[Alarm(**alarm) for alarm in data["alarms"]], up_to_date=True,
                   skipped=data.get("skipped", []))


#: How many alarms the one-line message of a strict build names.
STRICT_ALARMS_NAMED = 3


def build(
    archive_dir: Path | Sequence[Path],
    out_dir: Path,
    *,
    strict: bool = False,
    thresholds_path: Path | None = None,
    metadata_template: Path | None = None,
    on_capture: Callable[[int], None] | None = None,
    use_cache: bool = True,
    jobs: int | None = None,
    max_payload: int = MAX_DECODED_PAYLOAD,
) -> BuildReport:
    """Builds every dataset from the archive into ``out_dir`` (a symbolic link swapped at the
    end). When nothing they are made of changed since the build in ``out_dir`` (``build_inputs``:
    the archive's files, the settings, the code), that build is kept and reported again
    (``up_to_date``). ``use_cache=False`` parses every payload again, ignoring
    ``<archive>/.cache/``, and always builds. ``jobs``: processes that parse (default: one per
    CPU); the datasets are the same for any number. ``max_payload``: a payload longer than
    this, as stored or once decoded, is not read (its page is kept, without content), whatever a
    server sent.

    ``archive_dir``: an archive folder, or several read as one (``ArchiveSet``: the archives of
    the workers of a distributed crawl, or of several sites), each keeping its own parse cache
    and capture index. The sites their runs crawled are registered first
    (``dataset.archives``): a loopback replica's pages are its site's.

    A damaged or unreadable WARC file costs only what it holds past the damage
    (``ArchiveReader``): the report lists it in ``skipped``; ``strict`` fails instead. The
    ``.open`` files of a crawl that was killed are read up to their last complete record; those
    of a crawl still running are left for the next build."""
    started = time.monotonic()
    archive_dirs = _archive_dirs(archive_dir)
    out_dir = Path(out_dir)
    _check_out(out_dir)
    reader = _open_archive(archive_dirs, strict, max_payload)
    try:
        # Before any parse and before the pool of processes starts: they inherit them.
        with archive_sites(merged_records(archive_dirs).values()):
            return _build_locked(reader, archive_dirs, out_dir, strict, thresholds_path,
                                 metadata_template, on_capture, use_cache, jobs, started)
    except SiteConflict as error:
        raise BuildError(str(error)) from error


def _archive_dirs(archive_dir: Path | Sequence[Path]) -> list[Path]:
    """The archive folders of a build, each once, in the order given."""
    if isinstance(archive_dir, str | os.PathLike):
        archive_dir = [archive_dir]
    folders = list(dict.fromkeys(Path(folder) for folder in archive_dir))
    if not folders:
        raise BuildError("no archive folder given; run `scoparchive crawl` first")
    return folders


def _build_locked(reader: ArchiveReader | ArchiveSet, archive_dirs: list[Path], out_dir: Path,
                  strict: bool, thresholds_path: Path | None, metadata_template: Path | None,
                  on_capture: Callable[[int], None] | None, use_cache: bool, jobs: int | None,
                  started: float) -> BuildReport:
    archive_dir = archive_dirs[0]
    with _build_lock(out_dir):
        inputs = build_inputs(reader, thresholds_path, metadata_template)
        kept = _kept_build(out_dir, inputs) if use_cache else None
        if kept is not None:
            _prune_killed_builds(out_dir)
            report = BuildReport.kept(out_dir, kept, time.monotonic() - started)
            if strict and report.skipped:
                raise BuildError(f"archive damaged: {report.skipped[0]}")
            if strict and (report.completeness_failures or report.alarms):
                raise BuildError(_strict_message(report.completeness_failures, report.alarms))
            return report
        cache = _parse_cache(archive_dirs) if use_cache else None
        # The parser and its cache stay open until the tables are written: the history holds
        # summaries of the pages, and the rows load each page from the cache when they need it.
        parser = ArchivedPageParser(reader, cache, jobs=jobs or default_jobs())
        try:
            history = replay_history(reader, on_capture, parser=parser, with_skipped=True)
            report = _build_from(history, out_dir, strict, thresholds_path, metadata_template,
                                 archive_dir, cache, parser.map, inputs)
        except (OSError, sqlite3.OperationalError) as error:  # a full disk, most likely
            what = getattr(error, "strerror", None) or str(error)
            where = f" ({error.filename})" if getattr(error, "filename", None) else ""
            raise BuildError(f"la construction a échoué (the build failed): {what}{where}; "
                             "la précédente reste en place (the previous build is kept)"
                             ) from error
        finally:
            parser.close()
            if cache is not None:
                cache.close()
    report.seconds = time.monotonic() - started
    report.skipped = list(reader.skipped.values())
    report.parsed, report.from_cache = parser.parsed, parser.from_cache
    report.processes = parser.processes
    return report


def _parse_cache(archive_dirs: list[Path]) -> ParseCache | ParseCaches | None:
    """The archive's parse cache, or each archive's (``ParseCaches``)."""
    if len(archive_dirs) == 1:
        return ParseCache.for_archive(archive_dirs[0])
    return ParseCaches.for_archives(archive_dirs)


def _build_from(history: History, out_dir: Path, strict: bool, thresholds_path: Path | None,
                metadata_template: Path | None, archive_dir: Path,
                memo: ParseCache | ParseCaches | None, mapper: Callable, inputs: str
                ) -> BuildReport:
    if not history.pages:
        raise BuildError(f"{archive_dir}: the archive holds no HTML page with content")
    completeness = Completeness()
    for state in history.pages.values():
        completeness.add(state.latest.summary)
    thresholds = load_thresholds(thresholds_path)
    failures = completeness.failures(thresholds)
    try:
        alarm_settings = AlarmSettings.from_mapping(load_alarm_settings(thresholds_path))
    except (TypeError, ValueError) as error:
        raise BuildError(f"{thresholds_path or 'thresholds.yaml'}: {error}") from error
    alarms = find_alarms(history, alarm_settings)
    if strict and (failures or alarms):
        raise BuildError(_strict_message(failures, alarms))

    profile = _dataset_profile(history)
    run_ids = [row["id"] for row in crawl_run_rows(history)]
    build_dir = _new_build_dir(out_dir)
    try:
        database, row_counts, kept_pages = _write_outputs(
            build_dir, out_dir, profile, history, run_ids, metadata_template, memo, mapper)
        quality = completeness.report(thresholds)
        quality["alarms"] = [alarm.to_dict() for alarm in alarms]
        quality["alarm_settings"] = alarm_settings.to_dict()
        (build_dir / "quality.json").write_text(
            json.dumps(quality, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        report = BuildReport(
            out_dir=out_dir,
            database=out_dir / database.name,
            row_counts=row_counts,
            run_ids=run_ids,
            captures=history.captures,
            seconds=0.0,
            completeness=completeness.ratios(),
            completeness_failures=failures,
            page_counts=dict(completeness.pages),
            alarms=alarms,
            kept_pages=kept_pages,
        )
        (build_dir / BUILD_FILE).write_text(json.dumps(
            {"inputs": inputs, "report": report.to_dict()}, indent=2, sort_keys=True) + "\n",
            encoding="utf-8")
        _fsync_tree(build_dir)
    except BaseException:
        shutil.rmtree(build_dir, ignore_errors=True)
        raise
    _swap_in(build_dir, out_dir)
    return report


#: What a build of several sites is named (its database, its data package): the network.
NETWORK_NAME = "reseau"
NETWORK_TITLE = ("Réseau des unions régionales des Scop et Scic (network of the regional "
                 "unions of worker cooperatives)")


@dataclass(frozen=True)
class DatasetProfile:
    """What names a build: its site's profile, or the network's for a build of several
    sites."""

    name: str
    title: str
    base_url: str
    licence: str
    #: Site name -> base URL of every site in the build, in order of name.
    sites: dict[str, str]


def _dataset_profile(history: History) -> DatasetProfile:
    """The build's name and source: its one site's (a build of one union stays as it always
    was), or the network's when its pages are of several sites."""
    profiles_by_site = {}
    for url in history.pages:
        profile = profile_for_url(url)
        profiles_by_site.setdefault(profile.name, profile)
    sites = {name: profiles_by_site[name].base_url for name in sorted(profiles_by_site)}
    first = profile_for_url(next(iter(history.pages)))
    if len(sites) == 1:
        return DatasetProfile(first.name, first.title, first.base_url, first.licence, sites)
    return DatasetProfile(NETWORK_NAME, NETWORK_TITLE, first.base_url, first.licence, sites)


# --- a build kept when nothing it depends on changed ---------------------------------------

#: In each build folder: the digest of the build's inputs and its report.
BUILD_FILE = "build.json"


def build_inputs(reader: ArchiveReader, thresholds_path: Path | None,
                 metadata_template: Path | None) -> str:
    """A digest of everything the datasets are made of: every archive's finished WARC files,
    crawl logs and run records (name, size, modification time), the thresholds and the
    Datasette template, and the code of the whole package (its sources and data), and the
    payload bound."""
    digest = hashlib.sha256(f"max_payload={reader.max_payload}\0".encode())
    several = len(reader.directories) > 1
    for directory in reader.directories:
        if several:  # one archive's digest stays what it was before builds read several
            digest.update(f"archive={directory.resolve()}\0".encode())
        log_dir = directory / LOG_DIR
        logs = sorted(log_dir.iterdir()) if log_dir.is_dir() else []
        warcs = [path for path in reader.warc_files() if path.parent == directory]
        # The run records too: they name the sites each run crawled (``dataset.archives``).
        records = sorted((directory / RUNS_DIR).glob("*.json"))
        for path in [*warcs, *logs, *records]:
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    for path in (thresholds_path, metadata_template or REPO_METADATA_TEMPLATE):
        digest.update(Path(path).read_bytes() if path else b"default")
        digest.update(b"\0")
    digest.update(_package_version().encode())
    return digest.hexdigest()


@functools.cache
def _package_version() -> str:
    package = Path(__file__).resolve().parents[1]  # scoparchive/, not this wing
    digest = hashlib.sha256(f"scoparchive {__version__}\0".encode())
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and "replica" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return f"{parser_version()}:{digest.hexdigest()}"


def _kept_build(out_dir: Path, inputs: str) -> dict | None:
    """The report of the build in ``out_dir`` if it was made of exactly these inputs and its
    files are all there."""
    if not out_dir.is_symlink():
        return None
    try:
        saved = json.loads((out_dir / BUILD_FILE).read_text(encoding="utf-8"))
        report = saved["report"]
        complete = (out_dir / report["database"]).is_file() and all(
            (out_dir / "parquet" / f"{table.name}.parquet").is_file() for table in TABLES)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return report if saved.get("inputs") == inputs and complete else None


def _previous_build(out_dir: Path, database_name: str) -> PreviousBuild | None:
    """The finished build in ``out_dir`` that this one may start from, if any."""
    if not out_dir.is_symlink() or not (out_dir / BUILD_FILE).is_file():
        return None
    return PreviousBuild.open(out_dir.resolve(), database_name, _package_version())


def _strict_message(failures: list[str], alarms: list[Alarm]) -> str:
    """One line: the completeness failures, then how many alarms and the first ones."""
    parts = []
    if failures:
        parts.append("completeness under the thresholds: " + "; ".join(failures))
    if alarms:
        named = "; ".join(str(alarm) for alarm in alarms[:STRICT_ALARMS_NAMED])
        more = len(alarms) - STRICT_ALARMS_NAMED
        parts.append(f"{len(alarms)} alarme(s) de dérive (drift alarms): {named}"
                     + (f"; … et {more} de plus (and {more} more)" if more > 0 else ""))
    return " | ".join(parts)


def _open_archive(archive_dirs: list[Path], strict: bool = False,
                  max_payload: int = MAX_DECODED_PAYLOAD) -> ArchiveReader | ArchiveSet:
    """The archive, or the archives read as one. The ``.open`` files of a crawl still running
    in a folder are left for the next build."""
    readable = []
    for archive_dir in archive_dirs:
        if not archive_dir.is_dir():
            raise BuildError(f"{archive_dir}: no such archive folder; "
                             "run `scoparchive crawl` first")
        running = crawl_running(archive_dir)
        left_open = open_warcs(archive_dir)
        if left_open and running:
            log.warning("%s: a crawl is writing the archive; what it has not finished (%d "
                        "file(s)) is for the next build", archive_dir, len(left_open))
        for path in left_open if not running else ():
            log.warning("%s: left by a crawl that did not finish (killed?): read up to its last "
                        "complete record; `scoparchive crawl --resume` finishes it", path)
        if not running:
            readable.append(archive_dir)
    reader = open_archives(archive_dirs, include_open=readable, strict=strict,
                           max_payload=max_payload)
    if not reader.warc_files():
        where = archive_dirs[0] if len(archive_dirs) == 1 else ", ".join(map(str, archive_dirs))
        raise BuildError(f"{where}: the archive holds no WARC file; run `scoparchive crawl`")
    return reader


def _write_outputs(build_dir: Path, out_dir: Path, profile: DatasetProfile, history: History,
                   run_ids: list[str], metadata_template: Path | None, memo: ParseCache | None,
                   mapper: Callable) -> tuple[Path, dict[str, int], int]:
    """The tables (Parquet and SQLite, streamed: ``iter_rows``), datapackage.json and
    Datasette's metadata.json; the database's path, the rows per table and the pages whose rows
    were kept. ``memo``: the
    archive's cache (None: ``--no-cache``); ``mapper``: the parser's pool. The rows of the
    pages that did not change since the build in ``out_dir`` are kept from it
    (``dataset.reuse``)."""
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    provenance = {
        "source_site": profile.base_url,
        "sites": profile.sites,
        "crawl_runs": run_ids,
        "licence": profile.licence,
        "software": f"scoparchive {__version__}",
        "parser_version": parser_version(),
        "created": created,
    }
    parquet_dir = build_dir / "parquet"
    parquet_dir.mkdir()
    database = build_dir / f"{profile.name}.db"
    # Without the cache (``--no-cache``), every row is written again: nothing is taken on trust.
    previous = _previous_build(out_dir, database.name) if memo is not None else None
    pages_state = PagesState(build_dir / PAGES_STATE, _package_version(), history, previous)
    try:
        writer = TablesWriter(parquet_dir, database, TABLES, VIEWS, provenance,
                              base=pages_state.base)
        for name, row in iter_rows(history, memo, mapper, pages_state):
            writer.add(name, row)
        row_counts = writer.close()
    finally:
        pages_state.close()
    several = len(profile.sites) > 1
    write_datapackage(
        build_dir / "datapackage.json",
        name=profile.name,
        title=profile.title,
        description=(f"Pages, articles, initiatives and history of {profile.base_url}, "
                     "rebuilt from its web archive by scoparchive.") if not several else (
            "Pages, articles, initiatives and history of the sites of "
            f"{', '.join(profile.sites)} ({', '.join(profile.sites.values())}), rebuilt from "
            "their web archives by scoparchive: one database for the network, the column "
            "site in every table."),
        site_url=profile.base_url,
        sites=profile.sites,
        licence={"name": "etalab-2.0", "title": "Licence Ouverte / Open Licence 2.0",
                 "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
        tables=TABLES,
        row_counts=row_counts,
        created=created,
        run_ids=run_ids,
        parser_version=provenance["parser_version"],
    )
    template = metadata_template or REPO_METADATA_TEMPLATE
    write_datasette_metadata(build_dir / "metadata.json", template, profile.name, TABLES, VIEWS,
                             provenance)
    return database, row_counts, len(pages_state.kept)


# --- the atomic swap ---------------------------------------------------------------------------

def _builds_home(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.builds"


def _check_out(out_dir: Path) -> None:
    """Refuses, before any work, an ``out`` that a build would have to destroy: only our own
    link, an empty folder or nothing may stand there."""
    if out_dir.is_symlink() or not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise BuildError(f"{out_dir} is a file; choose another --out")
    if any(out_dir.iterdir()):
        raise BuildError(f"{out_dir} is a folder that scoparchive did not make; "
                         "choose another --out")


def _new_build_dir(out_dir: Path) -> Path:
    _check_out(out_dir)  # again, under the lock: the folder may have been filled meanwhile
    if out_dir.is_dir() and not out_dir.is_symlink():
        out_dir.rmdir()  # empty: the link takes its place
    home = _builds_home(out_dir)
    try:
        home.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        build_dir = home / f"{stamp}-{os.getpid()}"
        build_dir.mkdir()
    except OSError as error:
        raise BuildError(f"cannot write into {out_dir.parent}: {error.strerror}") from error
    return build_dir


def _fsync_tree(folder: Path) -> None:
    """Flushes the build to disk before the link points at it: after a power cut the link must
    not name a folder of empty files."""
    for path in sorted(folder.rglob("*"), reverse=True):  # files before their folders
        fsync_path(path)
    fsync_path(folder)
    fsync_path(folder.parent)


def _swap_in(build_dir: Path, out_dir: Path) -> None:
    """Points ``out_dir`` at ``build_dir`` in one rename, then removes every other build but the
    one just replaced (a reader may still be in it)."""
    previous = out_dir.resolve() if out_dir.is_symlink() else None
    link = out_dir.parent / f".{out_dir.name}.swap-{os.getpid()}"
    link.unlink(missing_ok=True)
    link.symlink_to(os.path.relpath(build_dir, out_dir.parent), target_is_directory=True)
    os.replace(link, out_dir)
    fsync_path(out_dir.parent)
    _prune_builds(out_dir, keep={build_dir.resolve(), previous})


def _prune_builds(out_dir: Path, keep: set[Path | None]) -> None:
    """Removes older builds and what killed builds left: their half-written folders and their
    swap links. Only called under the build lock, so no other build is writing them."""
    for build_dir in _builds_home(out_dir).iterdir():
        if build_dir.resolve() not in keep:
            shutil.rmtree(build_dir, ignore_errors=True)
    for stale_link in out_dir.parent.glob(f".{out_dir.name}.swap-*"):
        stale_link.unlink(missing_ok=True)


def _prune_killed_builds(out_dir: Path) -> None:
    """What killed builds left (folders never finished, swap links), the finished builds
    kept."""
    current = out_dir.resolve()
    for build_dir in _builds_home(out_dir).iterdir():
        if build_dir.resolve() != current and not (build_dir / BUILD_FILE).is_file():
            shutil.rmtree(build_dir, ignore_errors=True)
    for stale_link in out_dir.parent.glob(f".{out_dir.name}.swap-*"):
        stale_link.unlink(missing_ok=True)


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
