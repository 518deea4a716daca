"""Write docs/cli.md from the click commands themselves: `python -m pipelines.cli_reference`
(`--check`: only say whether docs/cli.md is up to date, exit 1 when it is not).

The reference is each command's `--help` at a fixed width, so it cannot drift from the code:
tests/project/test_cli_docs.py fails when docs/cli.md, or README's command table, disagrees.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines.cli import main as cli

PROGRAM = "pipedrive-sync"
WIDTH = 100  # columns of the --help text in the reference (the tests ask --help for the same)
REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def help_text(command_name: str | None = None) -> str:
    """What `pipedrive-sync [command] --help` prints in a terminal WIDTH columns wide."""
    root = click.Context(
        cli, info_name=PROGRAM, terminal_width=WIDTH, max_content_width=WIDTH, **cli.context_settings
    )
    if command_name is None:
        return cli.get_help(root)
    command = cli.commands[command_name]
    return command.get_help(click.Context(command, info_name=command_name, parent=root))


def render() -> str:
    sections = [
        "# Command-line reference\n",
        f"Generated from the code by `python -m pipelines.cli_reference`; do not edit by hand.\n"
        f"`{PROGRAM} COMMAND --help` prints the same.\n",
        f"```\n{help_text()}\n```\n",
    ]
    for name in sorted(cli.commands):
        sections.append(f"## `{PROGRAM} {name}`\n\n```\n{help_text(name)}\n```\n")
    return "\n".join(sections)


def main(argv: list[str]) -> int:
    text = render()
    if argv == ["--check"]:
        if REFERENCE.read_text(encoding="utf-8") == text:
            return 0
        sys.stderr.write(f"{REFERENCE} is stale: run python -m pipelines.cli_reference\n")
        return 1
    REFERENCE.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {REFERENCE}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
