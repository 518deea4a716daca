"""`pipedrive_raw.sync_runs`: one row per run (start, end, outcome, rows per entity, requests, tokens
spent and left today), where analysts, dashboards, `status` and the report see it.

dlt stays the only writer of `pipedrive_raw`: a run's row is a tiny dlt resource extracted after
the entities, so it is loaded in the same load step as the data it describes. A run that fails
before its row can be loaded (an error from the API, a broken load) appends its row to a small
JSON-lines file next to the database instead (`<database>.runs-pending.jsonl`); the next run loads
those rows first, and `status` shows them meanwhile. Rows are merged on `run_id`, so a failed
run's row replaces the row its interrupted load package may still carry.

In `shared/` because the sync writes these rows and `status` and the report read them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from shared.warehouse import RAW_SCHEMA

RUNS_TABLE = "sync_runs"
COMPLETE, STOPPED, FAILED = "complete", "stopped", "failed"
# Every column declared, so that none is missing while it has only been null.
RUN_COLUMNS = {
    "run_id": {"data_type": "text", "nullable": False},
    "started_at": {"data_type": "timestamp", "nullable": False},
    "ended_at": {"data_type": "timestamp", "nullable": True},
    "outcome": {"data_type": "text", "nullable": False},
    "message": {"data_type": "text", "nullable": True},
    "rows_per_entity": {"data_type": "text", "nullable": True},  # JSON object, entity -> rows
    "rows": {"data_type": "bigint", "nullable": True},
    "requests": {"data_type": "bigint", "nullable": True},
    "tokens": {"data_type": "bigint", "nullable": True},
    "tokens_left_today": {"data_type": "bigint", "nullable": True},
    "entities_skipped": {"data_type": "text", "nullable": True},  # JSON array: unchanged, not read
    "full_refresh": {"data_type": "bool", "nullable": True},
    "resources": {"data_type": "text", "nullable": True},  # comma list when --resources chose some
}


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunRecord:
    started_at: datetime
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ended_at: datetime | None = None
    outcome: str = COMPLETE
    message: str = ""
    rows_per_entity: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    tokens: int = 0
    tokens_left_today: int | None = None
    entities_skipped: list[str] = field(default_factory=list)
    full_refresh: bool = False
    resources: list[str] | None = None

    def finish(self, outcome: str, message: str, usage, tokens_left_today: int | None, rows: dict) -> None:
        self.ended_at = utc_now()
        self.outcome, self.message = outcome, message
        self.requests, self.tokens = usage.total_requests, usage.total_tokens
        self.tokens_left_today = tokens_left_today
        self.rows_per_entity = dict(sorted(rows.items()))

    def as_row(self) -> dict:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome,
            "message": self.message or None,
            "rows_per_entity": json.dumps(self.rows_per_entity),
            "rows": sum(self.rows_per_entity.values()),
            "requests": self.requests,
            "tokens": self.tokens,
            "tokens_left_today": self.tokens_left_today,
            "entities_skipped": json.dumps(sorted(self.entities_skipped)),
            "full_refresh": self.full_refresh,
            "resources": ",".join(self.resources) if self.resources else None,
        }

    def to_json(self) -> str:
        data = asdict(self)
        for name in ("started_at", "ended_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        data = json.loads(text)
        for name in ("started_at", "ended_at"):
            data[name] = datetime.fromisoformat(data[name]) if data[name] else None
        return cls(**data)


def pending_runs_path(duckdb_path: str | Path) -> Path:
    path = Path(duckdb_path).resolve()
    return path.with_name(path.name + ".runs-pending.jsonl")


def pending_runs(duckdb_path: str | Path) -> list[RunRecord]:
    """Rows of runs whose own load did not happen (oldest first); unreadable lines are skipped."""
    path = pending_runs_path(duckdb_path)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(RunRecord.from_json(line))
        except (ValueError, TypeError, KeyError):
            continue
    return records


def keep_pending(duckdb_path: str | Path, record: RunRecord) -> None:
    """Called under the sync lock, so appends never interleave."""
    path = pending_runs_path(duckdb_path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(record.to_json() + "\n")


def forget_pending(duckdb_path: str | Path, loaded: list[RunRecord]) -> None:
    """Drop the pending rows that were just loaded (and only those)."""
    path = pending_runs_path(duckdb_path)
    loaded_ids = {record.run_id for record in loaded}
    left = [record for record in pending_runs(duckdb_path) if record.run_id not in loaded_ids]
    if left:
        path.write_text("".join(record.to_json() + "\n" for record in left), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def runs_resource(records: list[RunRecord]):
    """The dlt resource holding these rows (dlt imported here: callers of the rest stay light)."""
    import dlt

    return dlt.resource(
        [record.as_row() for record in records],
        name=RUNS_TABLE,
        write_disposition="merge",
        primary_key="run_id",
        columns=RUN_COLUMNS,
    )


@dataclass(frozen=True)
class RunSummary:
    """One run as `status` and the report show it."""

    run_id: str
    started_at: datetime
    ended_at: datetime | None
    outcome: str
    message: str
    rows: int
    requests: int
    tokens: int
    tokens_left_today: int | None
    loaded: bool  # False: only in the pending file so far


@dataclass(frozen=True)
class TodaysSpend:
    day: str  # YYYY-MM-DD, UTC (Pipedrive's budget resets at midnight UTC)
    runs: int
    tokens: int
    tokens_left: int | None  # the account's, as the last run of the day saw it


def recent_runs(con, duckdb_path: str | Path, schema: str = RAW_SCHEMA, limit: int = 10) -> list[RunSummary]:
    """The last runs, newest first: the loaded rows of `<schema>.sync_runs` (read on `con`, a DuckDB
    connection) and, given the database's path, the pending ones of failed runs."""
    return _runs(con, duckdb_path, schema, limit=limit)


def todays_spend(
    con, duckdb_path: str | Path, schema: str = RAW_SCHEMA, now: datetime | None = None
) -> TodaysSpend:
    """Tokens this database's runs spent since midnight UTC (when Pipedrive's budget resets), and the
    account's tokens left as the latest of them saw it. Reads today's rows only: a database synced
    every few minutes for a year holds tens of thousands of runs."""
    day = (now or utc_now()).astimezone(timezone.utc).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    runs = _runs(con, duckdb_path, schema, day=(midnight, midnight + timedelta(days=1)))
    left = next((run.tokens_left_today for run in runs if run.tokens_left_today is not None), None)
    return TodaysSpend(day.isoformat(), len(runs), sum(run.tokens for run in runs), left)


def _runs(
    con,
    duckdb_path: str | Path,
    schema: str,
    limit: int | None = None,
    day: tuple[datetime, datetime] | None = None,
) -> list[RunSummary]:
    """Runs newest first, loaded and pending: at most `limit`, or those started within `day` (UTC)."""
    loaded = []
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
        " and table_catalog = current_database()",
        [schema, RUNS_TABLE],
    ).fetchone()[0]
    if exists:
        within = "where started_at >= ? and started_at < ?" if day else ""
        rows = con.execute(
            "select run_id, started_at, ended_at, outcome, coalesce(message, ''), coalesce(rows, 0),"
            " coalesce(requests, 0), coalesce(tokens, 0), tokens_left_today"
            f' from "{schema}"."{RUNS_TABLE}" {within} order by started_at desc limit ?',
            [*(day or ()), limit],
        ).fetchall()
        loaded = [RunSummary(*row, loaded=True) for row in rows]
    known = {run.run_id for run in loaded}
    pending = [
        RunSummary(
            record.run_id, record.started_at, record.ended_at, record.outcome, record.message,
            sum(record.rows_per_entity.values()), record.requests, record.tokens, record.tokens_left_today,
            loaded=False,
        )
        for record in (pending_runs(duckdb_path) if duckdb_path else ())
        if record.run_id not in known and (day is None or day[0] <= _utc(record.started_at) < day[1])
    ]  # fmt: skip
    runs = sorted([*loaded, *pending], key=lambda run: _utc(run.started_at), reverse=True)
    return runs[:limit]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
