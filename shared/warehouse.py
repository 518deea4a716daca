"""Where the data lives: the DuckDB file the sync writes by default, and the three schemas.

Every part names them from here (the SQL models spell them out, and the transforms runner
recognises them by these constants), and the checks made before a command uses a database path."""

from __future__ import annotations

import os
from pathlib import Path

from shared.failures import UserError

DEFAULT_DUCKDB_PATH = "crm.duckdb"
"""Not `pipedrive.duckdb`: DuckDB names a file's catalog after the file, and a catalog called
`pipedrive` makes the analysts' `select * from pipedrive.deals` ambiguous."""

RAW_SCHEMA = "pipedrive_raw"  # written by dlt only: one table per entity, as the API sends it
STAGING_SCHEMA = "pipedrive_staging"  # views over raw: renamed and cast, v1 and v2 alike
READABLE_SCHEMA = "pipedrive"  # what analysts query: readable entity views and marts
SCHEMAS = (RAW_SCHEMA, STAGING_SCHEMA, READABLE_SCHEMA)

DEMO_DATABASE = "demo.duckdb"
"""The demo's own file, so that `make demo` never touches a synced `crm.duckdb`."""


def raw_table_stats(con) -> list[tuple[str, int, object]]:
    """(table, rows, last `_extracted_at` or None) of every raw table, dlt's own tables left out:
    what `status` and the report show about freshness. `con` is an open DuckDB connection.
    Two queries whatever the number of tables (one per table cost `status` about 20 ms on 38)."""
    tables = con.execute(
        "select table_name, bool_or(column_name = '_extracted_at') from duckdb_columns()"
        " where schema_name = ? and database_name = current_database()"
        " and not starts_with(table_name, '_dlt') group by table_name order by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    if not tables:
        return []
    catalog = con.execute("select current_database()").fetchone()[0].replace('"', '""')
    counts = " union all ".join(
        f"select {position}, count(*), {'max(_extracted_at)' if stamped else 'null'}"
        f' from "{catalog}".{RAW_SCHEMA}."{table}"'
        for position, (table, stamped) in enumerate(tables)
    )
    by_position = {position: (rows, last) for position, rows, last in con.execute(counts).fetchall()}
    return [(table, *by_position[position]) for position, (table, _) in enumerate(tables)]


def catalog_clash_warning(duckdb_path: str | Path) -> str | None:
    """A file named like one of our schemas still syncs, but analysts must then write
    `<file>.<schema>.<table>`; say so before they hit DuckDB's "ambiguous reference" error."""
    catalog = Path(duckdb_path).stem
    if catalog not in SCHEMAS:
        return None
    return (
        f"warning: {Path(duckdb_path).name} names its DuckDB catalog '{catalog}', like the schema "
        f"'{catalog}': queries must write {catalog}.{catalog}.<table>. Another file name avoids this "
        f"(the default is {DEFAULT_DUCKDB_PATH})."
    )


class DatabaseFileError(UserError):
    """The DuckDB path cannot be used: a missing or read-only folder, or a file that is not DuckDB."""


def check_writable_database(duckdb_path: str | Path) -> None:
    """Before a sync touches anything: the folder exists and takes files, and an existing file is a
    DuckDB database (a damaged one is left exactly as it is)."""
    path = Path(duckdb_path)
    folder = path.resolve().parent
    if not folder.is_dir():
        raise DatabaseFileError(
            f"The folder {folder} does not exist; create it, or choose another --duckdb path."
        )
    try:
        lock_path_for(path).touch()  # the sync's lock file: the first file it writes there anyway
    except OSError as error:
        raise DatabaseFileError(
            f"Cannot write in {folder} ({error.strerror}: a read-only filesystem or no permission); "
            "choose another --duckdb path."
        ) from None
    if path.exists() and not os.access(path, os.W_OK):
        raise DatabaseFileError(f"Cannot write {path} (no permission); choose another --duckdb path.")
    if path.exists():
        check_is_duckdb(path)


def lock_path_for(duckdb_path: str | Path) -> Path:
    """`<database>.lock` beside the database: held by the sync for its whole run (pipelines/lock.py)."""
    path = Path(duckdb_path).resolve()
    return path.with_name(path.name + ".lock")


def check_existing_database(duckdb_path: str | Path, open_it: bool = True) -> None:
    """For commands that read a synced database (status, transform, report): never create one.
    `open_it=False`: the caller opens it read-only next and reports a failure with `not_duckdb`
    (status: opening a DuckDB file twice costs a noticeable part of its start-up)."""
    path = Path(duckdb_path)
    if not path.exists():
        raise DatabaseFileError(
            f"No database at {path}; check the --duckdb path, or sync first: "
            f"pipedrive-sync run --duckdb {path}"
        )
    if open_it:
        check_is_duckdb(path)


def check_is_duckdb(duckdb_path: str | Path) -> None:
    """Opened read-only, so a garbage or truncated file is reported and never modified. A file that a
    sync holds open passes: the caller decides whether to wait for it."""
    import duckdb

    path = Path(duckdb_path)
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error as error:
        if is_lock_conflict(error):
            return
        raise not_duckdb(path, error) from None


def not_duckdb(duckdb_path: str | Path, error: BaseException) -> DatabaseFileError:
    """The error for a file DuckDB refused to open (not a lock conflict)."""
    reason = str(error).splitlines()[0]
    return DatabaseFileError(
        f"{duckdb_path} is not a readable DuckDB database ({reason}); it was left untouched. Move it "
        "away or choose another --duckdb path."
    )


def is_lock_conflict(error: BaseException) -> bool:
    """DuckDB refused because another process has the file open for writing."""
    return type(error).__name__ == "IOException" and "lock on file" in str(error)
