"""Run every benchmark, one after the other, print a summary and update benchmarks/README.md.

    make bench                                # = .venv/bin/python benchmarks/run.py
    python benchmarks/run.py --only crawl     # one benchmark
    python benchmarks/run.py --quick          # smoke run: results in a temporary folder,
                                              # README untouched (unless --readme is given)

Each benchmark runs in its own process, in turn (never two at once: the machines have two cores),
writes ``benchmarks/results/<name>.json``, and the README's results section, between
``<!-- results:start -->`` and ``<!-- results:end -->``, is rewritten from those files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import _common  # noqa: E402

BENCHMARKS = {"extraction": "bench_extraction.py", "realweb": "bench_realweb.py",
              "crawl": "bench_crawl.py", "scale": "bench_scale.py",
              "network": "bench_network.py"}
README = BENCH_DIR / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
MAKE_COMMAND = "make bench"

console = Console()


def run_benchmark(name: str, results_dir: Path, quick: bool) -> dict:
    out = results_dir / f"{name}.json"
    command = [sys.executable, str(BENCH_DIR / BENCHMARKS[name]), "--out", str(out)]
    if quick:
        command.append("--quick")
    console.rule(f"[bold]{name}")
    subprocess.run(command, check=True, cwd=_common.REPO)
    return json.loads(out.read_text(encoding="utf-8"))


def load(results_dir: Path, name: str) -> dict | None:
    path = results_dir / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# --- the summary in the terminal --------------------------------------------------------------

def print_summary(extraction: dict | None, crawl: dict | None, realweb: dict | None = None,
                  scale: dict | None = None, network: dict | None = None) -> None:
    if extraction:
        table = Table(title=f"extraction: {extraction['pages']['count']} replica pages, "
                      f"median of {extraction['settings']['repetitions']}")
        for column in ("engine", "pages/s", "ms/page", "ours ×", "peak RSS Δ MiB"):
            table.add_column(column, justify="left" if column == "engine" else "right")
        for name, engine in extraction["engines"].items():
            ratio = extraction["ratios"].get(f"scoparchive/{name}")
            memory = (engine.get("memory") or {}).get("rss_peak_delta_mib")
            table.add_row(name, f"{engine['pages_per_s']:.1f}", f"{engine['ms_per_page']:.2f}",
                          "" if ratio is None else f"{ratio:.2f}",
                          "" if memory is None else f"{memory:.1f}")
        console.print(table)
        target = extraction["target"]
        colour = "green" if target["met"] else "red"
        console.print(f"ours/{target['reference']}: [{colour}]{target['ratio_measured']:.2f}×[/] "
                      f"(target ≥ {target['ratio']:g}×: {'met' if target['met'] else 'not met'})")
    if realweb and "extractors" in realweb:
        table = Table(title="real pages of other sites (../shared/realweb)")
        for column in ("extractor", "article", "title", "date", "with", "without", "ms/page"):
            table.add_column(column, justify="left" if column == "extractor" else "right")
        for name, found in realweb["extractors"].items():
            table.add_row(name, *(str(found[key]) for key in ("article", "title", "date")),
                          f"{found['with']:.3f}", f"{found['without']:.3f}",
                          _n(found["ms_per_page"], 1))
        console.print(table)
    elif realweb:
        console.print(f"real pages: skipped ({realweb['skipped']})")
    if crawl:
        steps = crawl["steps"]
        table = Table(title=f"crawl of the replica, median of {crawl['settings']['repetitions']}")
        for column in ("step", "requests", "article bodies", "body bytes", "scrapy s", "wall s"):
            table.add_column(column, justify="left" if column == "step" else "right")
        for name in ("bare", "first", "recrawl"):
            step = steps[name]
            table.add_row(name, f"{step['requests']:.0f}", f"{step['article_bodies']:.0f}",
                          f"{step['wire_body_bytes']:,.0f}", f"{step['scrapy_s']:.2f}",
                          f"{step['wall_s']:.2f}")
        for name in ("build_full", "build_again"):
            step = steps[name]
            table.add_row(name, "", "", "", f"{step['build_s']:.2f} (build)",
                          f"{step['wall_s']:.2f}")
        console.print(table)
    if scale:
        small, large = scale["sizes"][0], scale["sizes"][-1]
        table = Table(title=f"build of a wget WARC of the scaled replica: {small['html_pages']} "
                      f"and {large['html_pages']} pages")
        for column in ("build", "wall s (small)", "wall s (large)", "marginal ms/page",
                       "peak RSS MiB (large)"):
            table.add_column(column, justify="left" if column == "build" else "right")
        for name, label in SCALE_BUILDS.items():
            if name not in large["builds"]:
                continue
            analysed = scale["builds"].get(name, {})
            table.add_row(label.replace("`", ""),
                          _n(small["builds"].get(name, {}).get("wall_s"), 2),
                          _n(large["builds"][name]["wall_s"], 2),
                          _n(analysed.get("marginal_wall_ms_per_page"), 2),
                          _n(large["builds"][name]["max_rss_mib"]))
        console.print(table)
        for name, target in scale["targets"].items():
            colour = "green" if target["met"] else "red"
            console.print(f"{name}: [{colour}]{_target_value(target['measured'])}[/] "
                          f"({_bound(target)}: {'met' if target['met'] else 'not met'})")
    if network:
        table = Table(title="the network crawled by distributed workers (Redis)")
        for column in ("scenario", "workers", "pages", "wall s", "pages/s",
                       "busiest host: req/s (allowed)", "smallest gap s"):
            table.add_column(column, justify="left" if column == "scenario" else "right")
        for scenario, found in network["scenarios"].items():
            for run in found["runs"]:
                busiest = max(run["hosts"].values(), key=lambda host: host["requests_per_s"] or 0)
                table.add_row(scenario, str(run["workers"]), str(run["pages"]),
                              f"{run['wall_s']:.1f}", f"{run['pages_per_s']:.1f}",
                              f"{_n(busiest['requests_per_s'], 2)} "
                              f"({_n(busiest['allowed_per_s'], 2)})",
                              _n(min((host["min_gap_s"] for host in run["hosts"].values()
                                      if host["min_gap_s"] is not None), default=None), 3))
        console.print(table)
        for name, target in network["targets"].items():
            colour = "green" if target["met"] else "red"
            console.print(f"{name}: [{colour}]{_target_value(target['measured'])}[/] "
                          f"({'met' if target['met'] else 'not met'})")


# --- the README section ------------------------------------------------------------------------

def _n(value, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def render_machine(result: dict) -> str:
    machine = result["machine"]
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items()
                         if version)
    return (f"{machine['nproc']} CPUs ({machine['cpu_model']}), Python {machine['python']}, "
            f"{packages}; revision `{machine['revision']}`, {machine['date']}")


def render_extraction(result: dict) -> list[str]:
    pages, target = result["pages"], result["target"]
    load = result.get("load_average_1min") or {}
    lines = [
        "### Extraction",
        "",
        f"`{result['command']}` on {render_machine(result)}.",
        "",
        f"{pages['count']} pages ({len(pages['per_markup'])} markups × "
        f"{pages['count'] // max(1, len(pages['per_markup']))}), "
        f"{pages['total_bytes'] / 2**20:.2f} MiB; page size median "
        f"{pages['median_bytes'] / 1024:.1f} KiB, min {pages['min_bytes'] / 1024:.1f}, "
        f"p90 {pages['p90_bytes'] / 1024:.1f}, max {pages['max_bytes'] / 1024:.1f} KiB. "
        f"Median of {_plural(result['settings']['repetitions'], 'repetition')}; "
        "1-minute load average "
        f"{_n(load.get('before'), 2)} before, {_n(load.get('after'), 2)} after.",
        "",
        "| engine | pages/s | ms/page | MiB/s | ours × (paired) | ours × (CPU time) "
        "| first pass pages/s | peak RSS Δ MiB | tracemalloc peak MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, engine in result["engines"].items():
        memory = engine.get("memory") or {}
        lines.append(
            f"| `{name}`: {engine['label']} | {_n(engine['pages_per_s'], 1)} "
            f"| {_n(engine['ms_per_page'], 2)} | {_n(engine['mib_per_s'], 2)} "
            f"| {_n(result['ratios'].get(f'scoparchive/{name}'), 2)} "
            f"| {_n(result['ratios_of_median_cpu'].get(f'scoparchive/{name}'), 2)} "
            f"| {_n(engine['first_pass_pages_per_s'], 1)} "
            f"| {_n(memory.get('rss_peak_delta_mib'), 1)} "
            f"| {_n(memory.get('tracemalloc_peak_mib'), 2)} |")
    verdict = "met" if target["met"] else "**not met**"
    lines += [
        "",
        f"Target ours/`{target['reference']}` ≥ {target['ratio']:g}×: {verdict} "
        f"({target['ratio_measured']:.2f}×). Process peak RSS "
        f"{result['process_peak_rss_mib']:.0f} MiB. The first pass is the untimed warm-up, "
        "from a cold process: it includes one-time loads (lazy imports, reference tables).",
    ]
    engines = result["engines"]
    markups = list(engines["scoparchive"]["pages_per_s_by_markup"])
    lines += ["", "Pages/s by markup (sum of each page's median time):", "",
              "| engine | " + " | ".join(markups) + " |",
              "| --- |" + " ---: |" * len(markups)]
    for name in ("scoparchive", "trafilatura"):
        by_markup = engines[name]["pages_per_s_by_markup"]
        lines.append(f"| `{name}` | " + " | ".join(_n(by_markup[m], 1) for m in markups) + " |")
    profile = result.get("profile")
    if profile:
        stages = ", ".join(f"`{label}` {stage['pct']:.0f} %"
                           for label, stage in profile["stages"].items() if stage["pct"] >= 1)
        lines += ["", f"Where our time goes (cProfile, one pass, {profile['pages']} pages, "
                  f"{profile['total_s']:.2f} s under the profiler), by step of `pages.extract`: "
                  f"{stages}.", "",
                  "| function (by own time) | calls | own s | own % | cumulative % |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for row in profile["top_tottime"][:10]:
            lines.append(f"| `{row['function']}` | {row['calls']:,} | {row['tottime_s']:.3f} "
                         f"| {row['tottime_pct']:.1f} | {row['cumtime_pct']:.1f} |")
    return lines


def render_crawl(result: dict) -> list[str]:
    steps, ratios, settings = result["steps"], result["ratios"], result["settings"]
    load = result.get("load_average_1min") or {}
    lines = [
        "### Crawl, recrawl, bare Scrapy, build",
        "",
        f"`{result['command']}` on {render_machine(result)}.",
        "",
        f"Replica in the `{settings['markup']}` markup ({settings['replica_html_pages']} HTML "
        f"pages, {settings['replica_articles']} articles), median of "
        f"{_plural(settings['repetitions'], 'repetition')}; 1-minute load average "
        f"{_n(load.get('before'), 2)} before, {_n(load.get('after'), 2)} after.",
        "",
        "| step | requests | 200 / 304 | article bodies | body bytes (wire) | in Scrapy s "
        "| process wall s | peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    labels = {"bare": "bare Scrapy spider", "first": "first crawl",
              "recrawl": "recrawl (replica unchanged)"}
    for name, label in labels.items():
        step = steps[name]
        statuses = step.get("statuses") or {}
        lines.append(
            f"| {label} | {_n(step['requests'])} | {statuses.get('200', 0)} / "
            f"{statuses.get('304', 0)} | {_n(step['article_bodies'])} "
            f"| {_n(step['wire_body_bytes'])} | {_n(step['scrapy_s'], 2)} "
            f"| {_n(step['wall_s'], 2)} | {_n(step.get('max_rss_mib'))} |")
    lines += [
        "",
        "| build | build s | process wall s | captures | parsed | from cache |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (("build_full", "full (parse cache removed)"),
                        ("build_again", "again (cache warm)")):
        step = steps[name]
        lines.append(f"| {label} | {_n(step['build_s'], 2)} | {_n(step['wall_s'], 2)} "
                     f"| {_n(step['captures'])} | {_n(step['parsed'])} "
                     f"| {_n(step['from_cache'])} |")
    first = steps["first"]
    verdict = "met" if result["target"]["met"] else "**not met**"
    lines += [
        "",
        f"- First crawl vs bare Scrapy: {ratios['first_vs_bare_scrapy_time']:.2f}× the time "
        f"in Scrapy ({ratios['first_vs_bare_ms_per_request']:.2f}× per request), "
        f"{ratios['first_vs_bare_wall_time']:.2f}× the process wall time (imports and the run "
        f"summary included), {ratios['first_vs_bare_requests']:.2f}× the requests.",
        f"- Recrawl vs first crawl: {ratios['recrawl_vs_first_requests']:.2f}× the requests, "
        f"{ratios['recrawl_vs_first_bytes']:.3f}× the body bytes, "
        f"{ratios['recrawl_vs_first_wall_time']:.2f}× the wall time; article bodies downloaded "
        f"again: {_n(steps['recrawl']['article_bodies'])} (target 0: {verdict}).",
        f"- Archive after the first crawl: {_n(first.get('archive_bytes'))} bytes of WARC; the "
        f"recrawl added {_n(steps['recrawl'].get('archive_bytes_added'))}.",
        f"- Second build vs full build: {ratios['build_again_vs_full_time']:.2f}× the time.",
    ]
    return lines


#: The builds of ``bench_scale.py``, in the order they run.
SCALE_BUILDS = {
    "build_full": "`build --no-cache`",
    "build_cold": "`build`, parse cache empty (fills it)",
    "rebuild": "`build` again, nothing new",
    "rebuild_after_edit": "`build` after a recrawl, 1 % of articles edited",
    "build_after_edit_full": "`build --no-cache` of that archive",
}
SCALE_TARGETS = {
    "build_no_cache_marginal_ms_per_page": "`build --no-cache`, marginal ms/page",
    "trafilatura_vs_build_no_cache_marginal": "trafilatura alone ÷ `build --no-cache` marginal",
    "rebuild_nothing_new_marginal_ms_per_page": "rebuild with nothing new, marginal ms/page",
    "rebuild_after_edit_fraction_of_full": "rebuild after a 1 % recrawl ÷ `build --no-cache`",
    "peak_rss_growth_mb": "peak RSS growth, MB",
    "output_identical": "output identical between builds",
}


def _target_value(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return _n(value, 2)


def _bound(target: dict) -> str:
    if "max" in target:
        return f"≤ {target['max']:g}"
    if "min" in target:
        return f"≥ {target['min']:g}×"
    return "yes" if target["equals"] is True else str(target["equals"])


def render_scale(result: dict) -> list[str]:
    sizes, settings = result["sizes"], result["settings"]
    small, large = sizes[0], sizes[-1]
    load = result.get("load_average_1min") or {}
    traf, after = result["trafilatura"], result["rebuild_after_edit"]
    lines = [
        "### Build at scale: a wget WARC of the scaled replica",
        "",
        f"`{result['command']}` on {render_machine(result)}; "
        f"{(settings.get('crawler') or 'wget').rstrip('.')}. The whole run took "
        f"{result['benchmark_wall_s']:.0f} s; 1-minute load average "
        f"{_n(load.get('before'), 2)} before, {_n(load.get('after'), 2)} after.",
        "",
        "| | " + " | ".join(f"scale {size['scale']}" for size in sizes)
        + " | marginal (per page) |",
        "| --- |" + " ---: |" * (len(sizes) + 1),
        "| HTML pages (captures) in the first WARC | "
        + " | ".join(f"{size['html_pages']:,} ({size['captures']:,})" for size in sizes)
        + " | |",
        "| wget, first crawl, s | " + " | ".join(_n(size["wget"]["first"]["wall_s"], 1)
                                              for size in sizes) + " | |",
    ]
    for name, label in SCALE_BUILDS.items():
        if name not in large["builds"]:
            continue
        analysed = result["builds"].get(name, {})
        cells = []
        for size in sizes:
            build = size["builds"].get(name)
            per_page = None if build is None else 1000 * build["wall_s"] / size["html_pages"]
            cells.append("–" if build is None else f"{build['wall_s']:.1f} s ({per_page:.1f} "
                         f"ms/page, CPU {build['cpu_s']:.1f} s)")
        marginal = analysed.get("marginal_wall_ms_per_page")
        cpu = analysed.get("marginal_cpu_ms_per_page")
        lines.append(f"| {label} | " + " | ".join(cells) + " | "
                     + ("–" if marginal is None else
                        f"{marginal:.2f} ms (CPU {_n(cpu, 2)} ms)") + " |")
    full = result["builds"]["build_full"]
    lines += [
        "| peak RSS of `build --no-cache`, MiB | "
        + " | ".join(_n(size["builds"]["build_full"]["max_rss_mib"]) for size in sizes)
        + f" | {_n(full['peak_rss_kib_per_page'], 1)} KiB |",
        "",
        f"- trafilatura alone (`bare_extraction`, defaults) on {traf['pages']:,} of the "
        f"{traf['pages_in_warc']:,} HTML pages of the largest WARC: {traf['ms_per_page']:.2f} "
        f"ms/page (CPU {traf['cpu_ms_per_page']:.2f}), i.e. "
        f"{_n(result['trafilatura_vs_build_no_cache']['marginal_wall'], 2)}× the marginal "
        "cost of `build --no-cache` in wall time, "
        f"{_n(result['trafilatura_vs_build_no_cache']['marginal_cpu'], 2)}× in CPU time (the "
        "build parses in a pool of processes when it has one, trafilatura on one core).",
        f"- Rebuild after a recrawl that edited {after['edited_articles']} of "
        f"{large['articles']:,} articles ({100 * after['edit_fraction']:g} %; the second wget WARC "
        f"added to the same folder): {after['fraction_of_full_wall']:.2f}× the time of "
        f"`build --no-cache` of the first WARC ({_n(after['parsed'])} pages parsed).",
        f"- Peak RSS (`ru_maxrss`) from {small['html_pages']:,} to {large['html_pages']:,} "
        f"pages: +{full['peak_rss_growth_mb']:.0f} MB for `build --no-cache`, at most "
        f"+{result['targets']['peak_rss_growth_mb']['measured']:.0f} MB over the kinds of build "
        "(the target's measure); `build --no-cache` projected to "
        f"{settings['projected_captures']:,} captures (linear in captures): "
        f"{full['peak_rss_mib_at_100k_captures']:,.0f} MiB and "
        f"{full['wall_s_at_100k_captures'] / 60:.1f} min.",
        f"- Output (SQLite tables, rows sorted) identical between builds of one archive, cold "
        f"or warm: {'yes' if result['output_identical'] else '**no**'}.",
        "",
        "| target (issue 10) | bound | measured | |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, target in result["targets"].items():
        lines.append(f"| {SCALE_TARGETS.get(name, name)} | {_bound(target)} "
                     f"| {_target_value(target['measured'])} "
                     f"| {'met' if target['met'] else '**not met**'} |")
    return lines


def render_realweb(result: dict) -> list[str]:
    lines = ["### Real pages of other sites", ""]
    if "extractors" not in result:
        return [*lines, f"Skipped: {result['skipped']}."]
    targets = result["targets"]
    lines += [
        f"`{result['command']}` on {render_machine(result)}: 200 pages of news sites, blogs and "
        "institutions (11 in French) with their truth, scored by the corpus's own `score.py`.",
        "",
        "| extractor | pages with an article record | title | date | `with` | `without` "
        "| ms/page |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, found in result["extractors"].items():
        lines.append(f"| `{name}` | {found['article']} | {found['title']} | {found['date']} "
                     f"| {found['with']:.3f} | {found['without']:.3f} "
                     f"| {_n(found['ms_per_page'], 1)} |")
    missed = [name for name, met in result["met"].items() if not met]
    lines += ["", "Targets for scoparchive: " + ", ".join(
        f"{name} ≥ {target}" for name, target in targets.items()) + ": "
        + ("all met." if not missed else f"**not met**: {', '.join(missed)}.")]
    types = result["extractors"]["scoparchive"]["page_types"]
    lines += ["", "Page types scoparchive gave: "
              + ", ".join(f"{name} {count}" for name, count in types.items()) + "."]
    return lines


def render_network(result: dict) -> list[str]:
    load = result.get("load_average_1min") or {}
    lines = [
        "### The network, crawled by one and two distributed workers",
        "",
        f"`{result['command']}` on {render_machine(result)}. Sites: "
        + ", ".join(f"`{site['profile']}` on {site['host']}"
                    for site in result["settings"]["sites"])
        + f"; a Redis on 127.0.0.1. The whole run took {result['benchmark_wall_s']:.0f} s; "
        f"1-minute load average {_n(load.get('before'), 2)} before, "
        f"{_n(load.get('after'), 2)} after.",
        "",
        "| scenario | workers | pages | wall s | pages/s | requests/s | per host: requests, "
        "req/s (allowed), smallest gap s, most in one second |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for scenario, found in result["scenarios"].items():
        label = (f"{scenario} (delay {found['delay_s']:g} s, scale {found['scale']})")
        for run in found["runs"]:
            hosts = "; ".join(
                f"`{name}` {host['requests']}, {_n(host['requests_per_s'], 2)} "
                f"({_n(host['allowed_per_s'], 2)}), {_n(host['min_gap_s'], 3)}, "
                f"{host['max_requests_in_one_second']}"
                for name, host in run["hosts"].items())
            lines.append(f"| {label} | {run['workers']} | {run['pages']} | "
                         f"{run['wall_s']:.1f} | {run['pages_per_s']:.1f} | "
                         f"{run['requests_per_s']:.1f} | {hosts} |")
    lines.append("")
    for name, target in result["targets"].items():
        verdict = "met" if target["met"] else "**not met**"
        lines.append(f"- {name.replace('_', ' ')}: {_target_value(target['measured'])}, "
                     f"{verdict}.")
    return lines


def render_results(extraction: dict | None, crawl: dict | None,
                   realweb: dict | None = None, scale: dict | None = None,
                   network: dict | None = None) -> str:
    lines = [f"Produced by `{MAKE_COMMAND}` (`.venv/bin/python benchmarks/run.py`); the JSON "
             "files in `benchmarks/results/` hold every number. Rewritten by each run: do not "
             "edit by hand.", ""]
    if extraction:
        lines += [*render_extraction(extraction), ""]
    if realweb:
        lines += [*render_realweb(realweb), ""]
    if crawl:
        lines += [*render_crawl(crawl), ""]
    if scale:
        lines += [*render_scale(scale), ""]
    if network:
        lines += [*render_network(network), ""]
    return "\n".join(lines)


def update_readme(readme: Path, section: str) -> None:
    text = readme.read_text(encoding="utf-8")
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{readme}: no {START} … {END} markers")
    updated = text[:start + len(START)] + "\n" + section.rstrip("\n") + "\n" + text[end:]
    readme.write_text(updated, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode (results in a temporary folder unless --results-dir)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append",
                        help="run only this benchmark (repeatable); the README keeps the "
                        "others' last results")
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="where the JSON results go (benchmarks/results)")
    parser.add_argument("--readme", type=Path, default=None,
                        help="README to update (benchmarks/README.md; none with --quick)")
    parser.add_argument("--no-readme", action="store_true", help="leave the README alone")
    args = parser.parse_args(argv)

    scratch = None
    results_dir = args.results_dir
    if results_dir is None:
        if args.quick:
            scratch = tempfile.TemporaryDirectory(prefix="scoparchive-bench-")
            results_dir = Path(scratch.name)
        else:
            results_dir = _common.RESULTS_DIR
    readme = args.readme or (None if args.quick else README)
    try:
        for name in args.only or list(BENCHMARKS):
            run_benchmark(name, results_dir, args.quick)
        extraction, crawl = load(results_dir, "extraction"), load(results_dir, "crawl")
        realweb, scale = load(results_dir, "realweb"), load(results_dir, "scale")
        network = load(results_dir, "network")
        console.rule("[bold]summary")
        print_summary(extraction, crawl, realweb, scale, network)
        if readme is not None and not args.no_readme:
            update_readme(readme, render_results(extraction, crawl, realweb, scale, network))
            console.print(f"results section of {readme} updated")
    finally:
        if scratch is not None:
            scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
