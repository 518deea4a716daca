import re

import pytest

from simulator.control import Simulator
from simulator.fields import ADDRESS_PARTS, CUSTOM_FIELD_TYPES, LONG_NAME
from tests.simulator.api import Api

pytestmark = pytest.mark.slow

RECORD_PATHS = {
    "deal_fields": "/api/v2/deals",
    "person_fields": "/api/v2/persons",
    "organization_fields": "/api/v2/organizations",
    "product_fields": "/api/v2/products",
}
FIELD_PATHS = {
    "deal_fields": "/api/v2/dealFields",
    "person_fields": "/api/v2/personFields",
    "organization_fields": "/api/v2/organizationFields",
    "product_fields": "/api/v2/productFields",
}


@pytest.fixture(scope="module")
def sim():
    with Simulator.start(
        seed=41, counts={"deals": 300, "persons": 200, "organizations": 120, "products": 60}
    ) as sim:
        yield sim


@pytest.fixture(scope="module")
def api(sim):
    return Api(sim)


def v2_shape_ok(field_type: str, value) -> bool:
    """The v2 value shapes of the API notes (table in section 5)."""
    if field_type in ("varchar", "varchar_auto", "text", "phone"):
        return isinstance(value, str)
    if field_type == "double":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if field_type == "monetary":
        return set(value) == {"value", "currency"} and isinstance(value["value"], int | float)
    if field_type in ("enum", "user", "org", "people"):
        return isinstance(value, int) and not isinstance(value, bool)
    if field_type == "set":
        return isinstance(value, list) and value and all(isinstance(item, int) for item in value)
    if field_type == "date":
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
    if field_type == "daterange":
        return set(value) == {"value", "until"} and value["value"] <= value["until"]
    if field_type == "time":
        return set(value) == {"value", "timezone_id", "timezone_name"} and re.fullmatch(
            r"\d\d:\d\d:\d\d", value["value"]
        )
    if field_type == "timerange":
        return set(value) == {"value", "until", "timezone_id", "timezone_name"}
    if field_type == "address":
        return set(value) == {"value", *ADDRESS_PARTS}
    raise AssertionError(field_type)


@pytest.mark.parametrize("field_entity", sorted(RECORD_PATHS))
def test_every_custom_field_type_in_v2_shape(sim, api, field_entity):
    fields = {field["field_code"]: field for field in api.walk(FIELD_PATHS[field_entity], limit=500)[0]}
    custom = {code: field for code, field in fields.items() if field["is_custom_field"]}
    assert {field["field_type"] for field in custom.values()} == set(CUSTOM_FIELD_TYPES)
    assert all(re.fullmatch(r"[0-9a-f]{40}", code) for code in custom)
    records = api.walk(RECORD_PATHS[field_entity], limit=500)[0]
    seen_types = set()
    for record in records:
        assert set(record["custom_fields"]) == set(custom)
        for code, value in record["custom_fields"].items():
            if value is not None:
                assert v2_shape_ok(custom[code]["field_type"], value), (custom[code]["field_type"], value)
                seen_types.add(custom[code]["field_type"])
    assert seen_types == set(CUSTOM_FIELD_TYPES)


def test_option_values_point_at_existing_options_and_labels_on_request(sim, api):
    fields = {field["field_code"]: field for field in sim.fields("deal_fields") if field["is_custom_field"]}
    plain = api.data("/api/v2/deals", limit=200)
    labelled = {row["id"]: row for row in api.data("/api/v2/deals", limit=200, include_option_labels="true")}
    checked = 0
    for record in plain:
        for code, value in record["custom_fields"].items():
            field = fields[code]
            if value is None or field["field_type"] not in ("enum", "set"):
                continue
            labels = {option["id"]: option["label"] for option in field["options"]}
            shown = labelled[record["id"]]["custom_fields"][code]
            if field["field_type"] == "enum":
                assert shown == {"id": value, "label": labels[value]}
            else:
                assert shown == [{"id": item, "label": labels[item]} for item in value]
            checked += 1
    assert checked > 50
    single = api.data(f"/api/v2/deals/{plain[0]['id']}", include_option_labels="true")
    assert single["custom_fields"] == labelled[plain[0]["id"]]["custom_fields"]


def test_custom_fields_parameter_restricts_keys(sim, api):
    codes = [field["field_code"] for field in sim.fields("person_fields") if field["is_custom_field"]][:2]
    rows = api.data("/api/v2/persons", custom_fields=",".join(codes), limit=20)
    assert all(list(row["custom_fields"]) == codes for row in rows)
    assert api.get("/api/v2/persons", custom_fields=",".join(["a" * 40] * 16)).status_code == 400


@pytest.mark.parametrize("field_entity", sorted(RECORD_PATHS))
def test_hostile_field_names_present(sim, field_entity):
    fields = sim.fields(field_entity)
    custom_names = [field["field_name"] for field in fields if field["is_custom_field"]]
    builtin_names = {field["field_name"] for field in fields if not field["is_custom_field"]}
    assert custom_names.count("Region") == 2
    assert {"Title", "Value", "select", "order", "group", "2nd owner", "客户等级", "🔥 Hot score"} <= set(
        custom_names
    )
    assert any(not name.isascii() and "é" in name for name in custom_names)
    assert LONG_NAME in custom_names and len(LONG_NAME) > 100
    assert builtin_names & set(custom_names)  # a custom field named like a built-in one
    huge = [
        field
        for field in fields
        if field["field_type"] in ("enum", "set") and len(field["options"] or ()) >= 2000
    ]
    assert {field["field_type"] for field in huge} == {"enum", "set"}


def test_field_definitions_page_by_cursor_and_get_by_code(sim, api):
    fields, pages = api.walk("/api/v2/dealFields", limit=10)
    assert pages > 2
    assert [field["field_code"] for field in fields] == [
        field["field_code"] for field in sim.fields("deal_fields")
    ]
    builtin = api.data("/api/v2/dealFields/title")
    assert builtin["is_custom_field"] is False and builtin["field_name"] == "Title"
    assert api.get("/api/v2/dealFields/" + "0" * 40).status_code == 404
    activity_fields = api.data("/api/v2/activityFields")
    assert activity_fields and not any(field["is_custom_field"] for field in activity_fields)


def test_field_keys_are_deterministic_per_seed():
    first = Simulator(seed=7, counts={"deals": 1})
    second = Simulator(seed=7, counts={"deals": 1})
    third = Simulator(seed=8, counts={"deals": 1})
    codes = [[field["field_code"] for field in sim.fields("deal_fields")] for sim in (first, second, third)]
    assert codes[0] == codes[1] != codes[2]
    for sim in (first, second, third):
        sim.server.server_close()


def test_field_and_option_changes_show_up_in_records(simulator):
    sim = simulator(seed=42, counts={"deals": 30})
    api = Api(sim)
    before = api.data("/api/v2/deals/1")
    created = api.request(
        "POST",
        "/api/v2/dealFields",
        json={"field_name": "Title", "field_type": "enum", "options": [{"label": "A"}]},
    ).json()["data"]
    code = created["field_code"]
    assert re.fullmatch(r"[0-9a-f]{40}", code) and created["options"][0]["label"] == "A"
    after_add = api.data("/api/v2/deals/1")
    assert after_add["custom_fields"][code] is None
    assert after_add["update_time"] == before["update_time"]

    added = api.request("POST", f"/api/v2/dealFields/{code}/options", json=[{"label": "B"}]).json()["data"]
    option_b = added[0]["id"]
    updated = api.request("PATCH", "/api/v2/deals/1", json={"custom_fields": {code: option_b}}).json()["data"]
    assert updated["custom_fields"][code] == option_b

    api.request("PATCH", f"/api/v2/dealFields/{code}/options", json=[{"id": option_b, "label": "Bee"}])
    labelled = api.data("/api/v2/deals/1", include_option_labels="true")
    assert labelled["custom_fields"][code] == {"id": option_b, "label": "Bee"}

    api.request("PATCH", f"/api/v2/dealFields/{code}", json={"field_name": "Renamed"})
    assert api.data(f"/api/v2/dealFields/{code}")["field_name"] == "Renamed"

    deleted = api.request("DELETE", f"/api/v2/dealFields/{code}/options", json=[{"id": option_b}])
    assert deleted.json()["data"] == [{"id": option_b, "label": "Bee"}]
    assert api.data("/api/v2/deals/1")["custom_fields"][code] is None

    assert api.request("DELETE", f"/api/v2/dealFields/{code}").status_code == 200
    assert code not in api.data("/api/v2/deals/1")["custom_fields"]
    assert api.get(f"/api/v2/dealFields/{code}").status_code == 404


def test_set_option_delete_keeps_the_other_options(simulator):
    sim = simulator(seed=43, counts={"deals": 5})
    field = sim.add_field("deal_fields", "Tags", "set", options=["x", "y", "z"])
    ids = [option["id"] for option in field["options"]]
    sim.update("deals", 2, {"custom_fields": {field["field_code"]: ids[:2]}})
    sim.delete_option("deal_fields", field["field_code"], ids[0])
    assert sim.get("deals", 2)["custom_fields"][field["field_code"]] == [ids[1]]


def test_invalid_custom_values_are_rejected(simulator):
    sim = simulator(seed=44, counts={"deals": 5})
    api = Api(sim)
    enum_code = next(
        field["field_code"]
        for field in sim.fields("deal_fields")
        if field["field_type"] == "enum" and field["is_custom_field"]
    )
    for bad in ({enum_code: 1}, {"f" * 40: "x"}):
        response = api.request("PATCH", "/api/v2/deals/1", json={"custom_fields": bad})
        assert response.status_code == 400 and response.json()["success"] is False
