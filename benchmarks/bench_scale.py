"""The build at archive scale, on WARCs of the scaled replica written by GNU wget.

For each size (``--scales``, replica scales 13 and 130 by default: about 500 and 5,000 HTML
pages), against ``ReplicaServer(port=0, scale=K)`` (drupal markup) in this process:

1. ``wget --warc-file=<archive>/wget-1 --recursive --level=inf --no-parent --no-verbose`` (its
   downloaded files deleted, ``--delete-after``; the WARC is what an archivist would bring), into
   an empty archive folder;
2. ``build_full``: ``scoparchive build --archive A --out O --no-cache`` (at the smaller size,
   after one untimed build: the first build after a change of the sources compiles them);
3. ``build_cold``: ``scoparchive build`` into another folder, the caches (``<archive>/.cache``:
   parses, capture index) removed first: they fill;
4. ``rebuild``: ``scoparchive build`` into the first folder again, nothing new: the build finds
   that nothing it is made of changed and keeps the one there;
   ``rebuild_replayed``: the same into a third folder: the whole build, from the warm caches;
5. an edition (``ReplicaSite.edit(--edit-fraction)``: 1 % of the articles get an update
   paragraph), then wget again into ``<archive>/wget-2`` (the same folder);
6. ``rebuild_after_edit``: ``scoparchive build``;
7. at the smallest size only, ``build_after_edit_full``: ``--no-cache`` on that archive, to
   compare its output with the incremental build's.

Each build runs as the command a user types, in its own process; its wall time, CPU time (user
+ system, of it and its waited-for children) and peak RSS (``ru_maxrss``) come from
``os.wait4``, and a sampler adds up the PSS of its process tree every 50 ms (a build that runs a
process pool: ``ru_maxrss`` is the largest single process). After each build, the SQLite tables
are dumped (rows sorted, columns that hold build times left out) and digested, so that builds
can be compared. Then ``trafilatura.bare_extraction`` (defaults) alone runs on the HTML pages of
the largest WARC (``--trafilatura-pages``, spread over the archive), one pass, as a build reads
each page once.

Marginal costs are between the two sizes: ``(t_large - t_small) / (pages_large - pages_small)``,
pages being the WARC's HTML responses with status 200. The targets of issue 10 are in the JSON
with ``met`` true or false.

    python benchmarks/bench_scale.py               # scales 13 and 130, writes results/scale.json
    python benchmarks/bench_scale.py --quick       # smoke: scales 1 and 2, 20 trafilatura pages
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import _common

NAME = "scale"
DEFAULT_SCALES = (13, 130)
QUICK_SCALES = (1, 2)
EDIT_FRACTION = 0.01
PROJECTED_CAPTURES = 100_000
TRAFILATURA_PAGES = 1000
#: Issue 10's targets, measured between the two sizes.
TARGETS = {
    "build_no_cache_marginal_ms_per_page": {"max": 2.0},
    "trafilatura_vs_build_no_cache_marginal": {"min": 3.0},
    "rebuild_nothing_new_marginal_ms_per_page": {"max": 0.5},
    "rebuild_after_edit_fraction_of_full": {"max": 0.10},
    "peak_rss_growth_mb": {"max": 60.0},
    "output_identical": {"equals": True},
}
#: Columns whose values are the time of the build rather than of the archive.
BUILD_TIME_COLUMN = re.compile(r"(^|_)(built|build|generated)(_|$)", re.IGNORECASE)
#: FTS5 tables and their shadow tables: a digest of the tables they index covers them.
FTS_TABLE = re.compile(r"_fts($|_)")
WGET_COMMAND = ("wget --warc-file=ARCHIVE/wget-N --recursive --level=inf --no-parent "
                "--no-verbose --directory-prefix=TMP --delete-after URL")
WGET_TIMEOUT = 900
BUILD_TIMEOUT = 1800
_SUMMARY = re.compile(r"(?P<captures>\d+) captures from (?P<runs>\d+) crawl run\(s\) in "
                      r"(?P<seconds>[\d.]+) s \((?P<parsed>\d+) pages parsed, (?P<cached>\d+) "
                      r"from the cache; rows of (?P<rows_kept>\d+) unchanged pages kept")
#: A build that found nothing new since the one in its --out, and kept it.
_KEPT = re.compile(r"kept as it is\): (?P<captures>\d+) captures from (?P<runs>\d+) crawl")


class StepFailed(RuntimeError):
    pass


# --- crawling with wget ------------------------------------------------------------------------

def wget(url: str, warc_base: Path, scratch: Path) -> dict:
    """One recursive wget crawl of the replica into ``<warc_base>.warc.gz``."""
    downloads = scratch / "wget-files"
    command = ["wget", f"--warc-file={warc_base}", "--recursive", "--level=inf", "--no-parent",
               "--no-verbose", f"--directory-prefix={downloads}", "--delete-after", url]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=WGET_TIMEOUT)
    wall = time.perf_counter() - started
    shutil.rmtree(downloads, ignore_errors=True)
    # 8: the server answered an error somewhere (the replica's 410 legacy page): expected.
    if completed.returncode not in (0, 8):
        raise StepFailed(f"wget exited {completed.returncode}: {completed.stderr[-2000:]}")
    warc = warc_base.with_name(warc_base.name + ".warc.gz")
    return {"wall_s": wall, "exit_status": completed.returncode, **warc_stats(warc)}


def html_records(warc: Path) -> Iterator[tuple[str, bytes]]:
    """(URL, body) of every HTML response with status 200 in a WARC."""
    from warcio.archiveiterator import ArchiveIterator

    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            kind = record.http_headers.get_header("Content-Type") or ""
            if record.http_headers.get_statuscode() == "200" and kind.startswith("text/html"):
                yield (record.rec_headers.get_header("WARC-Target-URI"),
                       record.content_stream().read())


def warc_stats(warc: Path) -> dict:
    from warcio.archiveiterator import ArchiveIterator

    records: dict[str, int] = {}
    statuses: dict[str, int] = {}
    html = 0
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream):
            records[record.rec_type] = records.get(record.rec_type, 0) + 1
            if record.rec_type == "response" and record.http_headers is not None:
                status = record.http_headers.get_statuscode()
                statuses[status] = statuses.get(status, 0) + 1
                kind = record.http_headers.get_header("Content-Type") or ""
                html += status == "200" and kind.startswith("text/html")
    return {"warc_file": warc.name, "warc_bytes": warc.stat().st_size, "records": records,
            "statuses": dict(sorted(statuses.items())), "html_pages": html,
            "captures": records.get("response", 0) + records.get("revisit", 0)}


# --- building ----------------------------------------------------------------------------------

def build(archive: Path, out: Path, *, no_cache: bool) -> dict:
    """``scoparchive build`` in its own process, measured from here."""
    command = [sys.executable, "-m", "scoparchive", "build", "--archive", str(archive),
               "--out", str(out)]
    if no_cache:
        command.append("--no-cache")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env,
                                   cwd=_common.REPO)
        sampler = TreeMemory(process.pid)
        sampler.start()
        deadline = threading.Timer(BUILD_TIMEOUT, process.kill)
        deadline.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            deadline.cancel()
            sampler.stop()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise StepFailed(f"{' '.join(command[2:])} exited {process.returncode}:\n{text[-3000:]}")
    summary = _SUMMARY.search(" ".join(text.split()))
    kept = _KEPT.search(" ".join(text.split())) if summary is None else None
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "user_s": usage.ru_utime,
        "system_s": usage.ru_stime,
        "max_rss_mib": usage.ru_maxrss / 1024,  # Linux: KiB; the largest process of the tree
        "tree_pss_peak_mib": sampler.peak_kib / 1024 if sampler.peak_kib else None,
        "processes_seen": sampler.processes,
        "reported_s": float(summary["seconds"]) if summary else None,
        "kept": kept is not None,
        "captures": int((summary or kept)["captures"]) if summary or kept else None,
        "parsed": int(summary["parsed"]) if summary else 0 if kept else None,
        "from_cache": int(summary["cached"]) if summary else None,
        #: Pages whose rows the build took from the previous build (``dataset.reuse``).
        "rows_kept_pages": int(summary["rows_kept"]) if summary else None,
        "command": "scoparchive " + " ".join(command[3:]).replace(str(archive), "ARCHIVE")
        .replace(str(out), "OUT"),
    }


class TreeMemory:
    """The peak, sampled every ``interval`` s, of the memory of a process and its descendants
    (a build's pool of parsing processes): the sum of their PSS (``/proc/PID/smaps_rollup``:
    pages shared between forked processes counted once, split between them), or of their RSS
    where PSS is not offered. ``ru_maxrss`` gives the largest single process only."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.processes = 1
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pids = _tree(self.pid)
            self.processes = max(self.processes, len(pids))
            self.peak_kib = max(self.peak_kib, sum(_memory_kib(pid) for pid in pids))


def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _memory_kib(pid: int) -> int:
    for name, field in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return 0


def dump_digest(out: Path) -> dict:
    """Per table of the build's SQLite database: rows and a digest of them, sorted, without the
    columns that hold build times."""
    database = next(iter(sorted(Path(out).glob("*.db"))), None)
    if database is None:
        raise StepFailed(f"{out}: no database")
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        tables, ignored = {}, []
        names = [row[0] for row in connection.execute(
            "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' "
            "order by name")]
        for name in names:
            if FTS_TABLE.search(name):
                continue
            columns = [row[1] for row in connection.execute(f'pragma table_info("{name}")')]
            kept = [column for column in columns if not BUILD_TIME_COLUMN.search(column)]
            ignored += [f"{name}.{column}" for column in columns if column not in kept]
            selection = ", ".join(f'"{column}"' for column in kept)
            rows = sorted(json.dumps(row, ensure_ascii=False, default=_bytes_hex)
                          for row in connection.execute(f'select {selection} from "{name}"'))
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            tables[name] = {"rows": len(rows), "sha256": digest}
    finally:
        connection.close()
    return {"tables": tables, "ignored_columns": ignored}


def _bytes_hex(value):
    return value.hex() if isinstance(value, bytes) else str(value)


def same_output(dumps: dict[str, dict]) -> dict:
    """Whether every dump holds the same tables with the same rows; the tables that differ."""
    first = next(iter(dumps.values()))["tables"]
    differing = sorted({name for dump in dumps.values()
                        for name in set(first) | set(dump["tables"])
                        if first.get(name) != dump["tables"].get(name)})
    return {"builds": list(dumps), "identical": not differing, "tables_differing": differing}


# --- trafilatura -------------------------------------------------------------------------------

def trafilatura_pass(warc: Path, limit: int | None) -> dict:
    """``trafilatura.bare_extraction`` (defaults) on the WARC's HTML pages, once each."""
    import trafilatura

    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    pages = list(html_records(warc))
    total = len(pages)
    if limit and limit < total:
        step = total / limit  # spread over the archive: articles, listings, static pages
        pages = [pages[int(i * step)] for i in range(limit)]
    for url, body in pages[:3]:  # imports and lazy tables, untimed
        trafilatura.bare_extraction(body, url=url)
    clock = time.perf_counter
    wall = cpu = 0.0
    with_text = 0
    for url, body in pages:
        cpu_before, before = time.process_time(), clock()
        result = trafilatura.bare_extraction(body, url=url)
        wall += clock() - before
        cpu += time.process_time() - cpu_before
        with_text += bool(result is not None and getattr(result, "text", None))
    return {"label": "trafilatura.bare_extraction(body, url=url), defaults",
            "pages": len(pages), "pages_in_warc": total, "with_text": with_text,
            "wall_s": wall, "cpu_s": cpu, "ms_per_page": 1000 * wall / len(pages),
            "cpu_ms_per_page": 1000 * cpu / len(pages)}


# --- one size ----------------------------------------------------------------------------------

def measure_size(scale: int, scratch: Path, edit_fraction: float, first_size: bool,
                 say: Callable[[str], None]) -> tuple[dict, Path]:
    from scoparchive.replica import ReplicaServer

    folder = scratch / f"scale-{scale}"
    archive, out = folder / "archive", folder / "datasets"
    archive.mkdir(parents=True)
    builds: dict[str, dict] = {}
    dumps: dict[str, dict] = {}

    def step(name: str, no_cache: bool, into: Path | None = None) -> None:
        say(f"scale {scale}: {name}")
        builds[name] = build(archive, into or out, no_cache=no_cache)
        dumps[name] = dump_digest(into or out)

    with ReplicaServer(port=0, scale=scale) as replica:
        site = replica.site
        articles = len(site.articles())
        say(f"scale {scale}: wget of {len(site.html_paths())} HTML pages")
        first = wget(replica.url, archive / "wget-1", folder)
        first_done = time.perf_counter()
        warmup = None
        if first_size:
            # Untimed: the first build after a change of the sources compiles them (.pyc).
            say(f"scale {scale}: warm-up build (not measured)")
            warmup = build(archive, folder / "warm-up", no_cache=True)["wall_s"]
            shutil.rmtree(folder / "warm-up", ignore_errors=True)
        step("build_full", no_cache=True)
        # The caches (parses, capture index) removed, into another folder: a real build.
        shutil.rmtree(archive / ".cache", ignore_errors=True)
        step("build_cold", no_cache=False, into=folder / "datasets-cold")
        # Nothing new since build_full into the same folder: the build is kept.
        step("rebuild", no_cache=False)
        # The same, into another folder: the whole build, every page from the caches.
        step("rebuild_replayed", no_cache=False, into=folder / "datasets-replayed")
        # wget dates its records to the second: two captures of a URL in one second with
        # different content would share a (url, captured_at) key.
        time.sleep(max(0.0, 1.1 - (time.perf_counter() - first_done)))
        edited = site.edit(edit_fraction, edition=1)
        say(f"scale {scale}: {len(edited)} articles edited, wget again")
        second = wget(replica.url, archive / "wget-2", folder)
    step("rebuild_after_edit", no_cache=False)
    if first_size:
        step("build_after_edit_full", no_cache=True)

    comparisons = {"first_archive": same_output({name: dumps[name] for name in (
        "build_full", "build_cold", "rebuild", "rebuild_replayed")})}
    if first_size:
        comparisons["after_edit"] = same_output({name: dumps[name] for name in
                                                 ("rebuild_after_edit", "build_after_edit_full")})
    size = {
        "scale": scale,
        "articles": articles,
        "replica_html_paths": len(site.html_paths()),
        "html_pages": first["html_pages"],
        "captures": first["captures"],
        "edited_articles": len(edited),
        "wget": {"first": first, "after_edit": second},
        "warmup_build_s": warmup,
        "builds": builds,
        "output": {"comparisons": comparisons,
                   "identical": all(c["identical"] for c in comparisons.values()),
                   "ignored_columns": dumps["build_full"]["ignored_columns"],
                   "table_rows": {name: table["rows"] for name, table in
                                  dumps["build_full"]["tables"].items()}},
    }
    return size, archive / "wget-1.warc.gz"


# --- the whole run -----------------------------------------------------------------------------

def _marginal(small: dict, large: dict, value: Callable[[dict], float | None]) -> float | None:
    a, b = value(small), value(large)
    pages = large["html_pages"] - small["html_pages"]
    if a is None or b is None or pages <= 0:
        return None
    return 1000 * (b - a) / pages


def analyse(sizes: list[dict], traf: dict, edit_fraction: float) -> dict:
    small, large = sizes[0], sizes[-1]
    analysis: dict = {"pages": [small["html_pages"], large["html_pages"]],
                      "captures": [small["captures"], large["captures"]]}
    per_build = {}
    for name in large["builds"]:
        if name not in small["builds"]:
            continue
        entry = {
            "wall_ms_per_page": [1000 * s["builds"][name]["wall_s"] / s["html_pages"]
                                 for s in (small, large)],
            "marginal_wall_ms_per_page": _marginal(small, large,
                                                   lambda s, n=name: s["builds"][n]["wall_s"]),
            "marginal_cpu_ms_per_page": _marginal(small, large,
                                                  lambda s, n=name: s["builds"][n]["cpu_s"]),
            "peak_rss_mib": [s["builds"][name]["max_rss_mib"] for s in (small, large)],
            "tree_pss_peak_mib": [s["builds"][name]["tree_pss_peak_mib"] for s in (small, large)],
        }
        growth = entry["peak_rss_mib"][1] - entry["peak_rss_mib"][0]
        per_capture = growth / max(1, large["captures"] - small["captures"])
        entry.update({
            "peak_rss_growth_mib": growth,
            "peak_rss_growth_mb": growth * 2**20 / 1e6,
            "peak_rss_kib_per_page": 1024 * growth / max(1, large["html_pages"]
                                                        - small["html_pages"]),
            "peak_rss_mib_at_100k_captures": entry["peak_rss_mib"][0]
            + per_capture * (PROJECTED_CAPTURES - small["captures"]),
            "wall_s_at_100k_captures": small["builds"][name]["wall_s"]
            + (large["builds"][name]["wall_s"] - small["builds"][name]["wall_s"])
            / max(1, large["captures"] - small["captures"])
            * (PROJECTED_CAPTURES - small["captures"]),
        })
        per_build[name] = entry
    analysis["builds"] = per_build
    full = per_build["build_full"]
    marginal = full["marginal_wall_ms_per_page"]
    marginal_cpu = full["marginal_cpu_ms_per_page"]
    analysis["trafilatura_vs_build_no_cache"] = {
        "marginal_wall": traf["ms_per_page"] / marginal if marginal and marginal > 0 else None,
        "marginal_cpu": traf["cpu_ms_per_page"] / marginal_cpu
        if marginal_cpu and marginal_cpu > 0 else None,
        "average_wall_large": traf["ms_per_page"] / full["wall_ms_per_page"][1],
    }
    after = large["builds"]["rebuild_after_edit"]
    analysis["rebuild_after_edit"] = {
        "edit_fraction": edit_fraction,
        "edited_articles": large["edited_articles"],
        "parsed": after["parsed"],
        "fraction_of_full_wall": after["wall_s"] / large["builds"]["build_full"]["wall_s"],
        "fraction_of_full_cpu": after["cpu_s"] / large["builds"]["build_full"]["cpu_s"],
        "vs_rebuild_nothing_new": after["wall_s"] / large["builds"]["rebuild"]["wall_s"],
    }
    if "build_after_edit_full" in large["builds"]:
        analysis["rebuild_after_edit"]["fraction_of_full_same_archive_wall"] = (
            after["wall_s"] / large["builds"]["build_after_edit_full"]["wall_s"])
    analysis["output_identical"] = all(size["output"]["identical"] for size in sizes)
    worst_growth = max(entry["peak_rss_growth_mb"] for entry in per_build.values())
    measured = {
        "build_no_cache_marginal_ms_per_page": marginal,
        "trafilatura_vs_build_no_cache_marginal":
            analysis["trafilatura_vs_build_no_cache"]["marginal_wall"],
        "rebuild_nothing_new_marginal_ms_per_page": per_build["rebuild"]
        ["marginal_wall_ms_per_page"],
        "rebuild_after_edit_fraction_of_full":
            analysis["rebuild_after_edit"]["fraction_of_full_wall"],
        "peak_rss_growth_mb": worst_growth,
        "output_identical": analysis["output_identical"],
    }
    analysis["targets"] = {name: {**bound, "measured": measured[name],
                                  "met": _met(bound, measured[name])}
                           for name, bound in TARGETS.items()}
    # With a pool of parsing processes, wall time counts the second core as savings: the
    # same ratio in CPU time beside it.
    analysis["targets"]["trafilatura_vs_build_no_cache_marginal"]["measured_cpu"] = (
        analysis["trafilatura_vs_build_no_cache"]["marginal_cpu"])
    analysis["targets"]["build_no_cache_marginal_ms_per_page"]["measured_cpu"] = marginal_cpu
    return analysis


def _met(bound: dict, value) -> bool:
    if value is None:
        return False
    if "max" in bound:
        return value <= bound["max"]
    if "min" in bound:
        return value >= bound["min"]
    return value == bound["equals"]


def run(scales: tuple[int, ...], edit_fraction: float, trafilatura_pages: int | None,
        keep: Path | None, progress: Callable[[str], None] | None = None) -> dict:
    say = progress or (lambda message: None)
    if shutil.which("wget") is None:
        raise SystemExit("bench_scale needs GNU wget (apt-get install wget)")
    started = time.perf_counter()
    load_before = _common.load_average()
    scratch_holder = None
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        scratch = keep
    else:
        scratch_holder = tempfile.TemporaryDirectory(prefix="scoparchive-bench-scale-")
        scratch = Path(scratch_holder.name)
    try:
        sizes, largest_warc = [], None
        for number, scale in enumerate(sorted(scales)):
            size, largest_warc = measure_size(scale, scratch, edit_fraction, number == 0, say)
            sizes.append(size)
        say(f"trafilatura on the pages of {largest_warc.name} (scale {sizes[-1]['scale']})")
        traf = trafilatura_pass(largest_warc, trafilatura_pages)
    finally:
        if scratch_holder is not None:
            scratch_holder.cleanup()
    return {
        "benchmark": NAME,
        "command": _common.command_line(),
        "machine": _common.machine(),
        "settings": {"scales": sorted(scales), "edit_fraction": edit_fraction,
                     "markup": "drupal", "trafilatura_pages": trafilatura_pages,
                     "projected_captures": PROJECTED_CAPTURES,
                     "crawler": _wget_version(), "wget_command": WGET_COMMAND},
        "sizes": sizes,
        "trafilatura": traf,
        **analyse(sizes, traf, edit_fraction),
        "load_average_1min": {"before": load_before, "after": _common.load_average()},
        "benchmark_wall_s": time.perf_counter() - started,
    }


def _wget_version() -> str | None:
    try:
        return subprocess.run(["wget", "--version"], capture_output=True, text=True,
                              timeout=10).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: scales 1 and 2, 20 trafilatura pages")
    parser.add_argument("--scales", default=None,
                        help="two replica scales, comma-separated (13,130: ~500 and ~5,000 "
                        "pages)")
    parser.add_argument("--edit-fraction", type=float, default=EDIT_FRACTION,
                        help="share of the articles changed between the two crawls (0.01)")
    parser.add_argument("--trafilatura-pages", type=int, default=None,
                        help=f"pages of the largest WARC given to trafilatura, spread over it "
                        f"({TRAFILATURA_PAGES}; 0 for all)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the archives and datasets in this folder")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"result file (benchmarks/results/{NAME}.json)")
    args = parser.parse_args(argv)
    if args.scales:
        scales = tuple(int(part) for part in args.scales.split(","))
    else:
        scales = QUICK_SCALES if args.quick else DEFAULT_SCALES
    if len(scales) != 2 or len(set(scales)) != 2:
        parser.error("--scales takes two different scales")
    limit = args.trafilatura_pages
    if limit is None:
        limit = 20 if args.quick else TRAFILATURA_PAGES
    limit = limit or None

    def say(message: str) -> None:
        print(f"[{NAME}] {message}", file=sys.stderr, flush=True)

    result = run(scales, args.edit_fraction, limit, args.keep, progress=say)
    result["settings"]["quick"] = args.quick
    path = _common.write_results(NAME, result, args.out)
    for size in result["sizes"]:
        line = ", ".join(f"{name} {build['wall_s']:.1f} s" for name, build in
                         size["builds"].items())
        say(f"{size['html_pages']} pages ({size['captures']} captures): {line}")
    for name, target in result["targets"].items():
        say(f"{name}: {target['measured']!r} ({'met' if target['met'] else 'NOT met'})")
    say(f"took {result['benchmark_wall_s']:.0f} s; results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
