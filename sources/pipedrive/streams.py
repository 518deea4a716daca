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

from sources.pipedrive.arrow_tables import (
    TableBuilder,
    gather_v1_custom_fields,
    with_extracted_at,
    with_keys_not_null,
)
from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import CHILDREN, SNAPSHOT_COLUMNS, SNAPSHOT_TABLE, Child, Entity, Stream
from sources.pipedrive.errors import BudgetExhaustedError
from sources.pipedrive.reconcile import reconcile_due, upstream_ids
from sources.pipedrive.state import ResourceState
from sources.pipedrive.timestamps import instant_of, latest_in, to_rfc3339_second
from sources.pipedrive.vanished import flag_vanished
from sources.pipedrive.windows import InOrderPages, WindowedBackfill

CHILD_FETCH_THREADS = 8
PARENTS_PER_TABLE = 50
# A child row that only says "this parent has no children now"; dlt deletes, never stores, it.
TOMBSTONE = "_tombstone"
TOMBSTONE_ID = 0  # no real child has id 0
# Merge keeps the row extracted last; `is_deleted` exists on every merged table so that ids
# which vanish upstream (hard deletes) can be flagged even where the API has no such field.
MERGE_COLUMNS = {
    "_extracted_at": {"dedup_sort": "desc"},
    "is_deleted": {"data_type": "bool", "nullable": True},
}
# A snapshot is one state of a deal that a sync saw, merged on (id, update_time): a deal re-read
# unchanged (the cursor second, a refresh, a list the change probe would have skipped, a load job
# replayed after a crash) replaces its row instead of adding one, so `run` and a plain dlt
# pipeline keep the same rows. `_extracted_at` is when that state was last seen.
SNAPSHOT_KEY = ("id", "update_time")
SNAPSHOT_COLUMNS_HINTS = {"_extracted_at": {"dedup_sort": "desc", "primary_key": False}}


def active_streams(entity: Entity, context: SyncContext) -> tuple[Stream, ...]:
    if entity.name in context.v1_list_entities and entity.v1_streams:
        return entity.v1_streams
    return entity.streams


def read_entity(entity: Entity, context: SyncContext) -> Iterator[object]:
    """The body of an entity's dlt resource: its streams, then the children of the parents they
    handed over, then the rows of ids that vanished upstream, flagged. A spent budget ends it
    quietly (the pipeline then loads what was read and reports the stop); every other error
    fails the run."""
    raw_state = dlt.current.resource_state()
    earlier_run = bool(raw_state)  # False on a first run and after a full refresh
    state = ResourceState.bind(raw_state)
    try:
        builder = TableBuilder(
            entity.primary_key, entity.float_columns, entity.json_columns, state.column_types
        )
        children = ChildReader(entity, context, state, tombstones=earlier_run)
        yield from children.read(left_over=True)
        streams = active_streams(entity, context)
        plan = context.plan
        unread = [stream for stream in streams if plan is not None and not plan.reads(entity, stream)]
        whole = all(stream.read == "whole" for stream in streams)
        seen_ids: set | None = set() if whole and not unread and entity.primary_key else None
        readers = []
        for stream in streams:
            if stream in unread:
                context.progress(f"{entity.name}: {stream.path} unchanged since the last run, not read")
                continue
            readers.append(StreamReader(entity, stream, context, state, builder, children, seen_ids))
            yield from readers[-1].read()
        yield from children.read()
        present = seen_ids if not all(reader.unchanged for reader in readers) else None
        # nothing stored before this run: nothing can have vanished from it
        listable = earlier_run and not whole and entity.primary_key
        if listable and reconcile_due(entity, streams, state, context):
            present = upstream_ids(entity, streams, state, context)
        if present is not None and earlier_run:
            yield from flag_vanished(entity, present, context)
        if plan is not None:  # every change up to the probe is now loaded (or there was none)
            plan.completed(entity, raw_state, read=not unread, known_keys=seen_ids)
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
        self.unchanged = False  # read whole and equal to the last run's list
        self.first_page_at = None  # the API's clock when the first page came
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
            yield from self._flush()
            raise
        yield from self._flush(complete=True)
        if self.start is None and self.stream.read != "whole":
            # read from the start to the end: every id it has is known, as a reconciliation would
            self.state.reconciled[self.stream.key] = self.first_page_at.isoformat()
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
            self.first_page_at = self.first_page_at or self.context.client.server_now()
            rows = [gather_v1_custom_fields(row) for row in page] if self.stream.api == "v1" else page
            kept = rows if cutoff is None else [row for row in rows if instant_of(row, field) >= cutoff]
            if self.seen_ids is not None:
                self.seen_ids.update(row.get(self.entity.primary_key) for row in kept)
            yield kept
            if len(kept) < len(rows):
                return

    def _flush(self, complete: bool = False) -> Iterator[object]:
        """Hand the buffer to dlt, then move the cursor: ascending streams after every batch, as
        far as is safe; the others only once complete."""
        rows, self.buffer = self.buffer, []
        self.newest = latest_in(rows, self.entity.cursor_field, self.newest)
        self.unchanged = complete and self._unchanged(rows)
        if self.unchanged:
            self.context.progress(f"{self.entity.name}: unchanged since the last run")
        elif rows:
            yield from self._emit(rows)
        if self.newest is not None and self.stream.read != "whole":
            if complete:
                self.state.move_cursor(self.stream.key, self.newest)
            elif rows and self.ascending:
                self.state.move_cursor(self.stream.key, self.pages.safe_cursor(self.newest))

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
        yield from self.children.add_parents(table.column(self.entity.primary_key).to_pylist(), counts)


def _snapshot(table: pa.Table, context: SyncContext) -> object:
    snapshot = table.select([name for name in SNAPSHOT_COLUMNS if name in table.column_names])
    context.report.add_rows(SNAPSHOT_TABLE, snapshot.num_rows)
    return dlt.mark.with_hints(
        with_keys_not_null(snapshot, SNAPSHOT_KEY),
        dlt.mark.make_hints(
            table_name=SNAPSHOT_TABLE,
            write_disposition="merge",
            primary_key=SNAPSHOT_KEY,
            columns=SNAPSHOT_COLUMNS_HINTS,
        ),
        create_table_variant=True,
    )


class ChildReader:
    """The child tables of an entity (e.g. deal products), re-read for the parents handed to dlt
    and merged on the parent key (delete-insert): a parent's new child rows replace all its old
    ones, so children removed upstream disappear. A parent without children gets a tombstone row
    (`TOMBSTONE` true: dlt deletes its old rows and inserts nothing).

    Parents wait in resource state until their children are handed over, so a stop keeps them
    pending for the next run. A run first reads what a stopped run left pending (so a small
    budget still makes progress), then, after the entity's streams, the rest: a parent read twice
    in a run (updated while we page) is fetched once more only if it was left over; then the ids
    it had at first and no longer has get tombstones of their own, so the merge keeps only its
    latest children. Fetched `batch_size` parents per request (no N+1), a few at once."""

    def __init__(
        self, entity: Entity, context: SyncContext, state: ResourceState, tombstones: bool = True
    ) -> None:
        self.entity, self.context, self.state = entity, context, state
        self.children = [CHILDREN[name] for name in entity.children]
        self.tombstones = tombstones  # False: nothing stored yet (first run, full refresh) to delete
        # child -> parent -> child ids fetched for the left-over parents earlier in this run
        self.fetched_earlier: dict[str, dict] = {child.name: {} for child in self.children}
        learned = state.child_column_types
        for column in [key for key, kind in learned.items() if not isinstance(kind, dict)]:
            del learned[column]  # written before types were kept per child: learned again

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

    def add_parents(self, parent_ids: list, counts: dict[str, dict]) -> Iterator[object]:
        """Parents counted 0 need no request: their tombstones go out at once; the others wait."""
        for child in self.children:
            pending = self.state.pending_children.setdefault(child.name, [])
            known = set(pending)
            per_parent = counts.get(child.name, {})
            empty = [parent for parent in parent_ids if per_parent.get(parent) == 0]
            pending.extend(
                parent for parent in parent_ids if parent not in known and per_parent.get(parent) != 0
            )
            if empty and self.tombstones:
                table = self._tombstones(child, empty, {})
                yield dlt.mark.with_hints(table, child_hints(child), create_table_variant=True)

    def read(self, left_over: bool = False) -> Iterator[object]:
        """`left_over`: the parents a stopped run left pending, read first; their child ids are
        remembered for the rest of the run."""
        for child in self.children:
            pending = self.state.pending_children.get(child.name)
            if pending:
                yield from self._read(child, pending, remember=left_over)

    def _read(self, child: Child, pending: list, remember: bool) -> Iterator[object]:
        """Ids leave the pending list only after their rows (or tombstones) were handed to dlt."""
        builder = TableBuilder(
            child_key(child),
            child.float_columns,
            (),
            self.state.child_column_types.setdefault(child.name, {}),
        )
        size = 1 if child.per_parent else child.batch_size  # one parent per request: a few at once
        batches = [
            list(dict.fromkeys(pending[start : start + size])) for start in range(0, len(pending), size)
        ]
        # Per-parent requests are handed over PARENTS_PER_TABLE at a time: dlt's bookkeeping costs
        # milliseconds per table, more than a request to a fast server.
        per_table = PARENTS_PER_TABLE if child.per_parent else 1
        # The batches are independent requests: a few in flight at once hide the round trips (the
        # shared burst limiter still paces them); results are handed over in order.
        pool = ThreadPoolExecutor(CHILD_FETCH_THREADS, thread_name_prefix=f"{child.name}-fetch")
        fetched: list[tuple[list, list[dict]]] = []
        stopped: BudgetExhaustedError | None = None
        try:
            results = pool.map(lambda batch: self._fetch(child, batch), batches)
            for batch, rows in zip(batches, results, strict=True):
                fetched.append((batch, rows))
                if len(fetched) == per_table:
                    yield from self._hand_over(child, builder, fetched, remember)
                    del pending[: size * len(fetched)]
                    fetched = []
        except BudgetExhaustedError as stop:
            stopped = stop
        finally:
            pool.shutdown(cancel_futures=True)
        # the rest; on a spent budget, what was read is paid for: handed over before stopping
        yield from self._hand_over(child, builder, fetched, remember)
        del pending[: size * len(fetched)]
        if stopped:
            raise stopped

    def _hand_over(
        self, child: Child, builder: TableBuilder, fetched: list[tuple[list, list[dict]]], remember: bool
    ) -> Iterator[object]:
        """The rows of some fetched batches as one table, then tombstones for their parents without rows."""
        rows = [row for _, batch_rows in fetched for row in batch_rows]
        if rows:
            table = builder.build(rows, {"_source_api": child.paginator.api}, self.context.extracted_at())
            self.context.report.add_rows(child.name, table.num_rows)
            yield dlt.mark.with_hints(table, child_hints(child), create_table_variant=True)
        found: dict = {}
        for row in rows:
            found.setdefault(row.get(child.parent_key), set()).add(row.get(child_id_column(child)))
        if remember:
            self.fetched_earlier[child.name].update(found)
        empty = [parent for batch, _ in fetched for parent in batch if parent not in found]
        if self.tombstones:
            yield from self._maybe_tombstones(child, empty, found)

    def _fetch(self, child: Child, batch: list) -> list[dict]:
        client = self.context.client
        if not child.per_parent:
            params = dict(child.params, **{child.ids_param: ",".join(str(parent) for parent in batch)})
            return [row for page in child.paginator.pages(client, child.path, params) for row in page]
        rows = []
        for parent in batch:  # one request (chain) per parent, the id in the path
            for page in child.paginator.pages(client, child.path.format(id=parent), dict(child.params)):
                rows += [{**row, child.parent_key: parent} for row in page]
        return rows

    def _maybe_tombstones(self, child: Child, empty: list, found: dict) -> Iterator[object]:
        if empty or any(parent in self.fetched_earlier[child.name] for parent in found):
            table = self._tombstones(child, empty, found)
            if table.num_rows:
                yield dlt.mark.with_hints(table, child_hints(child), create_table_variant=True)

    def _tombstones(self, child: Child, empty: list, found: dict) -> pa.Table:
        """(parent, 0) for each parent without children, plus (parent, id) for each child id that a
        parent had when fetched earlier in this run and no longer has (those rows are in the
        same load: only a tombstone with their key keeps the merge from inserting them)."""
        earlier = self.fetched_earlier[child.name]
        pairs = [(parent, TOMBSTONE_ID) for parent in empty]
        for parent in [*empty, *found]:
            gone = earlier.pop(parent, set()) - found.get(parent, set())
            pairs += [(parent, child_id) for child_id in sorted(gone, key=str)]
        parents, ids = zip(*pairs, strict=True) if pairs else ((), ())
        table = pa.table(
            {
                child.parent_key: pa.array(list(parents)),
                child_id_column(child): pa.array(list(ids), pa.int64()),
                TOMBSTONE: pa.array([True] * len(pairs), pa.bool_()),
            }
        )
        return with_keys_not_null(with_extracted_at(table, self.context.extracted_at()), child_key(child))


def child_key(child: Child) -> tuple[str, str]:
    """What a child table is merged on: (parent, id), see `child_hints`."""
    return child.parent_key, child_id_column(child)


def child_id_column(child: Child) -> str:
    """The column that tells a parent's children apart (`id`; followers: `user_id`)."""
    keys = child.primary_key if isinstance(child.primary_key, tuple) else (child.primary_key,)
    return next(key for key in keys if key != child.parent_key)


def child_hints(child: Child):
    """Merged on the parent key with delete-insert: the rows of every parent in a load replace that
    parent's stored rows. The key (parent, id) lets DuckDB and Postgres run dlt's delete as a hash
    join (a key of `id` alone makes it `id = ... OR parent = ...`, a nested loop)."""
    return dlt.mark.make_hints(
        table_name=child.name,
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        primary_key=child_key(child),
        merge_key=child.parent_key,
        columns={**MERGE_COLUMNS, TOMBSTONE: {"data_type": "bool", "nullable": True, "hard_delete": True}},
    )
