"""What the dashboard shows, read from the marts of a transformed DuckDB file (read-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

RAW_SCHEMA = "pipedrive_raw"


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


def read_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    return ReportData(
        funnel=[FunnelStage(*row) for row in con.execute(FUNNEL_SQL).fetchall()],
        revenue=[MonthRevenue(*row) for row in con.execute(REVENUE_SQL).fetchall()],
        activities=[OwnerActivities(*row) for row in con.execute(ACTIVITIES_SQL).fetchall()],
        freshness=read_freshness(con),
    )


FUNNEL_SQL = """
select
    coalesce(pipeline_name, 'pipeline ' || pipeline_id::varchar),
    coalesce(stage_name, 'stage ' || stage_id::varchar),
    deals_reached::bigint,
    open_deals::bigint,
    lost_deals::bigint
from pipedrive.pipeline_funnel
order by pipeline_id, stage_order_nr, stage_id
"""

REVENUE_SQL = """
select strftime(month, '%Y-%m'), coalesce(currency, '?'), won_deals::bigint, won_value::double
from pipedrive.revenue_by_month
order by month, currency
"""

ACTIVITIES_SQL = """
select
    coalesce(owner_name, 'user ' || owner_id::varchar, 'no owner') as owner,
    count(*) filter (where is_done)::bigint as done,
    count(*) filter (where not coalesce(is_done, false))::bigint as open,
    count(*) filter (where is_overdue)::bigint as overdue
from pipedrive.activities_enriched
group by owner_id, owner_name
order by done + open desc, owner
"""


def read_freshness(con: duckdb.DuckDBPyConnection) -> list[EntityFreshness]:
    """Rows and last extraction time of every raw table (dlt's own bookkeeping tables left out)."""
    columns: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_schema = ? and table_catalog = current_database()",
        [RAW_SCHEMA],
    ).fetchall():
        if not table.startswith("_dlt"):
            columns.setdefault(table, set()).add(column)
    freshness = []
    for table in sorted(columns):
        stamp = "max(_extracted_at)" if "_extracted_at" in columns[table] else "null"
        rows, last = con.execute(f'select count(*), {stamp} from {RAW_SCHEMA}."{table}"').fetchone()
        freshness.append(EntityFreshness(table, rows, last))
    return freshness
