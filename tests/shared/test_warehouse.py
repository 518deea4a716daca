"""shared.warehouse: the raw tables' freshness that `status` and the report show."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

from shared.warehouse import raw_table_stats


def test_raw_table_stats_count_rows_and_last_extraction_without_dlts_tables(tmp_path):
    # catalog `pipedrive`, like a schema: the stats qualify every table with the catalog
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb")) as con:
        con.execute("create schema pipedrive_raw")
        con.execute("create table pipedrive_raw.deals (id bigint, _extracted_at timestamptz)")
        con.execute(
            "insert into pipedrive_raw.deals values"
            " (1, '2026-11-30 10:00:00+00'), (2, '2026-12-01 09:30:00+00')"
        )
        con.execute("create table pipedrive_raw.currencies (id bigint)")
        con.execute("create table pipedrive_raw._dlt_loads (load_id varchar)")
        stats = raw_table_stats(con)
    assert stats == [
        ("currencies", 0, None),
        ("deals", 2, datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)),
    ]
