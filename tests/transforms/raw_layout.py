"""Write API records into DuckDB in the raw layout of docs/ARCHITECTURE.md, as the sync does.

Lets the transform tests start from any records (simulator truth in v1 or v2 shape, or
hand-written ones) without running a sync.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}(_[a-z0-9_]+)?$")


def raw_row(record: dict, source_api: str) -> dict:
    """One raw row: nested values as JSON text; v1 hash keys gathered into a flat `custom_fields` map."""
    row: dict = {}
    custom: dict = {}
    for key, value in record.items():
        if source_api == "v1" and CUSTOM_KEY.match(key):
            custom[key] = value
        elif key == "custom_fields" and source_api == "v1":
            custom.update(value or {})
        else:
            row[key] = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value
    if source_api == "v1" and (custom or "custom_fields" in record):
        row["custom_fields"] = json.dumps(custom, ensure_ascii=False)
    row["_source_api"] = source_api
    return row


def write_raw_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    records: list[dict],
    source_api: str = "v2",
    tmp_dir: Path | None = None,
    extra: dict | None = None,
) -> None:
    """Replace pipedrive_raw.<table> with the records; column types inferred from the JSON values."""
    con.execute("create schema if not exists pipedrive_raw")
    rows = [{**raw_row(record, source_api), **(extra or {})} for record in records]
    if not rows:
        con.execute(f"create or replace table pipedrive_raw.{table} (_source_api varchar)")
        return
    path = Path(tmp_dir or ".") / f"raw_{table}.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    con.execute(
        f"create or replace table pipedrive_raw.{table} as "
        f"select * from read_json(?, format = 'newline_delimited', sample_size = -1)",
        [str(path)],
    )
    path.unlink()
