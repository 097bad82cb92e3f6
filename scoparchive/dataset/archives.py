"""Several archives read as one, and the sites their runs crawled.

The workers of a distributed crawl each write their own archive; a network's unions may be
crawled into archives of their own. A build reads them together (``ArchiveSet``), and learns
from them alone which site each URL belongs to: each run's record (``runs/<id>.json``) names
the sites it crawled and where (``RunRecord.sites``, name -> base URL), so a loopback replica
of a sister union on ``127.0.0.1:PORT`` is that union's site, not the default one.

- ``record_sites``: the sites of one run record (an older record names its ``site_url`` only);
- ``merged_records``: the run records of every archive, one per run id (the workers of one
  distributed run are one run: their counts add up);
- ``archive_sites``: registers every site of those records (``profiles.register_site``) for
  the time of a build, before any parse and before its processes start (they inherit it).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from scoparchive import profiles
from scoparchive.archive.runs import RunRecord, run_records


class SiteConflict(ValueError):
    """Two runs say one address served two different sites: no build can tell their pages
    apart."""


def record_sites(record: RunRecord) -> dict[str, str]:
    """Name -> base URL of every site the run crawled, in its order: its record's ``sites``,
    or, for a record older than them, its ``site_url``'s profile."""
    if record.sites:
        return dict(record.sites)
    return {profiles.profile_for_url(record.site_url).name: record.site_url}


def merged_records(directories: Sequence[Path]) -> dict[str, RunRecord]:
    """The run records of every archive by run id; the records of one run in several archives
    (the workers of a distributed run) merged into one (``merge_records``)."""
    by_id: dict[str, list[RunRecord]] = {}
    for directory in directories:
        for record in run_records(directory):
            by_id.setdefault(record.run_id, []).append(record)
    merged = {run_id: merge_records(records) for run_id, records in by_id.items()}
    return dict(sorted(merged.items(), key=lambda item: (item[1].started_at, item[0])))


def merge_records(records: Sequence[RunRecord]) -> RunRecord:
    """One run's records, one per worker, as one: its first start and last end, its counts
    added up, every site, and the status of the worker that ended worst (a run with one worker
    still running is running; one whose workers failed and finished is partial)."""
    if len(records) == 1:
        return records[0]
    first = min(records, key=lambda record: record.started_at)
    finished = [record.finished_at for record in records if record.finished_at]
    statuses = {record.status for record in records}
    status = statuses.pop() if len(statuses) == 1 else _merged_status(statuses)
    changes = {
        "started_at": first.started_at,
        "finished_at": max(finished) if len(finished) == len(records) else None,
        "status": status,
        "resumed": max(record.resumed for record in records),
        "message": next((record.message for record in records if record.message), None),
        "responses": sum(record.responses for record in records),
        "errors": sum(record.errors for record in records),
        "not_requested": sum(record.not_requested for record in records),
        "bytes_received": sum(record.bytes_received for record in records),
    }
    sites: dict[str, str] = {}
    for record in sorted(records, key=lambda record: record.started_at):
        for name, url in record_sites(record).items():
            sites.setdefault(name, url)
    changes["sites"] = sites
    return dataclasses.replace(first, **changes)


def _merged_status(statuses: set[str]) -> str:
    """The status of a run whose workers ended differently: running or interrupted while one
    of them is; else partial (some finished, some failed or partial)."""
    for status in ("running", "interrupted"):
        if status in statuses:
            return status
    return "partial"


def sites_to_register(records: Iterable[RunRecord]) -> dict[str, str]:
    """Base URL -> site name of every site served away from its profile's own hosts (a
    mirror, a loopback replica): those ``profiles.profile_for_url`` cannot tell by the host.
    ``SiteConflict`` when two runs name one address for two sites."""
    found: dict[str, tuple[str, str]] = {}  # netloc -> (name, base URL)
    for record in records:
        for name, url in record_sites(record).items():
            profile = profiles.PROFILES.get(name)
            parts = urlsplit(url)
            if profile is None or (parts.hostname or "").lower() in profile.hosts:
                continue  # a site at home, or a profile this code does not know: nothing to learn
            known = found.setdefault(parts.netloc, (name, url))
            if known[0] != name:
                raise SiteConflict(
                    f"{parts.netloc} : deux sites à la même adresse dans les comptes rendus des "
                    f"collectes ({known[0]}, {name}) ; construisez leurs archives à part (two "
                    "sites at one address in the run records: build their archives apart)")
    return {url: name for name, url in found.values()}


@contextlib.contextmanager
def archive_sites(records: Iterable[RunRecord]) -> Iterator[dict[str, str]]:
    """Registers the sites of ``records`` (``sites_to_register``) for the time of the block,
    and restores the registrations of before: a build leaves its process as it found it. The
    processes forked meanwhile inherit them. Yields base URL -> name of every site registered.
    """
    wanted = sites_to_register(records)
    before = dict(profiles.registered_sites())
    try:
        for url, name in wanted.items():
            try:
                profiles.register_site(name, url)
            except ValueError as error:
                raise SiteConflict(
                    f"{url} : {error} (the address is another site's in this process)"
                ) from error
        yield dict(profiles.registered_sites())
    finally:
        if dict(profiles.registered_sites()) != before:
            profiles.clear_registered_sites()
            for url, name in before.items():
                profiles.register_site(name, url)

