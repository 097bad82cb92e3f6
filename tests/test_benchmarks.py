"""Smoke test of the benchmarks: `benchmarks/run.py --quick` runs both, in a temporary folder,
and produces well-formed results and README section. No timing is asserted here: speed is
measured by `make bench`, never in tests."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "benchmarks"

pytestmark = pytest.mark.slow


def positive(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value) and value > 0


def non_negative_int(value) -> bool:
    return isinstance(value, int | float) and value >= 0 and float(value).is_integer()


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    readme = work / "README.md"
    shutil.copy(BENCH / "README.md", readme)
    results = work / "results"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}
    completed = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick", "--results-dir", str(results),
         "--readme", str(readme)],
        cwd=REPO, capture_output=True, text=True, timeout=240, env=env,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return results, readme, completed


def load(results: Path, name: str) -> dict:
    return json.loads((results / f"{name}.json").read_text(encoding="utf-8"))


def check_machine(result: dict) -> None:
    machine = result["machine"]
    assert positive(machine["nproc"])
    assert machine["cpu_model"] and machine["python"]
    assert result["command"].startswith("python benchmarks/")


def test_extraction_results_are_well_formed(quick_run):
    results, _, _ = quick_run
    result = load(results, "extraction")
    assert result["benchmark"] == "extraction"
    check_machine(result)
    assert result["settings"]["quick"] is True
    pages = result["pages"]
    from scoparchive.replica import MARKUPS

    assert positive(pages["count"]) and set(pages["per_markup"]) == set(MARKUPS)
    for key in ("total_bytes", "mean_bytes", "median_bytes", "min_bytes", "p90_bytes",
                "max_bytes"):
        assert positive(pages[key]), key
    assert pages["min_bytes"] <= pages["median_bytes"] <= pages["max_bytes"]

    engines = result["engines"]
    assert set(engines) >= {"scoparchive", "trafilatura", "lxml"}
    for name, engine in engines.items():
        for key in ("pages_per_s", "ms_per_page", "mib_per_s", "pages_per_cpu_s",
                    "first_pass_pages_per_s"):
            assert positive(engine[key]), (name, key)
        assert all(positive(v) for v in engine["runs_pages_per_s"])
        assert all(positive(v) for v in engine["pages_per_s_by_markup"].values())
        memory = engine["memory"]
        assert memory["tracemalloc_peak_mib"] >= 0, name
        assert memory["rss_peak_delta_mib"] is None or memory["rss_peak_delta_mib"] >= 0
    ours = engines["scoparchive"]["output"]
    assert ours["crashed"] == 0 and sum(ours["page_types"].values()) == pages["count"]
    assert engines["trafilatura"]["output"]["with_result"] > 0

    for ratios in (result["ratios"], result["ratios_of_median_cpu"]):
        assert set(ratios) == {f"scoparchive/{name}" for name in engines if name != "scoparchive"}
        assert all(positive(value) for value in ratios.values())
    target = result["target"]
    assert target["ratio"] == 10 and positive(target["ratio_measured"])
    assert target["reference"] == "trafilatura_metadata"
    assert isinstance(target["met"], bool)
    assert positive(result["process_peak_rss_mib"])

    profile = result["profile"]
    assert profile["top_tottime"] and profile["top_cumtime"]
    assert all(positive(row["calls"]) for row in profile["top_cumtime"])


def test_crawl_results_are_well_formed(quick_run):
    results, _, _ = quick_run
    result = load(results, "crawl")
    assert result["benchmark"] == "crawl"
    check_machine(result)
    steps = result["steps"]
    assert set(steps) == {"bare", "first", "recrawl", "build_full", "build_again"}
    for name in ("bare", "first", "recrawl"):
        step = steps[name]
        for key in ("wall_s", "scrapy_s", "requests", "wire_body_bytes", "max_rss_mib"):
            assert positive(step[key]), (name, key)
        assert non_negative_int(step["article_bodies"]), name
        assert sum(step["statuses"].values()) == step["requests"]
        assert step["finish_reason"] == "finished"
    assert positive(steps["first"]["archive_bytes"])
    assert positive(steps["first"]["article_bodies"])
    for name in ("build_full", "build_again"):
        step = steps[name]
        for key in ("wall_s", "build_s", "captures", "rows"):
            assert positive(step[key]), (name, key)
    assert all(positive(value) for value in result["ratios"].values())
    assert isinstance(result["target"]["met"], bool)


def test_readme_section_is_rewritten_between_the_markers(quick_run):
    _, readme, completed = quick_run
    text = readme.read_text(encoding="utf-8")
    start, end = text.index("<!-- results:start -->"), text.index("<!-- results:end -->")
    section = text[start:end]
    assert "### Extraction" in section and "### Crawl, recrawl, bare Scrapy, build" in section
    assert "python benchmarks/bench_extraction.py" in section
    assert "Not measured yet" not in section
    assert text[:start] == (BENCH / "README.md").read_text(encoding="utf-8")[:start]
    assert "summary" in completed.stdout


def test_real_pages_are_skipped_with_a_reason_in_a_quick_run(quick_run):
    results, _, _ = quick_run
    result = load(results, "realweb")
    assert result["benchmark"] == "realweb"
    check_machine(result)
    assert result["skipped"] and "extractors" not in result
    assert set(result["targets"]) == {"article", "title", "date", "with", "without"}


def test_every_engine_starts_each_pass_with_its_memos_empty(quick_run):
    """The comparison is fair only if each engine's memos of texts are emptied alike: a memo
    renamed by an upgrade of trafilatura or htmldate would silently time it warm again."""
    results, _, _ = quick_run
    emptied = load(results, "extraction")["settings"]["memo_caches_emptied_before_each_pass"]
    sys.path.insert(0, str(BENCH))
    try:
        import bench_extraction
    finally:
        sys.path.remove(str(BENCH))
    shared = list(bench_extraction.MEMO_CACHES["shared"])
    assert emptied["scoparchive"] == [*bench_extraction.MEMO_CACHES["scoparchive"], *shared]
    for name in ("trafilatura", "trafilatura_metadata", "trafilatura_fast"):
        assert emptied[name] == [*bench_extraction.MEMO_CACHES["trafilatura"], *shared], name
    assert emptied["lxml"] == shared


def test_scale_results_are_well_formed(quick_run):
    """The build at two sizes of the scaled replica, from WARCs that wget wrote."""
    results, readme, _ = quick_run
    result = load(results, "scale")
    assert result["benchmark"] == "scale"
    check_machine(result)
    assert result["settings"]["quick"] is True
    sizes = result["sizes"]
    assert [size["scale"] for size in sizes] == result["settings"]["scales"]
    small, large = sizes
    assert 0 < small["html_pages"] < large["html_pages"]
    for size in sizes:
        first, second = size["wget"]["first"], size["wget"]["after_edit"]
        assert first["html_pages"] == second["html_pages"] == size["html_pages"]
        assert first["captures"] == size["captures"] >= size["html_pages"]
        assert positive(first["warc_bytes"]) and positive(size["edited_articles"])
        builds = size["builds"]
        for name, build in builds.items():
            for key in ("wall_s", "cpu_s", "max_rss_mib"):
                assert positive(build[key]), (size["scale"], name, key)
        # What the build says it did: every page parsed, then none, then the edited ones.
        assert builds["build_full"]["parsed"] == size["html_pages"]
        assert builds["build_cold"]["parsed"] == size["html_pages"]
        assert builds["rebuild"]["parsed"] == 0 and builds["rebuild"]["kept"] is True
        assert builds["rebuild_replayed"]["parsed"] == 0
        assert not builds["rebuild_replayed"]["kept"]
        assert builds["rebuild_after_edit"]["parsed"] == size["edited_articles"]
        # The rows of the pages that did not change come from the previous build.
        assert 0 < builds["rebuild_after_edit"]["rows_kept_pages"] < size["html_pages"]
        assert builds["build_full"]["rows_kept_pages"] == 0
        assert builds["rebuild_after_edit"]["captures"] == 2 * size["captures"]
        assert size["output"]["identical"] is True, size["output"]["comparisons"]
    assert "after_edit" in small["output"]["comparisons"]
    assert result["output_identical"] is True
    assert positive(result["trafilatura"]["ms_per_page"])
    assert result["trafilatura"]["with_text"] > 0
    full = result["builds"]["build_full"]
    assert positive(full["peak_rss_mib_at_100k_captures"])
    assert set(result["targets"]) == {
        "build_no_cache_marginal_ms_per_page", "trafilatura_vs_build_no_cache_marginal",
        "rebuild_nothing_new_marginal_ms_per_page", "rebuild_after_edit_fraction_of_full",
        "peak_rss_growth_mb", "output_identical"}
    assert all(isinstance(target["met"], bool) for target in result["targets"].values())
    section = readme.read_text(encoding="utf-8")
    assert "### Build at scale: a wget WARC of the scaled replica" in section
    assert "python benchmarks/bench_scale.py" in section


def test_network_results_are_well_formed(quick_run):
    """The network crawled by one and then two workers through a Redis: every page of both
    sites each time, the hosts' request logs read, the targets stated."""
    results, readme, _ = quick_run
    result = load(results, "network")
    assert result["benchmark"] == "network"
    check_machine(result)
    assert result["settings"]["quick"] is True
    assert set(result["scenarios"]) == {"polite"}  # a quick run: the unthrottled one is not run
    for scenario in result["scenarios"].values():
        one, two = scenario["runs"]
        assert (one["workers"], two["workers"]) == (1, 2)
        # The same pages whatever the number of workers: nothing lost, nothing twice.
        assert one["pages"] == two["pages"] > 0
        for run in scenario["runs"]:
            assert positive(run["wall_s"]) and positive(run["pages_per_s"])
            assert set(run["hosts"]) == {"les-scop-idf", "les-scop-ouest"}
            for host in run["hosts"].values():
                assert host["requests"] > 1 and host["max_requests_in_one_second"] >= 1
        assert positive(scenario["throughput_two_over_one"])
    assert set(result["targets"]) == {"politeness_per_host_holds"}
    assert "The network, crawled by one and two distributed workers" in readme.read_text(
        encoding="utf-8")
