"""Extraction on real pages of other sites: scoparchive's page objects beside trafilatura.

The corpus is 200 real web pages (news, blogs, institutions; 11 in French) with their truth
(title, publication date, text that must and must not be in the main text), taken from
trafilatura's evaluation data. The pages are third-party content kept outside the repository:
``../shared/realweb/`` beside it, or wherever ``SCOPARCHIVE_REALWEB`` points. Its own
``score.py`` scores both extractors (``--extractor scoparchive`` and ``trafilatura``,
``bare_extraction(with_metadata=True)``); this benchmark runs it and keeps the totals.

Without the corpus (a fresh clone), or with ``--quick``, the result says why it was skipped.

    python benchmarks/bench_realweb.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import _common

NAME = "realweb"
EXTRACTORS = ("scoparchive", "trafilatura")
#: What issue 9 asked of scoparchive on this corpus.
TARGETS = {"article": 195, "date": 170, "with": 0.90, "without": 0.90, "title": 141}
_TIMING = re.compile(r"\(([\d.]+) ms/page\)")


def corpus_dir() -> Path:
    return Path(os.environ.get("SCOPARCHIVE_REALWEB") or _common.REPO.parent / "shared" / "realweb")


def score(extractor: str, corpus: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        per_page = Path(scratch) / "pages.json"
        completed = subprocess.run(
            [sys.executable, str(corpus / "score.py"), "--extractor", extractor, "--json",
             str(per_page)],
            cwd=_common.REPO, capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONPATH": str(_common.REPO)},
        )  # fmt: skip
        pages = json.loads(per_page.read_text(encoding="utf-8"))
    timing = _TIMING.search(completed.stdout)
    count = len(pages)
    return {
        "pages": count,
        "article": sum(page["article"] for page in pages),
        "title": sum(page["title"] for page in pages),
        "date": sum(page["date"] for page in pages),
        "with": round(sum(page["with"] for page in pages) / count, 3),
        "without": round(sum(page["without"] for page in pages) / count, 3),
        "ms_per_page": float(timing[1]) if timing else None,
        "page_types": _count(page["type"] for page in pages),
        "summary_line": completed.stdout.strip().splitlines()[0],
    }


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def run(quick: bool, say) -> dict:
    corpus = corpus_dir()
    result = {
        "benchmark": NAME,
        "command": _common.command_line(),
        "machine": _common.machine(),
        "settings": {"quick": quick, "corpus": str(corpus)},
        "targets": TARGETS,
    }
    if quick:
        result["skipped"] = "--quick: the corpus takes a minute to score"
        return result
    if not (corpus / "score.py").is_file() or not (corpus / "pages.jsonl.gz").is_file():
        result["skipped"] = f"no corpus at {corpus} (set SCOPARCHIVE_REALWEB)"
        return result
    result["extractors"] = {}
    for extractor in EXTRACTORS:
        say(f"scoring {extractor}")
        result["extractors"][extractor] = score(extractor, corpus)
        say(result["extractors"][extractor]["summary_line"])
    ours = result["extractors"]["scoparchive"]
    result["met"] = {name: ours[name] >= target for name, target in TARGETS.items()}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the scoring (smoke runs)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"result file (benchmarks/results/{NAME}.json)")
    args = parser.parse_args(argv)

    def say(message: str) -> None:
        print(f"[{NAME}] {message}", file=sys.stderr, flush=True)

    result = run(args.quick, say)
    path = _common.write_results(NAME, result, args.out)
    if "skipped" in result:
        say(f"skipped: {result['skipped']}")
    say(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
