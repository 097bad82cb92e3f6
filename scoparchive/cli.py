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


#: Exit codes, for cron and monitors (docs/archiving.md). 2 is click's, for a usage error.
EXIT_FAILED = 1
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130


class UserError(click.ClickException):
    """One clear line on stderr and exit status 1, no traceback."""

    exit_code = EXIT_FAILED

    def show(self, file=None):
        console.print(f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True)


def _exit_for(status: str, message: str | None) -> None:
    """Ends a command that went through but not wholly (``crawling.outcome``): the line that
    says why, and the exit code that tells it."""
    if status == "interrupted":
        console.print(f"[bold yellow]{message}[/]", highlight=False, soft_wrap=True)
        sys.exit(EXIT_INTERRUPTED)
    if status == "partial":
        console.print(f"[bold yellow]partial:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_PARTIAL)


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
@click.option("--site-url", "site_urls", multiple=True, metavar="URL|NAME|NAME=URL",
              help="A site to crawl, repeatable: its base URL (the real one, a mirror, the "
              "replica), a profile NAME (`les-scop-ouest`), or NAME=URL (that profile served at "
              f"URL) [default: {DEFAULT_PROFILE.base_url}].")
@click.option("--all-sites", is_flag=True, help="Crawl every profile's site in one run.")
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
@click.option("--revalidate-after", type=click.FloatRange(min=0), default=None, metavar="DAYS",
              help="Ask again (conditional GET) a page its sitemap says unchanged when its "
              "latest capture is older than DAYS [default: 30].")
@click.option("--full", is_flag=True,
              help="Fetch every page again once, with plain GETs, whatever the sitemap and "
              "the validators say.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting (as `scrapy crawl -s`), e.g. RETRY_TIMES=5.")
@click.option("--redis", "redis_url", default=None, metavar="redis://HOST:PORT/DB",
              help="Be a worker of a distributed crawl: every process started with the same "
              "sites and this Redis shares the crawl, each into its own --archive.")
@click.option("--worker-id", default=None, metavar="ID",
              help="With --redis: this worker's name, in its WARC file names [default: the "
              "host name and a digest of the archive folder, the same on every start].")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's log.")
def crawl(site_urls, all_sites, archive_dir, delay, max_pages, contact, resume, redis_url,
          worker_id, revalidate_after, full, overrides, verbose):
    """Crawl one site or several into a WARC archive; a rerun fetches only what changed."""
    if all_sites and site_urls:
        raise UserError("--all-sites ou --site-url, pas les deux (not both)")
    if worker_id and not redis_url and not resume:
        raise UserError("--worker-id va avec --redis (goes with --redis)")
    overrides = ((f"REVALIDATE_AFTER_DAYS={revalidate_after}",) if revalidate_after is not None
                 else ()) + (("RECRAWL_FULL=True",) if full else ()) + overrides  # -s wins
    settings = {}
    for override in overrides:
        name, equals, value = override.partition("=")
        if not equals or not name:
            raise UserError(f"--set takes NAME=VALUE, not {override!r}")
        settings[name.strip()] = value
    result, changes = _run_crawl(list(site_urls), archive_dir, delay, max_pages, resume,
                                 settings, verbose, contact, all_sites=all_sites,
                                 redis_url=redis_url, worker=worker_id)
    _print_crawl_report(result, changes)
    _print_changed_urls(changes)
    from scoparchive.crawling.outcome import MAX_PAGES_REASON

    if result.finish_reason == MAX_PAGES_REASON:  # --max-pages: the cut asked for, exit 0
        console.print(result.message or "", highlight=False, soft_wrap=True)
    else:
        _exit_for(result.status, result.message)


@main.command()
@click.option("--archive", "archive_dirs", type=click.Path(path_type=Path), multiple=True,
              default=[DEFAULT_ARCHIVE], show_default=True,
              help="Archive folder; repeat it to read several as one (the workers' archives "
              "of a distributed crawl, or the archives of several sites): one database for "
              "all, a site column in every table.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Output folder (replaced atomically by each build).")
@click.option("--strict", is_flag=True,
              help="Fail when field completeness falls under the thresholds, on any drift "
              "alarm (a page that changed type or lost fields, listed news not typed as an "
              "article, a page type whose share moved), or on any damaged WARC file "
              "(otherwise read up to the damage, and the exit code is 3).")
@click.option("--thresholds", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="YAML file of completeness thresholds per page type, and of "
              "the alarms' settings (see scoparchive/thresholds.yaml).")
@click.option("--no-cache", is_flag=True,
              help="Parse every payload again, ignoring the archive's parse cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes that parse pages (default: one per CPU). The datasets are the "
              "same whatever the number.")
@click.option("--max-payload", "max_payload_mib", type=click.IntRange(min=1),
              default=None, metavar="MIB",
              help="Longest payload read, in MiB, as stored or once decompressed (default: 32, "
              "as the crawl's): a longer one, a gzip bomb say, is not read, and its page is "
              "kept without content. The crawl's is `-s MAX_PAYLOAD_SIZE=BYTES`.")
def build(archive_dirs, out_dir, strict, thresholds, no_cache, jobs, max_payload_mib):
    """Build SQLite, Parquet and datapackage.json from the archive, with no network."""
    report = _run_build(list(archive_dirs), out_dir, strict, thresholds, not no_cache, jobs,
                        max_payload_mib and max_payload_mib * 2**20)
    _print_build_report(report)
    if report.skipped:
        _exit_for("partial", f"{len(report.skipped)} fichier(s) WARC endommagé(s), lu(s) en "
                  f"partie (damaged WARC file(s), read in part): {report.skipped[0]}")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=DEFAULT_OUT,
              show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--open", "open_browser", is_flag=True, help="Open a web browser.")
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True,
              help="Folder of the WARC archive, whose pages the archived_url links replay.")
@click.option("--wayback", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="PATH", help="pywb's `wayback` command [default: $SCOPARCHIVE_PYWB_BIN/"
              "wayback, .venv-pywb/bin/wayback (`make pywb`), or on PATH].")
def serve(out_dir, port, host, open_browser, archive_dir, wayback):
    """Serve the built datasets with Datasette (read-only), and the archived pages under
    /archive/, replayed by pywb; a new build is served as soon as it replaces the last one."""
    _serve(out_dir, port, host, open_browser, archive_dir, wayback)


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--markup",
              type=click.Choice(["drupal", "wordpress", "semantic", "divsoup", "blocktheme"]),
              default=None, help="The site's own by default (the union's: drupal).")
@click.option("--profile", "profile", default=DEFAULT_PROFILE.name, show_default=True,
              metavar="NAME", help="The site served: the union's, or a sister site's "
              "(les-scop-ouest), with its own texts and CMS flavour.")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Serve K times the articles (distinct URLs, dates and texts).")
@click.option("--edit-fraction", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Change the body of this share of the articles (an edition), e.g. 0.01 "
              "between two crawls.")
@click.option("--editions", type=click.IntRange(min=1), default=1, show_default=True,
              help="With --edit-fraction: apply editions 1 to N, one after the other.")
def replica(port, markup, profile, scale, edit_fraction, editions):
    """Serve the replica of the site on 127.0.0.1 (written for tests, not the union's site)."""
    from scoparchive.replica import serve as serve_replica
    from scoparchive.replica.model import content_dir_for

    try:
        content_dir_for(profile)
    except ValueError as error:
        raise UserError(str(error)) from None
    serve_replica(port, markup=markup, scale=scale, edit_fraction=edit_fraction,
                  editions=editions, profile=profile)


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
        _serve(DEMO_OUT, port, "127.0.0.1", open_browser=_has_display(),
               archive_dir=DEMO_ARCHIVE)
    finally:
        replica_server.stop()


@main.command()
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="Folder of the WARC archive.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=None, metavar="FILE.wacz",
              help="The WACZ to write, replaced in one rename if it exists "
              "[default: <archive>.wacz beside the archive folder].")
def wacz(archive_dir, out_file):
    """Pack the archive into one portable WACZ file, for ReplayWeb.page or pywb."""
    from scoparchive.archive.wacz import WaczError, write_wacz

    try:
        with console.status("packing the archive into a WACZ"):
            report = write_wacz(archive_dir, out_file)
    except WaczError as error:
        raise UserError(str(error)) from error
    console.print(f"WACZ écrit{' (remplace le précédent)' if report.replaced else ''} "
                  f"(WACZ written{', replacing the previous one' if report.replaced else ''}): "
                  f"{report.path}: {len(report.warc_files)} fichier(s) WARC (WARC files), "
                  f"{report.pages} pages, {report.bytes / 2**20:.1f} Mio (MiB)",
                  highlight=False, soft_wrap=True)
    console.print("à ouvrir dans https://replayweb.page : choisir le fichier, ou le déposer "
                  "sur la page (open it in https://replayweb.page: choose the file, or drop it "
                  "on the page)", highlight=False, soft_wrap=True, style="dim")


@main.command()
@click.option("--archive", "archive_dir", type=click.Path(path_type=Path),
              default=DEFAULT_ARCHIVE, show_default=True, help="Folder of the WARC archive.")
@click.option("--run", "run_id", default=None, metavar="ID",
              help="The crawl run [default: the archive's latest].")
def changes(archive_dir, run_id):
    """Pages new, changed and removed in a crawl run, with a word diff of each changed
    article's text; from the archive alone (no build, no network)."""
    from scoparchive.archive.model import ArchiveError
    from scoparchive.dataset.changes import ChangesError, run_report

    if not archive_dir.is_dir():
        raise UserError(f"{archive_dir}: no such archive folder")
    try:
        with console.status("reading the archive"):
            report = run_report(archive_dir, run_id)
    except (ChangesError, ArchiveError) as error:
        raise UserError(str(error)) from error
    out = Console(highlight=False, soft_wrap=True)  # stdout: the command's output
    since = f", comparée à la collecte (compared with run) {report.previous_run_id}" \
        if report.previous_run_id else ", la première de l'archive (the archive's first)"
    out.print(f"[bold]collecte (crawl run) {report.run_id}[/]: "
              f"{report.started_at:%Y-%m-%d %H:%M:%S} → {report.finished_at:%Y-%m-%d %H:%M:%S}"
              f"{since}")
    out.print(f"pages inchangées (unchanged pages): {report.changes.unchanged}")
    _print_changed_urls(report.changes, limit=None, out=out, hint=False)
    for article in report.articles:
        _print_article_diff(article, out)
    if report.not_compared:
        out.print(f"\n{report.not_compared} page(s) modifiée(s) sans texte d'article comparé "
                  "(changed pages with no article text to compare: listings, other pages, or "
                  "back online as they were)", style="dim")


def _print_article_diff(article, out) -> None:
    from rich.text import Text

    out.print()
    out.print(Text(f"── {article.url}", style="bold"))
    before = f"{article.before.captured_at:%Y-%m-%d %H:%M:%S} ({article.before.run_id})" \
        if article.before else "—"
    out.print(Text(f"{article.title or ''}  ·  {before} → "
                   f"{article.after.captured_at:%Y-%m-%d %H:%M:%S}", style="dim"))
    if not article.fields:
        out.print("  texte inchangé : la modification est ailleurs (text unchanged: the change "
                  "is elsewhere, a date, an image, a link…)")
    markers = out.color_system is None or out.no_color
    for diff in article.fields:
        out.print(f"  [bold]{diff.label}[/] −{diff.words_removed} +{diff.words_added} "
                  f"mots (words)")
        for hunk in diff.hunks:
            if markers:
                out.print(Text(f"    {hunk.plain()}"))
                continue
            line = Text("    … " if hunk.cut_before else "    ")
            for kind, text in hunk.segments:
                line.append(text + " ", style={"=": "", "-": "red strike",
                                              "+": "bold green"}[kind])
            if hunk.cut_after:
                line.append("…")
            out.print(line)
        if diff.more:
            out.print(f"    … et {diff.more} modification(s) de plus (and {diff.more} more)")


# --- the work behind the commands --------------------------------------------------------------

def _run_crawl(site_urls, archive_dir, delay, max_pages, resume, settings, verbose, contact=None,
               *, all_sites=False, redis_url=None, worker=None):
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
            result = crawl(archive_dir, sites=site_urls, all_sites=all_sites, delay=delay,
                           max_pages=max_pages, resume=resume,
                           log_level="INFO" if verbose else "NONE", on_response=on_response,
                           settings=settings, contact=contact, redis_url=redis_url,
                           worker=worker)
        except CrawlError as error:
            raise UserError(str(error)) from error
        return result, summarise_run(result.archive_dir, result.run_id)


def _print_crawl_report(result, changes) -> None:
    stats = result.stats
    from scoparchive.crawling.outcome import not_requested

    skipped = not_requested(stats)
    table = RichTable(title=f"crawl {result.run_id}", show_header=False)
    for label, value in (
        *((("site", result.site_url),) if len(result.sites) <= 1 else
          (("sites", " ".join(f"{name}={url}" for name, url in result.sites.items())),)),
        *((("worker", result.worker),) if result.worker else ()),
        ("archive", str(result.archive_dir)),
        ("responses received", str(result.responses)),
        ("  of which 304 not modified", str(stats.get("scoparchive/not_modified", 0))),
        ("pages fetched", str(changes.fetched)),
        ("not requested (known unchanged)", str(skipped)),
        ("pages new", str(changes.new)),
        ("pages changed", str(changes.changed)),
        ("pages unchanged", str(changes.unchanged)),
        ("pages removed", str(changes.removed)),
        ("errors (5xx or no answer)", str(result.errors)),
        ("truncated at the download bound", str(stats.get("scoparchive/truncated", 0))),
        ("too large once decompressed (kept, not read)",
         str(stats.get("scoparchive/too_large", 0))),
        ("bytes received", f"{result.bytes:,}"),
        ("out of scope (dropped)", str(stats.get("scoparchive/out_of_scope", 0))),
        ("URLs too long (dropped)", str(stats.get("scoparchive/url_too_long", 0))),
        ("traps: too deep, query variants, repeated segments (dropped)",
         str(sum(stats.get(f"scoparchive/{name}", 0)
                 for name in ("too_deep", "query_variants", "repeated_segments")))),
        ("unreadable sitemaps", str(stats.get("scoparchive/unreadable_sitemaps", 0))),
        ("sitemaps past the bound (not read)",
         str(stats.get("scoparchive/sitemaps_over_limit", 0))),
        ("revalidated (capture too old)", str(stats.get("scoparchive/revalidated", 0))),
        ("damaged archive files (read in part)",
         str(stats.get("scoparchive/damaged_files", 0))),
        ("duration", f"{result.seconds:.1f} s"),
        ("finish reason", result.finish_reason),
        ("status", result.status),
    ):
        table.add_row(label, value)
    console.print(table)


def _run_build(archive_dir, out_dir, strict, thresholds, use_cache=True, jobs=None,
               max_payload=None):
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
                         **({"max_payload": max_payload} if max_payload else {}),
                         on_capture=lambda n: status.update(f"{n} captures read"))
    except (BuildError, ArchiveError) as error:
        raise UserError(str(error)) from error
    except KeyboardInterrupt:
        _exit_for("interrupted", "construction interrompue : la précédente reste en place "
                  "(build interrupted: the previous one stays as it was)")


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


#: How many URLs of each kind (new, changed, removed) the crawl report lists.
CHANGED_URLS_SHOWN = 20


def _print_changed_urls(changes, limit: int | None = CHANGED_URLS_SHOWN, out=None,
                        hint: bool = True) -> None:
    """The URLs new, changed and removed in a run (``run_summary.RunChanges``), up to ``limit``
    of each kind (None: all), then how many more; on ``out`` (the report's console, stderr)."""
    out = out or console
    kinds = (("pages nouvelles (new pages)", changes.new_urls),
             ("pages modifiées (changed pages)", changes.changed_urls),
             ("pages retirées (removed pages)", changes.removed_urls))
    if not any(urls for _, urls in kinds):
        out.print("aucune page nouvelle, modifiée ni retirée (no page new, changed or removed)",
                  highlight=False, soft_wrap=True)
        return
    for label, urls in kinds:
        if not urls:
            continue
        out.print(f"[bold]{label}[/]: {len(urls)}", highlight=False, soft_wrap=True)
        for url in urls[:limit]:
            out.print(f"  {url}", markup=False, highlight=False, soft_wrap=True)
        more = len(urls) - len(urls[:limit])
        if more > 0:
            out.print(f"  … et {more} de plus (and {more} more)", highlight=False)
    if hint and changes.run_id:
        import shlex

        archive = "" if changes.archive_dir in (None, DEFAULT_ARCHIVE) \
            else f" --archive {shlex.quote(str(changes.archive_dir))}"
        out.print(f"le détail, avec les textes modifiés (the details, with the changed texts): "
                  f"scoparchive changes{archive} --run {changes.run_id}", markup=False,
                  highlight=False, soft_wrap=True, style="dim")


def _serve(out_dir: Path, port: int, host: str, open_browser: bool,
           archive_dir: Path | None = None, wayback: Path | None = None) -> None:
    from scoparchive.publishing import NoBuild
    from scoparchive.publishing import serve as serve_datasets

    # In this process, so that stopping it stops Datasette too (and the demo's replica thread).
    # It follows the build in out_dir: a new build is served with no restart.
    try:
        with contextlib.suppress(KeyboardInterrupt):
            serve_datasets(out_dir, host=host, port=port, open_browser=open_browser,
                           archive_dir=archive_dir, wayback=wayback)
    except NoBuild as error:
        raise UserError(f"{out_dir}: {error}; run `scoparchive build --out {out_dir}` "
                        "first") from error


def _subprocess_or_fail(arguments: list[str]) -> None:
    completed = subprocess.run([sys.executable, "-m", "scoparchive", *arguments])
    if completed.returncode != 0:
        raise UserError(f"`scoparchive {' '.join(arguments)}` failed")


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or sys.platform == "darwin") and not os.environ.get("CI")

