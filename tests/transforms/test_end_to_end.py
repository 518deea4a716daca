"""Through the real sync: simulator -> run_sync -> run_transforms, and the `transform` command."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner
from pandas.testing import assert_frame_equal

from pipelines.sync import run_sync
from simulator.control import Simulator
from tests.transforms.expected import readable_values, rows_by_id
from tests.transforms.test_field_changes import TINY_ACCOUNT
from transforms import run_transforms
from transforms.cli import transform_command

pytestmark = pytest.mark.slow


@pytest.fixture
def synced(tmp_path):
    with Simulator.start(seed=11, counts=TINY_ACCOUNT) as sim:

        def sync(name: str, **options) -> duckdb.DuckDBPyConnection:
            path = tmp_path / f"{name}.duckdb"
            run_sync(base_url=sim.base_url, api_token=sim.token, duckdb_path=path,
                     pipelines_dir=tmp_path / f"{name}-pipelines", **options)  # fmt: skip
            return path

        yield sim, sync


def assert_deal_columns_hold_the_true_values(sim, con: duckdb.DuckDBPyConnection) -> None:
    """Names are tested against the rules elsewhere; here: the values behind each field's columns."""
    base_columns = dict(
        con.execute("select distinct field_key, field_column from pipedrive_staging.custom_field_columns"
                    " where field_entity = 'deal_fields'").fetchall()
    )  # fmt: skip
    view = rows_by_id(con, "pipedrive.deals_all")
    fields = [field for field in sim.fields("deal_fields") if field["is_custom_field"]]
    for deal in sim.truth("deals"):
        for field in fields:
            expected = readable_values(
                field, base_columns[field["field_code"]], deal["custom_fields"].get(field["field_code"])
            )
            for column, value in expected.items():
                assert view[deal["id"]][column] == (
                    pytest.approx(value) if isinstance(value, float) else value
                )


def test_synced_account_has_readable_views_and_stage_history(synced):
    sim, sync = synced
    path = sync("main")
    with duckdb.connect(str(path)) as con:
        run_transforms(con, None)
        assert_deal_columns_hold_the_true_values(sim, con)
    fields = [field for field in sim.fields("deal_fields") if field["is_custom_field"]]

    deal = next(d for d in sim.truth("deals") if not d["is_deleted"] and d["status"] == "open")
    stages = [
        s["id"]
        for s in sim.truth("stages")
        if s["pipeline_id"] == deal["pipeline_id"] and s["id"] != deal["stage_id"]
    ]
    territory = next(f for f in fields if f["field_name"] == "Territory")
    sim.advance(3600)
    last_option = territory["options"][-1]
    sim.update(
        "deals",
        deal["id"],
        {"stage_id": stages[0], "custom_fields": {territory["field_code"]: last_option["id"]}},
    )
    sync("main")
    with duckdb.connect(str(path)) as con:
        # only the rows the second sync wrote are re-read into the entity table ...
        assert run_transforms(con, None).entity_tables["deals"] == "refreshed"
        refreshed = con.execute("select * from pipedrive.deals_all order by id").fetchall()
        label = con.execute("select territory from pipedrive.deals where id = ?", [deal["id"]]).fetchone()
        assert label == (last_option["label"],)
        # ... and that gives the same table as a full rebuild
        con.execute("delete from pipedrive_staging.entity_table_builds")
        assert run_transforms(con, None).entity_tables["deals"] == "rebuilt"
        assert con.execute("select * from pipedrive.deals_all order by id").fetchall() == refreshed
    # a renamed option changes rows the sync does not re-read: the table is rebuilt
    sim.rename_option("deal_fields", territory["field_code"], last_option["id"], "Renamed territory")
    sim.advance(3600)  # field lists are re-read every slow_refresh_minutes (60), not on every run
    sync("main")
    with duckdb.connect(str(path)) as con:
        assert run_transforms(con, None).entity_tables["deals"] == "rebuilt"
        label = con.execute("select territory from pipedrive.deals where id = ?", [deal["id"]]).fetchone()
        assert label == ("Renamed territory",)
        visits = con.execute(
            "select stage_id, left_at is null from pipedrive.deal_stage_history"
            " where deal_id = ? order by visit_nr",
            [deal["id"]],
        ).fetchall()
        current = con.execute(
            "select stage_id from pipedrive.deals_enriched where id = ?", [deal["id"]]
        ).fetchone()
    assert visits == [(deal["stage_id"], False), (stages[0], True)]
    assert current == (stages[0],)


def test_v1_list_endpoints_give_the_same_views_as_v2(synced):
    sim, sync = synced
    frames = {}
    for name, options in (("v2", {}), ("v1", {"v1_list_entities": ["deals", "persons", "organizations"]})):
        with duckdb.connect(str(sync(name, **options))) as con:
            run_transforms(con, None)
            assert con.execute("select distinct _source_api from pipedrive_raw.deals").fetchall() == [(name,)]
            frames[name] = {
                view: con.execute(f"select * exclude (preferred_call_time_timezone, office_hours_timezone)"
                                  f" from pipedrive.{view} order by id").df()
                for view in ("deals_all", "persons_all", "organizations_all")
            }  # fmt: skip
    for view, frame in frames["v2"].items():
        assert len(frame) > 0
        assert_frame_equal(frames["v1"][view], frame, check_dtype=False, obj=view)


def test_transform_command_on_a_file_named_like_the_schema(synced, tmp_path):
    """In pipedrive.duckdb the catalog is called `pipedrive` too: `pipedrive.deals` is ambiguous there."""
    sim, sync = synced
    path = sync("pipedrive")
    result = CliRunner().invoke(transform_command, ["--duckdb", str(path)])
    assert result.exit_code == 0, result.output
    assert "custom-field columns" in result.output
    with duckdb.connect(str(path)) as con:
        assert con.execute("select count(*) from pipedrive.pipedrive.deals_all").fetchone() == (
            sim.count("deals"),
        )
    with duckdb.connect() as con:  # the views work whatever name the file is attached under
        con.execute(f"attach '{path}' as crm (read_only)")
        for view in ("deals", "deals_enriched", "pipeline_funnel", "revenue_by_month", "field_dictionary"):
            assert con.execute(f"select count(*) from crm.pipedrive.{view}").fetchone()[0] > 0, view
