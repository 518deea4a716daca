"""Deal history within its own budget: which deals to read this run, and how many tokens it may
spend (`sources.pipedrive.history_budget_share`, default 25% of today's tokens left).

The work list comes from the stored tables alone, so it survives crashes, stops and restarts: deals
whose history was never read (the backfill) and deals whose `update_time` moved since it was read,
newest-changed first. Once the backfill is through, only deals changed since are read. How far the
backfill is: `shared.deal_history.history_progress` (read by `status` without dlt).
"""

from __future__ import annotations

import dlt

from pipelines.settings import _config_value
from shared.deal_history import READS_TABLE
from sources.pipedrive.errors import ConfigurationError
from sources.pipedrive.history import DealToRead

DEFAULT_HISTORY_BUDGET_SHARE = 0.25


def resolve_history_budget_share(explicit: float | None = None) -> float:
    """Share of today's tokens left that deal history may spend in one run (0 turns it off)."""
    value = explicit if explicit is not None else _config_value("history_budget_share")
    if value is None:
        return DEFAULT_HISTORY_BUDGET_SHARE
    try:
        share = float(value)
    except (TypeError, ValueError):
        share = -1.0
    if not 0.0 <= share <= 1.0:
        raise ConfigurationError(
            f"history_budget_share {value!r} must be a number from 0 to 1 (e.g. 0.25 for a quarter)."
        )
    return share


def history_budget(daily_tokens_left: int | None, main_sync_tokens: int, share: float) -> int | None:
    """Tokens deal history may spend now: `share` of what is left today, never so much that less
    than what the main sync needs (what it spent this run) remains for the next run. None: the API
    reports no daily budget (the simulator's default), so the whole backfill runs at once."""
    if share <= 0:
        return 0
    if daily_tokens_left is None:
        return None
    return max(0, min(int(daily_tokens_left * share), daily_tokens_left - main_sync_tokens))


def deals_to_read(pipeline: dlt.Pipeline) -> list[DealToRead]:
    """Never-read deals and deals changed since their history was read, newest-changed first."""
    with pipeline.sql_client() as sql:
        tables = _tables(sql)
        if "deals" not in tables:
            return []
        deals = sql.make_qualified_table_name("deals")
        if READS_TABLE in tables:
            reads = sql.make_qualified_table_name(READS_TABLE)
            query = (
                f"SELECT d.id, d.update_time FROM {deals} AS d LEFT JOIN {reads} AS r ON r.deal_id = d.id "
                "WHERE r.deal_id IS NULL OR r.deal_update_time IS DISTINCT FROM d.update_time "
                "ORDER BY d.update_time DESC, d.id DESC"
            )
        else:
            query = f"SELECT d.id, d.update_time FROM {deals} AS d ORDER BY d.update_time DESC, d.id DESC"
        return [DealToRead(int(deal_id), update_time) for deal_id, update_time in sql.execute_sql(query)]


def _tables(sql) -> set[str]:
    rows = sql.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", sql.dataset_name
    )
    return {row[0] for row in rows}
