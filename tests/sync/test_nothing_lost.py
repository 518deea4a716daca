"""Issue 12, "data that must never be lost or mixed": each test reproduces a command that destroyed
or mixed data before (a refresh dropping every table and the snapshots, another account merged into
a database, a v2 database switched to the v1 lists blanking links), and shows what happens now."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.account import AccountMismatchError
from pipelines.commands import run
from sources.pipedrive.entities import KEPT_ON_REFRESH
from sources.pipedrive.errors import ConfigurationError
from sources.pipedrive.history import change_id
from tests.sync.helpers import assert_matches_truth, raw_rows, sync, table_exists
from transforms import run_transforms

pytestmark = pytest.mark.slow  # whole syncs

ACCOUNT = {"deals": 40, "persons": 30, "organizations": 10, "activities": 20, "deal_products": 20}
PLANTED = 987_654  # a row no upstream list has: a refresh of its table removes it, anything else keeps it


def database(tmp_path):
    return tmp_path / "pipedrive.duckdb"


def count(tmp_path, table: str, where: str = "true") -> int:
    with duckdb.connect(str(database(tmp_path)), read_only=True) as con:
        return con.execute(f"select count(*) from pipedrive_raw.{table} where {where}").fetchone()[0]


def plant(tmp_path, *tables: str) -> None:
    with duckdb.connect(str(database(tmp_path))) as con:
        for table in tables:
            planted = f"select {PLANTED} as id, now() as _extracted_at"
            con.execute(f"insert into pipedrive_raw.{table} by name {planted}")


def stage_history_rows(tmp_path) -> int:
    with duckdb.connect(str(database(tmp_path))) as con:
        run_transforms(con)
        return con.execute("select count(*) from pipedrive.pipedrive.deal_stage_history").fetchone()[0]


def synced_twice_with_stage_moves(sim, tmp_path) -> int:
    """Two runs with stage moves between them: snapshots hold history the API cannot give back."""
    assert sync(sim, tmp_path).complete
    first = count(tmp_path, "deal_snapshots")
    sim.advance(3600)
    stages = {stage["id"] for stage in sim.truth("stages")}
    for deal in sim.truth("deals", include_deleted=False)[:10]:
        sim.update("deals", deal["id"], {"stage_id": min(stages - {deal["stage_id"]})})
    assert sync(sim, tmp_path).complete
    # one row per state seen: the ten moves, not the deals re-read unchanged at the cursor second
    assert count(tmp_path, "deal_snapshots") == first + 10
    return first + 10


def test_history_tables_are_declared_in_one_place():
    assert {"deal_snapshots", "deal_changes", "deal_history_reads"} <= KEPT_ON_REFRESH


def changes_upstream(sim) -> set[str]:
    """The ids of every deal change the account's changelogs hold."""
    return {
        change_id(deal["id"], entry)
        for deal in sim.truth("deals")
        for entry in sim.deal_changelog(deal["id"])
    }


def test_full_refresh_of_one_resource_refreshes_it_alone(simulator, tmp_path):
    sim = simulator(seed=21, counts=ACCOUNT)
    snapshots = synced_twice_with_stage_moves(sim, tmp_path)
    history = stage_history_rows(tmp_path)
    plant(tmp_path, "persons", "deals", "organizations")
    result = sync(sim, tmp_path, resources=["persons"], full_refresh=True)
    assert result.complete and set(result.rows_per_table) == {"persons"}
    assert count(tmp_path, "persons", f"id = {PLANTED}") == 0  # refreshed: re-read, stale row gone
    assert count(tmp_path, "persons") == sim.count("persons")
    assert count(tmp_path, "deals", f"id = {PLANTED}") == 1  # untouched
    assert count(tmp_path, "organizations", f"id = {PLANTED}") == 1
    assert count(tmp_path, "deals") == sim.count("deals") + 1
    assert count(tmp_path, "deal_snapshots") == snapshots
    assert stage_history_rows(tmp_path) == history


def test_full_refresh_keeps_snapshots_and_stage_history(simulator, tmp_path):
    sim = simulator(seed=22, counts=ACCOUNT)
    snapshots = synced_twice_with_stage_moves(sim, tmp_path)
    history = stage_history_rows(tmp_path)
    plant(tmp_path, "deals", "persons")
    changes, reads = count(tmp_path, "deal_changes"), count(tmp_path, "deal_history_reads")
    sim.reset_stats()
    result = sync(sim, tmp_path, full_refresh=True)
    assert result.complete
    # deal history kept, not read again: one changelog request per deal is the costliest read there is
    assert (count(tmp_path, "deal_changes"), count(tmp_path, "deal_history_reads")) == (changes, reads)
    assert not any("/changelog" in endpoint for endpoint in sim.stats["endpoints"])
    assert count(tmp_path, "deals", f"id = {PLANTED}") == 0
    assert count(tmp_path, "persons", f"id = {PLANTED}") == 0
    # a refresh re-reads every deal: the earlier snapshots kept, none doubled (nothing changed)
    assert count(tmp_path, "deal_snapshots") == snapshots
    assert stage_history_rows(tmp_path) >= history
    assert_matches_truth(sim, tmp_path)


def test_full_refresh_of_deals_keeps_their_snapshots(simulator, tmp_path):
    sim = simulator(seed=23, counts=ACCOUNT)
    snapshots = synced_twice_with_stage_moves(sim, tmp_path)
    assert sync(sim, tmp_path, resources=["deals"], full_refresh=True).complete
    assert count(tmp_path, "deal_snapshots") == snapshots


def test_help_says_what_a_refresh_keeps():
    helped = CliRunner().invoke(run, ["--help"]).output
    assert "deal_snapshots" in " ".join(helped.split()) and "--switch-account" in helped


# ---- one database, one account --------------------------------------------------------------


def test_another_account_fails_before_writing_anything(simulator, tmp_path):
    first = simulator(seed=24, counts=ACCOUNT, company_domain="acme")
    assert sync(first, tmp_path).complete
    other = simulator(seed=25, counts=ACCOUNT, company_domain="globex")
    assert first.company["company_id"] != other.company["company_id"]
    before = database(tmp_path).read_bytes()
    with pytest.raises(AccountMismatchError) as refused:
        sync(other, tmp_path)
    message = str(refused.value)
    assert "acme" in message and "globex" in message
    assert "--duckdb" in message and "--full-refresh --switch-account" in message
    assert database(tmp_path).read_bytes() == before  # nothing written
    assert other.stats["requests"] == 1  # only /v1/users/me
    with pytest.raises(AccountMismatchError):
        sync(other, tmp_path, full_refresh=True)  # a refresh alone does not switch accounts
    assert sync(first, tmp_path).complete  # the recorded account still syncs


def test_switch_account_replaces_everything(simulator, tmp_path):
    first = simulator(seed=26, counts=ACCOUNT, company_domain="acme")
    assert sync(first, tmp_path).complete
    other = simulator(seed=27, counts={**ACCOUNT, "deals": 15}, company_domain="globex")
    assert sync(other, tmp_path, full_refresh=True, switch_account=True).complete
    assert_matches_truth(other, tmp_path)
    assert count(tmp_path, "deal_snapshots") == other.count("deals")  # the old account's history is gone
    assert count(tmp_path, "deal_history_reads") == other.count("deals")
    assert {row["id"] for row in raw_rows(tmp_path, "deal_changes")} == changes_upstream(other)
    with pytest.raises(AccountMismatchError, match="globex"):
        sync(first, tmp_path)


def test_switch_account_needs_full_refresh(tmp_path):
    outcome = CliRunner().invoke(run, ["--switch-account", "--duckdb", str(database(tmp_path))])
    assert outcome.exit_code == 2 and "--full-refresh" in outcome.output


def test_same_domain_is_the_same_account(simulator, tmp_path):
    assert sync(simulator(seed=28, counts=ACCOUNT, company_domain="acme"), tmp_path).complete
    assert sync(simulator(seed=28, counts=ACCOUNT, company_domain="acme"), tmp_path).complete


def test_simulator_company_domain_switch(tmp_path):
    outcome = CliRunner().invoke(run, ["--help"])
    assert outcome.exit_code == 0
    from simulator.cli import simulator_command

    helped = CliRunner().invoke(simulator_command, ["--help"]).output
    assert "--company-domain" in helped


# ---- v1 lists over a v2 database ------------------------------------------------------------


def test_switching_to_v1_lists_without_refresh_is_refused_not_blanked(simulator, tmp_path):
    sim = simulator(seed=29, counts=ACCOUNT)
    assert sync(sim, tmp_path).complete
    linked = count(tmp_path, "deals", "person_id is not null")
    assert linked > 0
    with pytest.raises(ConfigurationError, match="--full-refresh --resources deals"):
        sync(sim, tmp_path, v1_list_entities=["deals"])
    assert count(tmp_path, "deals", "person_id is not null") == linked
    assert sync(sim, tmp_path, v1_list_entities=["deals"], resources=["deals"], full_refresh=True).complete
    assert {row["_source_api"] for row in raw_rows(tmp_path, "deals")} == {"v1"}
    assert count(tmp_path, "deals", "person_id is not null") > 0
    with pytest.raises(ConfigurationError, match="v1 lists"):
        sync(sim, tmp_path)  # and back again needs a refresh too
    assert table_exists(tmp_path, "deal_snapshots")


# ---- the demo -------------------------------------------------------------------------------


def test_demo_never_overwrites_a_database_it_did_not_create(simulator, tmp_path, monkeypatch):
    from pipelines.commands import demo
    from pipelines.demo import DEMO_COMPANY_DOMAIN, check_demo_may_replace

    monkeypatch.chdir(tmp_path)
    real = simulator(seed=34, counts={"deals": 10}, company_domain="acme")
    assert sync(real, tmp_path).complete
    target = database(tmp_path)
    before = target.read_bytes()
    outcome = CliRunner().invoke(demo, ["--duckdb", str(target), "--deals", "50"])
    assert outcome.exit_code == 1 and "Traceback" not in outcome.output
    errors = [line for line in outcome.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "acme" in errors[0] and "never overwrites" in errors[0]
    assert target.read_bytes() == before
    garbage = tmp_path / "notes.duckdb"
    garbage.write_text("my notes")
    assert CliRunner().invoke(demo, ["--duckdb", str(garbage)]).exit_code == 1
    assert garbage.read_text() == "my notes"
    # a database an earlier demo made is replaced
    demo_made = simulator(seed=35, counts={"deals": 10}, company_domain=DEMO_COMPANY_DOMAIN)
    demo_dir = tmp_path / "earlier-demo"
    demo_dir.mkdir()
    assert sync(demo_made, demo_dir).complete
    check_demo_may_replace(database(demo_dir))
    assert CliRunner().invoke(demo, ["--help"]).output.count("demo.duckdb") >= 1
