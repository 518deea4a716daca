"""Deal history: every deal's `/v1/deals/{id}/changelog`, read within a token budget of its own.

Why the changelog and not `/v1/deals/{id}/flow`: it costs 20 tokens instead of 40, pages by cursor,
and gives exactly the field-level record history needs (field key, old and new value, time, user,
source); the flow mixes in activities, notes, files and mails (more pages per deal) and gives field
changes no better. No bulk or "since" variant exists, so the work list is kept small instead:

- which deals to read comes from the caller (`pipelines.history`): deals whose history was never
  read (the backfill), then deals whose `update_time` moved since it was read, newest-changed first;
- `budget_tokens` caps what one run spends (None: no daily limit known, read everything);
- every deal read yields its changes and one `deal_history_reads` row (the deal's `update_time`
  when read), so a stop at any point resumes with the deals not yet read.

Changes carry no id in the API: `id` is a digest of the deal and the whole entry, so a page read
twice (a replayed load, a re-read after a later change) merges onto the same rows.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import dlt
import orjson
import pyarrow as pa

from shared.deal_history import CHANGELOG_COST, CHANGES_TABLE, READS_TABLE
from sources.pipedrive.arrow_tables import with_keys_not_null
from sources.pipedrive.context import SyncContext
from sources.pipedrive.errors import BudgetExhaustedError

SOURCE_NAME = "pipedrive_history"
CHANGELOG_PATH = "/v1/deals/{id}/changelog"
PAGE_LIMIT = 500
FETCH_THREADS = 8
DEALS_PER_TABLE = 200
CHANGE_COLUMNS = (
    ("field_key", pa.string()),
    ("old_value", pa.string()),
    ("new_value", pa.string()),
    ("actor_user_id", pa.int64()),
    ("time", pa.string()),
    ("change_source", pa.string()),
    ("change_source_user_agent", pa.string()),
    ("is_bulk_update_flag", pa.bool_()),
)
EXTRACTED_AT = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class DealToRead:
    deal_id: int
    update_time: str | None  # the deal's update_time as stored: read again once it moves


def change_id(deal_id: int, entry: dict) -> str:
    """Stable key of one changelog entry (the API gives none)."""
    payload = orjson.dumps([deal_id, *(entry.get(name) for name, _ in CHANGE_COLUMNS)])
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def affordable(deals: Sequence[DealToRead], budget_tokens: int | None) -> list[DealToRead]:
    """The deals one run can read: one changelog page each (most deals have one)."""
    if budget_tokens is None:
        return list(deals)
    return list(deals[: max(0, budget_tokens // CHANGELOG_COST)])


def history_source(context: SyncContext, deals: Sequence[DealToRead], budget_tokens: int | None):
    """A dlt source of its own (own schema): a `--full-refresh` of the entity tables leaves the
    history, which Pipedrive keeps but our reads cannot cheaply rebuild, alone."""

    @dlt.source(name=SOURCE_NAME, max_table_nesting=0)
    def pipedrive_history():
        return [
            dlt.resource(
                lambda: read_history(context, affordable(deals, budget_tokens), budget_tokens),
                name=CHANGES_TABLE,
                write_disposition="merge",
                primary_key="id",
            )
        ]

    return pipedrive_history()


def read_history(
    context: SyncContext, deals: Sequence[DealToRead], budget_tokens: int | None
) -> Iterator[object]:
    """Changelogs of `deals`, in order, a few requests in flight; pages beyond a deal's first are
    paid from what is left of the budget. A spent budget (ours or Pipedrive's) ends the read
    quietly: what was read is handed over with its `deal_history_reads` rows."""
    spent = [0]
    lock = threading.Lock()

    def within_budget(cost: int) -> bool:
        with lock:
            if budget_tokens is None or spent[0] + cost <= budget_tokens:
                spent[0] += cost
                return True
            return False

    pool = ThreadPoolExecutor(FETCH_THREADS, thread_name_prefix="deal-changelog")
    changes: list[tuple[int, dict]] = []
    reads: list[DealToRead] = []
    try:
        logs = pool.map(lambda deal: _changelog(context, deal, within_budget), deals)
        for deal, entries in zip(deals, logs, strict=True):
            if entries is None:  # its later pages did not fit the budget: read it next run
                continue
            changes.extend((deal.deal_id, entry) for entry in entries)
            reads.append(deal)
            if len(reads) >= DEALS_PER_TABLE:
                yield from _tables(context, changes, reads)
                changes, reads = [], []
    except BudgetExhaustedError as stop:
        context.progress(f"deal history: stopped ({stop})")
    finally:
        pool.shutdown(cancel_futures=True)
    if reads:
        yield from _tables(context, changes, reads)
    context.progress(f"deal history: {context.report.rows.get(READS_TABLE, 0)} deals read")


def _changelog(
    context: SyncContext, deal: DealToRead, within_budget: Callable[[int], bool]
) -> list[dict] | None:
    """Every entry of one deal's changelog (newest first), or None when the budget ran out."""
    path = CHANGELOG_PATH.format(id=deal.deal_id)
    entries: list[dict] = []
    cursor = None
    while True:
        if not within_budget(CHANGELOG_COST):
            return None
        params = {"limit": PAGE_LIMIT, **({"cursor": cursor} if cursor else {})}
        body = context.client.get_json(path, params)
        entries.extend(body.get("data") or [])
        cursor = (body.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return entries


def _tables(
    context: SyncContext, changes: list[tuple[int, dict]], reads: list[DealToRead]
) -> Iterator[object]:
    stamp = context.extracted_at()
    if changes:
        columns = {
            "id": pa.array([change_id(deal_id, entry) for deal_id, entry in changes], pa.string()),
            "deal_id": pa.array([deal_id for deal_id, _ in changes], pa.int64()),
        }
        for name, kind in CHANGE_COLUMNS:
            columns[name] = pa.array([_value(entry.get(name), kind) for _, entry in changes], kind)
        columns["_extracted_at"] = pa.array([stamp] * len(changes), EXTRACTED_AT)
        context.report.add_rows(CHANGES_TABLE, len(changes))
        yield with_keys_not_null(pa.table(columns), ("id",))
    read_rows = with_keys_not_null(
        pa.table(
            {
                "deal_id": pa.array([deal.deal_id for deal in reads], pa.int64()),
                "deal_update_time": pa.array([deal.update_time for deal in reads], pa.string()),
                "_extracted_at": pa.array([stamp] * len(reads), EXTRACTED_AT),
            }
        ),
        ("deal_id",),
    )
    context.report.add_rows(READS_TABLE, len(reads))
    yield dlt.mark.with_hints(
        read_rows,
        dlt.mark.make_hints(table_name=READS_TABLE, write_disposition="merge", primary_key="deal_id"),
        create_table_variant=True,
    )


def _value(value, kind: pa.DataType):
    if value is None:
        return None
    if kind == pa.string() and not isinstance(value, str):
        return orjson.dumps(value).decode() if isinstance(value, (dict, list)) else str(value)
    if kind == pa.int64():
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    return value
