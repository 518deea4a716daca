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

import dlt
import orjson
import pyarrow as pa

from sources.pipedrive.arrow_tables import TableBuilder, gather_v1_custom_fields
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import CHILDREN, SNAPSHOT_COLUMNS, SNAPSHOT_TABLE, Child, Entity, Stream
from sources.pipedrive.errors import BudgetExhaustedError
from sources.pipedrive.state import ResourceState
from sources.pipedrive.timestamps import instant_of, latest_in, to_rfc3339_second
from sources.pipedrive.windows import InOrderPages, WindowedBackfill

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


def active_streams(entity: Entity, context: SyncContext) -> tuple[Stream, ...]:
    if entity.name in context.v1_list_entities and entity.v1_streams:
        return entity.v1_streams
    return entity.streams


def read_entity(entity: Entity, context: SyncContext) -> Iterator[object]:
    """The body of an entity's dlt resource. A spent budget ends it quietly (the pipeline then
    loads what was read and reports the stop); every other error fails the run."""
    state = ResourceState.bind(dlt.current.resource_state())
    try:
        builder = TableBuilder(
            entity.primary_key, entity.float_columns, entity.json_columns, state.column_types
        )
        children = ChildReader(entity, context, state)
        yield from children.read()
        streams = active_streams(entity, context)
        plan = context.plan
        unread = [stream for stream in streams if plan is not None and not plan.reads(entity, stream)]
        complete = all(stream.read == "whole" for stream in streams) and not unread
        seen_ids: set | None = set() if complete and entity.primary_key else None
        for stream in streams:
            if stream in unread:
                context.progress(f"{entity.name}: {stream.path} unchanged since the last run, not read")
                continue
            yield from StreamReader(entity, stream, context, state, builder, children, seen_ids).read()
        yield from children.read()
        if seen_ids is not None:
            context.report.complete_id_sets[entity.name] = seen_ids
        if plan is not None:  # every change up to the probe is now loaded (or there was none)
            plan.completed(entity, dlt.current.resource_state(), read=not unread, known_keys=seen_ids)
    except BudgetExhaustedError as stop:
        context.report.stopped = stop
        context.progress(f"{entity.name}: stopped, daily budget spent")


class StreamReader:
    """One stream of an entity, handed to dlt in Arrow tables of `context.batch_rows` rows. Every
    hand-over goes through `_flush`: after a full batch, on a spent budget, at the end."""

    def __init__(
        self,
        entity: Entity,
        stream: Stream,
        context: SyncContext,
        state: ResourceState,
        builder: TableBuilder,
        children: ChildReader,
        seen_ids: set | None = None,
    ) -> None:
        self.entity, self.stream, self.context, self.state = entity, stream, context, state
        self.builder, self.children, self.seen_ids = builder, children, seen_ids
        self.start = context.since or state.cursor(stream.key)
        self.params = dict(stream.params)
        if stream.read == "updated_since" and self.start is not None:
            self.params["updated_since"] = to_rfc3339_second(self.start)
        self.ascending = self.params.get("sort_direction") == "asc"
        self.requested = set(self.params.get("include_fields", "").split(","))
        self.constants: dict[str, object] = {"_source_api": stream.api}
        if stream.archived is not None:
            self.constants["_archived"] = stream.archived
        self.newest = None  # newest cursor value handed over
        self.buffer: list[dict] = []
        self.handed_over = False
        # kept again only if this run hands over the whole list
        self.previous_digest = state.whole_list_digests.pop(stream.key, None)
        self.pages = self._pages()

    def read(self) -> Iterator[object]:
        try:
            for rows in self._rows():
                self.buffer.extend(rows)
                if len(self.buffer) >= self.context.batch_rows:
                    yield from self._flush()
        except BudgetExhaustedError:
            # what was read is still good: hand it over (cursor only as far as it is safe), then stop
            yield from self._flush(stopping=True)
            raise
        yield from self._flush(complete=True)
        self.context.progress(f"{self.entity.name}: {self.stream.path} done")

    def _pages(self) -> InOrderPages | WindowedBackfill:
        """A first backfill of a v2 incremental list is split into windows read in parallel."""
        context, stream = self.context, self.stream
        windowed = (
            context.backfill_windows > 1
            and stream.api == "v2"
            and self.start is None
            and stream.read == "updated_since"
            and self.ascending
        )
        if windowed:
            return WindowedBackfill(
                context.client, context.limiter, stream, self.entity.cursor_field, context.backfill_windows
            )
        return InOrderPages(stream.paginator.pages(context.client, stream.path, self.params))

    def _rows(self) -> Iterator[list[dict]]:
        """The pages as rows to store: v1 custom fields gathered; a client-side cutoff (newest
        first) drops the rows before the cursor's second and ends the stream there."""
        field = self.entity.cursor_field
        cutoff = None
        if self.stream.read == "client_cutoff" and self.start is not None and field:
            cutoff = self.start.replace(microsecond=0)
        for page in self.pages:
            rows = [gather_v1_custom_fields(row) for row in page] if self.stream.api == "v1" else page
            kept = rows if cutoff is None else [row for row in rows if instant_of(row, field) >= cutoff]
            if self.seen_ids is not None:
                self.seen_ids.update(row.get(self.entity.primary_key) for row in kept)
            yield kept
            if len(kept) < len(rows):
                return

    def _flush(self, complete: bool = False, stopping: bool = False) -> Iterator[object]:
        """Hand the buffer to dlt, then move the cursor: ascending streams after every batch, as
        far as is safe; the others only once complete."""
        rows, self.buffer = self.buffer, []
        self.newest = latest_in(rows, self.entity.cursor_field, self.newest)
        if complete and self._unchanged(rows):
            self.context.progress(f"{self.entity.name}: unchanged since the last run")
        elif rows:
            yield from self._emit(rows)
        if self.newest is not None and self.stream.read != "whole":
            if complete:
                self.state.move_cursor(self.stream.key, self.newest)
            elif rows and self.ascending:
                self.state.move_cursor(self.stream.key, self.pages.safe_cursor(self.newest))
        if not stopping:
            yield from self.children.read(full_batches_only=True)

    def _unchanged(self, rows: list[dict]) -> bool:
        """Lists read whole every run (pipelines, stages, fields, reference data) rarely change; one
        identical to the last run's is already stored, and loading it again costs a load job per
        table. Only for merged tables: dlt empties a `replace` table that receives no rows."""
        whole = self.stream.read == "whole" and self.entity.write_disposition == "merge"
        if not (whole and rows) or self.handed_over:
            return False
        digest = hashlib.blake2b(orjson.dumps(rows, option=orjson.OPT_SORT_KEYS), digest_size=16).hexdigest()
        self.state.whole_list_digests[self.stream.key] = digest
        return digest == self.previous_digest

    def _emit(self, rows: list[dict]) -> Iterator[object]:
        counts = self.children.counts(rows, self.requested)
        table = self.builder.build(rows, self.constants, self.context.extracted_at())
        self.handed_over = True
        self.context.report.add_rows(self.entity.name, table.num_rows)
        yield table
        if self.entity.snapshots:
            yield _snapshot(table, self.context)
        self.children.add_parents(table.column(self.entity.primary_key).to_pylist(), counts)


def _snapshot(table: pa.Table, context: SyncContext) -> object:
    snapshot = table.select([name for name in SNAPSHOT_COLUMNS if name in table.column_names])
    context.report.add_rows(SNAPSHOT_TABLE, snapshot.num_rows)
    return dlt.mark.with_hints(
        snapshot,
        dlt.mark.make_hints(
            table_name=SNAPSHOT_TABLE,
            write_disposition="merge",
            primary_key=SNAPSHOT_KEY,
            columns=PLAIN_EXTRACTED,
        ),
        create_table_variant=True,
    )


class ChildReader:
    """The child tables of an entity (e.g. deal products), fetched for the parents handed to dlt,
    `batch_size` parent ids per request (no N+1). Parents wait in resource state until their
    children are handed over too, so a stop keeps them pending for the next run."""

    def __init__(self, entity: Entity, context: SyncContext, state: ResourceState) -> None:
        self.entity, self.context, self.state = entity, context, state
        self.children = [CHILDREN[name] for name in entity.children]

    def counts(self, rows: list[dict], requested: set) -> dict[str, dict]:
        """child -> children per parent from the count field, when the rows carry it (parents
        without a count are fetched). A field present only because we asked for it
        (`include_fields`) is taken out of the stored record; v1 records keep their native count."""
        key = self.entity.primary_key
        counts: dict[str, dict] = {}
        for child in self.children:
            field = child.count_field
            if not field or not rows or field not in rows[0]:
                counts[child.name] = {}
            else:
                counts[child.name] = {row[key]: row.get(field) for row in rows}
        # several children may read one count (deal products and installments: products_count)
        for field in {child.count_field for child in self.children} & requested:
            for row in rows:
                row.pop(field, None)
        return counts

    def add_parents(self, parent_ids: list, counts: dict[str, dict]) -> None:
        """Parents with 0 children need no request: their old child rows are simply removed."""
        for child in self.children:
            pending = self.state.pending_children.setdefault(child.name, [])
            known = set(pending)
            per_parent = counts.get(child.name, {})
            pending.extend(
                parent for parent in parent_ids if parent not in known and per_parent.get(parent) != 0
            )

    def read(self, full_batches_only: bool = False) -> Iterator[object]:
        for child in self.children:
            pending = self.state.pending_children.get(child.name)
            if pending and (len(pending) >= child.batch_size or not full_batches_only):
                yield from self._read(child, pending, full_batches_only)

    def _read(self, child: Child, pending: list, full_batches_only: bool) -> Iterator[object]:
        """Ids leave the pending list only after their rows were handed to dlt."""
        builder = TableBuilder(
            child.primary_key if isinstance(child.primary_key, str) else None,
            child.float_columns,
            (),
            self.state.child_column_types,
        )
        hints = dlt.mark.make_hints(
            table_name=child.name,
            write_disposition="merge",
            primary_key=child.primary_key,
            columns=MERGE_COLUMNS,
        )
        size = 1 if child.per_parent else child.batch_size
        count = len(pending) // size if full_batches_only else -(-len(pending) // size)
        batches = [list(dict.fromkeys(pending[index * size : (index + 1) * size])) for index in range(count)]

        def fetch(batch: list) -> list[dict]:
            if child.per_parent:  # no batch form: one parent per request, its id added to the rows
                path = child.path.format(id=batch[0])
                pages = child.paginator.pages(self.context.client, path, dict(child.params))
                return [{**row, child.parent_key: batch[0]} for page in pages for row in page]
            params = dict(child.params, **{child.ids_param: ",".join(str(parent) for parent in batch)})
            return [
                row for page in child.paginator.pages(self.context.client, child.path, params) for row in page
            ]

        # The batches are independent requests: a few in flight at once hide the round trips (the
        # shared burst limiter still paces them); results are handed over in order.
        pool = ThreadPoolExecutor(CHILD_FETCH_THREADS, thread_name_prefix=f"{child.name}-fetch")
        try:
            for rows in pool.map(fetch, batches):
                if rows:
                    table = builder.build(
                        rows, {"_source_api": child.paginator.api}, self.context.extracted_at()
                    )
                    self.context.report.add_rows(child.name, table.num_rows)
                    yield dlt.mark.with_hints(table, hints, create_table_variant=True)
                del pending[:size]
        finally:
            pool.shutdown(cancel_futures=True)
