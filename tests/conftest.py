"""Shared fixtures: the replica on 127.0.0.1, the CLI in a subprocess, one crawl and build of the
replica shared by the end-to-end tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from scoparchive.replica import ReplicaServer

REPO = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300,
            check: bool = True) -> subprocess.CompletedProcess:
    """`scoparchive ARGS` in its own process, as a person runs it (Scrapy's reactor is per
    process, so every crawl gets a fresh one)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    completed = subprocess.run(
        [sys.executable, "-m", "scoparchive", *args],
        cwd=cwd or REPO, capture_output=True, text=True, timeout=timeout, env=env,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"scoparchive {' '.join(args)} exited {completed.returncode}\n"
            f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
        )
    return completed


#: ``python -c`` this, then a file, then the CLI's arguments: runs the CLI, then writes its peak
#: resident memory to the file, in kB: the larger of its own (VmHWM) and that of its largest
#: child (a build's parsing processes, each forked from it). Not its own ``ru_maxrss``: a process
#: started from the test process counts that one's memory too, from before it ran Python again
#: (up to 500 MB more in a full test session).
_WITH_PEAK = """
import atexit, resource, runpy, sys
peak_file = sys.argv.pop(1)

def write_peak():
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(peak_file, "w") as out:
        out.write(str(max(own, children)))

atexit.register(write_peak)
sys.argv[0] = "scoparchive"
runpy.run_module("scoparchive", run_name="__main__", alter_sys=True)
"""


def measured_argv(peak_file: Path, *args: str) -> list[str]:
    """The command that runs `scoparchive ARGS` and writes its peak memory to ``peak_file``
    when it exits (``peak_mb``), Ctrl-C or an error included; not after a SIGKILL."""
    return [sys.executable, "-c", _WITH_PEAK, str(peak_file), *args]


def peak_mb(peak_file: Path) -> float:
    return int(Path(peak_file).read_text()) / 1024


def run_cli_measured(*args: str, timeout: float = 300, preexec_fn=None
                     ) -> tuple[subprocess.CompletedProcess, float]:
    """`run_cli` without the check, and the peak resident memory of that process (or of its
    largest child), in MB. ``preexec_fn`` runs in the child before the CLI starts."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder) / "peak"
        completed = subprocess.run(measured_argv(peak_file, *args), cwd=REPO,
                                   capture_output=True, text=True, timeout=timeout, env=env,
                                   preexec_fn=preexec_fn)
        return completed, peak_mb(peak_file)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture
def replica():
    server = ReplicaServer(port=0).start()
    yield server
    server.stop()


@dataclass
class Built:
    replica: ReplicaServer
    archive: Path
    out: Path
    crawl_output: subprocess.CompletedProcess

    @property
    def database(self) -> Path:
        return next(self.out.glob("*.db"))


@pytest.fixture(scope="session")
def built_replica(tmp_path_factory) -> Built:
    """The replica crawled once and built once, for the tests that only read the results."""
    base = tmp_path_factory.mktemp("e2e")
    server = ReplicaServer(port=0).start()
    try:
        crawled = run_cli("crawl", "--site-url", server.url, "--archive", str(base / "archive"))
        run_cli("build", "--archive", str(base / "archive"), "--out", str(base / "out"))
        yield Built(server, base / "archive", base / "out", crawled)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def datasette_server(built_replica):
    """A real Datasette over the built database, as `scoparchive serve` starts it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scoparchive", "serve", "--out", str(built_replica.out),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(base + "/-/versions.json")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


#: Fixtures that crawl or build end to end: a test that uses one is slow, marked or not.
@pytest.fixture(autouse=True)
def _no_site_left_registered():
    """A test that registers a site in this process (``profiles.register_site``, a build run
    in-process) leaves none behind: a later server on the same port would be taken for it."""
    yield
    from scoparchive.profiles import clear_registered_sites

    clear_registered_sites()


SLOW_FIXTURES = frozenset({"built_replica", "datasette_server"})


def pytest_collection_modifyitems(items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:
    """A Redis of the tests' own, on a free loopback port, kept in memory only (no RDB, no AOF):
    the URL of its database 0. Fails, not skips, where `redis-server` is missing: CI installs
    it (.ci/run)."""
    import shutil

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server introuvable (not found): `apt-get install -y redis-server`, "
                    "as .ci/run does", pytrace=False)
    folder = tmp_path_factory.mktemp("redis")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log = folder / "redis.log"
                pytest.fail(f"redis-server did not start: "
                            f"{log.read_text() if log.is_file() else process.returncode}")
            time.sleep(0.05)
    client.close()
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
