"""What the dashboard shows, read from the marts of a transformed DuckDB file (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

from shared.run_log import RunSummary, TodaysSpend, recent_runs, todays_spend
from shared.warehouse import RAW_SCHEMA, READABLE_SCHEMA, raw_table_stats


@dataclass(frozen=True)
class FunnelStage:
    pipeline: str
    stage: str
    deals_reached: int
    open_deals: int
    lost_deals: int


@dataclass(frozen=True)
class MonthRevenue:
    month: str  # YYYY-MM
    currency: str
    won_deals: int
    won_value: float


@dataclass(frozen=True)
class OwnerActivities:
    owner: str
    done: int
    open: int
    overdue: int


@dataclass(frozen=True)
class EntityFreshness:
    entity: str
    rows: int
    last_extracted_at: datetime | None


@dataclass(frozen=True)
class ReportData:
    funnel: list[FunnelStage]
    revenue: list[MonthRevenue]
    activities: list[OwnerActivities]
    freshness: list[EntityFreshness]
    runs: list[RunSummary]  # the last sync runs, newest first
    spend: TodaysSpend  # tokens the runs of this database spent today (UTC)


LAST_RUNS = 10


def read_report_data(con: duckdb.DuckDBPyConnection, duckdb_path=None) -> ReportData:
    """`duckdb_path` (optional) adds the runs that failed before their row could be loaded."""
    # catalog-qualified: in a file named pipedrive.duckdb, a bare `pipedrive.x` is ambiguous
    catalog = con.execute("select current_database()").fetchone()[0].replace('"', '""')
    marts = f'"{catalog}".{READABLE_SCHEMA}'

    def rows(query: str) -> list[tuple]:
        return con.execute(query.format(marts=marts)).fetchall()

    return ReportData(
        funnel=[FunnelStage(*row) for row in rows(FUNNEL_SQL)],
        revenue=[MonthRevenue(*row) for row in rows(REVENUE_SQL)],
        activities=[OwnerActivities(*row) for row in rows(ACTIVITIES_SQL)],
        freshness=read_freshness(con),
        runs=recent_runs(con, duckdb_path, RAW_SCHEMA, limit=LAST_RUNS),
        spend=todays_spend(con, duckdb_path, RAW_SCHEMA),
    )


FUNNEL_SQL = """
select
    coalesce(pipeline_name, 'pipeline ' || pipeline_id::varchar),
    coalesce(stage_name, 'stage ' || stage_id::varchar),
    deals_reached::bigint,
    open_deals::bigint,
    lost_deals::bigint
from {marts}.pipeline_funnel
order by pipeline_id, stage_order_nr, stage_id
"""

REVENUE_SQL = """
select strftime(month, '%Y-%m'), coalesce(currency, '?'), won_deals::bigint, won_value::double
from {marts}.revenue_by_month
order by month, currency
"""

ACTIVITIES_SQL = """
select
    coalesce(owner_name, 'user ' || owner_id::varchar, 'no owner') as owner,
    count(*) filter (where is_done)::bigint as done,
    count(*) filter (where not coalesce(is_done, false))::bigint as open,
    count(*) filter (where is_overdue)::bigint as overdue
from {marts}.activities_enriched
group by owner_id, owner_name
order by done + open desc, owner
"""


def read_freshness(con: duckdb.DuckDBPyConnection) -> list[EntityFreshness]:
    """Rows and last extraction time of every raw table (dlt's own bookkeeping tables left out)."""
    return [EntityFreshness(*stats) for stats in raw_table_stats(con)]
