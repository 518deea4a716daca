"""Exit codes a scheduler can act on, and the one rule for failures: one `Error:` line with a hint,
never a traceback. README.md and `pipedrive-sync --help` list the same codes. In `shared/` because
every command (sync, transform, report) follows it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

EXIT_OK = 0
EXIT_FAILED = 1  # any error: the `Error:` line says what and what to do
EXIT_USAGE = 2  # click's own: an unknown option, a value that does not parse
EXIT_TRY_LATER = 75  # EX_TEMPFAIL: the daily API token budget is spent; run again after the reset
EXIT_SIGINT = 130  # stopped by Ctrl-C (128 + SIGINT)
EXIT_SIGTERM = 143  # stopped by SIGTERM (128 + SIGTERM)

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 failed (one Error: line says why); 2 usage error; "
    "75 daily API token budget spent, run again after the reset; 130/143 stopped by Ctrl-C/SIGTERM."
)
DEBUG_ENV = "PIPEDRIVE_SYNC_DEBUG"


class UserError(Exception):
    """A failure the user can act on: its message is the whole story, with the way out."""


def fail(message: str, code: int = EXIT_FAILED) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Every failure of a command ends as one `Error:` line and exit 1. Errors we foresaw carry
    their own hint; anything else is a bug, said as such (PIPEDRIVE_SYNC_DEBUG=1 shows the traceback)."""
    from shared.warehouse import is_lock_conflict

    try:
        yield
    except UserError as error:
        fail(str(error))
    except (click.exceptions.Exit, click.ClickException, KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence against a traceback
        if is_lock_conflict(error):
            fail(
                "another process (a running sync?) is writing this DuckDB file right now; run the "
                "command again when it has finished."
            )
        if os.environ.get(DEBUG_ENV):
            raise
        first_line = (str(error).splitlines() or [""])[0][:300]
        fail(
            f"unexpected {type(error).__name__}: {first_line} (a bug in pipedrive-sync: please report it; "
            f"{DEBUG_ENV}=1 shows the traceback)"
        )
