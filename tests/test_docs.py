"""The README tells the truth: its commands, options, tables and make targets exist."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import REPO

from scoparchive.cli import main
from scoparchive.schema import TABLES

README = (REPO / "README.md").read_text(encoding="utf-8")
MAKEFILE = (REPO / "Makefile").read_text(encoding="utf-8")

# A usage line and the indented lines that continue it.
USAGE_LINES = re.findall(r"^scoparchive (\w+) (.*(?:\n {6,}\S.*)*)$", README, flags=re.MULTILINE)


def help_text(command: str) -> str:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_readme_shows_the_two_commands_first():
    first_block = README.split("```")[1]
    assert first_block.split()[:2] == ["make", "demo"]
    assert "make test" in first_block


@pytest.mark.parametrize(("command", "usage"), USAGE_LINES)
def test_every_option_in_the_readme_exists(command, usage):
    text = help_text(command)
    for option in re.findall(r"--[a-z-]+|(?<![\w-])-[a-z](?=\s|\])", usage):
        assert option in text, f"`scoparchive {command} {option}` is documented but missing"


def test_every_command_is_documented():
    documented = {command for command, _ in USAGE_LINES}
    assert documented == set(main.commands), set(main.commands) ^ documented


def test_every_table_is_documented():
    for table in TABLES:
        assert f"`{table.name}`" in README, f"table {table.name} is missing from the README"


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"^([a-z-]+):", MAKEFILE, flags=re.MULTILINE))
    for target in re.findall(r"^make ([a-z-]+)", README, flags=re.MULTILINE):
        assert target in targets, f"make {target}"


ARCHIVING = (REPO / "docs" / "archiving.md").read_text(encoding="utf-8")


def test_the_archiving_guide_gives_the_exit_codes_the_commands_use():
    from scoparchive import cli

    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", ARCHIVING, re.MULTILINE)}
    assert documented == {0, cli.EXIT_FAILED, 2, cli.EXIT_PARTIAL, cli.EXIT_INTERRUPTED}


def test_the_archiving_guide_names_every_run_status_and_real_options():
    from scoparchive.crawling import outcome

    for status in (outcome.FINISHED, outcome.PARTIAL, outcome.FAILED, outcome.INTERRUPTED):
        assert f"`{status}`" in ARCHIVING, status
    for command, options in re.findall(r"scoparchive (\w+)((?: --[a-z-]+)+)", ARCHIVING):
        text = help_text(command)
        for option in options.split():
            assert option in text, f"`scoparchive {command} {option}` is in docs/archiving.md"
