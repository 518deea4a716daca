"""One sync per database at a time: `<database>.lock` next to the DuckDB file, held with `fcntl.flock`.

The kernel drops the lock when its holder dies (even by SIGKILL), so a crashed run never blocks
the next one; the pid written into the file only makes the refusal message useful.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sources.pipedrive.errors import PipedriveError


class SyncAlreadyRunningError(PipedriveError):
    """Another process is syncing into the same database."""


def lock_path_for(duckdb_path: str | Path) -> Path:
    path = Path(duckdb_path).resolve()
    return path.with_name(path.name + ".lock")


@contextmanager
def sync_lock(duckdb_path: str | Path) -> Iterator[Path]:
    path = lock_path_for(duckdb_path)
    path.parent.mkdir(parents=True, exist_ok=True)
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
