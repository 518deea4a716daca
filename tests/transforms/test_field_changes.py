"""Renaming, adding and deleting fields and options; the pinning file; missing raw tables."""

from __future__ import annotations

import duckdb
import pytest

from simulator.control import Simulator
from simulator.fields import FIELD_ENTITIES
from tests.transforms.raw_layout import write_raw_table
from transforms import run_transforms

pytestmark = pytest.mark.slow

TINY_ACCOUNT = {"users": 3, "pipelines": 1, "organizations": 5, "persons": 5, "products": 2, "deals": 40,
                "deal_products": 0, "activities": 0, "leads": 0, "notes": 0}  # fmt: skip


@pytest.fixture
def tiny_sim():
    with Simulator.start(seed=3, counts=TINY_ACCOUNT) as simulator:
        yield simulator


def load(con, sim, tmp_path, records=True) -> None:
    """Land the field definitions, and (unless records=False) the deals, as a sync would."""
    if records:
        write_raw_table(con, "deals", sim.truth("deals"), "v2", tmp_path)
    for field_entity in FIELD_ENTITIES:
        write_raw_table(con, field_entity, sim.fields(field_entity), "v2", tmp_path)


def deal_columns(con) -> list[str]:
    return [row[0] for row in con.execute("describe pipedrive.deals_all").fetchall()]


def field_named(sim, name: str) -> dict:
    return next(f for f in sim.fields("deal_fields") if f["field_name"] == name and f["is_custom_field"])


def values(con, column: str) -> dict:
    return dict(con.execute(f'select id, "{column}" from pipedrive.deals_all').fetchall())


def test_renamed_field_gets_the_new_name_with_the_same_values(tiny_sim, con, tmp_path):
    load(con, tiny_sim, tmp_path)
    run_transforms(con, None)
    before = values(con, "renewal_date")
    assert any(before.values())
    tiny_sim.rename_field(
        "deal_fields", field_named(tiny_sim, "Renewal date")["field_code"], "Contract renewal"
    )
    load(con, tiny_sim, tmp_path, records=False)
    run_transforms(con, None)
    assert "renewal_date" not in deal_columns(con)
    assert values(con, "contract_renewal") == before


def test_a_new_field_with_a_taken_name_never_moves_existing_columns(tiny_sim, con, tmp_path):
    load(con, tiny_sim, tmp_path)
    run_transforms(con, None)
    columns_before = deal_columns(con)
    region_values = {column: values(con, column) for column in columns_before if column.startswith("region")}
    assert len(region_values) == 2
    added = tiny_sim.add_field("deal_fields", "Region", "varchar")
    tiny_sim.update("deals", 1, {"custom_fields": {added["field_code"]: "Nordics"}})
    load(con, tiny_sim, tmp_path)
    run_transforms(con, None)
    new_column = "region_" + added["field_code"][:6]
    assert deal_columns(con) == columns_before + [new_column] or set(deal_columns(con)) == {
        *columns_before,
        new_column,
    }
    assert {column: values(con, column) for column in region_values} == region_values
    assert values(con, new_column)[1] == "Nordics"


def test_deleted_field_disappears_and_option_changes_show(tiny_sim, con, tmp_path):
    load(con, tiny_sim, tmp_path)
    run_transforms(con, None)
    assert "hot_score" in deal_columns(con)
    tiny_sim.delete_field("deal_fields", field_named(tiny_sim, "🔥 Hot score")["field_code"])

    group = field_named(tiny_sim, "group")
    gamma = next(option["id"] for option in group["options"] if option["label"] == "Gamma")
    tiny_sim.rename_option("deal_fields", group["field_code"], gamma, "Gamma team")
    region = next(
        f for f in tiny_sim.fields("deal_fields") if f["field_name"] == "Region" and f["field_type"] == "enum"
    )
    holders = {d["id"]: d["custom_fields"][region["field_code"]] for d in tiny_sim.truth("deals")
               if d["custom_fields"].get(region["field_code"])}  # fmt: skip
    deal_id, option_id = next(iter(holders.items()))
    tiny_sim.delete_option("deal_fields", region["field_code"], option_id)

    # the deals are not re-read: Pipedrive does not move update_time when fields or options change
    load(con, tiny_sim, tmp_path, records=False)
    run_transforms(con, None)
    assert "hot_score" not in deal_columns(con)
    group_labels = [labels for labels in values(con, "group_field").values() if labels]
    assert any("Gamma team" in labels for labels in group_labels)
    assert not any("Gamma" in labels for labels in group_labels)
    region_column = next(
        c for c in deal_columns(con) if c.startswith("region") and values(con, c).get(deal_id)
    )
    assert values(con, region_column)[deal_id] == str(option_id)  # a deleted option shows its id, not null


def test_pinned_column_names_survive_renames(tiny_sim, con, tmp_path):
    referrer = field_named(tiny_sim, "Referrer")["field_code"]
    pins = tmp_path / "column_names.toml"
    pins.write_text(f'[deal_fields]\n{referrer} = "referred_by"\n', encoding="utf-8")
    load(con, tiny_sim, tmp_path)
    run_transforms(con, pins)
    assert "referred_by" in deal_columns(con) and "referrer" not in deal_columns(con)
    tiny_sim.rename_field("deal_fields", referrer, "Introduced by")
    load(con, tiny_sim, tmp_path, records=False)
    run_transforms(con, pins)
    assert "referred_by" in deal_columns(con) and "introduced_by" not in deal_columns(con)
    naming = con.execute(
        "select naming from pipedrive_staging.custom_field_columns where field_key = ?", [referrer]
    ).fetchone()
    assert naming == ("pinned",)


def test_running_twice_changes_nothing(tiny_sim, con, tmp_path):
    load(con, tiny_sim, tmp_path)
    run_transforms(con, None)
    first = {
        view: con.execute(f"select * from pipedrive.{view} order by all").fetchall()
        for view in ("deals", "field_dictionary")
    }
    run_transforms(con, None)
    second = {
        view: con.execute(f"select * from pipedrive.{view} order by all").fetchall()
        for view in ("deals", "field_dictionary")
    }
    assert first == second and first["deals"]


def test_missing_raw_tables_and_columns_read_as_empty(tmp_path):
    con = duckdb.connect()
    write_raw_table(con, "deals", [{"id": 1, "title": "Only a title", "is_deleted": False}], "v2", tmp_path)
    result = run_transforms(con, None)
    assert "leads" in result.missing_raw_tables and "deal_fields" in result.missing_raw_tables
    assert con.execute("select id, title, value, status from pipedrive.deals").fetchall() == [
        (1, "Only a title", None, None)
    ]
    for view in (
        "leads",
        "persons",
        "activities_enriched",
        "pipeline_funnel",
        "deal_stage_history",
        "field_dictionary",
    ):
        con.execute(f"select * from pipedrive.{view}").fetchall()
    assert con.execute("select count(*) from pipedrive.leads").fetchone() == (0,)


def test_added_option_shows_its_label(tiny_sim, con, tmp_path):
    group = field_named(tiny_sim, "group")
    [added] = tiny_sim.add_options("deal_fields", group["field_code"], ["Epsilon"])
    tiny_sim.update("deals", 2, {"custom_fields": {group["field_code"]: [added["id"]]}})
    load(con, tiny_sim, tmp_path)
    run_transforms(con, None)
    assert values(con, "group_field")[2] == ["Epsilon"]
    options = con.execute(
        "select options from pipedrive.field_dictionary where entity = 'deals' and column_name = ?",
        ["group_field"],
    ).fetchone()[0]
    assert {"id": added["id"], "label": "Epsilon"} in options
