"""Sync commands: run, status, demo. `pipelines/cli.py` only assembles them."""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime

import click

from pipelines.summary import summary_lines
from shared.failures import EXIT_CODES_HELP, EXIT_TRY_LATER, one_line_errors
from shared.warehouse import DEFAULT_DUCKDB_PATH, DEMO_DATABASE
from sources.pipedrive.errors import PipedriveError

V1_LIST_LEGACY = (
    "--v1-list is legacy: Pipedrive's v1 list endpoints are out of support since 2026-08-01 and may "
    "change or vanish; without it the same entities are read from API v2."
)


class Instant(click.ParamType):
    """A date or an ISO 8601 date-time, with `Z` or an offset (as `status` prints), else UTC."""

    name = "DATETIME"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        from sources.pipedrive.timestamps import parse_instant

        try:
            return parse_instant(value)
        except ValueError:
            self.fail(
                f"{value!r} is not a date or an ISO 8601 date-time (e.g. 2025-01-01, "
                "2025-01-01T10:20:00Z, 2025-01-01T12:20:00+02:00)",
                param,
                ctx,
            )


def interval(ctx, param, value):
    """`--every` needs a unit: 15 could mean seconds or minutes."""
    if value is None:
        return None
    from pipelines.schedule import parse_interval

    try:
        parse_interval(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def progress_printer(started: float):
    def show(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:7.1f}s] {message}", err=True)

    return show


def print_summary(result) -> None:
    for line in summary_lines(result):
        click.echo(line)


@click.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Drop the tables and cursors of the chosen --resources (default: all) and read them again. "
    "Keeps what Pipedrive cannot give back: deal_snapshots (the source of deal_stage_history) and the "
    "other history tables.",
)
@click.option(
    "--switch-account",
    is_flag=True,
    help="With --full-refresh: this database now holds another Pipedrive account; everything of the "
    "old one goes, history included.",
)
@click.option("--resources", help="Comma-separated entities to sync (default: all), e.g. deals,persons.")
@click.option(
    "--since",
    type=Instant(),
    help="Read changes since this date or ISO 8601 time (Z or an offset; default UTC) instead of the "
    "stored cursors.",
)
@click.option("--base-url", help="API address, e.g. https://acme.pipedrive.com (default: config).")
@click.option("--duckdb", "duckdb_path", default=DEFAULT_DUCKDB_PATH, show_default=True, help="DuckDB file.")
@click.option(
    "--reconcile",
    is_flag=True,
    help="List every entity's ids now (otherwise each entity without a delete feed is listed every "
    "sources.pipedrive.reconcile_every_hours, default 24) and flag records deleted upstream.",
)
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
@click.option(
    "--every",
    callback=interval,
    help="Keep running: sync again at this interval, with a unit: 30s, 15m, 2h, 1d (docs/scheduling.md).",
)
@click.option(
    "--wait-for-readers",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for other processes (BI tools) to close the DuckDB file before failing.",
)
def run(
    full_refresh,
    switch_account,
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
    Ctrl-C or SIGTERM stops a run within seconds (exit 130/143); what was loaded stays consistent and
    the next run resumes. With --every the command keeps syncing, backs off after failures, and exits
    0 on SIGTERM/SIGINT after the current run. A database holds one Pipedrive account: a run against
    another one stops before writing anything.

    \b
    Example:
      PIPEDRIVE_API_TOKEN=... pipedrive-sync run --base-url https://acme.pipedrive.com
      pipedrive-sync run --resources deals,persons --reconcile
      DESTINATION__POSTGRES__CREDENTIALS=postgresql://... pipedrive-sync run --destination postgres
      pipedrive-sync run --every 15m
    """
    from pipelines.sync import run_sync

    if switch_account and not full_refresh:
        raise click.UsageError("--switch-account replaces the database's data: give --full-refresh too.")
    started = time.monotonic()
    if v1_list:
        click.echo(f"Warning: {V1_LIST_LEGACY}", err=True)
    stop = threading.Event()

    def sync_once():
        result = run_sync(
            base_url=base_url,
            duckdb_path=duckdb_path,
            resources=resources.split(",") if resources else None,
            full_refresh=full_refresh,
            pipelines_dir=pipelines_dir,
            since=since,
            reconcile=reconcile,
            v1_list_entities=v1_list.split(",") if v1_list else (),
            progress=progress_printer(started),
            destination=destination,
            wait_for_readers_s=wait_for_readers,
            transform=destination == "duckdb",
            switch_account=switch_account,
            stop=stop,
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
    from pipelines.interrupt import EXIT_CODE, stop_on_signal, stopped_line

    with one_line_errors(), stop_on_signal(stop) as received:
        try:
            result = sync_once()
        except Exception:
            if received["signum"] is None:
                raise
        if received["signum"] is not None:  # whatever the signal interrupted, one line says so
            click.echo(stopped_line(received["signum"]), err=True)
            sys.exit(EXIT_CODE[received["signum"]])
    if not result.complete:
        click.echo(result.message, err=True)
        sys.exit(EXIT_TRY_LATER)


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
    """Show the account, the last run and the API tokens it used, how far the deal-history
    backfill is, rows per table, where each entity's next run starts, and the last loads.

    \b
    Example:
      pipedrive-sync status --duckdb crm.duckdb
    """
    from pipelines.status import read_status, report_lines

    with one_line_errors():
        report = read_status(duckdb_path, pipelines_dir)
    for line in report_lines(report):
        click.echo(line)


@click.command()
@click.option(
    "--duckdb",
    "duckdb_path",
    default=DEMO_DATABASE,
    show_default=True,
    help="DuckDB file; the demo replaces only a database it created itself.",
)
@click.option("--deals", default=3000, show_default=True, help="Deals in the simulated account.")
def demo(duckdb_path, deals) -> None:
    """Everything end to end against a local simulator: full sync, changes, incremental sync,
    transforms. Starts from an empty database: it replaces a file only if an earlier demo made it.

    \b
    Example:
      pipedrive-sync demo
      duckdb demo.duckdb "select * from pipedrive.deals limit 5"
    """
    from pipelines.demo import run_demo

    with one_line_errors():
        code = run_demo(duckdb_path, deals, echo=click.echo, progress=progress_printer(time.monotonic()))
    sys.exit(code)


def register_pipeline_commands(group: click.Group) -> None:
    group.add_command(run)
    group.add_command(status)
    group.add_command(demo)
