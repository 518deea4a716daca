"""After-load corrections that a merge cannot express, done in SQL on the loaded tables:
- deal products removed upstream disappear (child rows extracted before their parent's latest
  refresh); derived from the stored rows alone, so a run killed before this step leaves nothing
  undone for the next run;
- ids that vanished upstream are flagged `is_deleted` (entities read whole each run, and every
  incremental entity when `--reconcile` lists the ids present upstream)."""

from __future__ import annotations

import dlt

from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import CHILDREN, ENTITIES, ENTITY_BY_NAME
from sources.pipedrive.reconcile import upstream_ids
from sources.pipedrive.state import resource_states

ID_CHUNK = 5000


def apply_upstream_fixes(pipeline: dlt.Pipeline, context: SyncContext, reconcile: set[str]):
    """`reconcile`: the entities (this run's resources) whose ids are listed upstream."""
    marked: dict[str, int] = {}
    present_sets = dict(context.report.complete_id_sets)
    for entity in ENTITIES:
        listable = entity.primary_key and entity.write_disposition == "merge"
        if entity.name in reconcile and listable and entity.name not in present_sets:
            context.progress(f"reconcile: listing {entity.name} ids")
            present_sets[entity.name] = upstream_ids(entity, context)
    with pipeline.sql_client() as sql:
        existing = _columns_by_table(sql)
        _remove_stale_children(sql, existing, _pending_children(pipeline))
        for entity_name, present in present_sets.items():
            columns = existing.get(entity_name, set())
            if "is_deleted" in columns:
                key = ENTITY_BY_NAME[entity_name].primary_key
                marked[entity_name] = _mark_vanished(sql, entity_name, key, present)
    return {name: count for name, count in marked.items() if count}


def _remove_stale_children(sql, existing: dict[str, set], pending: dict[str, set]) -> None:
    """A parent's children are re-read right after the parent, so children extracted before their
    parent's stored row were not listed in its latest refresh: removed upstream. Parents still
    waiting for their children (a stopped run) keep theirs until they are fetched."""
    for parent in ENTITIES:
        for child_name in parent.children:
            if child_name not in existing or parent.name not in existing:
                continue
            key = CHILDREN[child_name].parent_key
            child_table = sql.make_qualified_table_name(child_name)
            parent_table = sql.make_qualified_table_name(parent.name)
            parent_refreshed_at = (
                f"(SELECT p._extracted_at FROM {parent_table} AS p "
                f"WHERE p.{parent.primary_key} = {child_table}.{key})"
            )
            rows = sql.execute_sql(
                f"SELECT DISTINCT {key} FROM {child_table} WHERE _extracted_at < {parent_refreshed_at}"
            )
            stale_parents = {row[0] for row in rows} - pending.get(child_name, set())
            for chunk in _chunks(sorted(stale_parents, key=str)):
                sql.execute_sql(
                    f"DELETE FROM {child_table} WHERE {key} IN ({_placeholders(chunk)}) "
                    f"AND _extracted_at < {parent_refreshed_at}",
                    *chunk,
                )


def _pending_children(pipeline: dlt.Pipeline) -> dict[str, set]:
    """child table -> parent ids whose children a stopped run has not fetched yet (from dlt state)."""
    pending: dict[str, set] = {}
    for state in resource_states(pipeline.state).values():
        for child_name, parent_ids in state.pending_children.items():
            pending.setdefault(child_name, set()).update(parent_ids)
    return pending


def _mark_vanished(sql, table: str, key: str, present: set) -> int:
    """Flag rows whose key is no longer listed upstream; returns how many were flagged."""
    qualified = sql.make_qualified_table_name(table)
    listed = sql.execute_sql(f"SELECT {key} FROM {qualified} WHERE NOT coalesce(is_deleted, false)")
    known = {row[0] for row in listed}
    vanished = sorted(known - present, key=str)
    for chunk in _chunks(vanished):
        sql.execute_sql(
            f"UPDATE {qualified} SET is_deleted = true WHERE {key} IN ({_placeholders(chunk)})", *chunk
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
