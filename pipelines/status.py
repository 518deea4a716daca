"""What `pipedrive-sync status` reports: last loads, rows per table, cursors, freshness."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.sync import DATASET, open_pipeline
from sources.pipedrive.state import resource_states


@dataclass
class TableStatus:
    name: str
    rows: int
    last_extracted_at: object


def read_status(duckdb_path: str | Path, pipelines_dir: str | Path | None = None) -> dict:
    """Loads, tables and cursors of one database (read-only; the database must exist)."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\' ORDER BY table_name",
                [DATASET],
            ).fetchall()
        ]
        table_status = []
        for table in tables:
            has_stamp = con.execute(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "AND column_name = '_extracted_at'",
                [DATASET, table],
            ).fetchone()[0]
            stamp = "max(_extracted_at)" if has_stamp else "NULL"
            rows, last = con.execute(f'SELECT count(*), {stamp} FROM {DATASET}."{table}"').fetchone()
            table_status.append(TableStatus(table, rows, last))
        loads = con.execute(
            f"SELECT load_id, status, inserted_at FROM {DATASET}._dlt_loads ORDER BY inserted_at DESC LIMIT 5"
        ).fetchall()
    pipeline = open_pipeline(duckdb_path, pipelines_dir)
    cursors = {
        f"{entity} {stream}": cursor
        for entity, state in sorted(resource_states(pipeline.state).items())
        for stream, cursor in sorted(state.cursors.items())
    }
    return {"tables": table_status, "loads": loads, "cursors": cursors}
