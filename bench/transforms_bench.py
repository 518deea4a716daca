"""Scenario 6 helper: grow a synced database to N deals inside DuckDB, then time the transforms
and a full read of every view they build (views are lazy: reading them is the real cost)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from shared.warehouse import RAW_SCHEMA as RAW
from transforms import run_transforms

# table -> id columns that must move with the copy (deal ids move by the deals' offset)
REPLICATED = {"deals": ("id",), "deal_snapshots": ("id",), "deal_products": ("id", "deal_id")}


def grow_deals(con: duckdb.DuckDBPyConnection, target_deals: int) -> int:
    """Copy the raw deal tables with shifted ids until `deals` has about `target_deals` rows."""
    seed_rows, deal_offset = con.execute(f"select count(*), max(id) + 1 from {RAW}.deals").fetchone()
    copies = -(-target_deals // seed_rows)
    for table, id_columns in REPLICATED.items():
        if not con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [RAW, table],
        ).fetchone()[0]:
            continue
        (own_offset,) = con.execute(f"select coalesce(max(id), 0) + 1 from {RAW}.{table}").fetchone()
        # Deal ids (deals.id, deal_snapshots.id, deal_products.deal_id) shift together.
        offsets = {column: deal_offset for column in id_columns}
        if table == "deal_products":
            offsets["id"] = own_offset
        shifts = ", ".join(f"s.{column} + r.k * {offset} as {column}" for column, offset in offsets.items())
        con.execute(f"create temp table seed_{table} as select * from {RAW}.{table}")
        con.execute(
            f"insert into {RAW}.{table} select s.* replace ({shifts}) "
            f"from seed_{table} s, range(1, {copies}) r(k)"
        )
        con.execute(f"drop table seed_{table}")
    return con.execute(f"select count(*) from {RAW}.deals").fetchone()[0]


def measure_transforms(duckdb_path: Path, target_deals: int) -> dict:
    with duckdb.connect(str(duckdb_path)) as con:
        deals = grow_deals(con, target_deals)
        started = time.perf_counter()
        result = run_transforms(con, column_names_path=None)
        build_s = time.perf_counter() - started
        per_view = {}
        for view in result.views:
            started = time.perf_counter()
            con.execute(f'create or replace temp table probe as select * from pipedrive."{view}"')
            per_view[view] = time.perf_counter() - started
        con.execute("drop table if exists probe")
    slowest = max(per_view, key=per_view.get)
    return {
        "deals": deals,
        "build_s": build_s,
        "read_s": sum(per_view.values()),
        "views": len(per_view),
        "slowest": slowest,
        "slowest_s": per_view[slowest],
    }
