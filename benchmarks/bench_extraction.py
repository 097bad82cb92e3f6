"""Extraction throughput: scoparchive's page objects vs trafilatura vs a bare lxml parse.

Every HTML page of the replica (``ReplicaSite.html_paths()``: entries, listing pages, the legacy
page), in every markup, is rendered once into memory through the replica's own routing
(``ReplicaApp.handle``: the exact bytes and Content-Type that the server sends, without sockets),
with the real site's base URL so that the default site profile applies. Then, in one process:

- ``scoparchive``: ``scoparchive.pages.parse_page(url, body, content_type=...)``, the full record
  (page type, title, date, body, links, images, contacts, roundup items...);
- ``trafilatura``: ``trafilatura.bare_extraction(body, url=url)`` with its defaults (main text,
  fallbacks on, no metadata);
- ``trafilatura_metadata``: the same with ``with_metadata=True`` (title, date, author...: what our
  record holds too): the reference of the ≥ 10× target;
- ``trafilatura_fast``: ``fast=True`` (no fallback extractors), trafilatura's quickest mode;
- ``lxml``: ``lxml.html.fromstring(body)`` alone, the floor of any lxml-based extractor.

One untimed warm-up pass per engine (imports, lazy tables), then ``--repetitions`` timed passes,
engines interleaved and rotated each repetition; throughput is the median over repetitions.
The ratio ours/trafilatura is taken within each repetition (the engines ran back to back, under
the same load from the rest of the machine), then the median over repetitions; the ratios of
median wall times and of median CPU times (``time.process_time``) are reported beside it.
Every engine's memos of texts (the functions that remember their answer for a text, a line,
a date string or a URL: ``MEMO_CACHES``) are emptied before each of its passes, so that no
repetition profits from having seen the same pages before; the tables loaded once (stop lists,
month names, the site's profile) stay warm, as in a long build. Memory is measured in separate, untimed passes:
peak resident memory above the start of the pass (Linux VmHWM, reset through
``/proc/self/clear_refs``, after ``malloc_trim``) and tracemalloc's peak (Python allocations only:
libxml2's trees are not seen by it).

    python benchmarks/bench_extraction.py            # full: 5 repetitions, writes results/
    python benchmarks/bench_extraction.py --quick    # smoke: 1 repetition, 3 pages per markup
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import ctypes
import gc
import importlib
import logging
import pstats
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import _common

NAME = "extraction"
TARGET_RATIO = 10.0
PRIMARY_REFERENCE = "trafilatura_metadata"


@dataclass(frozen=True)
class Page:
    markup: str
    path: str
    url: str
    body: bytes
    content_type: str


def load_pages(per_markup: int | None = None) -> list[Page]:
    """Every HTML page of the replica in every markup, as the server would send it."""
    from scoparchive.profiles import DEFAULT_PROFILE
    from scoparchive.replica import MARKUPS, ReplicaApp, ReplicaSite

    base = DEFAULT_PROFILE.base_url
    site = ReplicaSite.load()
    paths = site.html_paths()
    if per_markup is not None and per_markup < len(paths):
        step = len(paths) / per_markup  # spread over the kinds of page, not the first few
        paths = [paths[int(i * step)] for i in range(per_markup)]
    pages = []
    for markup in MARKUPS:
        app = ReplicaApp(site, markup, base)
        for path in paths:
            reply = app.handle(path)
            if reply.status != 200 or not reply.content_type.startswith("text/html"):
                raise RuntimeError(f"replica: {markup} {path} answered {reply.status} "
                                   f"{reply.content_type}")
            pages.append(Page(markup, path, base.rstrip("/") + path, reply.body,
                              reply.content_type))
    return pages


# --- the engines ---------------------------------------------------------------------------------

def engines() -> dict[str, tuple[str, Callable[[Page], object]]]:
    import lxml.html
    import trafilatura

    from scoparchive.pages import parse_page

    for name in ("trafilatura", "htmldate", "courlan", "justext"):
        logging.getLogger(name).setLevel(logging.CRITICAL)

    return {
        "scoparchive": (
            "scoparchive.pages.parse_page",
            lambda page: parse_page(page.url, page.body, content_type=page.content_type),
        ),
        "trafilatura": (
            "trafilatura.bare_extraction (defaults)",
            lambda page: trafilatura.bare_extraction(page.body, url=page.url),
        ),
        "trafilatura_metadata": (
            "trafilatura.bare_extraction(with_metadata=True)",
            lambda page: trafilatura.bare_extraction(page.body, url=page.url, with_metadata=True),
        ),
        "trafilatura_fast": (
            "trafilatura.bare_extraction(fast=True)",
            lambda page: trafilatura.bare_extraction(page.body, url=page.url, fast=True),
        ),
        "lxml": ("lxml.html.fromstring (parse only, floor)", lambda page: lxml.html.fromstring(
            page.body)),
    }


#: The memos of texts each engine keeps between pages, as ``module:function``. A build sees
#: each page once; a benchmark that repeats the same pages would otherwise time the second
#: pass from these memos. ``urllib.parse.urlsplit`` is shared by every engine.
MEMO_CACHES = {
    "scoparchive": (
        "scoparchive.text.contacts:normalise_phone",  # phone numbers
        "scoparchive.pages.urls:_page_url",  # links resolved
        "scoparchive.pages.urls:_host_of",  # hosts of the links
        "scoparchive.text.normalise:_fold_short",  # short texts folded for comparisons
    ),
    "trafilatura": (
        "trafilatura.utils:line_processing",  # each line of text
        "trafilatura.utils:trim",
        "trafilatura.deduplication:is_similar_domain",
        "htmldate.extractors:try_date_expr",  # date strings
        "htmldate.validators:filter_ymd_candidate",
        "htmldate.validators:_parse_and_validate",
    ),
    "shared": ("urllib.parse:urlsplit",),
}


def memo_caches(name: str) -> list[str]:
    """The memo caches of an engine (``MEMO_CACHES``) that exist in the versions installed."""
    family = "trafilatura" if name.startswith("trafilatura") else name
    found = []
    for path in (*MEMO_CACHES.get(family, ()), *MEMO_CACHES["shared"]):
        module_name, function_name = path.split(":")
        try:
            function = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError):
            continue
        if hasattr(function, "cache_clear"):
            found.append(path)
    return found


def reset_caches(name: str) -> None:
    """Forget the texts a previous pass of the same pages taught an engine (``MEMO_CACHES``)."""
    for path in memo_caches(name):
        module_name, function_name = path.split(":")
        getattr(importlib.import_module(module_name), function_name).cache_clear()


def summarise_output(name: str, results: list[object]) -> dict:
    """What the engine produced, to show that every engine did real work on these pages."""
    if name == "scoparchive":
        types = Counter(getattr(item, "page_type", None) for item in results)
        crashed = sum(1 for item in results
                      if (getattr(item, "extraction", None) or {}).get("error") == "crash")
        return {"page_types": dict(sorted(types.items(), key=lambda kv: str(kv[0]))),
                "with_title": sum(1 for item in results if getattr(item, "title", None)),
                "crashed": crashed}
    if name.startswith("trafilatura"):
        texts = [getattr(item, "text", None) or "" for item in results if item is not None]
        return {"with_result": len(texts),
                "with_title": sum(1 for item in results if getattr(item, "title", None)),
                "text_chars_median": statistics.median(len(text) for text in texts) if texts
                else 0}
    return {"parsed": sum(1 for item in results if item is not None)}


# --- measuring -----------------------------------------------------------------------------------

def timed_pass(function: Callable[[Page], object],
               pages: list[Page]) -> tuple[float, float, list[float]]:
    """Wall time and CPU time of a pass over every page, and each page's own wall time."""
    clock = time.perf_counter
    each = []
    cpu_started = time.process_time()
    started = clock()
    for page in pages:
        before = clock()
        function(page)
        each.append(clock() - before)
    return clock() - started, time.process_time() - cpu_started, each


def _malloc_trim() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def memory_pass(function: Callable[[Page], object], pages: list[Page]) -> dict:
    gc.collect()
    _malloc_trim()
    with _common.PeakRSS() as rss:
        for page in pages:
            function(page)
    gc.collect()
    tracemalloc.start()
    for page in pages:
        function(page)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rss_peak_delta_mib": rss.delta_mib, "tracemalloc_peak_mib": traced_peak / 2**20}


def profile_ours(pages: list[Page], top: int) -> dict:
    """cProfile of one pass of parse_page: the top functions and the main stages' shares."""
    from scoparchive.pages import parse_page

    reset_caches("scoparchive")
    profiler = cProfile.Profile()
    profiler.enable()
    for page in pages:
        parse_page(page.url, page.body, content_type=page.content_type)
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries = stats.stats  # (file, line, function) → (primitive calls, calls, tottime, cumtime, …)
    total = next((value[3] for (filename, _, name), value in entries.items()
                  if name == "parse_page" and filename.endswith("pages/__init__.py")), None)
    total = total or sum(tottime for _, _, tottime, _, _ in entries.values()) or 1.0

    def row(key, value) -> dict:
        filename, line, function = key
        short = _short_path(filename)
        return {"function": f"{short}:{line}({function})" if line else function,
                "calls": value[1], "tottime_s": value[2], "cumtime_s": value[3],
                "tottime_pct": 100 * value[2] / total, "cumtime_pct": 100 * value[3] / total}

    by_tottime = sorted(entries.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    ours = [kv for kv in entries.items() if "scoparchive" in kv[0][0]]
    by_cumtime = sorted(ours, key=lambda kv: kv[1][3], reverse=True)[:top]
    # The steps of ``scoparchive.pages.extract``: the functions it calls directly, with the time
    # spent in each from there (found by the profile, so renames in pages/ need no edit here).
    extract_key = next((key for key in entries if key[2] == "extract"
                        and key[0].endswith("pages/__init__.py")), None)
    stages = {}
    if extract_key is not None:
        callees = [(key, callers[extract_key]) for key, (*_, callers) in entries.items()
                   if extract_key in callers]
        for key, (_, _, _, cumtime) in sorted(callees, key=lambda kv: kv[1][3], reverse=True):
            label = row(key, entries[key])["function"].rsplit("/", 1)[-1]
            stages[label] = {"cumtime_s": cumtime, "pct": 100 * cumtime / total}
    return {"pages": len(pages), "total_s": total, "stages": stages,
            "top_tottime": [row(*kv) for kv in by_tottime],
            "top_cumtime": [row(*kv) for kv in by_cumtime]}


def _short_path(filename: str) -> str:
    if "scoparchive/" in filename:
        return "scoparchive/" + filename.rsplit("scoparchive/", 1)[1]
    if "site-packages/" in filename:
        return filename.rsplit("site-packages/", 1)[1]
    return filename


def size_stats(sizes: list[int]) -> dict:
    ordered = sorted(sizes)
    return {"count": len(sizes), "total_bytes": sum(sizes), "mean_bytes": statistics.mean(sizes),
            "median_bytes": statistics.median(sizes), "min_bytes": ordered[0],
            "p90_bytes": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
            "max_bytes": ordered[-1]}


def run(repetitions: int = 5, per_markup: int | None = None, profile_top: int = 15,
        memory: bool = True, progress: Callable[[str], None] | None = None) -> dict:
    say = progress or (lambda message: None)
    pages = load_pages(per_markup)
    table = engines()
    names = list(table)
    say(f"{len(pages)} pages loaded; warm-up pass")

    first_pass = {}
    outputs = {}
    for name in names:
        function = table[name][1]
        reset_caches(name)
        results = []
        started = time.perf_counter()
        for page in pages:
            results.append(function(page))
        first_pass[name] = len(pages) / (time.perf_counter() - started)
        outputs[name] = summarise_output(name, results)
        del results

    load_before = _common.load_average()
    totals: dict[str, list[float]] = defaultdict(list)
    cpu_totals: dict[str, list[float]] = defaultdict(list)
    per_page: dict[str, list[list[float]]] = defaultdict(list)
    for repetition in range(repetitions):
        order = names[repetition % len(names):] + names[:repetition % len(names)]
        for name in order:
            reset_caches(name)
            gc.collect()
            wall, cpu, each = timed_pass(table[name][1], pages)
            totals[name].append(wall)
            cpu_totals[name].append(cpu)
            per_page[name].append(each)
        say(f"repetition {repetition + 1}/{repetitions}: " + ", ".join(
            f"{name} {len(pages) / totals[name][-1]:.0f}/s" for name in names))

    total_bytes = sum(len(page.body) for page in pages)
    markups = sorted({page.markup for page in pages})
    result_engines = {}
    for name in names:
        seconds = _common.median(totals[name])
        cpu_seconds = _common.median(cpu_totals[name])
        # each page's median time over repetitions, then summed per markup
        page_medians = [statistics.median(times) for times in zip(*per_page[name], strict=True)]
        by_markup = {markup: sum(1 for p in pages if p.markup == markup) / sum(
            t for p, t in zip(pages, page_medians, strict=True) if p.markup == markup)
            for markup in markups}
        slowest = max(range(len(pages)), key=page_medians.__getitem__)
        result_engines[name] = {
            "label": table[name][0],
            "pages_per_s": len(pages) / seconds,
            "ms_per_page": 1000 * seconds / len(pages),
            "pages_per_cpu_s": len(pages) / cpu_seconds,
            "mib_per_s": total_bytes / 2**20 / seconds,
            "runs_pages_per_s": [len(pages) / wall for wall in totals[name]],
            "first_pass_pages_per_s": first_pass[name],
            "pages_per_s_by_markup": by_markup,
            "slowest_page": {"markup": pages[slowest].markup, "path": pages[slowest].path,
                             "ms": 1000 * page_medians[slowest]},
            "output": outputs[name],
        }

    if memory:
        say("memory passes")
        for name in names:
            reset_caches(name)
            result_engines[name]["memory"] = memory_pass(table[name][1], pages)

    others = [name for name in names if name != "scoparchive"]
    # The headline: within each repetition (engines measured back to back, under the same
    # load), the ratio of times; then the median over repetitions.
    paired = {f"scoparchive/{name}": statistics.median(
        theirs / ours for ours, theirs in zip(totals["scoparchive"], totals[name], strict=True))
        for name in others}
    of_medians = {f"scoparchive/{name}": result_engines["scoparchive"]["pages_per_s"]
                  / result_engines[name]["pages_per_s"] for name in others}
    of_cpu = {f"scoparchive/{name}": result_engines["scoparchive"]["pages_per_cpu_s"]
              / result_engines[name]["pages_per_cpu_s"] for name in others}
    primary = paired[f"scoparchive/{PRIMARY_REFERENCE}"]
    result = {
        "benchmark": NAME,
        "command": _common.command_line(),
        "machine": _common.machine(),
        "settings": {"repetitions": repetitions, "pages_per_markup": per_markup,
                     "markups": markups, "statistic": "median over repetitions",
                     "memo_caches_emptied_before_each_pass": {
                         name: memo_caches(name) for name in names}},
        "pages": {**size_stats([len(page.body) for page in pages]),
                  "per_markup": {m: sum(1 for p in pages if p.markup == m) for m in markups}},
        "engines": result_engines,
        "ratios": paired,
        "ratios_of_median_wall": of_medians,
        "ratios_of_median_cpu": of_cpu,
        "load_average_1min": {"before": load_before, "after": _common.load_average()},
        "target": {"ratio": TARGET_RATIO, "reference": PRIMARY_REFERENCE, "ratio_measured":
                   primary, "met": primary >= TARGET_RATIO},
        "process_peak_rss_mib": _common.max_rss_mib(),
    }
    if profile_top:
        say("profile of scoparchive.pages.parse_page")
        result["profile"] = profile_ours(pages, profile_top)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: 1 repetition, 3 pages per markup, short profile")
    parser.add_argument("--repetitions", type=int, default=None, help="timed passes (5)")
    parser.add_argument("--pages-per-markup", type=int, default=None,
                        help="only N pages of each markup, spread over the list (all)")
    parser.add_argument("--profile-top", type=int, default=None,
                        help="entries of the cProfile tables (15; 0 for no profile)")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory passes")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"result file (benchmarks/results/{NAME}.json)")
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (1 if args.quick else 5)
    per_markup = args.pages_per_markup or (3 if args.quick else None)
    profile_top = args.profile_top if args.profile_top is not None else (5 if args.quick else 15)

    def say(message: str) -> None:
        print(f"[{NAME}] {message}", file=sys.stderr, flush=True)

    result = run(repetitions, per_markup, profile_top, memory=not args.no_memory, progress=say)
    result["settings"]["quick"] = args.quick
    path = _common.write_results(NAME, result, args.out)
    engines_ = result["engines"]
    for name, data in engines_.items():
        say(f"{name:22} {data['pages_per_s']:8.1f} pages/s  {data['ms_per_page']:7.2f} ms/page")
    say(f"ours/{PRIMARY_REFERENCE} = {result['target']['ratio_measured']:.2f}x "
        f"(target {TARGET_RATIO:g}x: {'met' if result['target']['met'] else 'NOT met'})")
    say(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
