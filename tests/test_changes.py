"""What a crawl run changed: the URLs the crawl's report lists, and `scoparchive changes`, with
a word diff of each changed article, from the archive alone. Two real crawls of the replica on
127.0.0.1, an edition of the site between them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_cli

from scoparchive.dataset.changes import word_diff
from scoparchive.dataset.run_summary import summarise_run
from scoparchive.replica import ReplicaServer
from scoparchive.replica.scale import EDITION_TEXT

pytestmark = pytest.mark.slow

TITLE_ADDITION = "(mise à jour)"


@dataclass
class Story:
    archive: Path
    base: str
    first_report: str
    second_report: str
    first_run: str
    second_run: str
    edited: list[str]  # URLs whose body the edition changed
    retitled: str
    removed: str


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    """The replica crawled, then edited (two bodies, a title, an article unpublished), then
    crawled again into the same archive."""
    archive = tmp_path_factory.mktemp("changes") / "archive"
    with ReplicaServer(port=0) as server:
        first = run_cli("crawl", "--site-url", server.url, "--archive", str(archive))
        site = server.site
        edited = site.edit(0.05, edition=1)
        others = [entry for entry in site.articles()
                  if entry.kind == "article" and entry.path not in edited]
        retitled, removed = others[0], others[1]
        site.update_article(retitled.slug, title=f"{retitled.title} {TITLE_ADDITION}")
        site.remove_article(removed.slug)
        second = run_cli("crawl", "--site-url", server.url, "--archive", str(archive))
        base = server.url.rstrip("/")
    runs = sorted((json.loads(path.read_text()) for path in (archive / "runs").glob("*.json")),
                  key=lambda run: run["started_at"])
    assert len(runs) == 2 and edited
    return Story(archive, base, first.stderr, second.stderr, runs[0]["run_id"],
                 runs[1]["run_id"], [base + path for path in edited], base + retitled.path,
                 base + removed.path)


def listed(output: str) -> dict[str, tuple[int, list[str], int]]:
    """The URL lists of a report: kind -> (count announced, URLs listed, "and N more")."""
    lists: dict[str, tuple[int, list[str], int]] = {}
    kind = None
    for line in output.splitlines():
        heading = re.match(r"^pages (nouvelles|modifiées|retirées) \(\w+ pages\): (\d+)$", line)
        if heading:
            kind = heading[1]
            lists[kind] = (int(heading[2]), [], 0)
        elif kind and line.startswith("  http"):
            lists[kind][1].append(line.strip())
        elif kind and (more := re.match(r"^  … et (\d+) de plus \(and \1 more\)$", line)):
            lists[kind] = (lists[kind][0], lists[kind][1], int(more[1]))
        else:
            kind = None
    return lists


def changes(story: Story, *args: str, check: bool = True):
    return run_cli("changes", "--archive", str(story.archive), *args, check=check, timeout=120)


def test_the_report_of_a_recrawl_lists_the_edited_articles_as_changed(story):
    lists = listed(story.second_report)
    count, changed, more = lists["modifiées"]
    assert set(story.edited) | {story.retitled} <= set(changed)
    assert changed == sorted(changed) and more == 0 and count == len(changed)
    assert lists["retirées"] == (1, [story.removed], 0)
    assert "nouvelles" not in lists
    assert f"scoparchive changes --archive {story.archive} --run {story.second_run}" \
        in story.second_report


def test_the_report_of_a_first_crawl_lists_twenty_new_pages_then_a_count(story):
    count, shown, more = listed(story.first_report)["nouvelles"]
    assert len(shown) == 20 and more == count - 20 > 0
    assert f"pages new │ {count}" in re.sub(r" +", " ", story.first_report)


def test_summarise_run_gives_the_urls_behind_its_counts(story):
    summary = summarise_run(story.archive, story.second_run)
    assert set(story.edited) | {story.retitled} <= set(summary.changed_urls)
    assert summary.removed_urls == [story.removed] and summary.new_urls == []
    assert summary.changed_urls == sorted(summary.changed_urls)
    assert (summary.changed, summary.removed, summary.new) == (len(summary.changed_urls), 1, 0)
    assert summary.unchanged > 0
    assert summarise_run(story.archive, "no-such-run").changed_urls == []


def test_changes_shows_a_word_diff_of_each_edited_article(story):
    shown = changes(story)  # the latest run
    output = shown.stdout
    assert output.startswith(f"collecte (crawl run) {story.second_run}: ")
    assert f"(compared with run) {story.first_run}" in output.splitlines()[0]
    lists = listed(output)
    assert set(story.edited) | {story.retitled} <= set(lists["modifiées"][1])
    assert lists["retirées"] == (1, [story.removed], 0)
    added = EDITION_TEXT.format(edition=1)
    for url in story.edited:
        section = output.split(f"── {url}\n", 1)[1].split("\n── ", 1)[0]
        (line,) = [line for line in section.splitlines() if "{+" in line]
        # The added paragraph, after a few words of the text, not the whole article.
        assert line.rstrip().endswith(f"{{+{added}+}}")
        before = line.strip().split(" {+", 1)[0]
        assert before.startswith("… ") and len(before.split()) == 1 + 5
        assert "[-" not in line
    retitled = output.split(f"── {story.retitled}\n", 1)[1].split("\n── ", 1)[0]
    assert f"{{+{TITLE_ADDITION}+}}" in retitled and "titre (title) −0 +3" in retitled


def test_changes_of_the_first_run_lists_everything_as_new(story):
    shown = changes(story, "--run", story.first_run)
    lists = listed(shown.stdout)
    count, new, more = lists["nouvelles"]
    assert count == len(new) > 20 and more == 0 and new == sorted(new)
    assert set(lists) == {"nouvelles"}
    assert set(story.edited) | {story.retitled, story.removed, story.base + "/"} <= set(new)
    assert "(the archive's first)" in shown.stdout.splitlines()[0]
    assert "{+" not in shown.stdout


def test_an_unknown_run_exits_1_naming_the_known_runs(story):
    shown = changes(story, "--run", "20200101T000000000000Z", check=False)
    assert shown.returncode == 1
    (line,) = shown.stderr.strip().splitlines()
    assert "unknown crawl run" in line and "20200101T000000000000Z" in line
    assert line.endswith(f"{story.first_run}, {story.second_run}")
    assert shown.stdout == ""


# --- the word diff itself ---------------------------------------------------------------------

def test_a_word_diff_keeps_a_few_words_of_context_and_caps_its_length():
    words = [f"mot{n}" for n in range(300)]
    edited = [*words[:100], "inséré", *words[100:200], *words[201:]]
    hunks, more, removed, added = word_diff(" ".join(words), " ".join(edited), context=3)
    assert [hunk.plain() for hunk in hunks] == [
        "… mot97 mot98 mot99 {+inséré+} mot100 mot101 mot102 …",
        "… mot197 mot198 mot199 [-mot200-] mot201 mot202 mot203 …",
    ]
    assert (more, removed, added) == (0, 1, 1)

    rewritten = " ".join(f"autre{n}" if n % 10 == 0 else word for n, word in enumerate(words))
    # Every tenth word replaced: near enough to share one hunk, which stops after five.
    hunks, more, removed, added = word_diff(" ".join(words), rewritten, changes_shown=5)
    (hunk,) = hunks
    assert hunk.plain() == ("[-mot0-] {+autre0+} mot1 mot2 mot3 mot4 mot5 mot6 mot7 mot8 mot9 "
                            "[-mot10-] {+autre10+} mot11 mot12 mot13 mot14 mot15 mot16 mot17 "
                            "mot18 mot19 [-mot20-] {+autre20+} mot21 mot22 mot23 mot24 mot25 "
                            "mot26 mot27 mot28 mot29 [-mot30-] {+autre30+} mot31 mot32 mot33 "
                            "mot34 mot35 mot36 mot37 mot38 mot39 [-mot40-] {+autre40+} mot41 "
                            "mot42 mot43 mot44 mot45 …")
    assert (more, removed, added) == (30 - 5, 30, 30)
    hunks, more, _, _ = word_diff(" ".join(words), rewritten, context=3, changes_shown=4)
    assert [hunk.plain().count("{+") for hunk in hunks] == [1, 1, 1, 1] and more == 26
    assert hunks[1].plain() == "… mot7 mot8 mot9 [-mot10-] {+autre10+} mot11 mot12 mot13 …"

    hunks, _, _, added = word_diff("", " ".join(words), words_shown=10)
    (hunk,) = hunks
    assert added == 300 and hunk.plain() == \
        "{+mot0 mot1 mot2 mot3 mot4 … (290 mots / words) … mot295 mot296 mot297 mot298 mot299+}"
    assert word_diff("même texte", "même  texte\n") == ([], 0, 0, 0)
