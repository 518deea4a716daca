"""Dagster: sync Pipedrive every 15 minutes, then rebuild the marts and the HTML dashboard.

    pip install pipedrive-sync dagster dagster-webserver
    export PIPEDRIVE_API_TOKEN=...            # or .dlt/secrets.toml
    dagster dev -f examples/dagster/definitions.py

The assets call `run_sync` rather than wrapping the bare dlt source with dagster-dlt's
`@dlt_assets`: a sync is more than `pipeline.run` (one connection check before parallel reads,
the lock against overlapping runs, after-load fixes for removed deal products and hard deletes,
a clean stop when the daily token budget is spent), and `run_sync` is where all of that lives.
"""

import os

from dagster import (
    AssetExecutionContext,
    Definitions,
    Failure,
    MaterializeResult,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from pipelines.sync import run_sync
from report import build_report
from transforms import run_transforms

DUCKDB_PATH = os.environ.get("PIPEDRIVE_SYNC_DUCKDB", "crm.duckdb")
REPORT_PATH = os.environ.get("PIPEDRIVE_SYNC_REPORT", "pipedrive-report.html")


@asset(group_name="pipedrive", description="Raw Pipedrive tables (schema pipedrive_raw), incremental.")
def pipedrive_raw(context: AssetExecutionContext) -> MaterializeResult:
    result = run_sync(duckdb_path=DUCKDB_PATH, progress=context.log.info)
    if not result.complete:  # daily budget spent: what was loaded stays, cursors are safe
        raise Failure(description=result.message)
    return MaterializeResult(
        metadata={
            "rows": sum(result.rows_per_table.values()),
            "requests": result.requests,
            "tokens": result.tokens,
            "duration_s": round(result.duration_s, 1),
        }
    )


@asset(group_name="pipedrive", deps=[pipedrive_raw], description="Views and marts (schema pipedrive).")
def pipedrive_marts() -> MaterializeResult:
    result = run_transforms(DUCKDB_PATH)
    return MaterializeResult(metadata={"views": len(result.views), "duration_s": round(result.duration_s, 2)})


@asset(group_name="pipedrive", deps=[pipedrive_marts], description="Offline HTML dashboard.")
def pipedrive_report() -> MaterializeResult:
    path = build_report(DUCKDB_PATH, REPORT_PATH)
    return MaterializeResult(metadata={"path": str(path.resolve())})


sync_job = define_asset_job("pipedrive_sync", selection=[pipedrive_raw, pipedrive_marts, pipedrive_report])

defs = Definitions(
    assets=[pipedrive_raw, pipedrive_marts, pipedrive_report],
    jobs=[sync_job],
    schedules=[ScheduleDefinition(job=sync_job, cron_schedule="*/15 * * * *")],
)
