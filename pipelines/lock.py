"""Exclusive access to the DuckDB file.

- One sync per database at a time: `<database>.lock` next to the DuckDB file, held with
  `fcntl.flock`. The kernel drops the lock when its holder dies (even by SIGKILL), so a crashed run
  never blocks the next one; the pid written into the file only makes the refusal message useful.
- Readers in other processes (BI tools): DuckDB allows no writer while another process has the file
  open, even read-only. The sync waits a while for them to close it, then fails with a clear message
  (and maps the same conflict during the load to that message). It never writes around the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from shared.warehouse import is_lock_conflict, lock_path_for
from sources.pipedrive.errors import PipedriveError


class SyncAlreadyRunningError(PipedriveError):
    """Another process is syncing into the same database."""


@contextmanager
def sync_lock(duckdb_path: str | Path) -> Iterator[Path]:
    path = lock_path_for(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)  # Postgres: dlt's state folder; DuckDB: checked before
    handle = open(path, "a+")  # noqa: SIM115 - held open for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise SyncAlreadyRunningError(
                f"Another pipedrive-sync run (pid {holder}) is syncing into {Path(duckdb_path)}; "
                f"this run did nothing. Wait for it to finish (its lock is {path})."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield path
    finally:
        handle.close()


class DatabaseBusyError(PipedriveError):
    """Another process (a BI tool, a notebook) has the DuckDB file open: DuckDB then refuses a writer."""


def busy_message(duckdb_path: str | Path, waited_s: float) -> str:
    return (
        f"The DuckDB file {Path(duckdb_path)} is open in another process (a BI tool or notebook?) and "
        f"stayed open for {waited_s:.0f}s; DuckDB lets no process write while another has the file open. "
        "Nothing was lost: close that connection (or give BI tools a copy of the file) and run again; "
        "the next run loads whatever this one had extracted."
    )


def wait_until_writable(duckdb_path: str | Path, wait_s: float, poll_s: float = 0.5) -> None:
    """Wait up to `wait_s` for other processes to close the DuckDB file, then fail clearly."""
    path = Path(duckdb_path)
    deadline = time.monotonic() + wait_s
    started = time.monotonic()
    while path.exists():
        try:
            duckdb.connect(str(path)).close()
            return
        except duckdb.IOException as error:
            if not is_lock_conflict(error):
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusyError(busy_message(path, time.monotonic() - started)) from None
            time.sleep(poll_s)
