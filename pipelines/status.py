"""What `pipedrive-sync status` reports: the account, the last run (tokens used), how far the deal
history backfill is, rows per entity, where each entity's next run starts, and dlt's last loads, in
words and relative times."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pipelines.account import ACCOUNT_KEY
from pipelines.state_file import read_pipeline_state
from shared.deal_history import HistoryProgress, describe, history_progress
from shared.run_log import RunSummary, TodaysSpend, recent_runs, todays_spend
from shared.warehouse import RAW_SCHEMA as DATASET
from shared.warehouse import (
    DatabaseFileError,
    check_existing_database,
    is_lock_conflict,
    not_duckdb,
    raw_table_stats,
)
from sources.pipedrive.entities import ENTITIES
from sources.pipedrive.state import SOURCE_NAME, resource_states

try:
    # DuckDB's engine alone (its C extension, which `duckdb` re-exports): status only runs SQL, and
    # `import duckdb` adds its Python relation API and a package-metadata lookup, about 100 ms of the
    # 0.3 s a prompt command may take. Connections and errors are the same classes either way.
    import _duckdb as duckdb
except ImportError:  # pragma: no cover - a DuckDB packaged without the split
    import duckdb

DLT_LOADS_TABLE = "_dlt_loads"
LAST_RUNS = 5


@dataclass
class TableStatus:
    name: str
    rows: int
    last_extracted_at: datetime | None


@dataclass
class CursorStatus:
    label: str  # entity name, e.g. "deals (archived)"
    position: datetime | str


@dataclass
class StatusReport:
    tables: list[TableStatus] = field(default_factory=list)
    loads: list[tuple] = field(default_factory=list)  # (load_id, status, inserted_at)
    cursors: list[CursorStatus] = field(default_factory=list)
    last_run: RunSummary | None = None
    runs: list[RunSummary] = field(default_factory=list)  # the last few, newest first
    spend: TodaysSpend | None = None  # this database's runs since midnight UTC
    account: dict | None = None
    deal_history: HistoryProgress | None = None  # how far the history backfill is (None: no deals)


def read_status(duckdb_path: str | Path, pipelines_dir: str | Path | None = None) -> StatusReport:
    """The report of one database, read-only. Raises DatabaseFileError with a hint when there is no
    database, no synced data yet, or a sync is writing it right now."""
    check_existing_database(duckdb_path, open_it=False)  # opened once, here
    report = StatusReport()
    try:
        con = duckdb.connect(str(duckdb_path), read_only=True)
    except duckdb.Error as error:
        raise _busy(duckdb_path) if is_lock_conflict(error) else not_duckdb(duckdb_path, error) from None
    try:
        with con:
            if not _table_exists(con, DLT_LOADS_TABLE):
                raise DatabaseFileError(
                    f"{duckdb_path} holds no synced data yet; run: pipedrive-sync run --duckdb {duckdb_path}"
                )
            report.tables = _tables(con)
            report.runs = recent_runs(con, duckdb_path, limit=LAST_RUNS)
            report.last_run = next(iter(report.runs), None)
            report.spend = todays_spend(con, duckdb_path)
            report.deal_history = history_progress(con)
            report.loads = con.execute(
                f"SELECT load_id, status, inserted_at FROM {DATASET}.{DLT_LOADS_TABLE} "
                "ORDER BY inserted_at DESC LIMIT 5"
            ).fetchall()
    except duckdb.Error as error:
        if not is_lock_conflict(error):
            raise
        raise _busy(duckdb_path) from None
    pipeline_state = read_pipeline_state(duckdb_path, pipelines_dir)  # no dlt import: a fast status
    source_state = pipeline_state.get("sources", {}).get(SOURCE_NAME, {})
    report.cursors = _cursors(resource_states(pipeline_state))
    report.account = source_state.get(ACCOUNT_KEY)
    return report


def _table_exists(con, table: str) -> bool:
    query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
    return con.execute(query, [DATASET, table]).fetchone()[0] > 0


def _tables(con) -> list[TableStatus]:
    return [TableStatus(*row) for row in raw_table_stats(con)]


def stream_labels() -> dict[str, str]:
    """Stream key (as stored with its cursor) -> a name a user recognises: `deals (archived)`."""
    labels = {}
    for entity in ENTITIES:
        for streams, via in ((entity.streams, ""), (entity.v1_streams, ", v1 list")):
            for stream in streams:
                archived = ", archived" if stream.archived else ""
                detail = f"{archived}{via}".lstrip(", ")
                labels[stream.key] = f"{entity.name} ({detail})" if detail else entity.name
    return labels


def _busy(duckdb_path: str | Path) -> DatabaseFileError:
    return DatabaseFileError(
        f"A sync is writing {duckdb_path} right now (DuckDB lets nobody read while a process writes); "
        "run status again when it has finished."
    )


def _cursors(states: dict) -> list[CursorStatus]:
    labels = stream_labels()
    cursors = []
    for entity, state in sorted(states.items()):
        for key in sorted(state.cursors):
            try:
                position: datetime | str = state.cursor(key)
            except (TypeError, ValueError):
                position = str(state.cursors[key])
            cursors.append(CursorStatus(labels.get(key, f"{entity} {key}"), position))
    return cursors


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'just now', '3 min ago', '5 h ago', '2 days ago' ('-' when never)."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    if seconds < 60:
        return "just now" if seconds > -60 else "in the future"
    for unit_s, unit in ((86_400, "days"), (3_600, "h"), (60, "min")):
        if seconds >= unit_s:
            count = int(seconds // unit_s)
            return f"{count} {'day' if unit == 'days' and count == 1 else unit} ago"
    return "just now"  # pragma: no cover


def report_lines(report: StatusReport, now: datetime | None = None) -> list[str]:
    return [
        *_account_and_runs(report, now),
        *_table_lines(report, now),
        *_cursor_lines(report, now),
        *_load_lines(report, now),
    ]


def _account_and_runs(report: StatusReport, now: datetime | None) -> list[str]:
    lines = []
    if report.account:
        lines.append(f"Account: {report.account.get('domain')} (company id {report.account.get('id')})")
    run = report.last_run
    if run:
        ended = run.ended_at or run.started_at
        lines.append(
            f"Last run: {ago(ended, now)} ({ended:%Y-%m-%d %H:%M} UTC), {run.outcome}: {run.rows:,} rows, "
            f"{run.requests:,} requests, {run.tokens:,} API tokens used"
        )
    if report.runs:
        lines.append("Last runs (UTC):")
        lines += [_run_line(earlier) for earlier in report.runs]
    if report.spend:
        spend = report.spend
        left = f"; the account had {spend.tokens_left:,} left" if spend.tokens_left is not None else ""
        lines.append(f"Today ({spend.day} UTC): {spend.runs} runs spent {spend.tokens:,} API tokens{left}.")
    if report.deal_history:
        shown = describe(report.deal_history)
        lines.append(shown[0].upper() + shown[1:])
    return lines


def _run_line(run) -> str:
    seconds = (run.ended_at - run.started_at).total_seconds() if run.ended_at else None
    left = f", {run.tokens_left_today:,} left today" if run.tokens_left_today is not None else ""
    shown = f"{seconds:.1f} s" if seconds is not None else "-"
    pending = "" if run.loaded else " (row not loaded yet)"
    return (
        f"  {run.started_at:%Y-%m-%d %H:%M:%S}  {run.outcome:<8} {shown:>8}"
        f"  {run.rows:>9,} rows  {run.requests:>5,} requests  {run.tokens:>6,} tokens"
        f"{left}{pending}"
    )


def _table_lines(report: StatusReport, now: datetime | None) -> list[str]:
    lines = ["Tables (rows, last extracted):"]
    width = max((len(table.name) for table in report.tables), default=10)
    for table in report.tables:
        extracted = ""
        if table.last_extracted_at:
            extracted = f"{ago(table.last_extracted_at, now)} ({table.last_extracted_at:%Y-%m-%d %H:%M} UTC)"
        lines.append(f"  {table.name:<{width}} {table.rows:>10,}  {extracted or '-'}")
    return lines


def _cursor_lines(report: StatusReport, now: datetime | None) -> list[str]:
    lines = ["Next run reads changes from (inclusive):"]
    width = max((len(cursor.label) for cursor in report.cursors), default=10)
    for cursor in report.cursors:
        if isinstance(cursor.position, datetime):
            shown = f"{cursor.position:%Y-%m-%d %H:%M:%S} UTC ({ago(cursor.position, now)})"
        else:
            shown = cursor.position
        lines.append(f"  {cursor.label:<{width}} {shown}")
    return lines


def _load_lines(report: StatusReport, now: datetime | None) -> list[str]:
    lines = ["Last loads:"]
    for load_id, load_status, inserted_at in report.loads:
        state = "loaded" if load_status == 0 else f"status {load_status}"
        when = f"{inserted_at:%Y-%m-%d %H:%M:%S} UTC"
        lines.append(f"  {ago(inserted_at, now):<12} {when}  load {load_id} {state}")
    return lines
