"""Dagster: sync Pipedrive every 15 minutes, then rebuild the marts and the HTML dashboard.

    pip install pipedrive-sync dagster dagster-webserver
    export PIPEDRIVE_API_TOKEN=...            # or .dlt/secrets.toml (sources.pipedrive.api_token)
    export SOURCES__PIPEDRIVE__COMPANY_DOMAIN=acme
    dagster dev -f examples/dagster/definitions.py

The raw asset runs the bare dlt source, `pipedrive_source()`, in a plain `dlt.pipeline(...)`, as
any dlt integration would: the source alone yields the whole raw layer (updates, creates, deletes,
records that vanished upstream, removed deal products), all written by dlt. What `pipedrive-sync
run` adds around it (a lock against overlapping runs, a connection check, a run summary) is
Dagster's job here: one run of the job at a time.
"""

import os

import dlt
from dagster import (
    AssetExecutionContext,
    Definitions,
    MaterializeResult,
    ScheduleDefinition,
    asset,
    define_asset_job,
)

from report import build_report
from sources.pipedrive import pipedrive_source
from transforms import run_transforms

DUCKDB_PATH = os.environ.get("PIPEDRIVE_SYNC_DUCKDB", "crm.duckdb")
REPORT_PATH = os.environ.get("PIPEDRIVE_SYNC_REPORT", "pipedrive-report.html")


@asset(group_name="pipedrive", description="Raw Pipedrive tables (schema pipedrive_raw), incremental.")
def pipedrive_raw(context: AssetExecutionContext) -> MaterializeResult:
    pipeline = dlt.pipeline(
        pipeline_name="pipedrive",
        destination=dlt.destinations.duckdb(DUCKDB_PATH),
        dataset_name="pipedrive_raw",
    )
    # A spent daily budget ends the extraction quietly: what was read is loaded, cursors stay safe,
    # and the next scheduled run goes on from there.
    info = pipeline.run(pipedrive_source())
    rows = pipeline.last_trace.last_normalize_info.row_counts if pipeline.last_trace else {}
    context.log.info(str(info))
    return MaterializeResult(
        metadata={
            "rows": sum(count for table, count in rows.items() if not table.startswith("_dlt")),
            "load_packages": len(info.load_packages),
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
