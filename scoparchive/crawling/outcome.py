"""How a crawl ended, judged from its stats alone: what the run record says (``runs/<id>.json``,
written by the session for `scrapy crawl site` as for `scoparchive crawl`) and what the command's
exit code tells a cron job.

- ``finished``: the crawl went through (``--max-pages`` reached counts as finished);
- ``partial``: it went through, but lost something on the way: requests given up (server errors
  or no answer, after the retries; a 503 that answers the next time is no loss), downloads cut at the download bound, payloads too large to read, unreadable
  sitemaps, sitemaps past their bound, damaged archive files skipped;
- ``failed``: nothing usable: the archive could not be written or was locked, robots.txt was
  unavailable or forbids everything, the site could not be reached or answered only errors;
- ``interrupted``: stopped by a signal (Ctrl-C, SIGTERM), or at ``--max-pages``, before the end;
  ``--resume`` finishes it. Only a signal makes the command exit 130: ``--max-pages`` was asked
  for.
"""

from __future__ import annotations

from dataclasses import dataclass

FINISHED = "finished"
PARTIAL = "partial"
FAILED = "failed"
INTERRUPTED = "interrupted"

#: Scrapy's finish reason when a signal stopped the crawl.
SHUTDOWN_REASON = "shutdown"
#: Scrapy's finish reason when ``--max-pages`` (CLOSESPIDER_PAGECOUNT) was reached: the run is
#: cut as asked, and resumable like an interrupted one.
MAX_PAGES_REASON = "closespider_pagecount"
#: The finish reason the session gives when the archive cannot be written (a full disk).
ARCHIVE_FAILED_REASON = "archive_write_failed"

#: Stats that make a crawl that went through partial, with how the line names them.
LOSSES = (
    ("retry/max_reached", "request(s) given up after retries (server errors or no answer)"),
    ("scoparchive/retry_after_too_long", "request(s) given up: Retry-After too long"),
    ("scoparchive/truncated", "download(s) cut at the download bound"),
    ("scoparchive/too_large", "payload(s) too large once decompressed (kept, not read)"),
    ("scoparchive/unreadable_sitemaps", "unreadable sitemap(s)"),
    ("scoparchive/sitemaps_over_limit", "sitemap(s) past the bound, not read"),
    ("scoparchive/damaged_files", "damaged archive file(s) read in part"),
)


@dataclass(frozen=True)
class Outcome:
    status: str
    #: One line for a person, when the status is not ``finished``.
    message: str | None = None


def judge(stats: dict, finish_reason: str | None, site_url: str) -> Outcome:
    """The outcome of a crawl whose Scrapy stats are ``stats``."""
    if stats.get("scoparchive/locked"):
        return Outcome(FAILED, str(stats["scoparchive/locked"]))
    if stats.get("scoparchive/archive_failed"):
        return Outcome(FAILED, f"impossible d'écrire l'archive (cannot write the archive): "
                               f"{stats['scoparchive/archive_failed']}; what was written before "
                               "is kept: `scoparchive crawl --resume` goes on once it is fixed")
    if stats.get("scoparchive/robots_unavailable"):
        return Outcome(FAILED, _robots_unavailable(stats, site_url))
    if finish_reason == SHUTDOWN_REASON:
        return Outcome(INTERRUPTED, "interrompu (interrupted): `scoparchive crawl --resume` "
                                    "reprend là où il s'est arrêté (resumes where it stopped)")
    if finish_reason == MAX_PAGES_REASON and usable_answers(stats):
        return Outcome(INTERRUPTED, "arrêté à --max-pages (stopped at --max-pages): "
                                    "`scoparchive crawl --resume` continue (goes on)")
    if not usable_answers(stats):
        return Outcome(FAILED, _nothing_usable(stats, site_url, finish_reason))
    losses = [f"{stats[key]} {label}" for key, label in LOSSES if stats.get(key)]
    if losses:
        return Outcome(PARTIAL, "terminé avec des pertes (finished with losses): "
                                + ", ".join(losses))
    return Outcome(FINISHED)


def usable_answers(stats: dict) -> int:
    """Pages the run has something of: answers other than server errors and robots.txt
    (``scoparchive/usable``), known pages left unrequested because they did not change, and in
    a distributed crawl the answers the other workers archived (``scoparchive/usable_elsewhere``:
    a worker that found nothing left to do did not fail)."""
    return (stats.get("scoparchive/usable", 0) + not_requested(stats)
            + stats.get("scoparchive/usable_elsewhere", 0))


def not_requested(stats: dict) -> int:
    """Known pages the run left unrequested (unchanged by their lastmod, or already captured by
    the run it resumes), whatever the reason (``scoparchive/skipped/<reason>``)."""
    return sum(value for key, value in stats.items() if key.startswith("scoparchive/skipped/"))


def _nothing_usable(stats: dict, site_url: str, finish_reason: str | None) -> str:
    forbidden = stats.get("robotstxt/forbidden", 0)
    errors = stats.get("scoparchive/server_errors", 0)
    if forbidden:
        return (f"{site_url}: robots.txt interdit tout ce qui devait être collecté (forbids "
                f"everything the crawl was to fetch: {forbidden} request(s) refused)")
    if errors:
        return (f"{site_url}: le site n'a répondu que par des erreurs (the site answered only "
                f"server errors: {errors})")
    reason = first_exception(stats)
    if reason is not None:
        return f"{site_url}: the site could not be reached ({reason})"
    return (f"{site_url}: nothing was crawled (Scrapy finished with "
            f"{finish_reason or 'no reason'!r}; rerun with -v)")


def _robots_unavailable(stats: dict, site_url: str) -> str:
    answer = stats.get("scoparchive/robots_answer")
    what = (f"{stats['scoparchive/robots_unavailable']} answered {answer}"
            if isinstance(answer, int) else f"{site_url}: the site could not be reached ({answer})")
    return (f"{what}; rien n'est collecté tant que robots.txt ne répond pas (nothing is crawled "
            "while robots.txt is unavailable, RFC 9309): try again later")


def first_exception(stats: dict) -> str | None:
    """The kinds of network errors the downloader met, for the line of an unreachable site."""
    kinds = [key.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for key in stats
             if key.startswith("downloader/exception_type_count/")]
    return ", ".join(sorted(kinds)) or None
