"""`--destination postgres` against a real PostgreSQL server: the same correctness checks as DuckDB
(full sync equals the simulator's truth, incremental runs converge), and the transforms' tables in
Postgres equal the ones DuckDB builds from the same account."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import duckdb
import psycopg2
import psycopg2.extras
import pytest

from pipelines.sync import run_sync
from simulator.control import Simulator
from tests.sync import helpers
from tests.sync.helpers import FAST_RETRY, assert_matches_truth
from transforms.postgres import PublishError, run_transforms_in_postgres
from transforms.runner import run_transforms

COUNTS = {"deals": 250, "persons": 120, "activities": 200, "deal_products": 200, "leads": 40}


@pytest.fixture
def sim():
    with Simulator.start(seed=5, counts=COUNTS) as simulator:
        yield simulator


@pytest.fixture
def postgres(postgres_dsn, monkeypatch):
    """The test's database as the sync's destination, and as what the truth checks read."""
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_dsn)
    monkeypatch.setattr(helpers, "raw_rows", lambda tmp_path, table: postgres_rows(postgres_dsn, table))
    monkeypatch.setattr(helpers, "table_exists", lambda tmp_path, table: postgres_has(postgres_dsn, table))
    return postgres_dsn


def sync_into_postgres(sim, tmp_path, **options):
    return run_sync(
        base_url=sim.base_url,
        api_token=sim.token,
        duckdb_path=tmp_path / "pipedrive.duckdb",
        pipelines_dir=tmp_path / "state",
        retry=FAST_RETRY,
        destination="postgres",
        **options,
    )


def postgres_rows(dsn: str, table: str, schema: str = "pipedrive_raw") -> list[dict]:
    with psycopg2.connect(dsn) as con, con.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
        cursor.execute(f'select * from {schema}."{table}"')
        return [dict(row) for row in cursor.fetchall()]


def postgres_has(dsn: str, table: str) -> bool:
    with psycopg2.connect(dsn) as con, con.cursor() as cursor:
        cursor.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'pipedrive_raw' and table_name = %s",
            [table],
        )
        return cursor.fetchone()[0] == 1


def test_full_sync_into_postgres_equals_truth(sim, postgres, tmp_path):
    result = sync_into_postgres(sim, tmp_path)
    assert result.complete
    assert result.rows_per_table["deals"] == sim.count("deals")
    assert_matches_truth(sim, tmp_path)
    assert not (tmp_path / "pipedrive.duckdb").exists()  # nothing went to DuckDB


def test_incremental_sync_into_postgres_converges(sim, postgres, tmp_path):
    assert sync_into_postgres(sim, tmp_path).complete
    sim.advance(3600)
    deals = [deal for deal in sim.truth("deals", include_deleted=False) if not deal["is_archived"]]
    for deal in deals[:5]:
        sim.update("deals", deal["id"], {"title": deal["title"] + " (renegotiated)", "value": 999.5})
    sim.create("deals", {"title": "Brand new", "value": 42})
    sim.create("persons", {"name": "Ada Newcomer"})
    sim.delete("deals", deals[5]["id"])
    sim.archive("deals", deals[6]["id"])
    attachment = next(
        row for row in sim.truth("deal_products") if row["deal_id"] not in {d["id"] for d in deals[:7]}
    )
    sim.delete("deal_products", attachment["id"])
    sim.update("deals", attachment["deal_id"], {"title": "Products changed"})
    field = sim.add_field("deal_fields", "Renewal date", "date")
    sim.update("deals", deals[8]["id"], {"custom_fields": {field["field_code"]: "2026-07-01"}})
    sim.reset_stats()

    result = sync_into_postgres(sim, tmp_path)

    assert result.complete
    assert_matches_truth(sim, tmp_path)
    assert sim.stats["endpoints"]["GET /api/v2/deals"]["requests"] == 1  # changed rows only
    assert result.rows_per_table["deals"] < 20


def test_transforms_in_postgres_equal_the_duckdb_transforms(sim, postgres, tmp_path):
    assert sync_into_postgres(sim, tmp_path / "pg").complete
    reference = tmp_path / "reference.duckdb"
    assert run_sync(
        base_url=sim.base_url, api_token=sim.token, duckdb_path=reference, retry=FAST_RETRY
    ).complete
    in_duckdb = run_transforms(reference, None)

    in_postgres = run_transforms_in_postgres(postgres, None)
    run_transforms_in_postgres(postgres, None)  # a second run replaces the tables

    assert in_postgres.views == in_duckdb.views
    assert {"pipeline_funnel", "revenue_by_month", "deals_enriched", "field_dictionary"} <= set(
        in_postgres.views
    )
    with duckdb.connect(str(reference), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for view in in_duckdb.views:
            expected = con.sql(f'select * from pipedrive."{view}"').to_arrow_table().to_pylist()
            published = postgres_rows(postgres, view, schema="pipedrive")
            if view == "sync_runs":  # two different runs: the same columns, each its own numbers
                assert [sorted(row) for row in published] == [sorted(row) for row in expected]
                continue
            assert canonical(published) == canonical(expected), view


def canonical(rows: list[dict]) -> list[str]:
    """Rows as sorted JSON text, with values that mean the same written the same way."""
    return sorted(
        json.dumps({key: plain(value) for key, value in row.items()}, sort_keys=True) for row in rows
    )


def plain(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, Decimal):
        return round(float(value), 9)
    if isinstance(value, datetime):
        return value.isoformat() if value.tzinfo is None else value.timestamp()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value if value is None or isinstance(value, (int, str, bool)) else str(value)


def test_a_view_of_yours_on_the_tables_makes_the_publish_fail_and_keeps_the_previous_tables(
    sim, postgres, tmp_path
):
    assert sync_into_postgres(sim, tmp_path).complete
    run_transforms_in_postgres(postgres, None)
    deal = sim.truth("deals", include_deleted=False)[0]
    with psycopg2.connect(postgres) as con, con.cursor() as cursor:
        cursor.execute("create schema analytics")
        cursor.execute(
            "create view analytics.big_deals as select id, title from pipedrive.deals where value > 0"
        )
    sim.advance(60)
    sim.update("deals", deal["id"], {"title": "Renamed after the view"})
    assert sync_into_postgres(sim, tmp_path).complete

    with pytest.raises(PublishError, match="depend on them"):
        run_transforms_in_postgres(postgres, None)

    published = {row["id"]: row["title"] for row in postgres_rows(postgres, "deals", schema="pipedrive")}
    assert published[deal["id"]] == deal["title"]  # rolled back: the previous tables are intact
    assert postgres_rows(postgres, "big_deals", schema="analytics")  # and so is the view
