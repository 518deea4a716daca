"""The sync commands: run prints progress and a summary, status reads the database, demo works."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.commands import demo, run, status
from simulator.control import Simulator

pytestmark = pytest.mark.slow


def test_run_then_status(tmp_path):
    database = str(tmp_path / "crm.duckdb")
    with Simulator.start(seed=12, counts={"deals": 300}) as sim:
        outcome = CliRunner().invoke(
            run, ["--base-url", sim.base_url, "--duckdb", database], env={"PIPEDRIVE_API_TOKEN": sim.token}
        )
        assert outcome.exit_code == 0, outcome.output
        assert "deals" in outcome.output and "Requests:" in outcome.output and "tokens:" in outcome.output
        again = CliRunner().invoke(
            run,
            ["--base-url", sim.base_url, "--duckdb", database, "--resources", "deals"],
            env={"PIPEDRIVE_API_TOKEN": sim.token},
        )
        assert again.exit_code == 0, again.output
        assert "persons" not in again.output  # only the chosen resource ran
        since = CliRunner().invoke(
            run,
            [
                "--base-url",
                sim.base_url,
                "--duckdb",
                database,
                "--resources",
                "deals",
                "--since",
                "2000-01-01",
            ],
            env={"PIPEDRIVE_API_TOKEN": sim.token},
        )
        assert since.exit_code == 0, since.output
        assert "deals                         300" in since.output  # --since overrides the cursor
    shown = CliRunner().invoke(status, ["--duckdb", database])
    assert shown.exit_code == 0, shown.output
    assert "deals" in shown.output and "300" in shown.output
    assert "Next run reads changes from" in shown.output and "/api/v2/" not in shown.output  # entity names
    assert "Last loads:" in shown.output


def test_missing_token_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("PIPEDRIVE_API_TOKEN", raising=False)
    monkeypatch.delenv("SOURCES__PIPEDRIVE__API_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(run, ["--base-url", "http://127.0.0.1:9", "--duckdb", "x.duckdb"])
    assert outcome.exit_code == 1
    assert "No Pipedrive API token" in outcome.output


def test_demo_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(demo, ["--deals", "300"])  # its own file by default
    assert outcome.exit_code == 0, outcome.output
    assert "Incremental sync" in outcome.output and "connect('demo.duckdb')" in outcome.output
    assert "Readable views and marts rebuilt" in outcome.output
    with duckdb.connect("demo.duckdb", read_only=True) as con:
        deals = con.execute("SELECT count(*) FROM pipedrive_raw.deals").fetchone()[0]
        renamed = con.execute(
            "SELECT count(*) FROM pipedrive_raw.deal_fields WHERE field_name LIKE '%(renamed)'"
        ).fetchone()[0]
        enriched = con.execute("select count(*) from pipedrive.deals_enriched").fetchone()[0]  # as printed
        latest = "select max(update_time::timestamptz) from pipedrive_raw.deals"
        latest_change = con.execute(latest).fetchone()[0]
        due = con.execute(
            "select min(due_date::date), max(due_date::date) from pipedrive_raw.activities where not done"
        ).fetchone()
    # 300 generated + 15 created by the demo's changes
    assert deals == 315 and renamed == 1 and 0 < enriched <= deals
    # the demo account is dated around today, not months behind the wall clock (issue 12)
    now = datetime.now(timezone.utc)
    assert abs((latest_change - now).total_seconds()) < 2 * 86_400
    assert due[0] < now.date() < due[1]  # open activities both overdue and upcoming


def test_v1_list_is_marked_legacy_and_warns_once(tmp_path):
    assert "Legacy:" in CliRunner().invoke(run, ["--help"]).output
    with Simulator.start(seed=13, counts={"deals": 20}) as sim:
        outcome = CliRunner().invoke(
            run,
            ["--base-url", sim.base_url, "--duckdb", str(tmp_path / "crm.duckdb"), "--v1-list", "deals"],
            env={"PIPEDRIVE_API_TOKEN": sim.token},
        )
    assert outcome.exit_code == 0, outcome.output
    warnings = [line for line in outcome.output.splitlines() if line.startswith("Warning:")]
    assert warnings == ["Warning: --v1-list is legacy: Pipedrive's v1 list endpoints are out of support "
                        "since 2026-08-01 and may change or vanish; without it the same entities are read "
                        "from API v2."]  # fmt: skip
