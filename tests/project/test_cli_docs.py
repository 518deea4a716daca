"""Docs that cannot drift: docs/cli.md is every command's --help, README's command table names
exactly the commands there are (with options they have), and every command has help and an example."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipelines.cli import main as cli
from pipelines.cli_reference import PROGRAM, WIDTH, help_text

README = Path(__file__).resolve().parents[2] / "README.md"
TABLE_ROW = re.compile(rf"^\| `{PROGRAM} (\w+)` \| (.*) \|$", re.M)
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def test_the_cli_reference_is_up_to_date():
    # a fresh interpreter: click keeps the help option a command was first shown with, so a test
    # that invoked a command on its own (help option `--help` only) would change this one's text
    checked = subprocess.run(
        [sys.executable, "-m", "pipelines.cli_reference", "--check"], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("args", [[], *([name] for name in sorted(cli.commands))], ids=str)
def test_the_reference_shows_what_help_prints(args):
    printed = CliRunner().invoke(
        cli, [*args, "--help"], prog_name=PROGRAM, terminal_width=WIDTH, max_content_width=WIDTH
    )
    assert printed.exit_code == 0
    assert printed.output == help_text(*args) + "\n"


def test_readme_command_table_names_every_command_and_only_real_options():
    rows = dict(TABLE_ROW.findall(README.read_text(encoding="utf-8")))
    assert sorted(rows) == sorted(cli.commands)
    for name, text in rows.items():
        known = {opt for param in cli.commands[name].params for opt in param.opts}
        assert set(OPTION.findall(text)) <= known, name


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_an_example_and_helped_options(name):
    command = cli.commands[name]
    assert command.short_help or (command.help or "").strip()
    assert "Example:" in (command.help or ""), f"{PROGRAM} {name} --help shows no example"
    undocumented = [
        param.name for param in command.params if isinstance(param, click.Option) and not param.help
    ]
    assert undocumented == []
