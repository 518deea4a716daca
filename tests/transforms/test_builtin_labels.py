"""Built-in fields with options show labels from the field definitions, like custom fields:
deals' channel, label_ids and visible_to; persons' and organizations' label_ids and visible_to."""

from __future__ import annotations

import duckdb
import pytest

from tests.transforms.conftest import load_raw
from transforms import run_transforms

OPTION_FIELDS = {
    "deals": ("deal_fields", ("channel", "label_ids", "visible_to")),
    "persons": ("person_fields", ("label_ids", "visible_to")),
    "organizations": ("organization_fields", ("label_ids", "visible_to")),
}


@pytest.fixture(scope="module")
def views(sim, tmp_path_factory):
    con = duckdb.connect()
    load_raw(con, sim, tmp_path_factory.mktemp("labels"))
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
