"""Crawl and build costs on the replica served on 127.0.0.1.

For each repetition, against one ``ReplicaServer(port=0)`` (drupal markup, gzip on) that runs in
this process for the whole benchmark, each step in its own subprocess (``_crawl_child.py``):

1. ``bare``: a minimal ``scrapy.Spider`` following every same-host ``a[href]`` and ``img[src]``,
   with scoparchive's concurrency (``CONCURRENT_REQUESTS``, ``..._PER_DOMAIN``) and request
   headers, delay 0, robots.txt obeyed, no archive, no page objects;
2. ``first``: ``scoparchive.crawling.crawl()`` and the run summary (what ``scoparchive crawl``
   runs) into a new archive;
3. ``recrawl``: the same into the same archive, the replica unchanged;
4. ``build_full``: ``scoparchive.dataset.build.build()`` of that archive, its parse cache
   (``<archive>/.cache``) deleted first: every capture is parsed;
5. ``build_again``: the same build once more (the parse cache now warm).

Requests are counted by the server (``ReplicaServer.request_log``); an article body is a 200
answer to a GET of an article's path (``replica.site.articles()``). Bytes (``wire_body_bytes``)
are the response bodies as they came off the socket, still gzipped, counted for both spiders
through Scrapy's ``bytes_received`` signal (Scrapy's ``downloader/response_bytes`` is kept as
``scrapy_response_bytes``, but it also counts headers and the archived copies that a recrawl
serves itself from the archive, with no request).
Times: ``scrapy_s`` is the time inside ``CrawlerProcess.start()`` for both spiders; ``wall_s`` is
the whole subprocess (interpreter start, imports and, for scoparchive, the run summary that
replays the archive's history at the end of a crawl). Medians over repetitions.

    python benchmarks/bench_crawl.py            # 5 repetitions, writes results/crawl.json
    python benchmarks/bench_crawl.py --quick    # smoke: 1 repetition
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import _common

NAME = "crawl"
CHILD = Path(__file__).resolve().parent / "_crawl_child.py"
MARKER = "BENCH-RESULT "
CHILD_TIMEOUT = 300


class ChildFailed(RuntimeError):
    pass


def child(*arguments: str) -> tuple[dict, float]:
    """Run one step in its own Python process; its result and the wall time seen from here."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, str(CHILD), *arguments], capture_output=True,
                               text=True, timeout=CHILD_TIMEOUT, env=env, cwd=_common.REPO)
    wall = time.perf_counter() - started
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise ChildFailed(f"{' '.join(arguments[:1])} exited {completed.returncode}:\n"
                          f"{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix(MARKER)), wall


def served(log: list, article_paths: set[str]) -> dict:
    """What the server saw of one crawl."""
    statuses = Counter(entry.status for entry in log)
    gets = [entry for entry in log if entry.method == "GET"]
    article_bodies = sum(1 for entry in gets
                         if entry.status == 200 and urlsplit(entry.path).path in article_paths)
    conditional = sum(1 for entry in log if {"If-None-Match", "If-Modified-Since"}
                      & set(entry.headers))
    span = log[-1].time - log[0].time if len(log) > 1 else 0.0
    return {"requests": len(log), "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "article_bodies": article_bodies, "conditional_requests": conditional,
            "distinct_paths": len({entry.path for entry in log}), "server_span_s": span}


def archive_bytes(archive: Path) -> int:
    return sum(path.stat().st_size for path in archive.rglob("*.warc*") if path.is_file())


def crawl_step(kind: str, replica, article_paths: set[str], *arguments: str) -> dict:
    mark = len(replica.request_log)
    result, wall = child(kind, replica.url, *arguments)
    log = replica.request_log[mark:]
    stats = result.get("stats", {})
    step = {
        "wall_s": wall,
        "scrapy_s": result["scrapy_s"],
        "import_s": result.get("import_s"),
        "max_rss_mib": result.get("max_rss_mib"),
        **served(log, article_paths),
        "wire_body_bytes": stats.get("bench/wire_body_bytes", 0),
        "scrapy_response_bytes": stats.get("downloader/response_bytes", 0),
        "scrapy_requests": stats.get("downloader/request_count", 0),
        "finish_reason": stats.get("finish_reason") or result.get("finish_reason"),
    }
    if kind == "ours":
        step.update({
            "crawl_call_s": result.get("crawl_call_s"),
            "archived_responses": result.get("responses"),
            "not_modified": stats.get("scoparchive/not_modified", 0),
            "skipped_known_unchanged": sum(v for k, v in stats.items()
                                           if k.startswith("scoparchive/skipped/")),
            "changes": result.get("changes"),
            "errors": result.get("errors"),
        })
    return step


def build_step(archive: Path, out: Path) -> dict:
    result, wall = child("build", str(archive), str(out))
    return {"wall_s": wall, "build_s": result["build_s"], "import_s": result.get("import_s"),
            "captures": result.get("captures"), "parsed": result.get("parsed"),
            "from_cache": result.get("from_cache"), "rows": result.get("rows"),
            "max_rss_mib": result.get("max_rss_mib")}


def summarise(runs: list[dict]) -> dict:
    """The median of every number over repetitions; the last repetition's other values."""
    summary = {}
    for key, value in runs[-1].items():
        values = [run.get(key) for run in runs]
        if isinstance(value, bool) or not isinstance(value, int | float):
            summary[key] = value
        elif all(isinstance(item, int | float) for item in values):
            summary[key] = _common.median(values)
            if key.endswith("_s") and len(runs) > 1:
                summary[key + "_runs"] = values
        else:
            summary[key] = value
    return summary


def run(repetitions: int = 5, markup: str = "drupal",
        progress: Callable[[str], None] | None = None) -> dict:
    from scoparchive.replica import ReplicaServer

    say = progress or (lambda message: None)
    load_before = _common.load_average()
    steps: dict[str, list[dict]] = {name: [] for name in
                                    ("bare", "first", "recrawl", "build_full", "build_again")}
    with ReplicaServer(port=0, markup=markup) as replica, \
            tempfile.TemporaryDirectory(prefix="scoparchive-bench-") as scratch:
        article_paths = {entry.path for entry in replica.site.articles()}
        html_pages = len(replica.site.html_paths())
        for repetition in range(repetitions):
            archive = Path(scratch) / f"archive-{repetition}"
            out = Path(scratch) / f"datasets-{repetition}"
            say(f"repetition {repetition + 1}/{repetitions}: bare Scrapy spider")
            steps["bare"].append(crawl_step("bare", replica, article_paths))
            say("first crawl")
            first = crawl_step("ours", replica, article_paths, str(archive))
            first["archive_bytes"] = archive_bytes(archive)
            steps["first"].append(first)
            say("recrawl of the unchanged replica")
            recrawl = crawl_step("ours", replica, article_paths, str(archive))
            recrawl["archive_bytes_added"] = archive_bytes(archive) - first["archive_bytes"]
            steps["recrawl"].append(recrawl)
            cache = archive / ".cache"
            if cache.exists():
                shutil.rmtree(cache)
            say("full build (parse cache removed)")
            steps["build_full"].append(build_step(archive, out))
            say("second build")
            steps["build_again"].append(build_step(archive, out))
            shutil.rmtree(archive, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)

    summary = {name: summarise(runs) for name, runs in steps.items()}
    bare, first, recrawl = summary["bare"], summary["first"], summary["recrawl"]
    ratios = {
        "first_vs_bare_scrapy_time": first["scrapy_s"] / bare["scrapy_s"],
        "first_vs_bare_wall_time": first["wall_s"] / bare["wall_s"],
        "first_vs_bare_requests": first["requests"] / bare["requests"],
        "first_vs_bare_ms_per_request": (first["scrapy_s"] / first["requests"])
        / (bare["scrapy_s"] / bare["requests"]),
        "recrawl_vs_first_requests": recrawl["requests"] / first["requests"],
        "recrawl_vs_first_bytes": recrawl["wire_body_bytes"] / max(1, first["wire_body_bytes"]),
        "recrawl_vs_first_wall_time": recrawl["wall_s"] / first["wall_s"],
        "build_again_vs_full_time": summary["build_again"]["build_s"]
        / summary["build_full"]["build_s"],
    }
    return {
        "benchmark": NAME,
        "command": _common.command_line(),
        "machine": _common.machine(),
        "settings": {"repetitions": repetitions, "markup": markup, "statistic":
                     "median over repetitions", "replica_html_pages": html_pages,
                     "replica_articles": len(article_paths)},
        "steps": summary,
        "ratios": ratios,
        "load_average_1min": {"before": load_before, "after": _common.load_average()},
        "target": {"recrawl_article_bodies": 0,
                   "met": recrawl["article_bodies"] == 0},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: 1 repetition")
    parser.add_argument("--repetitions", type=int, default=None, help="repetitions (5)")
    parser.add_argument("--markup", default="drupal", help="replica markup (drupal)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"result file (benchmarks/results/{NAME}.json)")
    args = parser.parse_args(argv)
    repetitions = args.repetitions or (1 if args.quick else 5)

    def say(message: str) -> None:
        print(f"[{NAME}] {message}", file=sys.stderr, flush=True)

    result = run(repetitions, args.markup, progress=say)
    result["settings"]["quick"] = args.quick
    path = _common.write_results(NAME, result, args.out)
    steps = result["steps"]
    for name in ("bare", "first", "recrawl"):
        step = steps[name]
        say(f"{name:8} {step['requests']:4} requests  {step['wire_body_bytes']:9,} bytes  "
            f"scrapy {step['scrapy_s']:.2f} s  wall {step['wall_s']:.2f} s  "
            f"article bodies {step['article_bodies']}")
    for name in ("build_full", "build_again"):
        step = steps[name]
        say(f"{name:11} {step['build_s']:.2f} s (wall {step['wall_s']:.2f} s), "
            f"parsed {step['parsed']}, from cache {step['from_cache']}")
    say(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
