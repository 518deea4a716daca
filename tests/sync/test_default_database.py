"""`pipedrive-sync run` with no --duckdb writes a file whose views analysts can query as
`pipedrive.<view>`, and builds those views itself at the end of the run."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.commands import run
from pipelines.lock import SyncAlreadyRunningError, sync_lock
from pipelines.sync import run_sync
from shared.warehouse import DEFAULT_DUCKDB_PATH, catalog_clash_warning
from simulator.control import Simulator


@pytest.mark.slow
def test_run_builds_views_queryable_as_schema_dot_view(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Simulator.start(seed=5, counts={"deals": 120}) as sim:
        token = {"PIPEDRIVE_API_TOKEN": sim.token}
        outcome = CliRunner().invoke(run, ["--base-url", sim.base_url], env=token)
        live_ids = {deal["id"] for deal in sim.truth("deals") if not deal["is_deleted"]}
    assert outcome.exit_code == 0, outcome.output
    assert "Readable views and marts rebuilt" in outcome.output
    with duckdb.connect(str(tmp_path / DEFAULT_DUCKDB_PATH), read_only=True) as con:
        # the two-part name an analyst types: ambiguous if the file were named pipedrive.duckdb
        view_ids = {row[0] for row in con.execute("select id from pipedrive.deals").fetchall()}
        funnel_deals = con.execute("select count(*) from pipedrive.deals_enriched").fetchone()[0]
    assert view_ids and view_ids <= live_ids
    assert funnel_deals == len(view_ids)


def test_a_file_named_like_a_schema_gets_a_warning(tmp_path):
    assert catalog_clash_warning(tmp_path / "crm.duckdb") is None
    warning = catalog_clash_warning(tmp_path / "pipedrive.duckdb")
    assert "pipedrive.pipedrive.<table>" in warning and DEFAULT_DUCKDB_PATH in warning
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb")) as con:  # the clash the warning is about
        con.execute("create schema pipedrive.pipedrive")
        with pytest.raises(duckdb.BinderException, match="Ambiguous"):
            con.execute("create table pipedrive.t (a int)")


def test_a_postgres_run_takes_the_same_lock_as_a_duckdb_run(tmp_path):
    """Two runs into Postgres from one place would share dlt's local state: the second must refuse."""
    database = tmp_path / DEFAULT_DUCKDB_PATH
    with sync_lock(database), pytest.raises(SyncAlreadyRunningError, match="Another pipedrive-sync run"):
        run_sync(
            base_url="http://127.0.0.1:9", api_token="unused", duckdb_path=database, destination="postgres"
        )


@pytest.mark.slow
def test_the_load_uses_one_limited_connection_and_leaves_no_staging_copy(tmp_path, monkeypatch):
    opened = []
    real_connect = duckdb.connect

    def recording_connect(database=":memory:", *args, **kwargs):
        connection = real_connect(database, *args, **kwargs)
        if str(database).endswith("crm.duckdb"):
            opened.append(connection.execute("select current_setting('memory_limit')").fetchone()[0])
        return connection

    monkeypatch.setattr(duckdb, "connect", recording_connect)
    monkeypatch.setenv("SOURCES__PIPEDRIVE__DUCKDB_MEMORY_LIMIT", "64MB")
    with Simulator.start(seed=6, counts={"deals": 60, "persons": 30}) as sim:
        database = tmp_path / DEFAULT_DUCKDB_PATH
        result = run_sync(sim.base_url, sim.token, database, pipelines_dir=tmp_path / "state")
    assert result.complete and result.rows_per_table["deals"] > 0
    # dlt's own opens (its state check before extracting) go through duckdb.connect too; the load
    # step gets one connection, opened with the limit; deal history, read after it, loads through
    # a second one (the file is not held open while its changelogs are fetched)
    assert opened.count("61.0 MiB") == 2, opened
    with duckdb.connect(str(database), read_only=True) as con:
        staged = con.execute(
            "select table_name, estimated_size from duckdb_tables()"
            " where schema_name = '_dlt_pipedrive_raw_staging' and not starts_with(table_name, '_dlt')"
        ).fetchall()
        schemas = {row[0] for row in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    assert staged and all(rows == 0 for _, rows in staged), staged
    # dlt's merge staging copy is named like dlt's own tables: internal, not for analysts (issue 12)
    assert "pipedrive_raw_staging" not in schemas
