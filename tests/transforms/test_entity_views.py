"""Every custom field of the hostile account becomes readable columns with the truth's values."""

from __future__ import annotations

import pytest

from simulator.fields import LONG_NAME
from tests.transforms.conftest import load_raw
from tests.transforms.expected import readable_values, rows_by_id
from transforms import run_transforms
from transforms.tables import ENTITY_FIELDS

# field name -> expected column; {key} is the first 6 hex chars of the field key
EXPECTED_NAMES = {
    "Title": "title",
    "Value": "value",
    "Société – Catégorie": "societe_categorie",
    "客户等级": "客户等级",
    "🔥 Hot score": "hot_score",
    "select": "select_field",
    "order": "order_field",
    "group": "group_field",
    "2nd owner": "field_2nd_owner",
    LONG_NAME: "quarterly_revenue_forecast_adjusted_for_seasonality_currency_ef",
    "Contract value": "contract_value",
    "Industry codes": "industry_codes",
    "Territory": "territory",
    "Partner organization": "partner_organization",
    "Referrer": "referrer",
    "Renewal date": "renewal_date",
    "Campaign period": "campaign_period",
    "Preferred call time": "preferred_call_time",
    "Office hours": "office_hours",
    "Billing address": "billing_address",
}
# the simulator gives activities no custom fields
# the hostile custom fields: activities have none in v2, projects a few of their own
# (tests/transforms/test_builtin_labels.py)
FIELD_ENTITY = {
    entity: fields for entity, fields in ENTITY_FIELDS.items() if entity not in ("activities", "projects")
}


BUILT_IN_NAMESAKES = {"Name": "name", "Email": "email", "Address": "address"}
EXPECTED_NAMES.update(BUILT_IN_NAMESAKES)


def expected_column(field: dict, fields: list[dict], builtin_columns: set[str]) -> str:
    """The naming rules, restated: a name taken by a built-in column gets the key's first 6 chars."""
    plain = EXPECTED_NAMES.get(field["field_name"])
    if plain in builtin_columns:
        return plain + "_" + field["field_code"][:6]
    if field["field_name"] == "Region":  # two fields named Region: the smaller key keeps the plain name
        regions = sorted(
            f["field_code"] for f in fields if f["field_name"] == "Region" and f["is_custom_field"]
        )
        return "region" if field["field_code"] == regions[0] else "region_" + field["field_code"][:6]
    return EXPECTED_NAMES[field["field_name"]].format(key=field["field_code"][:6])


@pytest.fixture(scope="module")
def built(sim, tmp_path_factory):
    import duckdb

    con = duckdb.connect()
    load_raw(con, sim, tmp_path_factory.mktemp("raw"))
    run_transforms(con)
    yield con
    con.close()


@pytest.mark.parametrize("entity", sorted(FIELD_ENTITY))
def test_every_custom_field_is_a_readable_column_with_the_true_value(sim, built, entity):
    fields = [field for field in sim.fields(FIELD_ENTITY[entity]) if field["is_custom_field"]]
    assert len(fields) >= 20 and {f["field_type"] for f in fields} >= {"enum", "set", "monetary", "address"}
    view = rows_by_id(built, f"pipedrive.{entity}_all")
    sharing = [e for e, field_entity in FIELD_ENTITY.items() if field_entity == FIELD_ENTITY[entity]]
    builtin = {row[0] for e in sharing for row in built.execute(f"describe pipedrive_staging.{e}").fetchall()}
    assert {"title", "value"} <= builtin if entity in ("deals", "leads") else "name" in builtin
    truth = sim.truth(entity)
    assert sorted(view) == sorted(record["id"] for record in truth)
    checked = 0
    for record in truth:
        row = view[record["id"]]
        for field in fields:
            value = (record.get("custom_fields") or {}).get(field["field_code"])
            base_column = expected_column(field, fields, builtin)
            expected_columns = readable_values(field, base_column, value)
            if entity == "leads" and field["field_type"] in ("time", "timerange"):
                expected_columns[base_column + "_timezone"] = None  # v1 sends no timezone name
            for column, expected in expected_columns.items():
                expected = pytest.approx(expected) if isinstance(expected, float) else expected
                assert row[column] == expected, (entity, record["id"], field["field_name"], column)
                checked += value is not None
    assert checked > len(truth)  # real values, not only nulls, were compared
    assert not any(len(column) == 40 for column in next(iter(view.values())))  # no hash columns


def test_deleted_records_only_in_the_all_view(sim, built):
    deleted = {deal["id"] for deal in sim.truth("deals") if deal["is_deleted"]}
    assert deleted
    active = {row[0] for row in built.execute("select id from pipedrive.deals").fetchall()}
    everything = {row[0] for row in built.execute("select id from pipedrive.deals_all").fetchall()}
    assert active == everything - deleted
    assert built.execute("select count(*) from pipedrive.deals_all where is_deleted").fetchone()[0] == len(
        deleted
    )


def test_no_column_name_is_longer_than_63_bytes_or_a_reserved_word(built):
    names = [row[0] for row in built.execute(
        "select column_name from information_schema.columns where table_schema = 'pipedrive'"
    ).fetchall()]  # fmt: skip
    reserved = {row[0] for row in built.execute(
        "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'"
    ).fetchall()}  # fmt: skip
    assert names and max(len(name.encode()) for name in names) <= 63
    assert not reserved & set(names)


def test_field_dictionary_describes_every_column(sim, built):
    dictionary = built.execute("select * from pipedrive.field_dictionary where entity = 'deals'").df()
    deal_columns = [row[0] for row in built.execute("describe pipedrive.deals").fetchall()]
    assert list(dictionary["column_name"]) == deal_columns
    fields = {field["field_code"]: field for field in sim.fields("deal_fields")}
    custom = dictionary[dictionary["is_custom"]]
    for row in custom.itertuples():
        field = fields[row.field_key]
        assert row.field_name == field["field_name"] and row.field_type == field["field_type"]
        if field["field_type"] in ("enum", "set"):
            assert [option["label"] for option in row.options] == [o["label"] for o in field["options"]]
    territory = custom[custom["field_name"] == "Territory"].iloc[0]
    assert territory.column_name == "territory" and len(territory.options) == 3000
    assert set(custom["field_key"]) == {code for code, field in fields.items() if field["is_custom_field"]}
    title = dictionary[dictionary["column_name"] == "title"].iloc[0]
    assert not title.is_custom and title.field_name == "Title" and title.field_key == "title"
