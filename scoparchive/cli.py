"""The command line: argument parsing and progress display over the library, nothing more."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table as RichTable

from scoparchive import __version__
from scoparchive.profiles import DEFAULT_PROFILE

console = Console(stderr=True)

DEFAULT_ARCHIVE = Path("archive")
DEFAULT_OUT = Path("datasets/build")
DEMO_ARCHIVE = Path("demo/archive")
DEMO_OUT = Path("demo/datasets")


class UserError(click.ClickException):
    """One clear line on stderr and exit status 1, no traceback."""

    def show(self, file=None):
        console.print(f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scoparchive")
def main():
    """Archive the union's website (WARC) and build datasets from the archive."""
    _show_warnings()


def _show_warnings() -> None:
    """The library's warnings (a damaged record skipped, a payload not read), one line each on
    stderr, whatever Scrapy does with the root logger while it crawls."""
    logger = logging.getLogger("scoparchive")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        logger.propagate = False


@main.command()
@click.option("--site-url", default=DEFAULT_PROFILE.base_url, show_default=True,
              help="Base URL of a site of this CMS: the real one, a mirror, the replica.")
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="Folder of the WARC archive.")
@click.option("--delay", type=click.FloatRange(min=0), default=None,
              help="Seconds between requests [default: 1 for a real site, 0 on 127.0.0.1].")
@click.option("--max-pages", type=click.IntRange(min=1), default=None,
              help="Stop after this many responses.")
@click.option("--contact", default=None, metavar="URL_OR_EMAIL",
              help="Who runs the crawl: named in the User-Agent and in the WARC warcinfo "
              "[default: the project's URL].")
@click.option("--resume", is_flag=True,
              help="Finish the archive's interrupted crawl instead of starting a new one.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting (as `scrapy crawl -s`), e.g. RETRY_TIMES=5.")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def crawl(site_url, archive_dir, delay, max_pages, contact, resume, overrides, verbose):
    """Crawl a site into a WARC archive; a rerun fetches only what changed."""
    settings = {}
    for override in overrides:
        name, equals, value = override.partition("=")
        if not equals or not name:
            raise UserError(f"--set takes NAME=VALUE, not {override!r}")
        settings[name.strip()] = value
    result, changes = _run_crawl(site_url, archive_dir, delay, max_pages, resume, settings,
                                 verbose, contact)
    _print_crawl_report(result, changes)


@main.command()
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Output folder (replaced atomically by each build).")
@click.option("--strict", is_flag=True,
              help="Fail when field completeness falls under the thresholds, or on any drift "
              "alarm (a page that changed type or lost fields, listed news not typed as an "
              "article, a page type whose share moved).")
@click.option("--thresholds", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="YAML file of completeness thresholds per page type, and of "
              "the alarms' settings (see scoparchive/thresholds.yaml).")
@click.option("--no-cache", is_flag=True,
              help="Parse every payload again, ignoring the archive's parse cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes that parse pages (default: one per CPU). The datasets are the "
              "same whatever the number.")
def build(archive_dir, out_dir, strict, thresholds, no_cache, jobs):
    """Build SQLite, Parquet and datapackage.json from the archive, with no network."""
    report = _run_build(archive_dir, out_dir, strict, thresholds, not no_cache, jobs)
    _print_build_report(report)


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT,
              show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open a web browser.")
def serve(out_dir, port, host, open_browser):
    """Serve the built datasets with Datasette (read-only)."""
    _serve(out_dir, port, host, open_browser)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--markup",
              type=click.Choice(["drupal", "wordpress", "semantic", "divsoup", "blocktheme"]),
              default="drupal", show_default=True)
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Serve K times the articles (distinct URLs, dates and texts).")
@click.option("--edit-fraction", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Change the body of this share of the articles (an edition), e.g. 0.01 "
              "between two crawls.")
@click.option("--editions", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --edit-fraction: apply editions 1 to N, one after the other.")
def replica(port, markup, scale, edit_fraction, editions):
    """Serve the replica of the site on 127.0.0.1 (written for tests, not the union's site)."""
    from scoparchive.replica import serve as serve_replica

    serve_replica(port, markup=markup, scale=scale, edit_fraction=edit_fraction,
                  editions=editions)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Datasette's port.")
@click.option("--replica-port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Stop after the build.")
def demo(port, replica_port, no_serve):
    """Replica, crawl, build and serve in one command."""
    from scoparchive.replica import ReplicaServer

    try:
        replica_server = ReplicaServer(port=replica_port).start()
    except OSError as error:
        raise UserError(f"cannot serve the replica on port {replica_port}: {error.strerror}; "
                        "try --replica-port") from error
    console.print(f"[bold]1/4[/] replica of the site served at {replica_server.url}")
    try:
        console.print(f"[bold]2/4[/] crawling it into {DEMO_ARCHIVE}/")
        # The crawl runs in its own process: Scrapy's reactor cannot be restarted in this one.
        _subprocess_or_fail(["crawl", "--site-url", replica_server.url,
                             "--archive", str(DEMO_ARCHIVE)])
        console.print(f"[bold]3/4[/] building the datasets into {DEMO_OUT}/")
        _subprocess_or_fail(["build", "--archive", str(DEMO_ARCHIVE), "--out", str(DEMO_OUT)])
        if no_serve:
            return
        console.print(f"[bold]4/4[/] Datasette at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        _serve(DEMO_OUT, port, "127.0.0.1", open_browser=_has_display())
    finally:
        replica_server.stop()


# --- the work behind the commands --------------------------------------------------------------

def _run_crawl(site_url, archive_dir, delay, max_pages, resume, settings, verbose, contact=None):
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scoparchive.crawling import CrawlError, crawl
    from scoparchive.dataset.run_summary import summarise_run

    counts = {"responses": 0, "bytes": 0}
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=verbose) as progress:
        task = progress.add_task("starting", total=None)

        def on_response(url, status, size):
            counts["responses"] += 1
            counts["bytes"] += size
            progress.update(task, description=f"{counts['responses']} responses, "
                            f"{counts['bytes'] / 1024:.0f} KiB · {status} {url}")

        try:
            result = crawl(archive_dir, site_url=site_url, delay=delay, max_pages=max_pages,
                           resume=resume, log_level="INFO" if verbose else "NONE",
                           on_response=on_response, settings=settings, contact=contact)
        except CrawlError as error:
            raise UserError(str(error)) from error
        return result, summarise_run(result.archive_dir, result.run_id)


def _print_crawl_report(result, changes) -> None:
    stats = result.stats
    skipped = sum(v for k, v in stats.items() if k.startswith("scoparchive/skipped/"))
    table = RichTable(title=f"crawl {result.run_id}", show_header=False)
    for label, value in (
        ("site", result.site_url),
        ("archive", str(result.archive_dir)),
        ("responses received", str(result.responses)),
        ("  of which 304 not modified", str(stats.get("scoparchive/not_modified", 0))),
        ("not requested (known unchanged)", str(skipped)),
        ("pages new", str(changes.new)),
        ("pages changed", str(changes.changed)),
        ("pages unchanged", str(changes.unchanged)),
        ("pages removed", str(changes.removed)),
        ("errors", str(result.errors)),
        ("truncated at the download bound", str(stats.get("scoparchive/truncated", 0))),
        ("too large once decompressed (kept, not read)",
         str(stats.get("scoparchive/too_large", 0))),
        ("bytes received", f"{result.bytes:,}"),
        ("out of scope (dropped)", str(stats.get("scoparchive/out_of_scope", 0))),
        ("unreadable sitemaps", str(stats.get("scoparchive/unreadable_sitemaps", 0))),
        ("duration", f"{result.seconds:.1f} s"),
        ("finish reason", result.finish_reason),
    ):
        table.add_row(label, value)
    console.print(table)


def _run_build(archive_dir, out_dir, strict, thresholds, use_cache=True, jobs=None):
    # Set before Arrow is first loaded, the only time Arrow reads it. Arrow's default allocator
    # (mimalloc) keeps for the rest of the process the memory freed after reading back the kept
    # Parquet rows: about 50 MB more at the peak of a rebuild of 5,000 pages
    # (benchmarks/bench_scale.py). The C library's allocator gives large blocks back.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from scoparchive.archive.model import ArchiveError
    from scoparchive.dataset.build import BuildError, build

    try:
        with console.status("reading the archive") as status:
            return build(archive_dir, out_dir, strict=strict, thresholds_path=thresholds,
                         use_cache=use_cache, jobs=jobs,
                         on_capture=lambda n: status.update(f"{n} captures read"))
    except (BuildError, ArchiveError) as error:
        raise UserError(str(error)) from error


def _print_build_report(report) -> None:
    table = RichTable(title=f"build → {report.out_dir}", show_header=True)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in report.row_counts.items():
        table.add_row(name, str(count))
    console.print(table)
    if report.up_to_date:
        console.print(f"rien de nouveau depuis la dernière construction, gardée telle quelle "
                      f"(nothing new since the last build, kept as it is): "
                      f"{report.captures} captures from {len(report.run_ids)} crawl run(s); "
                      f"database: {report.database}")
    else:
        console.print(f"{report.captures} captures from {len(report.run_ids)} crawl run(s) "
                      f"in {report.seconds:.1f} s ({report.parsed} pages parsed, "
                      f"{report.from_cache} from the cache; rows of {report.kept_pages} "
                      f"unchanged pages kept from the last build); database: {report.database}")
    quality = RichTable(title="completeness: share of pages with each field", show_header=True)
    quality.add_column("page type")
    quality.add_column("pages", justify="right")
    quality.add_column("fields")
    for page_type, ratios in report.completeness.items():
        fields = ", ".join(f"{name} {ratio:.0%}" for name, ratio in ratios.items())
        quality.add_row(page_type, str(report.page_counts.get(page_type, 0)), fields)
    console.print(quality)
    for failure in report.completeness_failures:
        console.print(f"[yellow]under the threshold:[/] {failure}")
    _print_alarms(report.alarms)


#: How many alarms the build summary lists; quality.json holds them all.
ALARMS_SHOWN = 10


def _print_alarms(alarms) -> None:
    from rich.markup import escape

    if not alarms:
        console.print("[green]aucune alarme de dérive[/] (no drift alarm)")
        return
    console.rule(f"[bold red]{len(alarms)} alarme(s) de dérive[/] (drift alarms)", style="red")
    for alarm in alarms[:ALARMS_SHOWN]:
        where = f"[bold]{escape(alarm.url)}[/] : " if alarm.url else ""
        console.print(f"[red]⚠[/] {where}{escape(alarm.message)}", highlight=False,
                      soft_wrap=True)
    more = len(alarms) - ALARMS_SHOWN
    if more > 0:
        console.print(f"… et {more} de plus (and {more} more)", highlight=False)
    console.print("toutes dans quality.json (all in quality.json); `--strict` fait échouer la "
                  "construction sur une alarme (fails the build on any alarm)", highlight=False,
                  soft_wrap=True, style="dim")


def _serve(out_dir: Path, port: int, host: str, open_browser: bool) -> None:
    from scoparchive.dataset.build import database_path

    database = database_path(out_dir)
    if database is None:
        raise UserError(f"{out_dir}: no database; run `scoparchive build --out {out_dir}` first")
    arguments = ["serve", "--immutable", str(database),
                 "--metadata", str(database.parent / "metadata.json"), "--host", host,
                 "--port", str(port), "--setting", "default_page_size", "50",
                 "--setting", "sql_time_limit_ms", "3000"]
    if open_browser:
        arguments.append("--open")
    from datasette.cli import cli as datasette_cli

    # In this process, so that stopping it stops Datasette too (and the demo's replica thread).
    with contextlib.suppress(KeyboardInterrupt):
        datasette_cli.main(args=arguments, prog_name="datasette", standalone_mode=False)


def _subprocess_or_fail(arguments: list[str]) -> None:
    completed = subprocess.run([sys.executable, "-m", "scoparchive", *arguments])
    if completed.returncode != 0:
        raise UserError(f"`scoparchive {' '.join(arguments)}` failed")


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or sys.platform == "darwin") and not os.environ.get("CI")

