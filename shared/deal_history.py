"""Deal history's tables, and how far its backfill is: facts the sync (`sources.pipedrive.history`,
`pipelines.history`) and `status` share. Read from an open DuckDB connection, without dlt, so that
`status` stays fast."""

from __future__ import annotations

from dataclasses import dataclass

from shared.warehouse import RAW_SCHEMA

CHANGES_TABLE = "deal_changes"  # one row per changed field of a deal, from its changelog
READS_TABLE = "deal_history_reads"  # one row per deal whose changelog was read, with its update_time then
HISTORY_TABLES = (CHANGES_TABLE, READS_TABLE)
CHANGELOG_COST = 20  # x-token-cost of `/v1/deals/{id}/changelog` in the v1 spec


@dataclass(frozen=True)
class HistoryProgress:
    deals: int  # deals stored
    read: int  # deals whose history was read at least once
    behind: int  # deals changed since their history was read

    @property
    def backfill_done(self) -> bool:
        return self.read >= self.deals


def history_progress(con, dataset: str = RAW_SCHEMA) -> HistoryProgress | None:
    """How far the backfill is (None: no deals stored yet). Two counts over the stored tables."""
    names = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = ? AND table_catalog = current_database()",
            [dataset],
        ).fetchall()
    }
    if "deals" not in names:
        return None
    catalog = con.execute("SELECT current_database()").fetchone()[0].replace('"', '""')
    deals_table = f'"{catalog}".{dataset}."deals"'
    deals = con.execute(f"SELECT count(*) FROM {deals_table}").fetchone()[0]
    if READS_TABLE not in names:
        return HistoryProgress(deals, 0, 0)
    read, behind = con.execute(
        "SELECT count(r.deal_id), count(*) FILTER (WHERE r.deal_update_time IS DISTINCT FROM d.update_time "
        f'AND r.deal_id IS NOT NULL) FROM {deals_table} AS d LEFT JOIN "{catalog}".{dataset}."{READS_TABLE}" '
        "AS r ON r.deal_id = d.id"
    ).fetchone()
    return HistoryProgress(deals, read, behind)


def describe(progress: HistoryProgress | None) -> str:
    if progress is None:
        return "deal history: no deals synced yet"
    if progress.backfill_done:
        return (
            f"deal history: complete for {progress.deals:,} deals "
            f"({progress.behind:,} changed since, read by the next run)"
        )
    share = 100 * progress.read / progress.deals if progress.deals else 100
    left = progress.deals - progress.read
    return (
        f"deal history: backfill {progress.read:,} of {progress.deals:,} deals ({share:.0f}%), "
        f"{left:,} left: about {left * CHANGELOG_COST:,} tokens"
    )
