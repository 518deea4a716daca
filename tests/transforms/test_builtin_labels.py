"""Built-in fields with options show labels from the field definitions, like custom fields:
deals' channel, label_ids and visible_to; persons' and organizations' label_ids and visible_to.
Projects' custom fields (projectFields) are readable columns like deals'."""

from __future__ import annotations

import duckdb
import pytest

from tests.transforms.conftest import load_raw
from tests.transforms.raw_layout import write_raw_table
from transforms import run_transforms

OPTION_FIELDS = {
    "deals": ("deal_fields", ("channel", "label_ids", "visible_to")),
    "persons": ("person_fields", ("label_ids", "visible_to")),
    "organizations": ("organization_fields", ("label_ids", "visible_to")),
}


@pytest.fixture(scope="module")
def views(sim, tmp_path_factory):
    con = duckdb.connect()
    tmp = tmp_path_factory.mktemp("labels")
    load_raw(con, sim, tmp)
    write_raw_table(con, "projects", sim.truth("projects"), "v2", tmp)
    write_raw_table(con, "project_fields", sim.fields("project_fields"), "v2", tmp)
    run_transforms(con, None)
    yield con
    con.close()


@pytest.mark.parametrize("entity", sorted(OPTION_FIELDS))
def test_option_ids_of_built_in_fields_are_labels(sim, views, entity):
    field_entity, columns = OPTION_FIELDS[entity]
    labels = {
        field["field_code"]: {option["id"]: option["label"] for option in field["options"]}
        for field in sim.fields(field_entity)
        if field["field_code"] in columns
    }
    assert set(labels) == set(columns)  # the definitions carry the options
    stored = {
        row[0]: row[1:]
        for row in views.execute(f"select id, {', '.join(columns)} from pipedrive.{entity}_all").fetchall()
    }
    seen = dict.fromkeys(columns, 0)
    for record in sim.truth(entity):
        for column, value in zip(columns, stored[record["id"]], strict=True):
            raw = record[column]
            if isinstance(raw, list):
                assert value == [labels[column][option] for option in raw]
            else:
                assert value == (labels[column][raw] if raw is not None else None)
            seen[column] += bool(raw)
    assert all(seen.values()), seen  # every field had values to resolve


def test_project_custom_fields_are_readable_columns(sim, views):
    fields = {f["field_name"]: f for f in sim.fields("project_fields") if f["is_custom_field"]}
    rows = {
        row[0]: row[1:]
        for row in views.execute(
            "select id, region, budget, budget_currency, work_streams from pipedrive.projects_all"
        ).fetchall()
    }
    region_labels = {o["id"]: o["label"] for o in fields["Region"]["options"]}
    stream_labels = {o["id"]: o["label"] for o in fields["Work streams"]["options"]}
    filled = 0
    for project in sim.truth("projects"):
        values = project["custom_fields"]
        region, budget, currency, streams = rows[project["id"]]
        assert region == region_labels.get(values[fields["Region"]["field_code"]])
        money = values[fields["Budget"]["field_code"]]
        assert (budget, currency) == ((money["value"], money["currency"]) if money else (None, None))
        chosen = values[fields["Work streams"]["field_code"]]
        assert streams == ([stream_labels[option] for option in chosen] if chosen else None)
        filled += region is not None
    assert filled > 5
    # a custom field named like a built-in column gets the key's suffix, as on deals
    columns = {row[0] for row in views.execute("describe pipedrive.projects").fetchall()}
    assert "title" in columns and any(name.startswith("title_") for name in columns)
