"""Where the data lives: the DuckDB file the sync writes by default, and the three schemas.

Every part names them from here (the SQL models spell them out, and the transforms runner
recognises them by these constants)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_DUCKDB_PATH = "crm.duckdb"
"""Not `pipedrive.duckdb`: DuckDB names a file's catalog after the file, and a catalog called
`pipedrive` makes the analysts' `select * from pipedrive.deals` ambiguous."""

RAW_SCHEMA = "pipedrive_raw"  # written by dlt only: one table per entity, as the API sends it
STAGING_SCHEMA = "pipedrive_staging"  # views over raw: renamed and cast, v1 and v2 alike
READABLE_SCHEMA = "pipedrive"  # what analysts query: readable entity views and marts
SCHEMAS = (RAW_SCHEMA, STAGING_SCHEMA, READABLE_SCHEMA)


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
