"""The `pipedrive-sync report` command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from shared.warehouse import DEFAULT_DUCKDB_PATH


@click.command("report")
@click.option("--duckdb", "duckdb_path", default=DEFAULT_DUCKDB_PATH, show_default=True, help="DuckDB file.")
@click.option(
    "--output", "-o", default="pipedrive-report.html", show_default=True, help="HTML file to write."
)
def report_command(duckdb_path: str, output: str) -> None:
    """Write a self-contained HTML dashboard (funnel, revenue, activities, freshness) from the marts.

    Needs a synced and transformed database; the page works offline.

    \b
    Example:
      pipedrive-sync run && pipedrive-sync report -o dashboard.html
    """
    import duckdb

    from report.build import build_report

    if not Path(duckdb_path).exists():
        click.echo(f"No database at {duckdb_path}; run `pipedrive-sync run` first.", err=True)
        sys.exit(1)
    try:
        path = build_report(duckdb_path, output)
    except duckdb.CatalogException as error:
        click.echo(f"The marts are missing ({error}); run `pipedrive-sync transform` first.", err=True)
        sys.exit(1)
    click.echo(f"Wrote {path}")
