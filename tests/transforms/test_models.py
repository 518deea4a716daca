"""The shape of the transforms: one map of raw tables, a run order derived from what each model reads,
and the declared keys of the marts checked on every build."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.cli import main as cli
from tests.transforms.raw_layout import write_raw_table
from transforms import raw_relations, run_transforms
from transforms.models import CUSTOM_FIELD_STEP, Model, ModelOrderError, load_models, run_order
from transforms.runner import ModelCheckError
from transforms.tables import ENTITY_FIELDS, FIELD_ENTITIES, RAW_TABLES


def test_every_raw_table_read_is_declared_once_and_every_declared_one_is_read():
    read = {name for model in load_models() for name in raw_relations.RAW_REFERENCE.findall(model.sql)}
    declared = [table.name for table in RAW_TABLES]
    assert len(declared) == len(set(declared))
    assert read | set(FIELD_ENTITIES) == set(declared)
    assert set(ENTITY_FIELDS.values()) <= set(FIELD_ENTITIES)


def test_staging_models_only_rename_and_cast():
    for model in load_models():
        assert "expected_columns" not in model.sql and "union all by name" not in model.sql, model.name


def test_an_undeclared_raw_table_is_named_in_the_error():
    with pytest.raises(
        raw_relations.UndeclaredRawTableError, match="pipedrive_raw.calls .*transforms/tables.py"
    ):
        raw_relations.with_declared_columns("select * from pipedrive_raw.calls", set())


def test_every_step_runs_after_everything_it_reads():
    models = load_models()
    order = run_order(models)
    assert sorted(map(str, order)) == sorted(map(str, [*models, CUSTOM_FIELD_STEP]))
    position = {target: order.index(model) for model in models for target in model.creates}
    for model in models:
        assert all(position[read] < order.index(model) for read in model.reads if read in position), (
            model.name
        )
    custom_fields = order.index(CUSTOM_FIELD_STEP)
    assert position["pipedrive.revenue_by_month"] > custom_fields  # reads pipedrive.deals
    assert position["pipedrive_staging.field_options"] < custom_fields
    # field_dictionary describes every readable entity view: it reads them through the catalog
    entity_views = [position[model.target] for model in models if model.layer == "entities"]
    assert position["pipedrive.field_dictionary"] > max([*entity_views, custom_fields])


def test_a_cte_named_like_the_object_it_reads_still_counts_as_a_read():
    mart = Model(
        "marts",
        "won",
        "create or replace view pipedrive.won as\n"
        "with deals as (select * from deals where status = 'won'),\n"
        "stages as (select id from pipedrive_staging.stages)\n"
        "select * from deals join stages on stages.id = deals.stage_id"
        " where deals.stage_id is distinct from stages.id  -- from nowhere",
    )
    assert mart.reads == {"pipedrive.deals", "pipedrive_staging.stages"}


def test_models_reading_each_other_in_a_circle_are_refused():
    first = Model("marts", "a", "create or replace view pipedrive.a as select * from b")
    second = Model("marts", "b", "create or replace view pipedrive.b as select * from a")
    with pytest.raises(ModelOrderError, match="circle: pipedrive.(a|b) -> pipedrive.(a|b)"):
        run_order([first, second])


def test_every_mart_declares_its_key():
    assert {model.name: model.key for model in load_models() if model.layer == "marts"} == {
        "activities_enriched": ("id",),
        "deal_stage_history": ("deal_id", "visit_nr"),
        "deals_enriched": ("id",),
        "field_dictionary": ("entity", "column_name"),
        "pipeline_funnel": ("stage_id",),
        "revenue_by_month": ("month", "currency"),
        "deal_field_history": ("change_id",),
        "stage_conversion": ("stage_id",),
    }


def deals_database(tmp_path, deals: list[dict]) -> str:
    path = str(tmp_path / "crm.duckdb")
    with duckdb.connect(path) as con:
        write_raw_table(con, "deals", deals, "v2", tmp_path)
    return path


def test_a_repeated_key_fails_the_build_and_keeps_the_previous_views(tmp_path):
    path = deals_database(tmp_path, [{"id": 1, "title": "One", "is_deleted": False}])
    run_transforms(path, None)
    with duckdb.connect(path) as con:
        write_raw_table(
            con, "deals", [{"id": 1, "title": "One", "is_deleted": False}] * 2 + [{"id": 2}], "v2", tmp_path
        )
    with pytest.raises(ModelCheckError) as failure:
        run_transforms(path, None)
    assert str(failure.value) == (
        "pipedrive.deals_enriched (key id): 1 keys appear in more than one row (e.g. id = 1, 2 rows);"
        " the previous views were kept"
    )
    with duckdb.connect(path) as con:
        assert con.execute("select id from pipedrive.deals_enriched").fetchall() == [(1,)]


def test_a_null_key_is_one_error_line_from_the_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no column_names.toml here
    path = deals_database(tmp_path, [{"id": None, "title": "No id", "is_deleted": False}])
    outcome = CliRunner().invoke(cli, ["transform", "--duckdb", path])
    assert outcome.exit_code == 1
    assert outcome.output.strip().splitlines() == [
        "Error: pipedrive.deals_enriched (key id): 1 rows have a null key; the previous views were kept"
    ]
