"""After-load corrections that a merge cannot express, done in SQL on the loaded tables:
- deal products removed upstream disappear (rows of re-read deals not re-extracted this run);
- ids that vanished upstream are flagged `is_deleted` (entities read whole each run, and every
  incremental entity when `--reconcile` lists the ids present upstream)."""

from __future__ import annotations

from datetime import datetime

import dlt

from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import CHILDREN, ENTITIES
from sources.pipedrive.reconcile import upstream_ids

ID_CHUNK = 5000


def apply_upstream_fixes(
    pipeline: dlt.Pipeline, context: SyncContext, run_started: datetime, reconcile: bool
):
    marked: dict[str, int] = {}
    present_sets = dict(context.report.complete_id_sets)
    if reconcile:
        for entity in ENTITIES:
            if entity.primary_key and entity.write_disposition == "merge" and entity.name not in present_sets:
                context.progress(f"reconcile: listing {entity.name} ids")
                present_sets[entity.name] = upstream_ids(entity, context)
    with pipeline.sql_client() as sql:
        existing = _columns_by_table(sql)
        for child_name, parent_ids in context.report.refreshed_parents.items():
            child = CHILDREN[child_name]
            if child_name in existing and parent_ids:
                for chunk in _chunks(sorted(parent_ids)):
                    sql.execute_sql(
                        f"DELETE FROM {sql.make_qualified_table_name(child_name)} "
                        f"WHERE {child.parent_key} IN ({_placeholders(chunk)}) AND _extracted_at < %s",
                        *chunk,
                        run_started,
                    )
        for entity_name, present in present_sets.items():
            columns = existing.get(entity_name, set())
            if "is_deleted" in columns:
                marked[entity_name] = _mark_vanished(sql, entity_name, present)
    return {name: count for name, count in marked.items() if count}


def _mark_vanished(sql, table: str, present: set) -> int:
    """Flag rows whose id is no longer listed upstream; returns how many were flagged."""
    qualified = sql.make_qualified_table_name(table)
    known = {
        row[0] for row in sql.execute_sql(f"SELECT id FROM {qualified} WHERE NOT coalesce(is_deleted, false)")
    }
    vanished = sorted(known - present, key=str)
    for chunk in _chunks(vanished):
        sql.execute_sql(
            f"UPDATE {qualified} SET is_deleted = true WHERE id IN ({_placeholders(chunk)})", *chunk
        )
    return len(vanished)


def _columns_by_table(sql) -> dict[str, set]:
    rows = sql.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s",
        sql.dataset_name,
    )
    columns: dict[str, set] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def _chunks(values: list, size: int = ID_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# `%s` works on every destination: dlt's DuckDB client turns it into `?`, psycopg2 takes it as is.
def _placeholders(values: list) -> str:
    return ",".join("%s" for _ in values)
