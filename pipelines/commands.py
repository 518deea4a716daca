"""Sync commands: run, status, demo. `pipelines/cli.py` only assembles them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from pipelines.summary import summary_lines
from shared.warehouse import DEFAULT_DUCKDB_PATH
from sources.pipedrive.errors import PipedriveError

EXIT_FAILED = 1
EXIT_BUDGET_SPENT = 2
V1_LIST_LEGACY = (
    "--v1-list is legacy: Pipedrive's v1 list endpoints are out of support since 2026-08-01 and may "
    "change or vanish; without it the same entities are read from API v2."
)


def progress_printer(started: float):
    def show(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:7.1f}s] {message}", err=True)

    return show


def print_summary(result) -> None:
    for line in summary_lines(result):
        click.echo(line)


@click.command()
@click.option(
    "--full-refresh", is_flag=True, help="Drop the synced tables and cursors, then read everything."
)
@click.option("--resources", help="Comma-separated entities to sync (default: all), e.g. deals,persons.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
    help="Read changes since this UTC date instead of the stored cursors.",
)
@click.option("--base-url", help="API address, e.g. https://acme.pipedrive.com (default: config).")
@click.option("--duckdb", "duckdb_path", default=DEFAULT_DUCKDB_PATH, show_default=True, help="DuckDB file.")
@click.option("--reconcile", is_flag=True, help="Also list ids upstream and flag hard-deleted rows.")
@click.option(
    "--v1-list",
    "v1_list",
    help="Legacy: entities to read via the deprecated v1 list endpoints (out of support since "
    "2026-08-01), e.g. deals.",
)
@click.option(
    "--pipelines-dir", type=click.Path(), help="Where dlt keeps its state (default: next to the file)."
)
@click.option(
    "--destination",
    type=click.Choice(["duckdb", "postgres"]),
    default="duckdb",
    show_default=True,
    help="Load into the DuckDB file, or into Postgres (credentials: destination.postgres.credentials).",
)
@click.option("--every", help="Keep running: sync again at this interval, e.g. 15m (see docs/scheduling.md).")
@click.option(
    "--wait-for-readers",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for other processes (BI tools) to close the DuckDB file before failing.",
)
def run(
    full_refresh,
    resources,
    since,
    base_url,
    duckdb_path,
    reconcile,
    v1_list,
    pipelines_dir,
    destination,
    every,
    wait_for_readers,
) -> None:
    """Sync Pipedrive into DuckDB or Postgres (incremental after the first run).

    The token comes from .dlt/secrets.toml (sources.pipedrive.api_token) or PIPEDRIVE_API_TOKEN.
    With --every the command keeps syncing, backs off after failures, and exits 0 on SIGTERM/SIGINT.

    \b
    Example:
      PIPEDRIVE_API_TOKEN=... pipedrive-sync run --base-url https://acme.pipedrive.com
      pipedrive-sync run --resources deals,persons --reconcile
      DESTINATION__POSTGRES__CREDENTIALS=postgresql://... pipedrive-sync run --destination postgres
      pipedrive-sync run --every 15m
    """
    from datetime import timezone

    from pipelines.sync import run_sync

    started = time.monotonic()
    if v1_list:
        click.echo(f"Warning: {V1_LIST_LEGACY}", err=True)

    def sync_once():
        result = run_sync(
            base_url=base_url,
            duckdb_path=duckdb_path,
            resources=resources.split(",") if resources else None,
            full_refresh=full_refresh,
            pipelines_dir=pipelines_dir,
            since=since.replace(tzinfo=timezone.utc) if since else None,
            reconcile=reconcile,
            v1_list_entities=v1_list.split(",") if v1_list else (),
            progress=progress_printer(started),
            destination=destination,
            wait_for_readers_s=wait_for_readers,
            transform=destination == "duckdb",
        )
        print_summary(result)
        if result.complete and destination == "postgres":
            transform_in_postgres(duckdb_path, pipelines_dir)
        return result

    if every:
        from pipelines.schedule import run_scheduled

        def sync_completely() -> None:
            result = sync_once()
            if not result.complete:  # budget spent: back off like any failure
                raise PipedriveError(result.message)

        sys.exit(run_scheduled(sync_completely, every, log=progress_printer(started)))
    try:
        result = sync_once()
    except PipedriveError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    if not result.complete:
        click.echo(result.message, err=True)
        sys.exit(EXIT_BUDGET_SPENT)


def transform_in_postgres(duckdb_path, pipelines_dir) -> None:
    """Build schema `pipedrive` in the Postgres database the sync loaded (see transforms/postgres.py)."""
    from pipelines.sync import open_pipeline
    from transforms.postgres import PublishError, run_transforms_in_postgres

    pipeline = open_pipeline(duckdb_path, pipelines_dir, "postgres")
    dsn = pipeline.destination_client().config.credentials.to_native_representation()
    try:
        result = run_transforms_in_postgres(dsn)
    except PublishError as error:
        raise PipedriveError(str(error)) from None
    click.echo(f"Built {len(result.views)} tables in Postgres schema pipedrive in {result.duration_s:.1f}s")


@click.command()
@click.option("--duckdb", "duckdb_path", default=DEFAULT_DUCKDB_PATH, show_default=True, help="DuckDB file.")
@click.option(
    "--pipelines-dir", type=click.Path(), help="Where dlt keeps its state (default: next to the file)."
)
def status(duckdb_path, pipelines_dir) -> None:
    """Show the last runs, row counts per table, cursor positions and freshness.

    \b
    Example:
      pipedrive-sync status --duckdb crm.duckdb
    """
    from pipelines.status import read_status

    if not Path(duckdb_path).exists():
        click.echo(f"No database at {duckdb_path}; run `pipedrive-sync run` first.", err=True)
        sys.exit(EXIT_FAILED)
    report = read_status(duckdb_path, pipelines_dir)
    click.echo("Last loads:")
    for load_id, load_status, inserted_at in report["loads"]:
        click.echo(f"  {inserted_at:%Y-%m-%d %H:%M:%S}  load {load_id}  status {load_status}")
    click.echo("Tables (rows, last extracted):")
    for table in report["tables"]:
        last = f"{table.last_extracted_at:%Y-%m-%d %H:%M:%S}" if table.last_extracted_at else "-"
        click.echo(f"  {table.name:<22} {table.rows:>10,}  {last}")
    click.echo("Cursors (next run reads from these, inclusive):")
    for stream, cursor in report["cursors"].items():
        click.echo(f"  {stream}: {cursor}")


@click.command()
@click.option("--duckdb", "duckdb_path", default=DEFAULT_DUCKDB_PATH, show_default=True, help="DuckDB file.")
@click.option("--deals", default=3000, show_default=True, help="Deals in the simulated account.")
def demo(duckdb_path, deals) -> None:
    """Everything end to end against a local simulator: full sync, changes, incremental sync,
    transforms. Overwrites the demo database.

    \b
    Example:
      pipedrive-sync demo
      duckdb crm.duckdb "select * from pipedrive.deals limit 5"
    """
    from pipelines.demo import run_demo

    sys.exit(run_demo(duckdb_path, deals, echo=click.echo, progress=progress_printer(time.monotonic())))


def register_pipeline_commands(group: click.Group) -> None:
    group.add_command(run)
    group.add_command(status)
    group.add_command(demo)
