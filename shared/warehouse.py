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


def raw_table_stats(con) -> list[tuple[str, int, object]]:
    """(table, rows, last `_extracted_at` or None) of every raw table, dlt's own tables left out:
    what `status` and the report show about freshness. `con` is an open DuckDB connection."""
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = ? and table_catalog = current_database()",
        [RAW_SCHEMA],
    ).fetchall():
        if not table.startswith("_dlt"):
            columns.setdefault(table, set()).add(column)
    catalog = con.execute("select current_database()").fetchone()[0].replace('"', '""')
    stats = []
    for table in sorted(columns):
        stamp = "max(_extracted_at)" if "_extracted_at" in columns[table] else "null"
        rows, last = con.execute(
            f'select count(*), {stamp} from "{catalog}".{RAW_SCHEMA}."{table}"'
        ).fetchone()
        stats.append((table, rows, last))
    return stats


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
