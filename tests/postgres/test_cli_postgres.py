"""`pipedrive-sync run --destination postgres`: credentials from dlt's env variable, raw tables and
the transforms' tables land in Postgres."""

from __future__ import annotations

import psycopg2
from click.testing import CliRunner

from pipelines.cli import main
from simulator.control import Simulator


def test_run_with_postgres_destination_loads_and_transforms(postgres_dsn, tmp_path, monkeypatch):
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_dsn)
    with Simulator.start(seed=8, counts={"deals": 150}) as sim:
        monkeypatch.setenv("PIPEDRIVE_API_TOKEN", sim.token)
        arguments = ["run", "--destination", "postgres", "--base-url", sim.base_url]
        arguments += ["--duckdb", str(tmp_path / "unused.duckdb")]
        outcome = CliRunner().invoke(main, arguments)
        open_deals = sum(1 for deal in sim.truth("deals", include_deleted=False) if deal["status"] == "open")
    assert outcome.exit_code == 0, outcome.output
    assert "tables in Postgres schema pipedrive" in outcome.output
    assert sim.token not in outcome.output
    with psycopg2.connect(postgres_dsn) as con, con.cursor() as cursor:
        cursor.execute("select count(*) from pipedrive_raw.deals")
        assert cursor.fetchone()[0] == 150
        cursor.execute("select sum(open_deals) from pipedrive.pipeline_funnel")
        assert cursor.fetchone()[0] == open_deals
