"""The network of unions crawled by one, then two distributed workers (issue 13).

Two replica sites, the union's (``les-scop-idf``, drupal markup) and a sister union's
(``les-scop-ouest``, wordpress markup), each on a host of its own (127.0.0.2 and 127.0.0.3: two
hosts for politeness, as two real sites are), at ``--scale K``; a Redis of the benchmark's own
on a free loopback port. For each scenario and each number of workers (1, then 2), in fresh
archives and a flushed Redis:

    scoparchive crawl --site-url les-scop-idf=URL1 --site-url les-scop-ouest=URL2 \\
        --archive <folder>/worker-N --redis redis://127.0.0.1:PORT/0 --worker-id worker-N \\
        --delay D

one process per worker, started together; the run's time is from the first start to the last
exit. Two scenarios:

- ``polite``: a per-host delay (``--delay``, 0.5 s by default: what a polite crawl of real sites
  asks; the crawl's own default for a real site is 1 s). The hosts' delays bound the crawl:
  one worker already keeps every host busy, and a second one cannot make a host answer
  sooner. What it shows: the delay holds per host for the crawl as a whole (the workers take
  turns through Redis), whatever the number of workers.
- ``unthrottled``: no delay, a larger site (``--scale-unthrottled``): the crawl is bound by the
  workers' own work (download handling, WARC writing, link extraction), and a second worker on
  the second core adds throughput.

Measured, from the replicas' own request logs (``ReplicaServer.request_log``: the arrival time
of every request): per host, the requests, their rate over the crawl, the smallest gap between
two requests, and the most requests in any one-second window; overall, the pages (HTML answers
with status 200 in the workers' archives) per second and the requests per second. ``met``: the
smallest gap of every host is at least 90 % of the delay in the polite runs (the replicas stamp
a request when it arrives: a request sent on time may arrive a little early or late).

    python benchmarks/bench_network.py            # both scenarios, writes results/network.json
    python benchmarks/bench_network.py --quick    # smoke: scale 1, short delay
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import _common

from scoparchive.archive import ArchiveReader
from scoparchive.archive.model import is_html
from scoparchive.replica import ReplicaServer

NAME = "network"
#: The sites, each on a loopback address of its own: (profile, address).
SITES = (("les-scop-idf", "127.0.0.2"), ("les-scop-ouest", "127.0.0.3"))
WORKERS = (1, 2)
#: The share of the delay the smallest gap between two requests to a host must reach.
GAP_TOLERANCE = 0.9
CRAWL_TIMEOUT = 600


class StepFailed(RuntimeError):
    pass


@contextmanager
def redis_server(folder: Path):
    """A Redis of the benchmark's own, in memory only, on a free loopback port."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise StepFailed("redis-server not found: `apt-get install -y redis-server`")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
         "no", "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise StepFailed("redis-server did not start") from None
                time.sleep(0.05)
        yield url, client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def crawl(servers: dict[str, ReplicaServer], redis_url: str, client, folder: Path,
          workers: int, delay: float) -> dict:
    """One distributed crawl of every site by ``workers`` processes; what it cost."""
    client.flushdb()
    for server in servers.values():
        server.clear_log()
    sites = [argument for name, server in servers.items()
             for argument in ("--site-url", f"{name}={server.url}")]
    archives = [folder / f"worker-{number}" for number in range(1, workers + 1)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    processes = [subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "crawl", *sites, "--archive", str(archive),
         "--redis", redis_url, "--worker-id", archive.name, "--delay", str(delay)],
        cwd=_common.REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for archive in archives]
    for process in processes:
        _, stderr = process.communicate(timeout=CRAWL_TIMEOUT)
        if process.returncode != 0:
            raise StepFailed(f"a worker exited {process.returncode}: {stderr[-2000:]}")
    wall = time.perf_counter() - started
    pages = sum(1 for archive in archives
                for capture in ArchiveReader(archive).captures(bodies=False)
                if capture.status == 200 and is_html(capture.content_type))
    hosts = {name: host_figures(server.request_log, delay) for name, server in servers.items()}
    requests = sum(host["requests"] for host in hosts.values())
    return {
        "workers": workers,
        "delay_s": delay,
        "wall_s": wall,
        "pages": pages,
        "pages_per_s": pages / wall,
        "requests": requests,
        "requests_per_s": requests / wall,
        "hosts": hosts,
        "politeness_held": all(host["min_gap_s"] is None or delay == 0
                               or host["min_gap_s"] >= GAP_TOLERANCE * delay
                               for host in hosts.values()),
    }


def host_figures(log, delay: float) -> dict:
    """What one host saw: its requests, their rate, the smallest gap, the busiest second."""
    arrivals = sorted(entry.time for entry in log)
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    busiest = 0
    start = 0
    for end, arrival in enumerate(arrivals):
        while arrival - arrivals[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return {
        "requests": len(arrivals),
        "requests_per_s": (len(arrivals) - 1) / span if span else None,
        "min_gap_s": min(gaps) if gaps else None,
        "max_requests_in_one_second": busiest,
        "allowed_per_s": 1 / delay if delay else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="scale 1, short delay")
    parser.add_argument("--delay", type=float, default=0.5,
                        help="the per-host delay of the polite scenario (seconds)")
    parser.add_argument("--scale", type=int, default=1,
                        help="the replicas' scale in the polite scenario")
    parser.add_argument("--scale-unthrottled", type=int, default=6,
                        help="the replicas' scale in the unthrottled scenario")
    args = parser.parse_args(argv)
    scenarios = {"polite": (args.scale, args.delay),
                 "unthrottled": (args.scale_unthrottled, 0.0)}
    if args.quick:  # a smoke run: the polite scenario alone, short
        scenarios = {"polite": (1, 0.02)}
    load_before = _common.load_average()
    started = time.perf_counter()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="scoparchive-network-") as folder, \
            redis_server(Path(folder)) as (redis_url, client):
        scratch = Path(folder)
        for scenario, (scale, delay) in scenarios.items():
            with ExitStack() as replicas:
                servers = {name: replicas.enter_context(
                    ReplicaServer(host, 0, profile=name, scale=scale)) for name, host in SITES}
                runs = []
                for workers in WORKERS:
                    folder = scratch / f"{scenario}-{workers}"
                    print(f"{scenario}: {workers} worker(s), delay {delay} s, scale {scale}",
                          flush=True)
                    runs.append(crawl(servers, redis_url, client, folder, workers, delay))
                    shutil.rmtree(folder, ignore_errors=True)
            one, two = runs
            results[scenario] = {
                "scale": scale,
                "delay_s": delay,
                "runs": runs,
                "throughput_two_over_one": two["pages_per_s"] / one["pages_per_s"],
            }
    polite = results["polite"]
    data = {
        "benchmark": NAME,
        "command": _common.command_line(),
        "machine": _common.machine(),
        "settings": {"sites": [{"profile": name, "host": host} for name, host in SITES],
                     "workers": list(WORKERS), "gap_tolerance": GAP_TOLERANCE,
                     "quick": args.quick},
        "scenarios": results,
        "targets": {
            "politeness_per_host_holds": {
                "equals": True,
                "measured": all(run["politeness_held"] for run in polite["runs"]),
                "met": all(run["politeness_held"] for run in polite["runs"]),
            },
        },
        "load_average_1min": {"before": load_before, "after": _common.load_average()},
        "benchmark_wall_s": time.perf_counter() - started,
    }
    if "unthrottled" in results:
        growth = results["unthrottled"]["throughput_two_over_one"]
        data["targets"]["throughput_grows_with_workers_when_not_bound_by_politeness"] = {
            "min": 1.0, "measured": growth, "met": growth > 1.0}
    path = _common.write_results(NAME, data, args.out)
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
