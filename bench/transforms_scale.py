"""Time the transforms on a large synthetic account: `python -m bench.transforms_scale --deals 1000000`.

Takes simulator deals (all hostile custom fields, realistic JSON) and repeats them with new ids
until the raw deals table has the wanted size, then times run_transforms and typical queries.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
import duckdb
import orjson

from simulator.control import Simulator
from transforms.runner import run_transforms

SEED_DEALS = 2000
QUERIES = {
    "count pipedrive.deals": "select count(*) from pipedrive.deals",
    "all columns of pipedrive.deals (to Arrow)": "select * from pipedrive.deals",
    "deals per territory label": "select territory, count(*) from pipedrive.deals group by all",
    "deals_enriched by owner": "select owner_name, count(*) from pipedrive.deals_enriched group by all",
    "pipeline_funnel": "select * from pipedrive.pipeline_funnel",
    "revenue_by_month": "select * from pipedrive.revenue_by_month",
    "field_dictionary": "select * from pipedrive.field_dictionary",
}


def write_raw(con: duckdb.DuckDBPyConnection, table: str, records: list[dict], directory: Path) -> None:
    """Raw layout: nested values as JSON text, plus `_source_api`."""
    path = directory / f"{table}.jsonl"
    rows = (
        {
            key: orjson.dumps(value).decode() if isinstance(value, dict | list) else value
            for key, value in record.items()
        }
        | {"_source_api": "v2"}
        for record in records
    )
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in rows))
    con.execute(
        f"create or replace table pipedrive_raw.{table} as select * from read_json(?, sample_size = -1)",
        [str(path)],
    )


def build_account(con: duckdb.DuckDBPyConnection, deals: int, directory: Path) -> None:
    counts = {"deals": SEED_DEALS, "persons": 2000, "organizations": 1000, "activities": 100, "leads": 10}
    with Simulator.start(seed=1, counts=counts) as sim:
        con.execute("create schema if not exists pipedrive_raw")
        for entity in ("persons", "organizations", "pipelines", "stages"):
            write_raw(con, entity, sim.truth(entity), directory)
        for field_entity in ("deal_fields", "person_fields", "organization_fields", "product_fields"):
            write_raw(con, field_entity, sim.fields(field_entity), directory)
        write_raw(con, "seed_deals", sim.truth("deals"), directory)
    con.execute(
        "create or replace table pipedrive_raw.deals as"
        " select * replace (id + copy * ? as id), timestamptz '2026-01-01 00:00:00+00' as _extracted_at"
        " from pipedrive_raw.seed_deals, range(?) as copies(copy)",
        [SEED_DEALS, -(-deals // SEED_DEALS)],
    )
    con.execute("drop table pipedrive_raw.seed_deals")


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@click.command()
@click.option("--deals", default=1_000_000, show_default=True)
def main(deals: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        con = duckdb.connect(str(Path(directory) / "bench.duckdb"))
        con.execute("set enable_progress_bar = false")
        build_account(con, deals, Path(directory))
        rows = con.execute("select count(*) from pipedrive_raw.deals").fetchone()[0]
        click.echo(f"raw deals: {rows:,}")
        click.echo(f"run_transforms: {timed(lambda: run_transforms(con, None)):.2f}s")
        click.echo(
            f"run_transforms again, nothing synced since: {timed(lambda: run_transforms(con, None)):.2f}s"
        )
        con.execute("update pipedrive_raw.deals set _extracted_at = now() where id % 100 = 0")
        refresh = timed(lambda: run_transforms(con, None))
        click.echo(f"run_transforms after a sync that wrote 1% of the deals: {refresh:.2f}s")
        for label, sql in QUERIES.items():
            click.echo(f"{label}: {timed(lambda sql=sql: con.sql(sql).to_arrow_table()):.2f}s")


if __name__ == "__main__":
    main()
