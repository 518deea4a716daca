"""Read one entity's streams page by page into Arrow tables, moving its cursor safely.

Cursor rules (why no update is ever missed):
- The next run restarts from the cursor's second, inclusive: same-second updates are re-read and
  merge on the primary key dedupes them.
- Ascending keyset streams (v2) advance the cursor after every batch handed to dlt, so a stop
  (spent budget) never moves it past unloaded rows. A record updated while we page gets an
  `update_time` at or after everything read so far, so either we reach it later in this run or the
  next run does (it is at or after the saved cursor).
- Offset streams (v1) are read newest first: an update while paging moves a record to the front,
  which only shifts already-read rows onto later pages (re-read, never skipped). Their cursor moves
  only when the stream completes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import dlt
import orjson

from sources.pipedrive.arrow_tables import TableBuilder, gather_v1_custom_fields
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import CHILDREN, SNAPSHOT_COLUMNS, SNAPSHOT_TABLE, Child, Entity, Stream
from sources.pipedrive.errors import BudgetExhaustedError
from sources.pipedrive.pagination import iter_pages
from sources.pipedrive.timestamps import parse_instant, to_rfc3339_second
from sources.pipedrive.windows import InOrderPages, WindowedBackfill

EPOCH = datetime.fromtimestamp(0, timezone.utc)
CHILD_FETCH_THREADS = 8
# Merge keeps the row extracted last; `is_deleted` exists on every merged table so that ids
# which vanish upstream (hard deletes) can be flagged even where the API has no such field.
MERGE_COLUMNS = {
    "_extracted_at": {"dedup_sort": "desc"},
    "is_deleted": {"data_type": "bool", "nullable": True},
}
PLAIN_EXTRACTED = {"_extracted_at": {"dedup_sort": None}}
# Snapshots only ever gain rows, but merged on this key: a load job that a crash interrupted after
# its insert committed runs again on the next run, and a plain append would then double its rows.
SNAPSHOT_KEY = ("id", "_extracted_at")


def stream_key(stream: Stream) -> str:
    params = ",".join(f"{key}={value}" for key, value in sorted(stream.params.items()))
    return f"{stream.path}?{params}"


def api_of(path: str) -> str:
    return "v2" if path.startswith("/api/v2/") else "v1"


def active_streams(entity: Entity, context: SyncContext) -> tuple[Stream, ...]:
    if entity.name in context.v1_list_entities and entity.v1_streams:
        return entity.v1_streams
    return entity.streams


def read_entity(entity: Entity, context: SyncContext) -> Iterator[object]:
    """The body of an entity's dlt resource. A spent budget ends it quietly (the pipeline then
    loads what was read and reports the stop); every other error fails the run."""
    state = dlt.current.resource_state()
    try:
        builder = TableBuilder(
            entity.primary_key,
            entity.float_columns,
            entity.json_columns,
            state.setdefault("column_types", {}),
        )
        yield from _read_children_of(entity, context, state)
        complete = all(stream.read == "whole" for stream in active_streams(entity, context))
        seen_ids: set | None = set() if complete and entity.primary_key else None
        for stream in active_streams(entity, context):
            yield from _read_stream(entity, stream, context, state, builder, seen_ids)
        yield from _read_children_of(entity, context, state)
        if seen_ids is not None:
            context.report.complete_id_sets[entity.name] = seen_ids
    except BudgetExhaustedError as stop:
        context.report.stopped = stop
        context.progress(f"{entity.name}: stopped, daily budget spent")


def _read_stream(entity, stream, context, state, builder, seen_ids) -> Iterator[object]:
    api = api_of(stream.path)
    key = stream_key(stream)
    cursors = state.setdefault("cursors", {})
    stored = cursors.get(key)
    start = context.since or (parse_instant(stored) if stored else None)
    params = dict(stream.params)
    if stream.read == "updated_since" and start is not None:
        params["updated_since"] = to_rfc3339_second(start)
    cutoff = start.replace(microsecond=0) if stream.read == "client_cutoff" and start is not None else None
    ascending = params.get("sort_direction") == "asc"
    requested = set(params.get("include_fields", "").split(","))
    constants = {"_source_api": api}
    if stream.archived is not None:
        constants["_archived"] = stream.archived
    newest: datetime | None = None
    buffer: list[dict] = []
    digests = state.setdefault("whole_list_digests", {})
    previous_digest = digests.pop(key, None)  # kept again only if this run hands over the whole list
    handed_over_part = False
    pages = _pages(entity, stream, params, api, start, context)
    try:
        for page in pages:
            rows = [gather_v1_custom_fields(row) for row in page] if api == "v1" else page
            reached_cutoff = False
            if cutoff is not None and entity.cursor_field:
                kept = [row for row in rows if _instant(row, entity.cursor_field) >= cutoff]
                reached_cutoff = len(kept) < len(rows)
                rows = kept
            if seen_ids is not None:
                seen_ids.update(row.get(entity.primary_key) for row in rows)
            buffer.extend(rows)
            if len(buffer) >= context.batch_rows:
                newest = _latest(newest, buffer, entity.cursor_field)
                yield from _emit(entity, buffer, constants, context, state, builder, requested)
                buffer, handed_over_part = [], True
                if ascending and newest is not None:
                    cursors[key] = pages.safe_cursor(newest).isoformat()
                yield from _read_children_of(entity, context, state, full_batches_only=True)
            if reached_cutoff:
                break
    except BudgetExhaustedError:
        # what was read is still good: hand it over (cursor only as far as it is safe), then stop
        if buffer:
            newest = _latest(newest, buffer, entity.cursor_field)
            yield from _emit(entity, buffer, constants, context, state, builder, requested)
            if ascending and newest is not None:
                cursors[key] = pages.safe_cursor(newest).isoformat()
        raise
    newest = _latest(newest, buffer, entity.cursor_field)
    skippable = stream.read == "whole" and entity.write_disposition == "merge" and not handed_over_part
    digest = _digest(buffer) if skippable and buffer else None
    if digest is not None and digest == previous_digest:
        context.progress(f"{entity.name}: unchanged since the last run")
    elif buffer:
        yield from _emit(entity, buffer, constants, context, state, builder, requested)
    if digest is not None:
        digests[key] = digest
    if newest is not None and entity.cursor_field and stream.read != "whole":
        cursors[key] = newest.isoformat()
    yield from _read_children_of(entity, context, state, full_batches_only=True)
    context.progress(f"{entity.name}: {stream.path} done")


def _digest(rows: list[dict]) -> str:
    """Lists read whole every run (pipelines, stages, fields, reference data) rarely change; one
    identical to the last run's is already stored, and loading it again costs a load job per table.
    Only for merged tables: dlt empties a `replace` table that receives no rows."""
    return hashlib.blake2b(orjson.dumps(rows, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()


def _pages(entity, stream, params, api, start, context) -> InOrderPages | WindowedBackfill:
    """A first backfill of a v2 incremental list is split into windows read in parallel."""
    windowed = (
        context.backfill_windows > 1
        and api == "v2"
        and start is None
        and stream.read == "updated_since"
        and params.get("sort_direction") == "asc"
    )
    if windowed:
        return WindowedBackfill(
            context.client, stream.path, params, entity.cursor_field, context.backfill_windows
        )
    return InOrderPages(iter_pages(context.client, stream.path, params, api))


def _emit(entity, rows, constants, context, state, builder, requested: set) -> Iterator[object]:
    child_counts = {
        name: _child_counts(CHILDREN[name], rows, entity.primary_key, requested) for name in entity.children
    }
    table = builder.build(rows, constants, context.extracted_at())
    context.report.add_rows(entity.name, table.num_rows)
    yield table
    if entity.snapshots:
        snapshot = table.select([name for name in SNAPSHOT_COLUMNS if name in table.column_names])
        context.report.add_rows(SNAPSHOT_TABLE, snapshot.num_rows)
        yield dlt.mark.with_hints(
            snapshot,
            dlt.mark.make_hints(
                table_name=SNAPSHOT_TABLE,
                write_disposition="merge",
                primary_key=SNAPSHOT_KEY,
                columns=PLAIN_EXTRACTED,
            ),
            create_table_variant=True,
        )
    for child_name in entity.children:
        # parents handed to dlt above wait in state for their children: a stop keeps them pending
        pending = state.setdefault("pending_children", {}).setdefault(child_name, [])
        known = set(pending)
        counts = child_counts[child_name]
        pending.extend(
            parent
            for parent in table.column(entity.primary_key).to_pylist()
            if parent not in known and counts.get(parent) != 0
        )


def _child_counts(child: Child, rows: list[dict], key: str, requested: set) -> dict:
    """Children per parent from the count field, when the rows carry it (parents without a count
    are fetched). A field present only because we asked for it (`include_fields`) is taken out
    of the stored record; v1 records carry the count natively and keep it."""
    if not child.count_field or not rows or child.count_field not in rows[0]:
        return {}
    if child.count_field in requested:
        return {row[key]: row.pop(child.count_field, None) for row in rows}
    return {row[key]: row.get(child.count_field) for row in rows}


def _read_children_of(entity, context, state, full_batches_only=False) -> Iterator[object]:
    for child_name in entity.children:
        if state.get("pending_children", {}).get(child_name):
            yield from _read_children(CHILDREN[child_name], context, state, full_batches_only)


def _read_children(child: Child, context: SyncContext, state, full_batches_only=False) -> Iterator[object]:
    """Fetch children for pending parent ids, `batch_size` ids per request (no N+1). Ids leave the
    pending list only after their rows were handed to dlt."""
    pending: list = state["pending_children"][child.name]
    if full_batches_only and len(pending) < child.batch_size:
        return
    builder = TableBuilder("id", child.float_columns, (), state.setdefault("child_column_types", {}))
    hints = dlt.mark.make_hints(
        table_name=child.name, write_disposition="merge", primary_key="id", columns=MERGE_COLUMNS
    )
    size = child.batch_size
    count = len(pending) // size if full_batches_only else -(-len(pending) // size)
    batches = [list(dict.fromkeys(pending[index * size : (index + 1) * size])) for index in range(count)]

    def fetch(batch: list) -> list[dict]:
        params = dict(child.params, **{child.ids_param: ",".join(str(parent) for parent in batch)})
        return [row for page in iter_pages(context.client, child.path, params, "v2") for row in page]

    # The batches are independent requests: a few in flight at once hide the round trips (the
    # shared burst limiter still paces them); results are handed over in order.
    pool = ThreadPoolExecutor(CHILD_FETCH_THREADS, thread_name_prefix=f"{child.name}-fetch")
    try:
        for rows in pool.map(fetch, batches):
            if rows:
                table = builder.build(rows, {"_source_api": "v2"}, context.extracted_at())
                context.report.add_rows(child.name, table.num_rows)
                yield dlt.mark.with_hints(table, hints, create_table_variant=True)
            del pending[:size]
    finally:
        pool.shutdown(cancel_futures=True)


def _instant(row: dict, field: str) -> datetime:
    value = row.get(field)
    return parse_instant(value) if value else EPOCH


def _latest(current: datetime | None, rows: list[dict], field: str | None) -> datetime | None:
    if not field:
        return current
    values = [row.get(field) for row in rows if row.get(field)]
    if not values:
        return current
    newest = max(parse_instant(value) for value in values)
    return newest if current is None or newest > current else current
