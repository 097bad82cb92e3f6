"""Shared by the benchmarks: the machine's description, medians, peak memory, result files."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def git_revision() -> str | None:
    """The commit measured, with ``+dirty`` when the work tree had changes (read-only git)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # not even the index's stat cache
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, timeout=10, check=True, env=env).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], env=env,
                               cwd=REPO, text=True, capture_output=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty.strip() else "")


def machine() -> dict:
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(terse=True),
        "packages": {name: package_version(name)
                     for name in ("lxml", "trafilatura", "scrapy", "twisted")},
        "revision": git_revision(),
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def load_average() -> float | None:
    """The 1-minute load average: other work on this machine makes timings noisy."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def max_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRSS:
    """Peak resident memory over a block, from Linux's VmHWM, which writing ``5`` to
    ``/proc/self/clear_refs`` resets to the current size. ``delta_mib`` is the peak above the
    size at entry; None where the kernel does not offer it."""

    def __enter__(self) -> PeakRSS:
        self.available = _reset_peak()
        self.start_kib = _status_kib("VmRSS")
        self.peak_mib = self.delta_mib = None
        return self

    def __exit__(self, *exc_info) -> None:
        peak = _status_kib("VmHWM")
        if self.available and peak is not None and self.start_kib is not None:
            self.peak_mib = peak / 1024
            self.delta_mib = max(0, peak - self.start_kib) / 1024


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def rounded(value, digits: int = 3):
    """Floats rounded for small, readable JSON; containers recursively."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {key: rounded(item, digits) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item, digits) for item in value]
    return value


def write_results(name: str, data: dict, out: Path | None = None) -> Path:
    """``benchmarks/results/<name>.json`` (or ``out``), replaced in one rename."""
    path = Path(out) if out else RESULTS_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(rounded(data), indent=2, ensure_ascii=False) + "\n",
                         encoding="utf-8")
    temporary.replace(path)
    return path


def command_line() -> str:
    """How this benchmark was started, relative to the repository, for the docs."""
    script = Path(sys.argv[0]).resolve()
    try:
        script_text = str(script.relative_to(REPO))
    except ValueError:
        script_text = str(script)
    prefix = str(REPO) + "/"
    arguments = [argument.replace(prefix, "") for argument in sys.argv[1:]]
    return " ".join(["python", script_text, *arguments])
